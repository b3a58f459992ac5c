"""Uploading a document on the product edit page never loses the product edits typed before it.

The Upload button and the document fields belong to the product form (HTML form= attribute), so
the upload carries the typed values; the page comes back with them in the fields, unsaved.
"""

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from catalogue.accounts.models import User
from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.supplies.models import Category, Manufacturer, Product, Upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Setup:
    user: object
    product: object


@pytest.fixture
def setup(make_user, make_manufacturer, make_product):
    maker = make_manufacturer()
    product = make_product(manufacturer=maker, moq=100, lead_time="1 week")
    user = make_user(role="manufacturer", manufacturer_id=maker.id)
    return Setup(user=user, product=product)


def _edits(product, **changes):
    """What the browser posts from the edit page: the product form with typed, unsaved values."""
    data = {
        "name": product.name,
        "category_id": str(product.category_id),
        "technology": "",
        "moq": "2500",
        "lead_time": "6 to 8 weeks",
        "specimen_types": ["saliva"],
    }
    data.update(changes)
    return data


def _upload(client, product, content: bytes, filename: str, **edits):
    response = client.post(
        f"/portal/products/{product.id}/documents",
        data={
            **_edits(product, **edits),
            "kind": "certificate",
            "title": "CE certificate",
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )
    # The test client spools a large body to a temporary file and, without follow_redirects,
    # leaves it open.
    response.request.input_stream.close()
    return response


def _input_value(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def _documents(page: str) -> str:
    return page.split('id="documents"')[1].split("</section>")[0]


class _Forms(HTMLParser):
    """Records nested <form> elements and the form= owner of every control outside a form."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.nested = False
        self.owners: dict[str, dict] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.nested |= self.depth > 0
            self.depth += 1
        elif tag in ("input", "select", "button") and self.depth == 0 and attrs.get("form"):
            self.owners[attrs.get("name") or attrs.get("formaction") or tag] = attrs

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def test_the_upload_controls_belong_to_the_product_form(client, login, setup):
    login(setup.user)
    page = client.get(f"/portal/products/{setup.product.id}/edit").get_data(as_text=True)
    assert re.search(r'<form[^>]*id="product-form"', page)
    forms = _Forms()
    forms.feed(page)
    assert not forms.nested
    for name in ("kind", "title", "file"):
        assert forms.owners[name]["form"] == "product-form", name
    button = forms.owners[f"/portal/products/{setup.product.id}/documents#documents"]
    assert button["form"] == "product-form" and button["formenctype"] == "multipart/form-data"


def test_upload_keeps_the_typed_edits_unsaved_and_stores_the_document(client, login, setup):
    login(setup.user)
    product = setup.product
    response = _upload(client, product, PNG, "cert.png")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # The typed values are back in the fields ...
    assert _input_value(page, "moq") == "2500"
    assert _input_value(page, "lead_time") == "6 to 8 weeks"
    assert re.search(r'<input[^>]*checked[^>]*value="saliva"|value="saliva"[^>]*checked', page)
    # ... the user is told they are not saved, and they are not.
    assert "Your other changes are not saved yet" in page
    db.session.expire_all()
    assert (product.moq, product.lead_time) == (100, "1 week")
    # The document is stored (and audited), listed, and the upload fields are empty again.
    document = db.session.scalar(sa.select(Upload).where(Upload.product_id == product.id))
    assert (document.title, document.kind, document.content_type) == (
        "CE certificate",
        "certificate",
        "image/png",
    )
    assert "CE certificate" in _documents(page)
    assert _input_value(page, "title") in (None, "")
    assert db.session.scalar(
        sa.select(ChangeRecord).where(
            ChangeRecord.entity_id == product.id, ChangeRecord.field == "documents"
        )
    )
    # Save, from the re-rendered page, goes to the edit view (the form's explicit action).
    assert re.search(
        rf'<form[^>]*action="/portal/products/{product.id}/edit"[^>]*id="product-form"', page
    )
    saved = client.post(f"/portal/products/{product.id}/edit", data=_edits(product))
    assert saved.status_code == 302
    db.session.expire_all()
    assert (product.moq, product.lead_time) == (2500, "6 to 8 weeks")


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"<html><script>x</script>", "cert.pdf", "Only PDF, PNG and JPEG files are accepted."),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "big.pdf", "The file is larger than 10 MB."),
        (b"", "", "Choose a file to upload."),
    ],
    ids=["wrong-type", "too-big", "no-file"],
)
def test_a_failed_upload_keeps_the_edits_and_shows_the_error(
    client, login, setup, content, filename, message
):
    login(setup.user)
    product = setup.product
    response = _upload(client, product, content, filename, moq="777")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _input_value(page, "moq") == "777"
    assert _input_value(page, "lead_time") == "6 to 8 weeks"
    assert _input_value(page, "title") == "CE certificate"
    error = re.search(r'<div id="file-error"[^>]*>([^<]*)</div>', page)
    assert error and message in error.group(1)
    assert re.search(r'<input[^>]*aria-describedby="file-error"[^>]*name="file"', page)
    assert "Your other changes are still in the form, not saved yet." in page
    assert db.session.scalar(sa.select(sa.func.count(Upload.id))) == 0
    db.session.expire_all()
    assert product.moq == 100


def test_saving_with_a_chosen_file_says_the_file_was_not_uploaded(client, login, setup):
    login(setup.user)
    product = setup.product
    # The Save button posts the form urlencoded: a chosen file arrives as its name only.
    response = client.post(
        f"/portal/products/{product.id}/edit",
        data={**_edits(product), "kind": "certificate", "file": "cert.pdf"},
        follow_redirects=True,
    )
    assert "The file you chose was not uploaded" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Upload.id))) == 0


def test_staff_product_page_still_has_no_upload(client, login, setup, make_user):
    login(make_user(role="staff"))
    response = client.get(f"/staff/products/{setup.product.id}/edit")
    assert response.status_code == 200
    assert 'name="file"' not in _documents(response.get_data(as_text=True))


@pytest.fixture
def csrf_client(app_factory):
    app = app_factory("test_upload_csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        maker = Manufacturer(slug="maker-csrf", name="Maker CSRF")
        category = Category(slug="cat-csrf", name="Cat", kind="diagnostic_reagent")
        product = Product(
            slug="p-csrf", name="P", status="draft", manufacturer=maker, category=category
        )
        user = User(email="m@csrf.example", name="M", role="manufacturer", manufacturer=maker)
        user.set_password("correct horse battery staple")
        db.session.add_all([product, user])
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_session_id()
            session["_fresh"] = True
        yield client, product


def test_the_upload_with_edits_needs_the_csrf_token(csrf_client):
    client, product = csrf_client
    page = client.get(f"/portal/products/{product.id}/edit").get_data(as_text=True)
    token = _input_value(page, "csrf_token")
    without = _upload(client, product, PNG, "cert.png")
    assert without.status_code == 400 and "CSRF" in without.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Upload.id))) == 0
    with_token = _upload(client, product, PNG, "cert.png", csrf_token=token)
    assert with_token.status_code == 200
    assert _input_value(with_token.get_data(as_text=True), "moq") == "2500"
    assert db.session.scalar(sa.select(sa.func.count(Upload.id))) == 1

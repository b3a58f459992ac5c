"""A resubmitted inquiry form files nothing new (issue 14, item 15).

After a network error the buyer sends the form again; it used to file every inquiry, and mail
every notice, a second time. Each form now carries a one-time token.
"""

import re
import threading

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries import services
from catalogue.inquiries.models import Inquiry
from catalogue.mail.models import OutboundEmail
from tests.inquiries.test_journey import inquiry_form


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _form_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)


def _references(client, response) -> list[str]:
    assert response.status_code == 302 and response.location.endswith("/inquiry/sent")
    page = client.get("/inquiry/sent").get_data(as_text=True)
    return re.findall(r'class="reference">(CAC-\d{4}-\d{5})<', page)


def test_the_same_form_sent_twice_files_once_and_shows_the_same_references(client, app, world):
    for product in (world.product_a, world.product_b):
        client.post("/inquiry/basket/add", data={"product": product.slug})
    token = _form_token(client, "/inquiry/new")
    data = inquiry_form([(world.product_a.slug, 500), (world.product_b.slug, 50)], form_token=token)
    before = (_count(Inquiry), _count(OutboundEmail))

    first = _references(client, client.post("/inquiry/new", data=data))
    filed = (_count(Inquiry), _count(OutboundEmail))
    # The response was lost: the browser sends the form again, without the session it had.
    again = app.test_client()
    response = again.post("/inquiry/new", data=data)
    second = _references(again, response)

    assert len(first) == 2 and filed[0] == before[0] + 2
    assert second == first
    assert (_count(Inquiry), _count(OutboundEmail)) == filed  # no inquiry, no notice more
    with again.session_transaction() as session:
        assert not session.get("basket")
    page = again.get(response.location, follow_redirects=True)
    assert page.status_code == 200  # the confirmation was shown once, as for a first send


def test_a_copied_form_token_with_another_address_shows_nothing(client, world):
    token = _form_token(client, f"/inquiry/new?product={world.product_a.slug}")
    data = inquiry_form([(world.product_a.slug, 500)], form_token=token)
    first = _references(client, client.post("/inquiry/new", data=data))
    count = _count(Inquiry)

    other = client.post("/inquiry/new", data={**data, "email": "someone@else.example"})

    assert other.status_code == 400
    assert "This form was sent already" in other.get_data(as_text=True)
    assert first[0] not in other.get_data(as_text=True)
    assert _count(Inquiry) == count


@pytest.mark.parametrize("token", ["short", "x" * 65, "../../etc", "a b" * 20])
def test_a_mangled_form_token_is_refused(client, world, token):
    before = _count(Inquiry)
    data = inquiry_form([(world.product_a.slug, 500)], form_token=token)
    response = client.post("/inquiry/new", data=data)
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert _count(Inquiry) == before


def test_each_form_shown_gets_its_own_token(client, world):
    url = f"/inquiry/new?product={world.product_a.slug}"
    assert _form_token(client, url) != _form_token(client, url)


@pytest.mark.postgresql
def test_the_same_form_sent_twice_at_once_files_once(app_factory, backend, tmp_path, monkeypatch):
    """Both requests look the token up before either files: the unique index decides."""
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    app = app_factory("test_idempotency", **overrides)
    with app.app_context():
        db.create_all()
        from catalogue.supplies.models import Category, Manufacturer, Product

        category = Category(slug="c", name="C", kind="diagnostic_reagent")
        for n in (1, 2):
            maker = Manufacturer(slug=f"m{n}", name=f"M{n}", contact_email=f"sales@m{n}.example")
            db.session.add(
                Product(slug=f"p{n}", name=f"P{n}", status="published", manufacturer=maker,
                        category=category)
            )  # fmt: skip
        db.session.commit()
        db.session.remove()

    both_looked = threading.Barrier(2, timeout=20)
    looked = threading.local()
    lookup = services.filed_with_form_token

    def lookup_then_wait(token, email):
        found = lookup(token, email)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait()
        return found

    monkeypatch.setattr(services, "filed_with_form_token", lookup_then_wait)
    data = inquiry_form([("p1", 100), ("p2", 200)], form_token="t" * 43)
    results: list = []

    def send():
        client = app.test_client()
        response = client.post("/inquiry/new", data=data)
        results.append((response.status_code, _references(client, response)))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [code for code, _refs in results] == [302, 302]
    assert results[0][1] == results[1][1] and len(results[0][1]) == 2
    with app.app_context():
        assert _count(Inquiry) == 2
        notices = db.session.scalars(sa.select(OutboundEmail.to_address)).all()
        assert sorted(notices) == sorted(
            ["ana.souza@recife.example", "sales@m1.example", "sales@m2.example"]
        )
        db.session.remove()

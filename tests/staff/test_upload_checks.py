"""A maker's upload is "not checked by CAC" until staff check it; only staff may check it."""

import io

import pytest
import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.supplies.models import Upload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOT_CHECKED = "Uploaded by the manufacturer — not checked by CAC"


def _text(response):
    return response.get_data(as_text=True)


def _item(page: str, document_id: int) -> str:
    return page.split(f'id="document-{document_id}"')[1].split("</li>")[0]


@pytest.fixture
def certificate(client, login, world):
    """A certificate the maker uploads for product A through the portal."""
    login(world.user_a)
    response = client.post(
        f"/portal/products/{world.product_a.id}/documents",
        data={"kind": "certificate", "title": "CE certificate",
              "file": (io.BytesIO(PDF), "ce.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    return db.session.scalar(sa.select(Upload).where(Upload.title == "CE certificate"))


def test_a_makers_upload_shows_as_not_checked(client, login, world, certificate):
    assert certificate.checked_at is None and certificate.public_label == NOT_CHECKED
    page = _text(client.get(f"/portal/products/{world.product_a.id}/edit"))
    item = _item(page, certificate.id)
    assert NOT_CHECKED in item and "Certificate" not in item.split("</a>")[1]
    login(world.staff)
    item = _item(_text(client.get(f"/staff/products/{world.product_a.id}/edit")), certificate.id)
    assert NOT_CHECKED in item and "Mark as checked" in item


def test_staff_mark_an_upload_checked_and_can_undo_it(client, login, world, certificate):
    product = world.product_a
    login(world.staff)
    response = client.post(f"/staff/documents/{certificate.id}/check", data={"checked": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    upload = db.session.get(Upload, certificate.id)
    assert upload.checked_by_id == world.staff.id and upload.checked_at is not None
    record = db.session.scalar(
        sa.select(ChangeRecord).where(
            ChangeRecord.entity_type == "documents",
            ChangeRecord.entity_id == certificate.id,
            ChangeRecord.field == "checked_by_id",
        )
    )
    assert record.actor_id == world.staff.id and record.new_value == str(world.staff.id)
    page = _text(client.get(f"/staff/products/{product.id}/edit"))
    assert "document checked by CAC" in page  # the product's history
    item = _item(page, certificate.id)
    assert "Certificate (checked by CAC staff)" in item and "Undo the check" in item

    login(world.user_a)
    item = _item(_text(client.get(f"/portal/products/{product.id}/edit")), certificate.id)
    assert "Certificate (checked by CAC staff)" in item and NOT_CHECKED not in item

    login(world.staff)
    client.post(f"/staff/documents/{certificate.id}/check", data={"checked": "0"})
    db.session.expire_all()
    upload = db.session.get(Upload, certificate.id)
    assert upload.checked_at is None and upload.checked_by_id is None
    assert upload.public_label == NOT_CHECKED
    assert client.post(f"/staff/documents/{certificate.id}/check", data={}).status_code == 400


def test_staff_check_a_company_document_on_the_makers_page(client, login, world):
    login(world.user_a)
    client.post(
        "/portal/documents",
        data={"kind": "certificate", "title": "ISO 13485", "file": (io.BytesIO(PDF), "iso.pdf")},
        content_type="multipart/form-data",
    )
    document = db.session.scalar(sa.select(Upload).where(Upload.title == "ISO 13485"))
    assert NOT_CHECKED in _item(_text(client.get("/portal/profile")), document.id)

    login(world.staff)
    page = _text(client.get(f"/staff/manufacturers/{world.maker_a.id}"))
    assert NOT_CHECKED in _item(page, document.id)
    client.post(f"/staff/documents/{document.id}/check", data={"checked": "1"})
    page = _text(client.get(f"/staff/manufacturers/{world.maker_a.id}"))
    assert "Certificate (checked by CAC staff)" in _item(page, document.id)
    assert "document checked by CAC" in page  # the manufacturer's history


@pytest.mark.parametrize("who", ["user_a", "officer"])
def test_only_staff_may_check_an_upload(client, login, world, certificate, who):
    login(getattr(world, who))
    response = client.post(f"/staff/documents/{certificate.id}/check", data={"checked": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Upload, certificate.id).checked_at is None

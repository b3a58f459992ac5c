"""The manufacturer portal and the staff back office, walked through the test client."""

import io
import re

import sqlalchemy as sa

from catalogue.accounts.models import User
from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import Approval, Product, Upload
from tests.fixtures.accounts import DEFAULT_PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _text(response):
    return response.get_data(as_text=True)


def _approvals(page: str) -> str:
    return page.split('id="approvals"')[1].split("</section>")[0]


def _approval_row(page: str, label: str) -> str:
    """The visible text of the approvals table row that names `label`."""
    rows = [
        re.sub(r"<[^>]+>", "", row.split("</tr>")[0]) for row in _approvals(page).split("<tr>")[1:]
    ]
    return next(row for row in rows if label in row)


def _product_form(product, **changes):
    data = {
        "name": product.name,
        "category_id": str(product.category_id),
        "technology": product.technology or "",
    }
    data.update(changes)
    return data


def test_dashboard_lists_products_by_status_and_missing_facts(client, login, world):
    login(world.user_a)
    html = _text(client.get("/portal/"))
    assert re.search(r'id="count-published">1<', html)
    assert "contact e-mail" in html and "minimum order quantity" in html
    assert "Maker B" not in html and "product-b" not in html


def test_create_a_draft_then_publish_and_archive(client, login, world):
    login(world.user_a)
    response = client.post(
        "/portal/products/new",
        data={"name": "Alpha Saliva Ag Test", "category_id": str(world.product_a.category_id),
              "specimen_types": ["saliva"], "moq": "500", "unit": "tests",
              "manufacturer_id": str(world.maker_b.id)},
    )  # fmt: skip
    assert response.status_code == 302
    product = db.session.scalar(sa.select(Product).where(Product.name == "Alpha Saliva Ag Test"))
    assert product.status == "draft"
    assert product.manufacturer_id == world.maker_a.id  # a smuggled manufacturer_id is ignored
    assert product.specimen_types == ["saliva"]
    assert client.get(f"/supplies/products/{product.slug}").status_code == 404
    client.post(f"/portal/products/{product.id}/status", data={"status": "published"})
    public = client.get(f"/supplies/products/{product.slug}")
    assert public.status_code == 200 and "500 tests" in _text(public)
    client.post(f"/portal/products/{product.id}/status", data={"status": "archived"})
    assert client.get(f"/supplies/products/{product.slug}").status_code == 404


def test_editing_a_fact_is_recorded_and_shown_publicly(client, login, world):
    login(world.user_a)
    product = world.product_a
    response = client.post(
        f"/portal/products/{product.id}/edit", data=_product_form(product, lead_time="3 weeks")
    )
    assert response.status_code == 302
    assert "3 weeks" in _text(client.get(f"/supplies/products/{product.slug}"))
    record = db.session.scalar(
        sa.select(ChangeRecord).where(
            ChangeRecord.entity_type == "products",
            ChangeRecord.entity_id == product.id,
            ChangeRecord.field == "lead_time",
        )
    )
    assert (record.old_value, record.new_value, record.actor_id) == (
        None,
        "3 weeks",
        world.user_a.id,
    )
    history = _text(client.get(f"/portal/products/{product.id}/history"))
    assert "lead_time" in history and "3 weeks" in history and world.user_a.email in history


def test_invalid_product_input_keeps_the_form_and_saves_nothing(client, login, world):
    login(world.user_a)
    product = world.product_a
    response = client.post(
        f"/portal/products/{product.id}/edit",
        data=_product_form(product, hs_code="not-a-code", moq="-5", lead_time="2 weeks"),
    )
    assert response.status_code == 400
    html = _text(response)
    assert "Use digits like 3822.19" in html and 'value="2 weeks"' in html
    db.session.expire_all()
    assert db.session.get(Product, product.id).lead_time is None


def test_claim_verify_reject_cycle_shows_publicly(client, login, world):
    login(world.user_a)
    product = world.product_a
    response = client.post(
        f"/portal/products/{product.id}/approvals/new",
        data={"authority": "fda_eua", "reference_number": "EUA201234", "approved_on": "2020-05-21"},
    )
    assert response.status_code == 302
    page = _text(client.get(f"/supplies/products/{product.slug}"))
    fda_row = _approval_row(page, "US FDA Emergency Use Authorization")
    assert "EUA201234" in fda_row and "Claimed by the manufacturer" in fda_row
    claim = db.session.scalar(sa.select(Approval).where(Approval.reference_number == "EUA201234"))

    login(world.staff)
    evidence = {
        "evidence_reference": "EUA201234",
        "checked_on": "2026-11-27",
        "evidence_note": "Listed in the FDA EUA list.",
    }
    assert client.post(f"/staff/claims/{claim.id}/verify").status_code == 400  # no evidence
    assert client.post(f"/staff/claims/{claim.id}/verify", data=evidence).status_code == 302
    page = _text(client.get(f"/supplies/products/{product.slug}"))
    fda_row = _approval_row(page, "US FDA Emergency Use Authorization")
    assert "Verified by CAC staff" in fda_row and "Listed in the FDA EUA list." in fda_row
    verified_mail = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.kind == "approval_verified")
    ).all()
    assert [m.to_address for m in verified_mail] == [world.user_a.email]

    # Editing a verified approval sends it back for verification.
    login(world.user_a)
    client.post(
        f"/portal/approvals/{claim.id}/edit",
        data={"authority": "fda_eua", "reference_number": "EUA209999", "approved_on": "2020-05-21"},
    )
    db.session.expire_all()
    edited = db.session.get(Approval, claim.id)
    assert edited.status == "claimed"
    assert edited.evidence_reference is None and edited.checked_on is None
    page = _text(client.get(f"/supplies/products/{product.slug}"))
    assert "Listed in the FDA EUA list." not in page

    login(world.staff)
    refused = client.post(f"/staff/claims/{claim.id}/reject", data={"reason": ""})
    assert refused.status_code == 400
    client.post(f"/staff/claims/{claim.id}/reject", data={"reason": "No such EUA in the FDA list."})
    page = _text(client.get(f"/supplies/products/{product.slug}"))
    assert "US FDA Emergency Use Authorization" not in _approvals(page)
    rejected = db.session.scalar(
        sa.select(OutboundEmail).where(OutboundEmail.kind == "approval_rejected")
    )
    assert "No such EUA in the FDA list." in rejected.body_text


def test_future_approval_date_is_refused(client, login, world):
    login(world.user_a)
    response = client.post(
        f"/portal/products/{world.product_a.id}/approvals/new",
        data={"authority": "ce_ivd", "approved_on": "2999-01-01"},
    )
    assert response.status_code == 400
    assert "cannot be in the future" in _text(response)


def test_upload_accepts_png_and_serves_it_as_an_attachment(client, login, world):
    login(world.user_a)
    product = world.product_a
    response = client.post(
        f"/portal/products/{product.id}/documents",
        data={"kind": "image", "title": "Kit photo", "file": (io.BytesIO(PNG), "kit.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    document = db.session.scalar(sa.select(Upload).where(Upload.title == "Kit photo"))
    assert document.content_type == "image/png" and document.storage_path != "kit.png"
    public = client.get(f"/supplies/documents/{document.id}")
    assert public.status_code == 200
    assert public.headers["Content-Type"] == "image/png"
    assert public.headers["Content-Disposition"].startswith("attachment")
    assert public.data == PNG
    public.close()


def test_upload_refuses_html_named_pdf_and_oversized_files(client, login, world):
    login(world.user_a)
    product = world.product_a
    before = db.session.scalar(sa.select(sa.func.count(Upload.id)))
    html_as_pdf = client.post(
        f"/portal/products/{product.id}/documents",
        data={"kind": "certificate", "file": (io.BytesIO(b"<html><script>x</script>"), "cert.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Only PDF, PNG and JPEG files are accepted." in _text(html_as_pdf)
    big = client.post(
        f"/portal/products/{product.id}/documents",
        data={
            "kind": "certificate",
            "file": (io.BytesIO(b"%PDF-" + b"0" * (10 * 1024 * 1024)), "big.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "larger than 10 MB" in _text(big)
    assert db.session.scalar(sa.select(sa.func.count(Upload.id))) == before


def test_documents_of_unpublished_products_are_not_public(client, login, world):
    login(world.user_a)
    client.post(f"/portal/products/{world.product_a.id}/status", data={"status": "draft"})
    document = world.product_a.documents[0]
    response = client.get(f"/supplies/documents/{document.id}")
    assert response.status_code == 404
    own = client.get(f"/portal/documents/{document.id}")
    assert own.status_code == 200
    own.close()


def test_performance_figures_are_validated(client, login, world):
    login(world.user_a)
    product = world.product_a
    client.post(
        f"/portal/products/{product.id}/performance",
        data={"perf-study": "Bad", "perf-sensitivity": "140"},
    )
    client.post(
        f"/portal/products/{product.id}/performance",
        data={
            "perf-study": "Clinical study 2021",
            "perf-sensitivity": "94.2",
            "perf-sample_size": "300",
        },
    )
    db.session.expire_all()
    studies = [r.study for r in db.session.get(Product, product.id).performance]
    assert "Clinical study 2021" in studies and "Bad" not in studies


def test_profile_edit_validates_and_records(client, login, world):
    login(world.user_a)
    bad = client.post("/portal/profile", data={"name": "Maker A Inc.", "website": "not a url"})
    assert bad.status_code == 400
    good = client.post(
        "/portal/profile",
        data={"name": "Maker A Inc.", "contact_email": "sales@maker-a.example",
              "contact_phone": "+82 2 1234 5678", "quality_certifications": "ISO 13485, GMP"},
    )  # fmt: skip
    assert good.status_code == 302
    page = _text(client.get("/supplies/manufacturers/maker-a"))
    assert "sales@maker-a.example" in page and "ISO 13485, GMP" in page
    assert "contact_email" in _text(client.get("/portal/profile/history"))


def test_hostile_markup_is_escaped_for_staff_and_buyers(client, login, world):
    login(world.user_a)
    product = world.product_a
    client.post(
        f"/portal/products/{product.id}/edit",
        data=_product_form(
            product, name="<img src=x onerror=alert(1)>", summary="<script>x()</script>"
        ),
    )
    for who, url in (
        (world.staff, f"/staff/products/{product.id}/edit"),
        (None, f"/supplies/products/{product.slug}"),
    ):
        login(who)
        html = _text(client.get(url))
        assert "<img src=x onerror" not in html and "<script>x()" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_staff_invites_and_deactivates_users(client, login, world):
    login(world.staff)
    client.post(
        f"/staff/manufacturers/{world.maker_a.id}/invitations",
        data={"email": "new@maker-a.example"},
    )
    mail = db.session.scalar(sa.select(OutboundEmail).where(OutboundEmail.kind == "invitation"))
    assert mail.to_address == "new@maker-a.example" and "/account/invitation/" in mail.body_text
    client.post(f"/staff/users/{world.user_b.id}/active", data={"active": "0"})
    refused_self = client.post(
        f"/staff/users/{world.staff.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "cannot deactivate your own account" in _text(refused_self)
    client.post("/account/logout")
    response = client.post(
        "/account/login", data={"email": world.user_b.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    assert db.session.get(User, world.staff.id).active


def test_staff_dashboard_and_lists_show_waiting_work(client, login, world):
    login(world.staff)
    html = _text(client.get("/staff/"))
    assert re.search(r'id="count-claims">2<', html)
    assert "Maker A Inc." in _text(client.get("/staff/manufacturers/"))
    assert "Product" in _text(client.get("/staff/claims/"))
    assert "x@example.org" in _text(client.get("/staff/mail/"))


def test_staff_edit_any_product_is_audited(client, login, world):
    login(world.staff)
    product = world.product_b
    client.post(f"/staff/products/{product.id}/edit", data=_product_form(product, moq="2000"))
    audit = _text(client.get("/staff/audit/?entity_type=products"))
    assert "moq" in audit and "2000" in audit and world.staff.email in audit
    assert client.get("/staff/audit/?entity_type=bogus").status_code == 400

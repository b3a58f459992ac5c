"""Errors are answered in the site's style, never with a stack trace."""

import io

import pytest
import sqlalchemy as sa

from catalogue import create_app
from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.supplies import changes
from catalogue.supplies.models import Approval, Product, Upload


@pytest.fixture
def failing_app(tmp_path):
    app = create_app("testing", {"PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    return app


def test_unexpected_error_gives_the_500_page_without_details(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "secret internal detail" not in html and "Traceback" not in html


def test_unknown_url_gives_the_site_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and 'href="/supplies/"' in html


def test_wrong_method_is_405_in_site_style(client):
    response = client.post("/supplies/")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_json_endpoints_get_json_errors(failing_app):
    response = failing_app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_security_headers_on_html_pages(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_every_navigation_link_answers(client):
    html = client.get("/").get_data(as_text=True)
    nav = html.split('id="site-nav"')[1].split("</ul>")[0]
    links = [part.split('"')[0] for part in nav.split('href="')[1:]]
    assert "/" in links and "/supplies/" in links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_405_says_which_methods_are_allowed(client):
    for path in ("/account/logout", "/api/v1/products"):
        response = client.open(path, method="DELETE")
        assert response.status_code == 405, path
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"], path


# Issue 14, item 9: a failed flush left the session unusable, and the error page failed too.


def _a_failing_flush(*args, **kwargs):
    """Stands in for a service whose flush breaks a constraint: a second product with the
    slug of an existing one."""
    existing = db.session.scalars(sa.select(Product)).first()
    db.session.add(
        Product(
            slug=existing.slug, name="Copy", manufacturer_id=existing.manufacturer_id,
            category_id=existing.category_id,
        )
    )  # fmt: skip
    db.session.flush()


@pytest.mark.postgresql
def test_a_database_error_in_a_view_renders_the_site_error_page(
    app, client, login, world, monkeypatch
):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(changes, "update_product", _a_failing_flush)
    login(world.user_a)
    response = client.post(
        f"/portal/products/{world.product_a.id}/edit",
        data={"name": "Renamed", "category_id": world.product_a.category_id},
    )
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    # The whole page, signed in (its header asks the database who is signed in), no details.
    assert "Something went wrong" in html and 'id="site-nav"' in html
    assert "IntegrityError" not in html and "Traceback" not in html
    # And the next request of the same worker is served as usual.
    assert client.get(f"/portal/products/{world.product_a.id}/edit").status_code == 200


def _pdf(name="certificate.pdf"):
    return (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), name)


@pytest.mark.postgresql
def test_deleting_the_certificate_of_an_approval_unlinks_it_without_an_error(
    app, client, login, world
):
    login(world.user_a)
    approval = world.product_a.approvals[0]
    saved = client.post(
        f"/portal/approvals/{approval.id}/edit",
        data={"authority": "ce_ivd", "reference_number": "CE-1", "certificate": _pdf()},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    db.session.expire_all()
    document_id = db.session.get(Approval, approval.id).document_id
    assert document_id is not None

    response = client.post(f"/portal/documents/{document_id}/delete", follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Upload deleted." in html and "no longer has a document" in html
    db.session.expire_all()
    assert db.session.get(Upload, document_id) is None
    assert db.session.get(Approval, approval.id).document_id is None
    # The approval's history says where its document went.
    assert db.session.scalar(
        sa.select(ChangeRecord).where(
            ChangeRecord.entity_type == "approvals",
            ChangeRecord.entity_id == approval.id,
            ChangeRecord.field == "document",
            ChangeRecord.new_value.is_(None),
        )
    )


def test_a_quotation_sent_to_a_buyer_cannot_be_deleted_as_an_upload(client, login, world):
    document_id = world.inquiry_a.quotations[0].document_id
    assert document_id is not None
    login(world.user_a)
    response = client.post(f"/portal/documents/{document_id}/delete", follow_redirects=True)
    assert response.status_code == 409
    assert "quotation" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Upload).where(Upload.id == document_id))

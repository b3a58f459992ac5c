"""Stored files behave alike on the local folder and on S3 (each test runs on both: conftest.py):
uploads, spec sheets and brochures are stored, downloaded with their headers and removed."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from catalogue import create_app
from catalogue.exports import pdfcache
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.storage import storage
from catalogue.supplies import uploads
from catalogue.supplies.models import Upload
from tests.exports import test_views

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
# Larger than one read of the stream, so that the download is sent in several chunks.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1024


def _upload(client, product, data: bytes, name: str, kind: str = "image"):
    return client.post(
        f"/portal/products/{product.id}/documents",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _document(filename: str) -> Upload:
    return db.session.scalar(sa.select(Upload).where(Upload.filename == filename))


def test_a_makers_upload_downloads_byte_for_byte_with_its_headers(client, login, world):
    login(world.user_a)
    assert _upload(client, world.product_a, PNG, "kit photo.png").status_code == 302
    document = _document("kit_photo.png")
    stored = storage().stat(uploads.document_key(document))
    assert stored is not None and stored.size == len(PNG)

    for url in (f"/portal/documents/{document.id}", f"/supplies/documents/{document.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == PNG
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Content-Length"] == str(len(PNG))
        assert response.headers["Content-Disposition"] == "attachment; filename=kit_photo.png"
        assert response.headers["ETag"] == f'"{stored.etag}"'
        assert response.last_modified == stored.modified.replace(microsecond=0)

        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        since = client.get(url, headers={"If-Modified-Since": response.headers["Last-Modified"]})
        assert since.status_code == 304

    streamed = client.get(f"/portal/documents/{document.id}", buffered=False)
    assert streamed.is_streamed
    chunks = list(streamed.response)
    streamed.close()
    assert len(chunks) > 1 and b"".join(chunks) == PNG


def test_staff_download_a_makers_document(client, login, world):
    document = world.product_a.documents[0]
    login(world.staff)
    response = client.get(f"/staff/documents/{document.id}")
    assert response.status_code == 200
    assert response.data == storage().get(uploads.document_key(document))
    assert response.headers["Content-Disposition"] == f"attachment; filename={document.filename}"


def test_an_uncommitted_upload_leaves_no_object(client, login, world):
    before = storage().list("uploads/")
    file = FileStorage(io.BytesIO(PDF), filename="cert.pdf")
    document = uploads.store_document(
        file, kind="certificate", title=None, uploader=world.user_a, owner=world.product_a
    )
    key = uploads.document_key(document)
    assert storage().get(key) == PDF  # stored with its row, before the commit
    db.session.rollback()
    assert storage().stat(key) is None
    # Through the portal: the certificate is stored before the claim's own checks refuse it.
    login(world.user_a)
    response = client.post(
        f"/portal/products/{world.product_a.id}/approvals/new",
        data={"authority": "other", "certificate": (io.BytesIO(PDF), "cert.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert storage().list("uploads/") == before


def test_a_deleted_upload_is_removed_from_storage(client, login, world):
    login(world.user_a)
    _upload(client, world.product_a, PNG, "old.png")
    document = _document("old.png")
    key = uploads.document_key(document)
    response = client.post(f"/portal/documents/{document.id}/delete")
    assert response.status_code == 302
    assert storage().stat(key) is None
    assert client.get(f"/portal/documents/{document.id}").status_code == 404


def test_a_deletion_rolled_back_keeps_the_file(world):
    document = world.product_a.documents[0]
    key = uploads.document_key(document)
    uploads.delete_document(document)
    db.session.rollback()
    assert storage().get(key) is not None


# The render counter of the spec sheet view tests.
count_renders = test_views.count_renders


def test_a_spec_sheet_is_stored_once_and_served_from_storage(client, world, count_renders):
    url = f"/supplies/products/{world.product_a.slug}/spec-sheet.pdf"
    folder = f"exports/spec-sheets/{world.product_a.slug}/"
    first = client.get(url)
    assert first.status_code == 200 and first.data.startswith(b"%PDF-")
    (key,) = storage().list(folder)
    assert storage().get(key) == first.data
    assert first.headers["Content-Disposition"].startswith("inline; filename=")
    assert first.headers["Cache-Control"] == "no-cache"

    second = client.get(url)
    assert len(count_renders) == 1  # the stored file, not a new render
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    # An edit gives a new version: rendered once more, stored beside the older one (dropped
    # later: tests/exports/test_views.py).
    world.product_a.name = "Renamed kit"
    db.session.commit()
    third = client.get(url)
    assert len(count_renders) == 2 and third.headers["ETag"] != first.headers["ETag"]
    assert len(storage().list(folder)) == 2 and storage().get(key) == first.data


def test_a_render_process_stores_its_pdf_too(app, client, world):
    """As on a server: the render runs in a background thread and a render process."""
    app.config.update(PDF_RENDER_PROCESSES=1, PDF_RENDER_WAIT=60, PDF_RENDER_TIMEOUT=60)
    try:
        response = client.get(f"/supplies/manufacturers/{world.maker_a.slug}/profile.pdf")
    finally:
        pdfcache.shutdown_renders()
    assert response.status_code == 200
    (key,) = storage().list(f"exports/profiles/{world.maker_a.slug}/")
    assert response.data == storage().get(key)


def test_a_brochure_downloads_and_its_clean_up_deletes_the_object(client, login, world, runner):
    login(world.staff)
    client.post("/staff/exports/", data={"manufacturers": ["maker-a"]})
    job = db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.status == "done", job.error
    key = f"exports/brochures/{job.file_name}"
    response = client.get(f"/staff/exports/{job.id}/download")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-") and response.data == storage().get(key)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")

    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["exports", "cleanup"])
    assert result.exit_code == 0, result.output
    assert storage().stat(key) is None
    assert client.get(f"/staff/exports/{job.id}/download").status_code == 404


@pytest.mark.parametrize(
    "key", ["../outside.pdf", "uploads/../../outside.pdf", "/etc/passwd", "uploads//x", ""]
)
def test_keys_that_leave_the_store_are_refused(app, key):
    with pytest.raises(ValueError, match="Invalid storage key"):
        storage().put(key, PDF, "application/pdf")
    with pytest.raises(ValueError, match="Invalid storage key"):
        storage().stat(key)


@pytest.mark.parametrize("url", ["http://bucket", "s3://", "s3://Bad_Bucket", "/srv/files"])
def test_production_refuses_a_storage_url_that_names_no_bucket(url):
    settings = {"SECRET_KEY": "k", "SITE_URL": "https://portal.example", "STORAGE_URL": url}
    with pytest.raises(RuntimeError, match="STORAGE_URL must be s3://bucket"):
        create_app("production", settings)

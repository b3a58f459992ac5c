"""Uploads are checked in memory and written only when accepted (issue 14, items 10 and 18)."""

import io
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from werkzeug.datastructures import FileStorage

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.supplies import uploads
from catalogue.supplies.models import Upload
from tests.inquiries.test_quotations import _form as quotation_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PLAIN_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
# The attack: a certificate that runs a script when it is opened.
SCRIPTED_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n"
    b"   /OpenAction << /S /JavaScript /JS (app.alert\\('hello'\\)) >> >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _object_stream_pdf(objects: bytes, dictionary: bytes = b"/Type /ObjStm") -> bytes:
    """A PDF whose objects sit compressed in an object stream (as PDF 1.5+ writers do)."""
    packed = zlib.compress(objects)
    return (
        b"%PDF-1.7\n5 0 obj\n<< "
        + dictionary
        + b" /N 2 /First 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def _files(app) -> list[Path]:
    folder = Path(app.config["STORAGE_DIR"]) / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def _path(document) -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / uploads.document_key(document)


def _post_document(client, product, data: bytes, name: str, kind: str = "certificate"):
    return client.post(
        f"/portal/products/{product.id}/documents",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _pypdf(**change) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if "script" in change:
        writer.add_open_action(JavaScript(change["script"]))
    if "attachment" in change:
        writer.add_attachment("payload.exe", change["attachment"])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "big.pdf", "larger than 10 MB"),
        (b"<html><script>x</script>", "cert.pdf", "Only PDF, PNG and JPEG files are accepted."),
        (SCRIPTED_PDF, "cert.pdf", uploads.ACTIVE_PDF),
    ],
    ids=["too-large", "wrong-type", "pdf-with-javascript"],
)
def test_a_refused_upload_leaves_no_file(client, login, world, app, data, name, message):
    login(world.user_a)
    before, files = db.session.scalar(sa.select(sa.func.count(Upload.id))), _files(app)
    response = _post_document(client, world.product_a, data, name)
    assert str(message) in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Upload.id))) == before
    assert _files(app) == files


def test_a_certificate_with_a_refused_claim_leaves_no_file(client, login, world, app):
    """The file was written before the claim's own checks; their refusal left it behind."""
    login(world.user_a)
    files = _files(app)
    response = client.post(
        f"/portal/products/{world.product_a.id}/approvals/new",
        data={"authority": "other", "certificate": (io.BytesIO(PLAIN_PDF), "cert.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Name the authority." in response.get_data(as_text=True)
    assert _files(app) == files


def test_a_quotation_image_is_refused_before_it_is_written(client, login, world, app, file_inquiry):
    ((inquiry, _token),) = file_inquiry((world.product_a, 5000))
    login(world.user_a)
    files = _files(app)
    data = quotation_form() | {"q-attachment": (io.BytesIO(PNG), "quote.png")}
    response = client.post(
        f"/portal/inquiries/{inquiry.id}/quotation", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Only PDF files are accepted." in response.get_data(as_text=True)
    assert _files(app) == files


def test_an_accepted_upload_is_kept_once_committed(client, login, world, app):
    login(world.user_a)
    files = _files(app)
    response = _post_document(client, world.product_a, PNG, "kit.png", kind="image")
    assert "Document uploaded." in response.get_data(as_text=True)
    document = db.session.scalar(sa.select(Upload).where(Upload.filename == "kit.png"))
    assert _files(app) == sorted([*files, _path(document)])
    assert _path(document).read_bytes() == PNG


def test_a_rolled_back_upload_is_removed(app, world):
    """Whatever refuses the upload after it is stored (a later check, a failed insert), the
    transaction's end takes the file away unless it committed."""
    upload = FileStorage(io.BytesIO(PLAIN_PDF), filename="cert.pdf")
    document = uploads.store_document(
        upload, kind="certificate", title=None, uploader=world.user_a, owner=world.product_a
    )
    path = _path(document)
    assert path.read_bytes() == PLAIN_PDF
    db.session.rollback()
    assert not path.exists()

    upload = FileStorage(io.BytesIO(PLAIN_PDF), filename="cert.pdf")
    document = uploads.store_document(
        upload, kind="certificate", title=None, uploader=world.user_a, owner=world.product_a
    )
    db.session.commit()
    assert _path(document).exists()


def test_a_failed_insert_writes_no_file(app, world, monkeypatch):
    files = _files(app)

    def failing_flush(*args, **kwargs):
        raise sa.exc.IntegrityError("INSERT INTO documents", {}, Exception("disk full"))

    monkeypatch.setattr(db.session, "flush", failing_flush)
    upload = FileStorage(io.BytesIO(PLAIN_PDF), filename="cert.pdf")
    with pytest.raises(sa.exc.IntegrityError):
        uploads.store_document(
            upload, kind="certificate", title=None, uploader=world.user_a, owner=world.product_a
        )
    monkeypatch.undo()
    db.session.rollback()
    assert _files(app) == files


@pytest.mark.parametrize(
    "data",
    [
        SCRIPTED_PDF,
        _pypdf(script="app.alert(1)"),
        _pypdf(attachment=b"MZ\x90\x00"),
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /AA << /O << /S /Launch /F (cmd.exe) >> >> >>"
        b" endobj\n",
        # Names spelt with #-escapes ("/J#53" is "/JS") are names all the same.
        b"%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript /J#53 (x) >> >> endobj\n",
        # Hidden in a compressed object stream, even one whose own names are escaped.
        _object_stream_pdf(b"3 0 4 40 << /Type /Catalog /OpenAction 4 0 R >> << /S /JS (x) >>"),
        _object_stream_pdf(b"3 0 << /Names << /JavaScript 9 0 R >> >>", b"/Type /Obj#53tm"),
        # "stream" inside a string does not hide what follows from the scan.
        b"%PDF-1.4\n1 0 obj << /T (>>\nstream\n) /JS (x) /U (endstream) >> endobj\n",
    ],
    ids=[
        "open-action-js", "pypdf-script", "embedded-file", "launch", "escaped-names",
        "object-stream", "escaped-object-stream", "string-stream",
    ],
)  # fmt: skip
def test_pdfs_with_scripts_or_embedded_files_are_refused(data):
    with pytest.raises(ServiceError) as refused:
        uploads.check_pdf(data)
    assert refused.value.message == "PDFs with scripts or embedded files are not accepted."


def test_ordinary_pdfs_pass_the_check(app):
    from catalogue.exports import pdf

    rendered = pdf.html_to_pdf("<h1>Certificate 인증서</h1><p>ISO 13485</p>").data
    assert b"/ObjStm" in rendered  # WeasyPrint compresses its objects: they are read too
    for data in (rendered, _pypdf(), PLAIN_PDF):
        uploads.check_pdf(data)
    # A page-content or image stream is skipped, however its compressed bytes look.
    binary = b"/JS /AA /Launch " * 1000
    image = (
        b"%%PDF-1.4\n1 0 obj << /Subtype /Image /Length %d >>\nstream\n" % len(binary)
        + binary
        + b"\nendstream\nendobj\n"
    )
    uploads.check_pdf(image)


def test_an_object_stream_that_cannot_be_read_is_refused():
    bomb = _object_stream_pdf(b"\0" * (40 * 1024 * 1024))
    damaged = bomb.replace(b"stream\n\x78", b"stream\n\x00")
    for data in (bomb, damaged):
        with pytest.raises(ServiceError) as refused:
            uploads.check_pdf(data)
        assert "could not be checked" in refused.value.message


def test_documents_per_product_are_capped(client, login, world, app):
    login(world.user_a)
    product = world.product_a
    for n in range(uploads.MAX_DOCUMENTS - len(product.documents)):
        _post_document(client, product, PNG, f"photo-{n}.png", kind="image")
    assert len(product.documents) == uploads.MAX_DOCUMENTS
    files = _files(app)
    response = _post_document(client, product, PNG, "one-more.png", kind="image")
    assert f"A product can have at most {uploads.MAX_DOCUMENTS} documents." in (
        response.get_data(as_text=True)
    )
    db.session.expire_all()
    assert len(product.documents) == uploads.MAX_DOCUMENTS
    assert _files(app) == files


@pytest.mark.postgresql  # where a name longer than its column is an error, not stored
def test_long_file_names_and_titles_are_bounded(world):
    upload = FileStorage(io.BytesIO(PNG), filename="x" * 400 + ".png")
    document = uploads.store_document(
        upload, kind="image", title=None, uploader=world.user_a, owner=world.product_a
    )
    db.session.commit()
    assert len(document.filename) <= 255 and document.filename.endswith(".png")
    with pytest.raises(ServiceError, match="at most 200 characters"):
        uploads.store_document(
            FileStorage(io.BytesIO(PNG), filename="a.png"),
            kind="image",
            title="t" * 201,
            uploader=world.user_a,
            owner=world.product_a,
        )

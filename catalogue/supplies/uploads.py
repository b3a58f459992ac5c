"""Uploaded documents: type checked by content, size limited, stored under a random name."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.supplies.models import Upload

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_KINDS = {
    "certificate": "Certificate",
    "ifu": "Instructions for use",
    "image": "Image",
    "other": "Other",
}
# What a file is, judged by its first bytes (never by its name or the browser's word).
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def sniff_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in _SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def store_document(upload: FileStorage, *, kind: str, title: str | None, uploader, owner) -> Upload:
    """Validate and store an uploaded file for a product or a manufacturer."""
    if upload is None or not upload.filename:
        raise ServiceError("file", "Choose a file to upload.")
    if kind not in DOCUMENT_KINDS and kind != "quotation":
        raise ServiceError("kind", "Choose what kind of document this is.")
    data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ServiceError("file", "The file is larger than 10 MB.")
    if not data:
        raise ServiceError("file", "The file is empty.")
    sniffed = sniff_type(data[:16])
    if sniffed is None:
        raise ServiceError("file", "Only PDF, PNG and JPEG files are accepted.")
    content_type, extension = sniffed
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    storage_name = secrets.token_hex(16) + extension
    (folder / storage_name).write_bytes(data)
    filename = secure_filename(upload.filename) or f"document{extension}"
    if not filename.lower().endswith(extension) and not (
        extension == ".jpg" and filename.lower().endswith(".jpeg")
    ):
        filename = Path(filename).stem + extension
    document = Upload(
        kind=kind,
        title=(title or "").strip() or None,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_path=storage_name,
        uploaded_by_id=uploader.id if uploader else None,
    )
    if uploader is not None and uploader.role == "staff":
        # Staff upload what they have checked themselves.
        document.checked_by_id, document.checked_at = uploader.id, utcnow()
    if owner.__tablename__ == "products":
        document.product = owner
    else:
        document.manufacturer_id = owner.id
    db.session.add(document)
    db.session.flush()
    return document


def document_path(document: Upload) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / document.storage_path


def delete_document(document: Upload) -> Path:
    """Delete the row; the caller removes the returned file once the transaction commits."""
    path = document_path(document)
    db.session.delete(document)
    db.session.flush()
    return path

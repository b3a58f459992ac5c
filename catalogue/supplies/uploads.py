"""Uploaded documents: type checked by content, size limited, stored under a random name.

Every check runs on the bytes in memory; only an accepted file is stored (key
"uploads/<storage_path>", lib/storage.py), after its row is in the database, and a file whose
transaction does not commit is removed again (rejected uploads once left files of up to 10 MB
behind). A deleted row's file is removed once its transaction commits.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import zlib
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.storage import Storage, storage
from catalogue.supplies.models import Upload

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Files per product, and per company (quotations not counted): every product document is listed
# on its spec sheet.
MAX_DOCUMENTS = 20
MAX_TITLE = 200
DOCUMENT_KINDS = {
    "certificate": _l("Certificate"),
    "ifu": _l("Instructions for use"),
    "image": _l("Image"),
    "other": _l("Other"),
}
# What a file is, judged by its first bytes (never by its name or the browser's word).
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
_TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
ACTIVE_PDF = _l("PDFs with scripts or embedded files are not accepted.")
UNCHECKABLE_PDF = _l(
    "This PDF could not be checked (it is encrypted or damaged). Save it again as a plain PDF, "
    "without a password, and upload that."
)


def sniff_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in _SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def store_document(
    upload: FileStorage,
    *,
    kind: str,
    title: str | None,
    uploader,
    owner,
    accept: tuple[str, ...] = tuple(_TYPE_NAMES),
) -> Upload:
    """Validate and store an uploaded file for a product or a manufacturer.

    `accept` narrows the content types taken (a quotation is a PDF only).
    """
    if upload is None or not upload.filename:
        raise ServiceError("file", _("Choose a file to upload."))
    if kind not in DOCUMENT_KINDS and kind != "quotation":
        raise ServiceError("kind", _("Choose what kind of document this is."))
    title = (title or "").strip() or None
    if title and len(title) > MAX_TITLE:
        raise ServiceError(
            "title", _("The title can be at most %(num)d characters.", num=MAX_TITLE)
        )
    is_product = owner.__tablename__ == "products"
    if kind != "quotation" and _document_count(owner, is_product) >= MAX_DOCUMENTS:
        message = (
            _(
                "A product can have at most %(num)d documents. Delete one before uploading "
                "another.",
                num=MAX_DOCUMENTS,
            )
            if is_product
            else _(
                "A company can have at most %(num)d documents. Delete one before uploading "
                "another.",
                num=MAX_DOCUMENTS,
            )
        )
        raise ServiceError("file", message)
    data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ServiceError("file", _("The file is larger than 10 MB."))
    if not data:
        raise ServiceError("file", _("The file is empty."))
    sniffed = sniff_type(data[:16])
    if sniffed is None or sniffed[0] not in accept:
        names = [_TYPE_NAMES[t] for t in accept]
        if len(names) == 1:
            message = _("Only %(type)s files are accepted.", type=names[0])
        else:
            message = _(
                "Only %(types)s and %(last)s files are accepted.",
                types=", ".join(names[:-1]),
                last=names[-1],
            )
        raise ServiceError("file", message)
    content_type, extension = sniffed
    if content_type == "application/pdf":
        check_pdf(data)
    filename = secure_filename(upload.filename) or f"document{extension}"
    if not filename.lower().endswith(extension) and not (
        extension == ".jpg" and filename.lower().endswith(".jpeg")
    ):
        filename = Path(filename).stem + extension
    if len(filename) > 255:
        filename = Path(filename).stem[:200] + extension
    document = Upload(
        kind=kind,
        title=title,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_path=secrets.token_hex(16) + extension,
        uploaded_by_id=uploader.id if uploader else None,
    )
    if uploader is not None and uploader.role == "staff":
        # Staff upload what they have checked themselves.
        document.checked_by_id, document.checked_at = uploader.id, utcnow()
    if is_product:
        document.product = owner
    else:
        document.manufacturer_id = owner.id
    db.session.add(document)
    db.session.flush()  # a refused row leaves no file: nothing is written yet
    _write_with_transaction(db.session(), document_key(document), data, content_type)
    return document


def _document_count(owner, is_product: bool) -> int:
    if is_product:
        condition = Upload.product_id == owner.id
    else:
        condition = sa.and_(Upload.manufacturer_id == owner.id, Upload.kind != "quotation")
    count = db.session.scalar(sa.select(sa.func.count(Upload.id)).where(condition))
    return count or 0


def document_key(document: Upload) -> str:
    """Where the document's file is stored (lib/storage.py)."""
    return f"uploads/{document.storage_path}"


def delete_document(document: Upload) -> None:
    """Delete the row; its file is removed once the transaction commits (and kept if not)."""
    remove_with_transaction(document_key(document))
    db.session.delete(document)
    db.session.flush()


def store_with_transaction(key: str, data: bytes, content_type: str) -> None:
    """Store a file that belongs to a row of this transaction: removed again unless it commits."""
    _write_with_transaction(db.session(), key, data, content_type)


def remove_with_transaction(key: str) -> None:
    """Remove a stored file once this transaction commits (kept if it does not)."""
    db.session().info.setdefault(_DELETED, []).append((storage(), key))


# Files written, and files of deleted rows, in a transaction that has not committed yet, kept in
# the session's info with their storage: when the transaction ends, the written ones are removed
# unless it committed (a later check failed, the view rolled back), the deleted rows' ones only
# if it did.
_WRITTEN = "uploads_written"
_DELETED = "uploads_deleted"


def _write_with_transaction(session: Session, key: str, data: bytes, content_type: str) -> None:
    store = storage()
    session.info.setdefault(_WRITTEN, []).append((store, key))
    store.put(key, data, content_type)


@sa.event.listens_for(Session, "after_commit")
def _settle_files_of_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its outer transaction decides
        return
    session.info.pop(_WRITTEN, None)
    deleted: list[tuple[Storage, str]] = session.info.pop(_DELETED, [])
    for store, key in deleted:
        try:
            store.delete(key)
        except Exception:  # the row is gone for good: a file left over is only logged
            logger.exception("Could not remove %s of a deleted row", key)
        else:
            logger.info("Removed %s: its row was deleted", key)


@sa.event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: its outer transaction decides
        return
    session.info.pop(_DELETED, None)  # the rows are still there: so are their files
    written: list[tuple[Storage, str]] = session.info.pop(_WRITTEN, [])
    for store, key in written:
        try:
            store.delete(key)
        except Exception:  # the transaction's outcome stands: a file left over is only logged
            logger.exception("Could not remove %s of an uncommitted upload", key)
        else:
            logger.info("Removed %s: its transaction did not commit", key)


# --- PDF content ----------------------------------------------------------------------------
# Names of the PDF objects that run code or carry other files; a certificate or an IFU needs
# none of them. (/OpenAction alone is harmless: it opens a page; with a script it has /JS.)
_ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"AA", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia",
     b"XFA"}
)  # fmt: skip
_WS = rb"[\x00\t\n\x0c\r ]"
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_START = re.compile(rb">>" + _WS + rb"*stream(?:\r\n|\n)")
_LENGTH = re.compile(
    rb"/Length(?![0-9A-Za-z])" + _WS + rb"+(\d+)(?:" + _WS + rb"+(\d+)" + _WS + rb"+R)?"
)
# "/Filter /FlateDecode" or "/Filter [/ASCII85Decode /FlateDecode]"
_FILTER = re.compile(rb"/Filter" + _WS + rb"*(\[[^\]]*\]|/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_NUMBER_OBJECT = re.compile(
    rb"(?<![0-9])(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+obj" + _WS + rb"*(\d+)" + _WS + rb"*endobj"
)
_MAX_DECODED = 32 * 1024 * 1024  # of object streams, over the whole file


class _Uncheckable(Exception):
    pass


def check_pdf(data: bytes) -> None:
    """Refuse a PDF with scripts, automatic actions, launch actions or embedded files.

    A scan of the bytes, not a parser: the names above are looked for in the objects outside
    streams and in the object streams (where PDF 1.5+ keeps objects, compressed with zlib).
    Other streams (page contents, images, fonts) are skipped: they hold no objects, and their
    binary data would match a name by chance.
    """
    try:
        active = _has_active_names(data)
    except _Uncheckable as error:
        logger.info("Refused an upload: PDF not checkable (%s)", error)
        raise ServiceError("file", UNCHECKABLE_PDF) from None
    if active:
        logger.info("Refused an upload: PDF with %s", active.decode(errors="replace"))
        raise ServiceError("file", ACTIVE_PDF)


def _has_active_names(data: bytes) -> bytes | None:
    budget = _MAX_DECODED
    position = 0
    for start, end, head in _Streams(data):
        if found := _active_name(data[position:start]):
            return found
        position = end
        if b"ObjStm" in _names(head):
            decoded = _inflate(data[start:end], head, budget)
            budget -= len(decoded)
            if found := _active_name(decoded):
                return found
    return _active_name(data[position:])


class _Streams:
    """(start, end, dictionary) of each stream's data whose /Length checks out; a "stream"
    whose length does not match is left in the scanned bytes."""

    def __init__(self, data: bytes):
        self.data = data
        self.numbers: dict[tuple[bytes, bytes], int] | None = None

    def __iter__(self):
        data, position = self.data, 0
        while match := _STREAM_START.search(data, position):
            start = match.end()
            head_from = data.rfind(b"obj", max(0, match.start() - 65536), match.start())
            head = data[head_from if head_from >= 0 else match.start() : match.start() + 2]
            head = _HEX_ESCAPE.sub(_unescape, head)  # "/F#69lter" is "/Filter"
            length = self.length(head)
            tail = data[start + length : start + length + 12] if length is not None else b""
            if length is None or not tail.lstrip(b"\r\n").startswith(b"endstream"):
                position = match.end()
                continue
            yield start, start + length, head
            position = start + length

    def length(self, head: bytes) -> int | None:
        match = _LENGTH.search(head)
        if match is None:
            return None
        if match.group(2) is None:
            return int(match.group(1))
        # An indirect length: "/Length 12 0 R" names an object "12 0 obj 3456 endobj".
        if self.numbers is None:
            self.numbers = {(m[1], m[2]): int(m[3]) for m in _NUMBER_OBJECT.finditer(self.data)}
        return self.numbers.get((match.group(1), match.group(2)))


def _inflate(raw: bytes, head: bytes, budget: int) -> bytes:
    match = _FILTER.search(head)
    filters = _NAME.findall(match.group(1)) if match else []
    if not filters:
        return raw
    if filters != [b"FlateDecode"]:
        raise _Uncheckable("object stream filters " + repr(filters))
    inflater = zlib.decompressobj()
    try:
        decoded = inflater.decompress(raw, max(budget, 0) + 1)
    except zlib.error as error:
        raise _Uncheckable(f"object stream: {error}") from None
    if len(decoded) > budget:
        raise _Uncheckable("object streams too large")
    return decoded


def _unescape(match: re.Match) -> bytes:
    return bytes.fromhex(match.group(1).decode())


def _names(chunk: bytes) -> set[bytes]:
    """The names in the bytes, "#xx" escapes undone ("/J#53" is "/JS")."""
    return {_HEX_ESCAPE.sub(_unescape, name) for name in _NAME.findall(chunk)}


def _active_name(chunk: bytes) -> bytes | None:
    found = _names(chunk) & _ACTIVE_NAMES
    return min(found) if found else None

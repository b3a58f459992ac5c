"""Public PDF downloads: product spec sheets and company profiles, in the reader's language."""

import re
import threading

from flask import Blueprint, abort
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import ServiceUnavailable

from catalogue.exports import pdfcache
from catalogue.i18n import current_language
from catalogue.lib.storage import send_stored

bp = Blueprint("exports", __name__)


def _send(stored: pdfcache.StoredPdf | None, missing: str):
    if stored is None:
        abort(404, description=missing)
    # Browsers and proxies may keep a copy but must ask (cheaply, with 304) before reusing it.
    response = send_stored(
        stored.key, mimetype="application/pdf", download_name=stored.download_name,
        as_attachment=False, etag=stored.etag, revalidate=True,
    )  # fmt: skip
    # The same address gives each reader the PDF in their language.
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def _or_503(make):
    """The stored PDF; 503 with Retry-After while it is rendered in the background (or cannot
    be made now), on the site's error page."""
    try:
        return make()
    except pdfcache.NotReady as error:
        raise ServiceUnavailable(str(error.message), retry_after=error.retry_after) from None


@bp.get("/supplies/products/<slug>/spec-sheet.pdf")
def spec_sheet(slug):
    language = current_language()
    stored = _or_503(lambda: pdfcache.spec_sheet(slug, language=language))
    return _send(stored, _("We could not find that product."))


@bp.get("/supplies/manufacturers/<slug>/profile.pdf")
def manufacturer_profile(slug):
    language = current_language()
    stored = _or_503(lambda: pdfcache.manufacturer_profile(slug, language=language))
    return _send(stored, _("We could not find that manufacturer."))


def _css_string(text: str) -> str:
    """`text` as a CSS string inside a <style> element (no quote, backslash or tag breaks out)."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>\n\r' else c for c in text)
    return f'"{escaped}"'


@bp.app_template_global()
def page_numbers_css() -> Markup:
    """The PDFs' "Page 2 of 5" as a CSS `content` value, in the document's language: the
    translated sentence with the page counters put where its placeholders are."""
    text = _("Page %(page)s of %(pages)s", page="\x00", pages="\x01")
    counters = {"\x00": "counter(page)", "\x01": "counter(pages)"}
    parts = [counters.get(piece) or _css_string(piece) for piece in re.split("([\x00\x01])", text)]
    return Markup(" ".join(p for p in parts if p != '""'))  # noqa: S704 (CSS made here, text escaped)  # nosec B704


_warmed = threading.Event()


@bp.before_app_request
def warm_up_renders():
    """Start the render processes with the first request a process serves, so that the first
    PDF asked for does not wait for WeasyPrint to load."""
    if not _warmed.is_set():
        _warmed.set()
        pdfcache.warm_up()

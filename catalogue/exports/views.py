"""Public PDF downloads: product spec sheets and company profiles."""

import threading

from flask import Blueprint, abort
from werkzeug.exceptions import ServiceUnavailable

from catalogue.exports import pdfcache
from catalogue.lib.storage import send_stored

bp = Blueprint("exports", __name__)


def _send(stored: pdfcache.StoredPdf | None, missing: str):
    if stored is None:
        abort(404, description=missing)
    # Browsers and proxies may keep a copy but must ask (cheaply, with 304) before reusing it.
    return send_stored(
        stored.key, mimetype="application/pdf", download_name=stored.download_name,
        as_attachment=False, etag=stored.version, revalidate=True,
    )  # fmt: skip


def _or_503(make):
    """The stored PDF; 503 with Retry-After while it is rendered in the background (or cannot
    be made now), on the site's error page."""
    try:
        return make()
    except pdfcache.NotReady as error:
        raise ServiceUnavailable(error.message, retry_after=error.retry_after) from None


@bp.get("/supplies/products/<slug>/spec-sheet.pdf")
def spec_sheet(slug):
    stored = _or_503(lambda: pdfcache.spec_sheet(slug))
    return _send(stored, "We could not find that product.")


@bp.get("/supplies/manufacturers/<slug>/profile.pdf")
def manufacturer_profile(slug):
    stored = _or_503(lambda: pdfcache.manufacturer_profile(slug))
    return _send(stored, "We could not find that manufacturer.")


_warmed = threading.Event()


@bp.before_app_request
def warm_up_renders():
    """Start the render processes with the first request a process serves, so that the first
    PDF asked for does not wait for WeasyPrint to load."""
    if not _warmed.is_set():
        _warmed.set()
        pdfcache.warm_up()

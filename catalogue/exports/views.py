"""Public PDF downloads: product spec sheets and company profiles."""

from flask import Blueprint, abort, current_app, request, url_for

from catalogue.exports import pdfcache

bp = Blueprint("exports", __name__)


def _send(stored: pdfcache.StoredPdf):
    response = current_app.response_class(stored.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{stored.download_name}"'
    response.set_etag(stored.version)
    response.last_modified = stored.modified
    # Browsers and proxies may keep a copy but must ask (cheaply, with 304) before reusing it.
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.get("/supplies/products/<slug>/spec-sheet.pdf")
def spec_sheet(slug):
    product_url = url_for("supplies.product_detail", slug=slug, _external=True)
    stored = pdfcache.spec_sheet(slug, product_url)
    if stored is None:
        abort(404, description="We could not find that product.")
    return _send(stored)


@bp.get("/supplies/manufacturers/<slug>/profile.pdf")
def manufacturer_profile(slug):
    manufacturer_url = url_for("supplies.manufacturer_detail", slug=slug, _external=True)
    stored = pdfcache.manufacturer_profile(slug, manufacturer_url)
    if stored is None:
        abort(404, description="We could not find that manufacturer.")
    return _send(stored)

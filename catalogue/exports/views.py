"""Public PDF downloads: product spec sheets and company profiles."""

from flask import Blueprint, abort, current_app, request, url_for

from catalogue.exports import services
from catalogue.supplies import services as supplies

bp = Blueprint("exports", __name__)


def _send(stored: services.StoredPdf):
    response = current_app.response_class(stored.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{stored.download_name}"'
    response.set_etag(stored.version)
    response.last_modified = stored.modified
    # Browsers and proxies may keep a copy but must ask (cheaply, with 304) before reusing it.
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.get("/supplies/products/<slug>/spec-sheet.pdf")
def spec_sheet(slug):
    product = supplies.get_published_product(slug)
    if product is None:
        abort(404, description="We could not find that product.")
    product_url = url_for("supplies.product_detail", slug=slug, _external=True)
    return _send(services.spec_sheet(product, product_url))


@bp.get("/supplies/manufacturers/<slug>/profile.pdf")
def manufacturer_profile(slug):
    manufacturer = supplies.get_manufacturer(slug)
    if manufacturer is None:
        abort(404, description="We could not find that manufacturer.")
    manufacturer_url = url_for("supplies.manufacturer_detail", slug=slug, _external=True)
    return _send(services.manufacturer_profile(manufacturer, manufacturer_url))

"""Public catalogue pages: landing, product list and page, manufacturers, comparison."""

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from catalogue.errors import ServiceError
from catalogue.inquiries.metrics import typical_reply_time  # upward on purpose: a read-only figure
from catalogue.lib import pagecache
from catalogue.lib.atom import MIMETYPE as ATOM_MIMETYPE
from catalogue.lib.paging import page_arg
from catalogue.lib.storage import send_stored
from catalogue.supplies import feeds, photos, previews, services, translations
from catalogue.supplies.models import AUTHORITIES, CATEGORY_KINDS
from catalogue.supplies.uploads import document_key

bp = Blueprint("supplies", __name__, url_prefix="/supplies")
# localized(obj, "description"): prose in the reader's language, else English marked as such.
bp.add_app_template_global(translations.localized, "localized")


@bp.get("/")
@pagecache.cached_page()
def landing():
    return render_template(
        "supplies/landing.html",
        categories=services.categories_with_counts(),
        category_kinds=CATEGORY_KINDS,
        manufacturers=services.list_manufacturers(),
        featured=services.featured_products(),
    )


@bp.get("/products/")
@pagecache.cached_page()
def product_list():
    filters = services.clean_filters(request.args)
    minimums, errors = services.clean_minimums(request.args)
    q = request.args.get("q", "").strip()
    if len(q) > services.MAX_QUERY_LENGTH:
        abort(400, description=_("The search text is too long (at most 200 characters)."))
    sort = request.args.get("sort", "name")
    if sort not in services.SORTS:
        sort = "name"
    page = page_arg()
    pagination = services.search_products(
        filters, q or None, sort, page, current_app.config["PRODUCTS_PER_PAGE"], minimums
    )
    if page > 1 and not pagination.items:
        abort(404, description=_("There is no such page of results."))
    page_html = render_template(
        "supplies/product_list.html",
        pagination=pagination,
        facets=services.facet_counts(filters, q or None, minimums),
        facet_names=services.FACETS,
        filters=filters,
        minimums=minimums,
        minimum_errors=errors,
        q=q,
        sort=sort,
        sorts={key: label for key, (label, _order) in services.SORTS.items()},
    )
    # A malformed minimum is left out and explained on the page itself.
    return page_html, 400 if errors else 200


@bp.get("/products/feed.atom")
def product_feed():
    return Response(feeds.products_feed(), mimetype=ATOM_MIMETYPE)


@bp.get("/products/<slug>")
@pagecache.cached_page()
def product_detail(slug):
    product = services.get_published_product(slug)
    if product is None:
        abort(404, description=_("We could not find that product."))
    return render_template(
        "supplies/product_detail.html",
        product=product,
        authorities=AUTHORITIES,
        reply_time=typical_reply_time(product.manufacturer),
        structured_data=previews.product_data(product),
    )


@bp.get("/manufacturers/")
@pagecache.cached_page()
def manufacturer_list():
    return render_template(
        "supplies/manufacturer_list.html", manufacturers=services.list_manufacturers()
    )


@bp.get("/manufacturers/<slug>")
@pagecache.cached_page()
def manufacturer_detail(slug):
    manufacturer = services.get_manufacturer(slug)
    if manufacturer is None:
        abort(404, description=_("We could not find that manufacturer."))
    products = services.published_products_of(manufacturer)
    return render_template(
        "supplies/manufacturer_detail.html",
        manufacturer=manufacturer,
        products=products,
        reply_time=typical_reply_time(manufacturer),
        structured_data=previews.organization_data(manufacturer),
    )


@bp.get("/compare")
@pagecache.cached_page()
def compare():
    # Accepts ?products=a,b and, from the list page's checkboxes, ?products=a&products=b.
    chosen = request.args.getlist("products")
    if not chosen:
        return render_template("supplies/compare.html", products=[], error=None)
    raw = ",".join(chosen)
    try:
        products = services.products_for_comparison(raw)
    except ServiceError as error:
        return render_template("supplies/compare.html", products=[], error=error.message), 400
    except LookupError:
        abort(404, description=_("One of the products to compare does not exist."))
    return render_template(
        "supplies/compare.html", products=products, rows=services.comparison_rows(products)
    )


@bp.get("/documents/<int:document_id>")
def document_download(document_id):
    """Certificates and instructions for use of published products, and company documents."""
    document = services.get_public_document(document_id)
    if document is None:
        abort(404, description=_("We could not find that document."))
    return send_stored(
        document_key(document), mimetype=document.content_type, download_name=document.filename
    )


@bp.get("/photos/<token>/<int:width>.jpg")
def photo_file(token, width):
    """A product photo at one of its stored widths; only of a published product."""
    photo = photos.published_photo(token)
    if photo is None:
        abort(404, description=_("We could not find that photo."))
    return photos.send_photo(photo, width, public=True)

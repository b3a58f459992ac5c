"""The read-only public JSON API, version 1 (described by /api/v1/openapi.json)."""

from flask import Blueprint, abort, current_app, jsonify, request, url_for

from catalogue.api import serializers
from catalogue.api.openapi import openapi_document
from catalogue.lib.urls import site_link
from catalogue.search import services as search
from catalogue.search.registry import REGISTRY
from catalogue.supplies import services as supplies

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100
MAX_PAGE = 10_000


@bp.after_request
def allow_cross_origin(response):
    # Public, read-only data: any site may read it from a browser.
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# Arguments that take one value; the facets may be repeated.
SINGLE_ARGS = ("q", "type", "page", "per_page")


@bp.before_request
def refuse_unclear_arguments():
    """An API client gets a 400 for arguments the API cannot read as documented, rather than a
    silent guess: a single-value argument given twice, or an empty facet value."""
    for name in SINGLE_ARGS:
        if len(request.args.getlist(name)) > 1:
            abort(400, description=f"'{name}' may be given only once.")
    for facet in supplies.FACETS:
        if "" in request.args.getlist(facet):
            abort(400, description=f"'{facet}' needs a value.")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # isascii: "²" and "١" are digits to str.isdigit, but not to int().
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        abort(400, description=f"'{name}' must be a whole number from {low} to {high}.")
    return int(raw)


def _paging() -> tuple[int, int]:
    default = current_app.config["PRODUCTS_PER_PAGE"]
    return _int_arg("page", 1, 1, MAX_PAGE), _int_arg("per_page", default, 1, MAX_PER_PAGE)


def _query_text() -> str:
    raw = request.args.get("q", "")
    if len(raw) > search.MAX_QUERY_LENGTH:
        abort(400, description=f"'q' is too long (at most {search.MAX_QUERY_LENGTH} characters).")
    return " ".join(raw.split())


@bp.get("/products")
def product_list():
    page, per_page = _paging()
    filters = supplies.clean_filters(request.args)
    q = _query_text()
    pagination = supplies.search_products(filters, q or None, "name", page, per_page)
    return jsonify(
        items=[serializers.product_summary(p) for p in pagination.items],
        page=page,
        per_page=per_page,
        total=pagination.total or 0,
    )


@bp.get("/products/<slug>")
def product_detail(slug):
    product = supplies.get_published_product(slug)
    if product is None:
        abort(404, description="No published product has this slug.")
    return jsonify(serializers.product_detail(product))


@bp.get("/manufacturers")
def manufacturer_list():
    page, per_page = _paging()
    rows = supplies.list_manufacturers()
    start = (page - 1) * per_page
    return jsonify(
        items=[serializers.manufacturer_summary(m, n) for m, n in rows[start : start + per_page]],
        page=page,
        per_page=per_page,
        total=len(rows),
    )


@bp.get("/manufacturers/<slug>")
def manufacturer_detail(slug):
    manufacturer = supplies.get_manufacturer(slug)
    if manufacturer is None:
        abort(404, description="No manufacturer has this slug.")
    products = supplies.published_products_of(manufacturer)
    return jsonify(serializers.manufacturer_detail(manufacturer, products))


@bp.get("/search")
def search_all():
    page, per_page = _paging()
    q = _query_text()
    doc_type = request.args.get("type")
    if doc_type is not None and doc_type not in REGISTRY:
        abort(400, description=f"'type' must be one of: {', '.join(REGISTRY)}.")
    filters = supplies.clean_filters(request.args)
    result = search.search_catalogue(
        q, filters, doc_type, "relevance", page, per_page, with_facets=False
    )
    return jsonify(
        query=q,
        items=[_search_item(item) for item in result.items],
        page=page,
        per_page=per_page,
        total=result.total,
        total_is_exact=result.exact,
        did_you_mean=result.corrected,
        degraded=result.notice is not None,
    )


_API_ENDPOINTS = {"product": "api.product_detail", "manufacturer": "api.manufacturer_detail"}


def _search_item(item: search.ResultItem) -> dict:
    endpoint = _API_ENDPOINTS.get(item.hit.type)
    return {
        "type": item.hit.type,
        "slug": item.hit.slug,
        "title": item.hit.title,
        "subtitle": item.hit.subtitle,
        "snippet": item.hit.snippet.striptags(),
        "url": url_for(endpoint, slug=item.hit.slug, _external=True) if endpoint else None,
        "page_url": site_link(item.url),
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(url_for("opendata.index", _external=True)))

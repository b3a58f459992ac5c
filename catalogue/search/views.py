"""The search page and the typeahead endpoint."""

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalogue.lib import pagecache
from catalogue.lib.paging import page_arg
from catalogue.search import services
from catalogue.search.registry import REGISTRY
from catalogue.supplies import services as supplies

bp = Blueprint("search", __name__)

SORT_LABELS = {
    "relevance": _l("Relevance"),
    "name": _l("Name"),
    "newest": _l("Newest"),
    **{key: supplies.SORTS[key][0] for key in ("sensitivity", "specificity")},
}


def read_query() -> tuple[str, bool]:
    """The query text, capped in length; True if it was shortened."""
    q = " ".join(request.args.get("q", "").split())
    if len(q) > services.MAX_QUERY_LENGTH:
        return q[: services.MAX_QUERY_LENGTH], True
    return q, False


@bp.get("/search")
@pagecache.cached_page(variant=services.index_version)
def search():
    q, shortened = read_query()
    filters = supplies.clean_filters(request.args)
    minimums, errors = supplies.clean_minimums(request.args)
    doc_type = request.args.get("type") or None
    if doc_type not in REGISTRY:
        doc_type = None
    browsing = not q
    if browsing:
        doc_type = "product"  # an empty query browses the catalogue
    sort = request.args.get("sort") or ("name" if browsing else "relevance")
    if sort not in SORT_LABELS:
        sort = "relevance"
    page = page_arg()
    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    result = services.search_catalogue(
        q, filters, doc_type, sort, page, per_page, minimums=minimums
    )
    if page > 1 and not result.items and result.exact:
        abort(404, description=_("There is no such page of results."))
    page_html = render_template(
        "search/search.html",
        result=result,
        q=q,
        shortened=shortened,
        filters=filters,
        doc_type=doc_type,
        browsing=browsing,
        doc_types={name: str(t.plural) for name, t in REGISTRY.items()},
        facet_names=supplies.FACETS,
        minimums=minimums,
        minimum_errors=errors,
        sort=sort,
        sorts=SORT_LABELS,
    )
    # A malformed minimum is left out and explained on the page itself.
    return page_html, 400 if errors else 200


@bp.get("/search/suggest")
def suggest():
    q, _shortened = read_query()
    return jsonify(query=q, suggestions=services.suggest(q))

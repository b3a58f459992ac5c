"""Searching the catalogue: the index when it is ready, a plain database query when it is not."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from catalogue.extensions import db
from catalogue.i18n.formats import country_name
from catalogue.search.indexer import current_index
from catalogue.search.query import SORTS, Hit, Results
from catalogue.search.registry import REGISTRY
from catalogue.search.schema import complete_words
from catalogue.search.store import BrokenIndex
from catalogue.supplies import services as supplies
from catalogue.supplies.models import Category, Manufacturer, Product, category_label

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = supplies.MAX_QUERY_LENGTH
SUGGEST_MIN_LENGTH = 2
DEGRADED_NOTICE = _l(
    "Search is being rebuilt. Until it is ready, results come from a simpler match on "
    "product and manufacturer names, without spelling help."
)


@dataclass
class ResultItem:
    hit: Hit
    label: str
    url: str
    product: Product | None = None

    @property
    def title(self):
        """A category's name is the portal's own heading: in the reader's language."""
        return category_label(self.hit.title) if self.hit.type == "category" else self.hit.title

    @property
    def subtitle(self) -> str:
        """The line beside the result, in the reader's language: the index keeps it in English
        (labels joined with " · "); a product's is made afresh from the product."""
        if self.product is not None:
            return f"{self.product.manufacturer.name} · {self.product.category.label}"
        return translated_subtitle(self.hit.subtitle)


def translated_subtitle(subtitle: str | None) -> str:
    """Each part of an indexed subtitle that is one of the interface's messages (a section or
    a kind of category), in the reader's language; names and dates stay as indexed."""
    return " · ".join(category_label(_(part)) for part in (subtitle or "").split(" · ") if part)


@dataclass
class SearchPage:
    q: str
    items: list[ResultItem]
    total: int
    exact: bool
    page: int
    per_page: int
    facets: dict[str, list[supplies.FacetValue]] = field(default_factory=dict)
    corrected: str | None = None
    fuzzy: bool = False
    notice: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    # The same paging interface as Flask-SQLAlchemy's, for the pagination macro.
    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, left_edge=1, left_current=2, right_current=2, right_edge=1):
        shown = set(range(1, min(left_edge, self.pages) + 1))
        shown |= set(
            range(max(1, self.page - left_current), min(self.pages, self.page + right_current) + 1)
        )
        shown |= set(range(max(1, self.pages - right_edge + 1), self.pages + 1))
        previous = 0
        for number in sorted(shown):
            if number - previous > 1:
                yield None
            yield number
            previous = number


def result_url(doc_type: str, slug: str) -> str:
    if doc_type == "category":
        return url_for("supplies.product_list", category=slug)
    return url_for(REGISTRY[doc_type].endpoint, slug=slug)


def index_version():
    """The search index's version, for the page cache; None while the index is unreadable."""
    try:
        return current_index().version()
    except BrokenIndex:
        return None


def search_catalogue(
    q: str,
    filters: dict[str, list[str]],
    doc_type: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    with_facets: bool = True,
    minimums: dict[str, float] | None = None,
) -> SearchPage:
    """One page of search results across every document type, with product facets.

    `minimums` ({"sensitivity": 90.0}) keeps products whose headline figures reach them."""
    sort = sort if sort in SORTS else "relevance"
    try:
        ix = current_index()
        results = ix.search(q, filters, doc_type, sort, page, per_page, minimums=minimums)
        # Results shown for a corrected spelling get that spelling's facet counts.
        counted = results.corrected if results.fuzzy and results.corrected else q
        facets = (
            _facet_values(ix.facet_counts(counted, filters, minimums), filters)
            if with_facets
            else {}
        )
    except BrokenIndex as problem:
        logger.warning("Search index unavailable (%s); using the database", problem)
        return _database_search(
            q, filters, doc_type, sort, page, per_page, with_facets, minimums or {}
        )
    return SearchPage(
        q=q,
        items=_items(results),
        total=results.total,
        exact=results.exact,
        page=page,
        per_page=per_page,
        facets=facets,
        corrected=results.corrected,
        fuzzy=results.fuzzy,
    )


def _items(results: Results) -> list[ResultItem]:
    product_ids = [int(h.key.split(":")[1]) for h in results.hits if h.type == "product"]
    products = supplies.products_for_listing(product_ids) if product_ids else {}
    items = []
    for hit in results.hits:
        product = products.get(int(hit.key.split(":")[1])) if hit.type == "product" else None
        if hit.type == "product" and (product is None or not product.is_published):
            continue  # unpublished since the index last heard of it
        doc_type = REGISTRY.get(hit.type)
        label = doc_type.label if doc_type else hit.type.title()
        items.append(ResultItem(hit, label, result_url(hit.type, hit.slug), product))
    return items


def _facet_values(counts, filters) -> dict[str, list[supplies.FacetValue]]:
    """Index facet counts with the labels the product list uses, in the same order."""
    labels = {
        "category": dict(db.session.execute(sa.select(Category.slug, Category.name)).all()),
        "manufacturer": dict(
            db.session.execute(sa.select(Manufacturer.slug, Manufacturer.name)).all()
        ),
    }
    out = {}
    for facet in supplies.FACETS:
        names = labels.get(facet, {})
        counted = {
            value: (names.get(value, value), count)
            for value, count in counts.get(facet, {}).items()
            if count
        }
        out[facet] = supplies.facet_values(facet, counted, filters.get(facet, []))
    return out


def _database_search(
    q, filters, doc_type, sort, page, per_page, with_facets, minimums
) -> SearchPage:
    """The degraded path: name matches from the database, products first."""
    items: list[ResultItem] = []
    total = 0
    if doc_type in (None, "product"):
        db_sort = {"newest": "updated"}.get(sort, sort if sort in supplies.SORTS else "name")
        pagination = supplies.search_products(filters, q or None, db_sort, page, per_page, minimums)
        total += pagination.total or 0
        for p in pagination.items:
            hit = Hit(
                f"product:{p.id}",
                "product",
                p.slug,
                p.name,
                f"{p.manufacturer.name} · {p.category.name}",
                escape(p.summary or ""),
                0.0,
            )
            items.append(ResultItem(hit, _("Product"), result_url("product", p.slug), p))
    if doc_type in (None, "manufacturer") and not filters and not minimums and q and page == 1:
        pattern = f"%{q.lower()}%"
        makers = db.session.scalars(
            sa.select(Manufacturer)
            .where(sa.func.lower(Manufacturer.name).like(pattern))
            .order_by(Manufacturer.name)
            .limit(per_page)
        ).all()
        total += len(makers)
        for m in makers:
            hit = Hit(
                f"manufacturer:{m.id}",
                "manufacturer",
                m.slug,
                m.name,
                m.location or country_name("KR") or "",
                Markup(""),
                0.0,
            )
            items.append(ResultItem(hit, _("Manufacturer"), result_url("manufacturer", m.slug)))
    facets = supplies.facet_counts(filters, q or None, minimums) if with_facets else {}
    return SearchPage(q, items, total, True, page, per_page, facets, notice=DEGRADED_NOTICE)


def suggest(prefix: str, limit: int = 8) -> list[dict]:
    """Typeahead entries for a prefix of 2+ characters: label, type, url."""
    prefix = prefix.strip()[:MAX_QUERY_LENGTH]
    words = complete_words(prefix)
    if len(prefix) < SUGGEST_MIN_LENGTH or not words:
        return []
    try:
        found = current_index().suggest(prefix, limit)
    except BrokenIndex:
        name = sa.func.lower(Product.name)
        found = [
            {"type": "product", "slug": p.slug, "title": p.name, "subtitle": ""}
            for p in db.session.scalars(
                sa.select(Product)
                .where(
                    Product.status == "published",
                    *(name.contains(w, autoescape=True) for w in words),
                )
                .order_by(Product.name)
                .limit(limit)
            )
        ]
    return [
        {
            "label": entry["title"],
            "type": entry["type"],
            "type_label": str(REGISTRY[entry["type"]].label) if entry["type"] in REGISTRY else "",
            "detail": translated_subtitle(entry.get("subtitle")),
            "url": result_url(entry["type"], entry["slug"]),
        }
        for entry in found
    ]

"""The registry of searchable document types: what each type puts in the index, from the database.

A document is a plain dict:

    key       "product:12" (type + database id)       type      "product"
    slug      for the URL                              title     shown as the result heading
    code      model/catalogue numbers (boosted like the title)
    maker     manufacturer name(s)                     category  category name(s)
    body      everything else worth finding            subtitle  one line under the title
    newest    a Unix timestamp (seconds, fractions kept) for "newest first"
    rank      optional; higher is written first (a bounded search on a large index meets it first)
    facets    {"category": [...], "approval": [...], "evidence": [...], "reporter": [...],
               "specimen": [...], "technology": [...], "manufacturer": [...],
               "approval_evidence": ["authority:state", ...]}   (products only)
    headline  {"sensitivity": 77.2, "specificity": 99.8}   (products only; None if no figure)

Adding a type (for example the CAC section articles) takes a loader and one `register` call:

    def _article_documents(ids):
        stmt = sa.select(Article)
        if ids is not None:
            stmt = stmt.where(Article.id.in_(ids))
        for article in db.session.scalars(stmt):
            if article.published_on is not None:       # only what the public may see
                yield article.id, {"title": article.title, "slug": article.slug,
                                   "subtitle": article.section_label,
                                   "body": f"{article.summary}\\n{article.body}",
                                   "newest": article.published_on}

    register(DocType(
        name="article", label="Article", endpoint="content.article_detail",
        load=_article_documents, count=lambda: ...published articles...,
        watches={Article: lambda conn, a: [a.id]},
    ))

`watches` maps each model whose changes alter documents of this type to the ids of the
documents affected; `catalogue.search.indexer` turns every flushed change of those models into
search-change rows, and the indexer reloads exactly those documents. Nothing else changes:
the search page, suggestions, the API and `/healthz` pick the new type up from this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from catalogue.content.models import Article
from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE
from catalogue.supplies.models import (
    Approval,
    Category,
    ContentTranslation,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
)
from catalogue.supplies.translations import translated_texts

LoadFn = Callable[[list[int] | None], Iterator[tuple[int, dict]]]


@dataclass(frozen=True)
class DocType:
    name: str
    label: str  # shown beside each result (a lazy message: in the reader's language)
    endpoint: str  # url_for(endpoint, slug=...)
    load: LoadFn  # ids (None: all) → (id, document) for every one that should be searchable
    count: Callable[[], int]  # how many the database holds that should be searchable
    watches: dict[type, Callable] = field(default_factory=dict)  # model → (conn, obj) → ids
    plural: str = ""  # for "Show: Products"


REGISTRY: dict[str, DocType] = {}


def register(doc_type: DocType) -> None:
    REGISTRY[doc_type.name] = doc_type


def documents(doc_type: DocType, ids: list[int] | None = None) -> Iterator[dict]:
    # The index holds one text for every reader: labels in it (subtitles) are English, whatever
    # request or job indexes; result pages put them in the reader's language.
    with force_locale(DEFAULT_LANGUAGE):
        for doc_id, doc in doc_type.load(ids):
            yield {**doc, "key": f"{doc_type.name}:{doc_id}", "type": doc_type.name}


def all_documents() -> Iterator[dict]:
    for doc_type in REGISTRY.values():
        yield from documents(doc_type)


def _stamp(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def _chunks(ids: list[int] | None, size: int = 500) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(p for p in parts if p)


# --- Products -----------------------------------------------------------------------------------


def _product_documents(ids: list[int] | None) -> Iterator[tuple[int, dict]]:
    for chunk in _chunks(ids):
        stmt = (
            sa.select(Product)
            .where(Product.status == "published")
            .options(
                selectinload(Product.manufacturer),
                selectinload(Product.category),
                selectinload(Product.approvals),
                selectinload(Product.specimens),
                selectinload(Product.performance),
            )
            .order_by(Product.id)
        )
        if chunk is not None:
            stmt = stmt.where(Product.id.in_(chunk))
        translated = translated_texts("product", chunk)
        for p in db.session.scalars(stmt):
            approvals = p.public_approvals
            # Facets count approvals that hold today; an expiry is picked up by the indexer
            # on the day it passes (see indexer._expired_since).
            current = [a for a in approvals if a.is_current]
            headline = p.headline_performance
            yield (
                p.id,
                {
                    "slug": p.slug,
                    "title": p.name,
                    "code": p.model_number,
                    "maker": _join([p.manufacturer.name, p.manufacturer.name_ko]),
                    "category": p.category.name,
                    "subtitle": f"{p.manufacturer.name} · {p.category.name}",
                    "body": _join(
                        [
                            p.summary,
                            p.description,
                            p.intended_use,
                            p.technology,
                            " ".join(p.targets or []),
                            " ".join(p.specimen_types),
                            " ".join(a.short_label for a in approvals),
                            " ".join(p.compatible_instruments or []),
                        ]
                    ),
                    "translated": _join(translated.get(p.id, [])),
                    "newest": _stamp(p.created_at),
                    # Static rank: products with more (and verified) approvals come first.
                    "rank": 2 * len(current) + sum(a.is_verified for a in current),
                    "facets": {
                        "category": [p.category.slug],
                        "approval": sorted({a.authority for a in current}),
                        "evidence": sorted({a.status for a in current}),
                        "approval_evidence": sorted({f"{a.authority}:{a.status}" for a in current}),
                        "reporter": sorted({r.reported_by for r in p.studies_by_trust}),
                        "specimen": p.specimen_types,
                        "technology": [p.technology] if p.technology else [],
                        "manufacturer": [p.manufacturer.slug],
                    },
                    "headline": (
                        {"sensitivity": headline.sensitivity, "specificity": headline.specificity}
                        if headline and headline.measure != "ppa_npa"  # not the same measure
                        else None
                    ),
                },
            )


def _translated(kind: str) -> Callable:
    """A translation changes the document of its own product, profile or article."""
    return lambda conn, t: [t.object_id] if t.kind == kind else []


def _product_ids_of_manufacturer(conn, maker: Manufacturer) -> list[int]:
    return list(conn.scalars(sa.select(Product.id).where(Product.manufacturer_id == maker.id)))


def _product_ids_of_category(conn, category: Category) -> list[int]:
    return list(conn.scalars(sa.select(Product.id).where(Product.category_id == category.id)))


register(
    DocType(
        name="product",
        label=_l("Product"),
        plural=_l("Products"),
        endpoint="supplies.product_detail",
        load=_product_documents,
        count=lambda: db.session.execute(
            sa.select(sa.func.count(Product.id)).where(Product.status == "published")
        ).scalar_one(),
        watches={
            Product: lambda conn, p: [p.id],
            Approval: lambda conn, a: [a.product_id],
            PerformanceResult: lambda conn, r: [r.product_id],
            ProductSpecimen: lambda conn, s: [s.product_id],
            Manufacturer: _product_ids_of_manufacturer,  # products carry their maker's name
            Category: _product_ids_of_category,
            ContentTranslation: _translated("product"),
        },
    )
)


# --- Manufacturers ------------------------------------------------------------------------------


def _manufacturer_documents(ids: list[int] | None) -> Iterator[tuple[int, dict]]:
    for chunk in _chunks(ids):
        stmt = sa.select(Manufacturer).order_by(Manufacturer.id)
        if chunk is not None:
            stmt = stmt.where(Manufacturer.id.in_(chunk))
        translated = translated_texts("manufacturer", chunk)
        for m in db.session.scalars(stmt):
            yield (
                m.id,
                {
                    "slug": m.slug,
                    "title": m.name,
                    "maker": m.name_ko,
                    "subtitle": m.location or "Republic of Korea",
                    "body": _join(
                        [
                            m.description,
                            m.city,
                            m.province,
                            " ".join(m.quality_certifications or []),
                        ]
                    ),
                    "translated": _join(translated.get(m.id, [])),
                    "newest": _stamp(m.created_at),
                },
            )


register(
    DocType(
        name="manufacturer",
        label=_l("Manufacturer"),
        plural=_l("Manufacturers"),
        endpoint="supplies.manufacturer_detail",
        load=_manufacturer_documents,
        count=lambda: db.session.execute(sa.select(sa.func.count(Manufacturer.id))).scalar_one(),
        watches={
            Manufacturer: lambda conn, m: [m.id],
            ContentTranslation: _translated("manufacturer"),
        },
    )
)


# --- Categories ---------------------------------------------------------------------------------


def _category_documents(ids: list[int] | None) -> Iterator[tuple[int, dict]]:
    stmt = sa.select(Category).order_by(Category.id)
    if ids is not None:
        stmt = stmt.where(Category.id.in_(ids))
    for c in db.session.scalars(stmt):
        yield (
            c.id,
            {
                "slug": c.slug,
                "title": c.name,
                "subtitle": c.kind_label,
                "body": c.description,
            },
        )


register(
    DocType(
        name="category",
        label=_l("Category"),
        plural=_l("Categories"),
        endpoint="supplies.product_list",  # linked as the product list filtered by it
        load=_category_documents,
        count=lambda: db.session.execute(sa.select(sa.func.count(Category.id))).scalar_one(),
        watches={Category: lambda conn, c: [c.id]},
    )
)


# --- Articles of the CAC sections (one type per section, each with its own page) -----------------


def _article_loader(section: str) -> LoadFn:
    def load(ids: list[int] | None) -> Iterator[tuple[int, dict]]:
        stmt = (
            sa.select(Article)
            .where(
                Article.section == section,
                Article.status == "published",
                Article.published_on <= sa.func.current_date(),
            )
            .order_by(Article.id)
        )
        if ids is not None:
            stmt = stmt.where(Article.id.in_(ids))
        translated = translated_texts("article", ids)
        for article in db.session.scalars(stmt):
            assert article.published_on is not None  # the query keeps dated articles only
            yield (
                article.id,
                {
                    "slug": article.slug,
                    "title": article.title,
                    # The date its source gives, or "Undated": publication on the portal is
                    # not the article's date.
                    "subtitle": _join([article.section_label, article.date_label]),
                    "category": article.category_label,
                    "body": _join([article.summary, article.body]),
                    "translated": _join(translated.get(article.id, [])),
                    "newest": datetime(
                        article.published_on.year,
                        article.published_on.month,
                        article.published_on.day,
                    ).timestamp(),
                },
            )

    return load


def _article_count(section: str) -> Callable[[], int]:
    return lambda: db.session.execute(
        sa.select(sa.func.count(Article.id)).where(
            Article.section == section,
            Article.status == "published",
            Article.published_on <= sa.func.current_date(),
        )
    ).scalar_one()


for _name, _section, _label, _plural, _endpoint in (
    ("news", "news", _l("News"), _l("News"), "content.news_detail"),
    ("note", "mayors-note", _l("Mayor's Note"), _l("Mayor's Notes"), "content.mayors_note_detail"),
    (
        "measure",
        "countermeasures",
        _l("Countermeasure"),
        _l("Countermeasures"),
        "content.countermeasures_detail",
    ),
):
    register(
        DocType(
            name=_name,
            label=_label,
            plural=_plural,
            endpoint=_endpoint,
            load=_article_loader(_section),
            count=_article_count(_section),
            watches={Article: lambda conn, a: [a.id], ContentTranslation: _translated("article")},
        )
    )

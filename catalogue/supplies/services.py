"""Catalogue queries: product listing with facets, comparison, landing-page selections."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.supplies.models import (
    AUTHORITY_SHORT,
    Approval,
    Category,
    Manufacturer,
    Product,
    ProductSpecimen,
    Upload,
)

FACETS = {
    "category": "Category",
    "approval": "Approval",
    "specimen": "Specimen",
    "technology": "Technology",
    "manufacturer": "Manufacturer",
}
SORTS = {
    "name": ("Name", (Product.name,)),
    "manufacturer": ("Manufacturer", (Manufacturer.name, Product.name)),
    "updated": ("Recently updated", (Product.updated_at.desc(), Product.name)),
}
MAX_VALUES_PER_FACET = 20
MAX_QUERY_LENGTH = 200
COMPARE_MIN, COMPARE_MAX = 2, 4

_LISTING_LOAD = (
    selectinload(Product.manufacturer),
    selectinload(Product.category),
    selectinload(Product.approvals),
    selectinload(Product.specimens),
    selectinload(Product.performance),
)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


def clean_filters(args) -> dict[str, list[str]]:
    """The facet filters of a request's query arguments, deduplicated and bounded."""
    filters = {}
    for facet in FACETS:
        values = [v.strip() for v in args.getlist(facet) if v.strip()]
        if values:
            filters[facet] = list(dict.fromkeys(values))[:MAX_VALUES_PER_FACET]
    return filters


def _condition(facet: str, values: list[str]):
    if facet == "category":
        return Product.category_id.in_(sa.select(Category.id).where(Category.slug.in_(values)))
    if facet == "manufacturer":
        return Product.manufacturer_id.in_(
            sa.select(Manufacturer.id).where(Manufacturer.slug.in_(values))
        )
    if facet == "technology":
        return Product.technology.in_(values)
    if facet == "approval":
        return sa.exists().where(
            Approval.product_id == Product.id,
            Approval.authority.in_(values),
            Approval.status != "rejected",
        )
    if facet == "specimen":
        return sa.exists().where(
            ProductSpecimen.product_id == Product.id, ProductSpecimen.specimen_type.in_(values)
        )
    raise ValueError(facet)


def _text_condition(q: str):
    pattern = f"%{q.lower()}%"
    return sa.or_(
        sa.func.lower(Product.name).like(pattern),
        sa.func.lower(Product.model_number).like(pattern),
        sa.func.lower(Product.summary).like(pattern),
        sa.func.lower(Manufacturer.name).like(pattern),
    )


def facet_conditions(filters: dict[str, list[str]], skip: str | None = None) -> list:
    """The conditions for published products matching the facet filters (all but `skip`), as
    the product list applies them; brochures select their products with them too."""
    conditions = [Product.status == "published"]
    conditions += [_condition(f, v) for f, v in filters.items() if f != skip]
    return conditions


def _conditions(filters: dict[str, list[str]], q: str | None, skip: str | None = None):
    conditions = facet_conditions(filters, skip)
    if q:
        conditions.append(_text_condition(q))
    return conditions


def search_products(filters, q=None, sort="name", page=1, per_page=20):
    """A page of published products matching the filters, for the product list."""
    order = SORTS.get(sort, SORTS["name"])[1]
    stmt = (
        sa.select(Product)
        .join(Product.manufacturer)
        .where(*_conditions(filters, q))
        .order_by(*order)
        .options(*_LISTING_LOAD)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)


def products_for_listing(ids: list[int]) -> dict[int, Product]:
    """Products by id, whatever their status, loaded with what a listing row shows."""
    stmt = sa.select(Product).where(Product.id.in_(ids)).options(*_LISTING_LOAD)
    return {p.id: p for p in db.session.scalars(stmt)}


def facet_counts(filters, q=None) -> dict[str, list[FacetValue]]:
    """Per facet, each value with the number of products it would give, other facets applied."""
    result = {}
    for facet in FACETS:
        value_col, label_col, join = _facet_columns(facet)
        stmt = (
            sa.select(value_col, label_col, sa.func.count(sa.distinct(Product.id)))
            .select_from(Product)
            .join(Product.manufacturer)
        )
        if join is not None:
            stmt = stmt.join(*join)
        stmt = (
            stmt.where(*_conditions(filters, q, skip=facet), value_col.is_not(None))
            .group_by(value_col, label_col)
            .order_by(label_col)
        )
        selected = set(filters.get(facet, []))
        values = [
            FacetValue(value, _facet_label(facet, value, label), count, value in selected)
            for value, label, count in db.session.execute(stmt)
        ]
        if facet == "approval":
            order = list(AUTHORITY_SHORT)
            values.sort(key=lambda v: order.index(v.value) if v.value in order else len(order))
        result[facet] = values
    return result


def _facet_columns(facet: str):
    if facet == "category":
        return Category.slug, Category.name, (Category, Product.category_id == Category.id)
    if facet == "manufacturer":
        return Manufacturer.slug, Manufacturer.name, None
    if facet == "technology":
        return Product.technology, Product.technology, None
    if facet == "approval":
        join: tuple[type, sa.ColumnElement[bool]] = (
            Approval,
            sa.and_(Approval.product_id == Product.id, Approval.status != "rejected"),
        )
        return Approval.authority, Approval.authority, join
    if facet == "specimen":
        join = (ProductSpecimen, ProductSpecimen.product_id == Product.id)
        return ProductSpecimen.specimen_type, ProductSpecimen.specimen_type, join
    raise ValueError(facet)


def _facet_label(facet: str, value: str, label: str) -> str:
    if facet == "approval":
        return AUTHORITY_SHORT.get(value, value)
    return label


def get_published_product(slug: str) -> Product | None:
    stmt = (
        sa.select(Product)
        .where(Product.slug == slug, Product.status == "published")
        .options(
            selectinload(Product.manufacturer),
            selectinload(Product.category),
            selectinload(Product.approvals).selectinload(Approval.document),
            selectinload(Product.specimens),
            selectinload(Product.performance),
            selectinload(Product.documents),
        )
    )
    return db.session.scalar(stmt)


def get_manufacturer(slug: str) -> Manufacturer | None:
    return db.session.scalar(sa.select(Manufacturer).where(Manufacturer.slug == slug))


def published_products_of(manufacturer: Manufacturer) -> list[Product]:
    stmt = (
        sa.select(Product)
        .where(Product.manufacturer_id == manufacturer.id, Product.status == "published")
        .order_by(Product.name)
        .options(*_LISTING_LOAD)
    )
    return list(db.session.scalars(stmt))


def list_manufacturers() -> list[tuple[Manufacturer, int]]:
    """Every manufacturer with its number of published products, by name."""
    count = (
        sa.select(sa.func.count(Product.id))
        .where(Product.manufacturer_id == Manufacturer.id, Product.status == "published")
        .scalar_subquery()
    )
    stmt = sa.select(Manufacturer, count).order_by(Manufacturer.name)
    return [(m, n) for m, n in db.session.execute(stmt)]


def categories_with_counts() -> list[tuple[Category, int]]:
    count = (
        sa.select(sa.func.count(Product.id))
        .where(Product.category_id == Category.id, Product.status == "published")
        .scalar_subquery()
    )
    stmt = sa.select(Category, count).order_by(Category.position, Category.name)
    return [(c, n) for c, n in db.session.execute(stmt)]


def featured_products(limit: int = 6) -> list[Product]:
    """Products with the most verified approvals: what a buyer can rely on first."""
    verified = (
        sa.select(sa.func.count(Approval.id))
        .where(Approval.product_id == Product.id, Approval.status == "verified")
        .scalar_subquery()
    )
    stmt = (
        sa.select(Product)
        .where(Product.status == "published")
        .order_by(verified.desc(), Product.name)
        .limit(limit)
        .options(*_LISTING_LOAD)
    )
    return list(db.session.scalars(stmt))


def products_for_comparison(raw: str) -> list[Product]:
    """The 2-4 published products named by a comma-separated list of slugs, in that order."""
    slugs = list(dict.fromkeys(s.strip() for s in raw.split(",") if s.strip()))
    if len(slugs) < COMPARE_MIN:
        raise ServiceError("products", "Choose at least two products to compare.")
    if len(slugs) > COMPARE_MAX:
        raise ServiceError("products", f"You can compare at most {COMPARE_MAX} products at once.")
    stmt = (
        sa.select(Product)
        .where(Product.slug.in_(slugs), Product.status == "published")
        .options(*_LISTING_LOAD)
    )
    found = {p.slug: p for p in db.session.scalars(stmt)}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise LookupError(missing)
    return [found[s] for s in slugs]


def comparison_rows(products: list[Product]) -> list[tuple[str, list[str], bool]]:
    """(label, one value per product, values differ) for the comparison table."""

    def performance(p: Product) -> str:
        if not p.performance:
            return ""
        r = p.performance[0]
        parts = []
        if r.sensitivity is not None:
            parts.append(f"{r.labels[0].split(' (')[0]} {_pct(r.sensitivity)}")
        if r.specificity is not None:
            parts.append(f"{r.labels[1].split(' (')[0]} {_pct(r.specificity)}")
        return "; ".join(parts) + (f" ({r.study})" if parts else "")

    def approvals(p: Product) -> str:
        return ", ".join(
            a.short_label + ("" if a.is_verified else " (claimed)") for a in p.public_approvals
        )

    fields = [
        ("Manufacturer", lambda p: p.manufacturer.name),
        ("Category", lambda p: p.category.name),
        ("Technology", lambda p: p.technology or ""),
        ("Targets", lambda p: ", ".join(p.targets or [])),
        ("Specimen types", lambda p: ", ".join(p.specimen_types)),
        ("Limit of detection", lambda p: p.limit_of_detection or ""),
        ("Time to result", lambda p: p.time_to_result or ""),
        ("Performance", performance),
        ("Approvals", approvals),
        ("Tests per kit", lambda p: _str(p.tests_per_kit)),
        ("Storage", lambda p: p.storage_temperature or ""),
        ("Shelf life", lambda p: f"{p.shelf_life_months} months" if p.shelf_life_months else ""),
        ("Production capacity", lambda p: p.production_capacity or ""),
        ("Minimum order", lambda p: _moq(p)),
        ("Lead time", lambda p: p.lead_time or ""),
        ("HS code", lambda p: p.hs_code or ""),
    ]
    rows = []
    for label, get in fields:
        values = [get(p) for p in products]
        rows.append((label, values, len(set(values)) > 1))
    return rows


def _pct(value: float) -> str:
    return f"{value:g} %"


def _str(value) -> str:
    return "" if value is None else f"{value:,}"


def _moq(p: Product) -> str:
    if p.moq is None:
        return ""
    return f"{p.moq:,} {p.unit}" if p.unit else f"{p.moq:,}"


def get_public_document(document_id: int) -> Upload | None:
    """A document buyers may download: of a published product, or a company document."""
    stmt = (
        sa.select(Upload)
        .outerjoin(Product, Upload.product_id == Product.id)
        .where(
            Upload.id == document_id,
            Upload.kind != "quotation",  # quotations are private to buyer and maker
            sa.or_(Product.status == "published", Upload.manufacturer_id.is_not(None)),
        )
    )
    return db.session.scalar(stmt)

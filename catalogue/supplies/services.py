"""Catalogue queries: product listing with facets, comparison, landing-page selections."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n.formats import format_number
from catalogue.lib.dates import today
from catalogue.supplies.models import (
    AUTHORITY_SHORT,
    CURRENT_STATES,
    INDEPENDENT_REPORTERS,
    REPORTERS,
    STATE_LABELS,
    Approval,
    Category,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
    Upload,
    category_label,
    vocabulary_label,
)

FACETS = {
    "category": _l("Category"),
    "approval": _l("Approval"),
    # The state of the approvals themselves; combined with "approval", one approval must be
    # of the chosen authority *and* in the chosen state.
    "evidence": _l("Approval evidence"),
    "reporter": _l("Performance reported by"),
    "specimen": _l("Specimen"),
    "technology": _l("Technology"),
    "manufacturer": _l("Manufacturer"),
}
SORTS = {
    "name": (_l("Name"), (Product.name,)),
    "manufacturer": (_l("Manufacturer"), (Manufacturer.name, Product.name)),
    "updated": (_l("Recently updated"), (Product.updated_at.desc(), Product.name)),
    "sensitivity": (_l("Sensitivity, highest first"), ()),
    "specificity": (_l("Specificity, highest first"), ()),
}
# Query arguments of the minimum headline figures, and the figure each one bounds.
MINIMUMS = {"min_sensitivity": "sensitivity", "min_specificity": "specificity"}
# Facets whose values have labels of their own, in the order they are shown.
_FIXED_LABELS = {
    "approval": AUTHORITY_SHORT,
    "evidence": {s: STATE_LABELS[s] for s in CURRENT_STATES},
    "reporter": REPORTERS,
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
    selectinload(Product.photos),
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


def clean_minimums(args) -> tuple[dict[str, float], dict[str, str]]:
    """The minimum headline figures asked for ({"sensitivity": 90.0}), and a message for each
    argument that is not a percentage (those are left out of the minimums)."""
    minimums, errors = {}, {}
    for arg, figure in MINIMUMS.items():
        raw = args.get(arg, "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 100:  # also false for NaN
            errors[arg] = (
                _("The minimum sensitivity must be a number from 0 to 100 (a percentage).")
                if figure == "sensitivity"
                else _("The minimum specificity must be a number from 0 to 100 (a percentage).")
            )
        else:
            minimums[figure] = value
    return minimums, errors


def _current_approval():
    """Approvals that count today: not rejected, revoked or past their valid-until date."""
    return sa.and_(
        Approval.product_id == Product.id,
        Approval.status.in_(CURRENT_STATES),
        sa.or_(Approval.valid_until.is_(None), Approval.valid_until >= today()),
    )


def _linked(facet: str, filters: dict[str, list[str]], skip: str | None):
    """The other half of the approval/evidence pair, as a condition on the same approval."""
    other = {"approval": "evidence", "evidence": "approval"}.get(facet)
    if other is None or other == skip or other not in filters:
        return sa.true()
    column = Approval.status if other == "evidence" else Approval.authority
    return column.in_(filters[other])


def _condition(facet: str, values: list[str], filters=None, skip=None):
    if facet == "category":
        return Product.category_id.in_(sa.select(Category.id).where(Category.slug.in_(values)))
    if facet == "manufacturer":
        return Product.manufacturer_id.in_(
            sa.select(Manufacturer.id).where(Manufacturer.slug.in_(values))
        )
    if facet == "technology":
        return Product.technology.in_(values)
    if facet in ("approval", "evidence"):
        column = Approval.authority if facet == "approval" else Approval.status
        return _exists(
            Approval, _current_approval(), column.in_(values), _linked(facet, filters or {}, skip)
        )
    if facet == "reporter":
        return _exists(
            PerformanceResult,
            PerformanceResult.product_id == Product.id,
            PerformanceResult.status != "rejected",
            PerformanceResult.reported_by.in_(values),
        )
    if facet == "specimen":
        return _exists(
            ProductSpecimen,
            ProductSpecimen.product_id == Product.id,
            ProductSpecimen.specimen_type.in_(values),
        )
    raise ValueError(facet)


def _exists(table, *conditions):
    # Correlated to the product only: the facet counts join the same table outside.
    return sa.select(table.id).where(*conditions).correlate(Product).exists()


def _headline_value(figure: str):
    """The product's headline sensitivity or specificity (Product.headline_performance's);
    NULL when the headline study reports agreement (PPA/NPA), a different measure."""
    r = sa.orm.aliased(PerformanceResult)
    # As PerformanceResult.ranks_as_independent: a maker's unverified claim does not count.
    vouched = sa.or_(r.entered_by != "manufacturer", r.status == "verified")
    independent = sa.case((sa.and_(r.reported_by.in_(INDEPENDENT_REPORTERS), vouched), 0), else_=1)
    state = sa.case({s: n for n, s in enumerate(CURRENT_STATES)}, value=r.status, else_=3)
    value = sa.case((r.measure == "ppa_npa", sa.null()), else_=getattr(r, figure))
    return (
        sa.select(value)
        .where(
            r.product_id == Product.id,
            r.status != "rejected",
            sa.or_(r.sensitivity.is_not(None), r.specificity.is_not(None)),
        )
        .order_by(
            independent,
            state,
            sa.case((r.sample_size.is_(None), 1), else_=0),
            r.sample_size.desc(),
            r.id,
        )
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


def _text_condition(q: str):
    pattern = f"%{q.lower()}%"
    return sa.or_(
        sa.func.lower(Product.name).like(pattern),
        sa.func.lower(Product.model_number).like(pattern),
        sa.func.lower(Product.summary).like(pattern),
        sa.func.lower(Manufacturer.name).like(pattern),
    )


def facet_conditions(
    filters: dict[str, list[str]],
    skip: str | None = None,
    minimums: dict[str, float] | None = None,
) -> list:
    """The conditions for published products matching the facet filters (all but `skip`) and
    the minimum headline figures, as the product list applies them; brochures select their
    products with them too."""
    conditions = [Product.status == "published"]
    conditions += [_condition(f, v, filters, skip) for f, v in filters.items() if f != skip]
    conditions += [_headline_value(figure) >= low for figure, low in (minimums or {}).items()]
    return conditions


def _conditions(filters, q, skip=None, minimums=None):
    conditions = facet_conditions(filters, skip, minimums)
    if q:
        conditions.append(_text_condition(q))
    return conditions


def _order(sort: str) -> tuple:
    if sort in MINIMUMS.values():
        # Highest headline first; products without that figure last.
        value = _headline_value(sort)
        return (sa.case((value.is_(None), 1), else_=0), value.desc(), Product.name)
    return SORTS.get(sort, SORTS["name"])[1]


def search_products(filters, q=None, sort="name", page=1, per_page=20, minimums=None):
    """A page of published products matching the filters, for the product list."""
    stmt = (
        sa.select(Product)
        .join(Product.manufacturer)
        .where(*_conditions(filters, q, minimums=minimums))
        .order_by(*_order(sort), Product.id)
        .options(*_LISTING_LOAD)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)


def products_for_listing(ids: list[int]) -> dict[int, Product]:
    """Products by id, whatever their status, loaded with what a listing row shows."""
    stmt = sa.select(Product).where(Product.id.in_(ids)).options(*_LISTING_LOAD)
    return {p.id: p for p in db.session.scalars(stmt)}


def facet_counts(filters, q=None, minimums=None) -> dict[str, list[FacetValue]]:
    """Per facet, each value with the number of products it would give, other facets applied."""
    result = {}
    for facet in FACETS:
        value_col, label_col, join = _facet_columns(facet, filters)
        stmt = (
            sa.select(value_col, label_col, sa.func.count(sa.distinct(Product.id)))
            .select_from(Product)
            .join(Product.manufacturer)
        )
        if join is not None:
            stmt = stmt.join(*join)
        stmt = stmt.where(
            *_conditions(filters, q, skip=facet, minimums=minimums), value_col.is_not(None)
        ).group_by(value_col, label_col)
        counted = {value: (label, count) for value, label, count in db.session.execute(stmt)}
        result[facet] = facet_values(facet, counted, filters.get(facet, []))
    return result


def facet_values(
    facet: str, counted: dict[str, tuple[str, int]], selected: list[str]
) -> list[FacetValue]:
    """A facet's values in the order it shows them, with their labels. Selected values that
    give no product stay in (with 0), so their filter chip shows a label, never a code."""
    missing = [v for v in selected if v not in counted]
    labels = facet_labels(facet, missing)
    counted = {**counted, **{v: (labels.get(v, v), 0) for v in missing}}
    values = [
        FacetValue(value, _facet_label(facet, value, label), count, value in selected)
        for value, (label, count) in counted.items()
    ]
    order = list(_FIXED_LABELS.get(facet, {}))
    if order:
        values.sort(key=lambda v: order.index(v.value) if v.value in order else len(order))
    else:
        values.sort(key=lambda v: v.label.casefold())
    return values


def facet_labels(facet: str, values: list[str]) -> dict[str, str]:
    """Labels of some values of a facet, for the values it does not count."""
    if not values:
        return {}
    if facet == "category":
        stmt = sa.select(Category.slug, Category.name).where(Category.slug.in_(values))
        return dict(db.session.execute(stmt).all())
    if facet == "manufacturer":
        stmt = sa.select(Manufacturer.slug, Manufacturer.name).where(Manufacturer.slug.in_(values))
        return dict(db.session.execute(stmt).all())
    # A state no current approval is in (a "rejected" typed into the address) still reads as one.
    fixed = STATE_LABELS if facet == "evidence" else _FIXED_LABELS.get(facet, {})
    return {v: fixed.get(v, v) for v in values}


def _facet_columns(facet: str, filters: dict[str, list[str]]):
    if facet == "category":
        return Category.slug, Category.name, (Category, Product.category_id == Category.id)
    if facet == "manufacturer":
        return Manufacturer.slug, Manufacturer.name, None
    if facet == "technology":
        return Product.technology, Product.technology, None
    if facet in ("approval", "evidence"):
        column = Approval.authority if facet == "approval" else Approval.status
        on = sa.and_(_current_approval(), _linked(facet, filters, skip=facet))
        join: tuple[type, sa.ColumnElement[bool]] = (Approval, on)
        return column, column, join
    if facet == "reporter":
        on = sa.and_(
            PerformanceResult.product_id == Product.id, PerformanceResult.status != "rejected"
        )
        join = (PerformanceResult, on)
        return PerformanceResult.reported_by, PerformanceResult.reported_by, join
    if facet == "specimen":
        join = (ProductSpecimen, ProductSpecimen.product_id == Product.id)
        return ProductSpecimen.specimen_type, ProductSpecimen.specimen_type, join
    raise ValueError(facet)


def _facet_label(facet: str, value: str, label: str) -> str:
    if facet == "category":
        return category_label(label)
    if facet in ("specimen", "technology"):
        return vocabulary_label(label) or label
    return _FIXED_LABELS.get(facet, {}).get(value, label)


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
            selectinload(Product.photos),
        )
    )
    return db.session.scalar(stmt)


def get_manufacturer(slug: str) -> Manufacturer | None:
    return db.session.scalar(sa.select(Manufacturer).where(Manufacturer.slug == slug))


def published_product_slugs() -> list[str]:
    stmt = sa.select(Product.slug).where(Product.status == "published").order_by(Product.slug)
    return list(db.session.scalars(stmt))


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
        raise ServiceError("products", _("Choose at least two products to compare."))
    if len(slugs) > COMPARE_MAX:
        raise ServiceError(
            "products",
            _("You can compare at most %(num)d products at once.", num=COMPARE_MAX),
        )
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


@dataclass
class CompareRow:
    label: str
    # One value per product: text, or for kind "performance" / "approvals" a list of
    # PerformanceResult / Approval rows that the template shows with their states.
    values: list
    differs: bool
    kind: str = "text"


def comparison_rows(products: list[Product]) -> list[CompareRow]:
    """The rows of the comparison table, each marking whether the products differ in it."""
    fields = [
        (_("Manufacturer"), lambda p: p.manufacturer.name, "text"),
        (_("Category"), lambda p: p.category.label, "text"),
        (_("Technology"), lambda p: p.technology or "", "text"),
        (_("Targets"), lambda p: ", ".join(p.targets or []), "text"),
        (_("Specimen types"), lambda p: ", ".join(p.specimen_types), "text"),
        (_("Limit of detection"), lambda p: p.limit_of_detection or "", "text"),
        (_("Time to result"), lambda p: p.time_to_result or "", "text"),
        (_("Performance"), lambda p: p.studies_by_trust, "performance"),
        (_("Approvals"), lambda p: p.public_approvals, "approvals"),
        (_("Indicative price"), lambda p: _price(p), "text"),
        (_("Pack size"), lambda p: p.pack_size or "", "text"),
        (_("Tests per kit"), lambda p: _str(p.tests_per_kit), "text"),
        (_("Minimum order"), lambda p: _moq(p), "text"),
        (_("Storage"), lambda p: p.storage_temperature or "", "text"),
        (_("Shelf life"), lambda p: _months(p.shelf_life_months), "text"),
        (_("Production capacity"), lambda p: p.production_capacity or "", "text"),
        (_("Lead time"), lambda p: p.lead_time or "", "text"),
        (_("HS code"), lambda p: p.hs_code or "", "text"),
    ]
    rows = []
    for label, get, kind in fields:
        values = [get(p) for p in products]
        keys = {_compare_key(kind, value) for value in values}
        rows.append(CompareRow(label, values, len(keys) > 1, kind))
    return rows


def _compare_key(kind: str, value) -> Hashable:
    if kind == "performance":
        return tuple(_study_key(r) for r in value)
    if kind == "approvals":
        return frozenset((a.short_label, a.state) for a in value)
    return value


def _study_key(r: PerformanceResult) -> tuple:
    return (
        r.measure,
        r.sensitivity_qualifier,
        r.sensitivity,
        r.specificity_qualifier,
        r.specificity,
        r.sample_size,
        r.reported_by,
        r.state,
    )


def _str(value) -> str:
    return "" if value is None else format_number(value)


def _months(months: int | None) -> str:
    if not months:
        return ""
    # "%(num)d" would format the number without the locale's grouping: the count is %(months)s.
    return ngettext("%(months)s months", "%(months)s months", months, months=format_number(months))


def _price(p: Product) -> str:
    if p.indicative_price is None:
        return ""
    note = p.indicative_price_note
    return f"{p.indicative_price} ({note})" if note else p.indicative_price


def _moq(p: Product) -> str:
    if p.moq is None:
        return ""
    return f"{format_number(p.moq)} {p.unit}" if p.unit else format_number(p.moq)


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


def company_uploads(maker: Manufacturer) -> list[Upload]:
    """A manufacturer's own files (not its products'), for the portal and staff pages."""
    return list(
        db.session.scalars(
            sa.select(Upload)
            .where(Upload.manufacturer_id == maker.id, Upload.kind != "quotation")
            .order_by(Upload.id)
        )
    )

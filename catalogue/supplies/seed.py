"""Loading the catalogue seed (seed/*.yaml) into the database.

Entries are matched by their natural key (slug): a missing entry is added, an existing one is
left as it is, so running the seed again changes nothing and never overwrites later edits.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import yaml

from catalogue.extensions import db
from catalogue.supplies.models import (
    AUTHORITIES,
    CATEGORY_KINDS,
    SPECIMEN_TYPES,
    TECHNOLOGIES,
    Approval,
    Category,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
)

logger = logging.getLogger(__name__)

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_REPORTERS = {"manufacturer", "regulator", "independent", "field"}
_MANUFACTURER_FIELDS = (
    "name",
    "name_ko",
    "name_note",
    "description",
    "city",
    "province",
    "location_note",
    "website",
    "website_note",
)
_PRODUCT_FIELDS = (
    "name",
    "name_is_descriptive",
    "summary",
    "description",
    "intended_use",
    "technology",
    "self_test",
    "targets",
    "limit_of_detection",
    "limit_of_detection_basis",
    "time_to_result",
    "time_to_result_basis",
    "production_capacity",
    "production_capacity_basis",
    "storage_temperature",
    "compatible_instruments",
    "key_facts",
    "not_approvals",
)


class SeedError(ValueError):
    """The seed files break a rule; nothing is loaded."""


@dataclass
class SeedReport:
    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1

    def __str__(self) -> str:
        if not self.added:
            return "Nothing to add: the database already holds the seed."
        return "Added " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.added.items())) + "."


def parse_partial_date(text) -> tuple[date | None, str | None]:
    """'2020' / '2020-04' / '2020-04-23' -> (first day of that period, precision)."""
    if text in (None, ""):
        return None, None
    match = _DATE_RE.match(str(text))
    if not match:
        raise SeedError(f"Bad date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    precision = "day" if day else "month" if month else "year"
    return date(int(year), int(month or 1), int(day or 1)), precision


def read_yaml(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def load_seed(seed_dir: Path) -> SeedReport:
    """Add every seeded category, manufacturer and product that is not in the database yet."""
    report = SeedReport()
    categories = {c["slug"]: c for c in read_yaml(seed_dir / "categories.yaml")}
    manufacturers = read_yaml(seed_dir / "manufacturers.yaml")
    validate(categories, manufacturers)

    existing_categories = {c.slug: c for c in db.session.scalars(sa.select(Category))}
    for slug, data in categories.items():
        if slug not in existing_categories:
            category = Category(
                slug=slug,
                name=data["name"],
                kind=data["kind"],
                position=data.get("position", 0),
                description=data.get("description"),
            )
            db.session.add(category)
            existing_categories[slug] = category
            report.count("categories")

    existing_makers = {m.slug: m for m in db.session.scalars(sa.select(Manufacturer))}
    existing_products = set(db.session.scalars(sa.select(Product.slug)))
    for data in manufacturers:
        maker = existing_makers.get(data["slug"])
        if maker is None:
            maker = Manufacturer(slug=data["slug"], verification_status="unverified")
            for name in _MANUFACTURER_FIELDS:
                setattr(maker, name, data.get(name))
            maker.public_sources = list(data.get("location_sources") or [])
            maker.company_permissions = [dict(p) for p in data.get("company_permissions") or []]
            db.session.add(maker)
            report.count("manufacturers")
        for product_data in data.get("products", []):
            if product_data["slug"] in existing_products:
                continue
            product = _build_product(product_data, existing_categories)
            product.manufacturer = maker
            db.session.add(product)
            existing_products.add(product.slug)
            report.count("products")
            for _ in product.approvals:
                report.count("approvals")
    db.session.flush()
    return report


def _build_product(data: dict, categories: dict[str, Category]) -> Product:
    product = Product(slug=data["slug"], status="published", category=categories[data["category"]])
    for name in _PRODUCT_FIELDS:
        value = data.get(name)
        if name in ("targets", "compatible_instruments", "key_facts", "not_approvals"):
            value = list(value or [])
        elif name in ("name_is_descriptive", "self_test"):
            value = bool(value)
        setattr(product, name, value)
    product.public_sources = list(data.get("sources") or [])
    product.specimens = [ProductSpecimen(specimen_type=s) for s in data.get("specimen_types") or []]
    product.performance = [_build_performance(r) for r in data.get("performance") or []]
    product.approvals = [_build_approval(a) for a in data.get("approvals") or []]
    return product


def _build_performance(data: dict) -> PerformanceResult:
    sens_ci = data.get("sensitivity_ci") or (None, None)
    spec_ci = data.get("specificity_ci") or (None, None)
    return PerformanceResult(
        study=data["study"],
        measure=data.get("measure") or "sens_spec",
        sensitivity=data.get("sensitivity"),
        sensitivity_ci_low=sens_ci[0],
        sensitivity_ci_high=sens_ci[1],
        specificity=data.get("specificity"),
        specificity_ci_low=spec_ci[0],
        specificity_ci_high=spec_ci[1],
        sensitivity_qualifier=data.get("sensitivity_qualifier"),
        specificity_qualifier=data.get("specificity_qualifier"),
        sample_size=data.get("sample_size"),
        reported_by=data["reported_by"],
        note=data.get("note"),
        public_sources=list(data.get("sources") or []),
        status="public_source",
        entered_by="seed",
    )


def _build_approval(data: dict) -> Approval:
    approved_on, precision = parse_partial_date(data.get("date"))
    # A public source is not a staff check: only staff, with evidence, make an approval verified.
    return Approval(
        authority=data["authority"],
        authority_name=data.get("authority_name"),
        stated_as=data.get("stated_as"),
        date_as_stated=data.get("date_as_stated"),
        approved_on=approved_on,
        date_precision=precision,
        note=data.get("note"),
        public_sources=list(data.get("sources") or []),
        status="public_source",
    )


def validate(categories: dict, manufacturers: list) -> None:
    """Refuse seed files that would put a wrong or unsourced fact on the site."""
    problems = []
    for slug, data in categories.items():
        if data.get("kind") not in CATEGORY_KINDS:
            problems.append(f"category {slug}: unknown kind {data.get('kind')!r}")
    maker_slugs: set[str] = set()
    product_slugs: set[str] = set()
    for maker in manufacturers:
        where = f"manufacturer {maker.get('slug')}"
        if not maker.get("slug") or not maker.get("name"):
            problems.append(f"{where}: slug and name are required")
        if maker.get("slug") in maker_slugs:
            problems.append(f"{where}: duplicate slug")
        maker_slugs.add(maker.get("slug"))
        for permission in maker.get("company_permissions") or []:
            if not permission.get("label") or not permission.get("sources"):
                problems.append(f"{where}: a company permission needs its label and sources")
        for product in maker.get("products") or []:
            problems += _product_problems(product, categories, product_slugs)
    if problems:
        raise SeedError("; ".join(problems))


def _product_problems(product: dict, categories: dict, seen: set) -> list[str]:
    where = f"product {product.get('slug')}"
    problems = []
    if not product.get("slug") or not product.get("name"):
        problems.append(f"{where}: slug and name are required")
    if product.get("slug") in seen:
        problems.append(f"{where}: duplicate slug")
    seen.add(product.get("slug"))
    if product.get("category") not in categories:
        problems.append(f"{where}: unknown category {product.get('category')!r}")
    if product.get("technology") not in (None, *TECHNOLOGIES):
        problems.append(f"{where}: unknown technology {product.get('technology')!r}")
    for specimen in product.get("specimen_types") or []:
        if specimen not in SPECIMEN_TYPES:
            problems.append(f"{where}: unknown specimen type {specimen!r}")
    if not product.get("sources"):
        problems.append(f"{where}: every product needs its public sources")
    for approval in product.get("approvals") or []:
        if approval.get("authority") not in AUTHORITIES:
            problems.append(f"{where}: unknown authority {approval.get('authority')!r}")
        if approval.get("authority") == "other" and not approval.get("authority_name"):
            problems.append(f"{where}: an 'other' authority needs its name")
        try:
            parse_partial_date(approval.get("date"))
        except SeedError as error:
            problems.append(f"{where}: {error}")
        if approval.get("date") and approval.get("date_as_stated"):
            # A vague date stays as worded: it is never also turned into a date.
            problems.append(f"{where}: give an approval's date or its date_as_stated, not both")
    if not approval_sources_given(product):
        problems.append(f"{where}: every approval needs its public sources")
    for result in product.get("performance") or []:
        if result.get("reported_by") not in _REPORTERS:
            problems.append(f"{where}: unknown reporter {result.get('reported_by')!r}")
        if not result.get("sources"):
            problems.append(f"{where}: every performance result needs its public sources")
        for measure in ("sensitivity", "specificity"):
            if result.get(f"{measure}_qualifier") and result.get(measure) is None:
                problems.append(f"{where}: a {measure} qualifier needs its figure")
    return problems


def approval_sources_given(product: dict) -> bool:
    """An approval's state is "stated in a public source": it needs the source, or the
    product's own sources name it."""
    return all(a.get("sources") or product.get("sources") for a in product.get("approvals") or [])

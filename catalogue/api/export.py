"""The catalogue as open data: one table each of products, approvals, performance results and
the public sources they cite, as rows for CSV and JSON, and the Frictionless data package that
describes the CSV files.

Published products only; rejected approvals and results are left out, as on the site; nothing
about people (no contact details, no staff names). The facts come from the public sources each
row cites, so the portal claims no licence over them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload, selectinload

from catalogue.api.openapi import APPROVAL_STATE_NAMES, APPROVAL_STATUSES, PERFORMANCE_STATUSES
from catalogue.api.serializers import approval_date, day, public_performance, timestamp
from catalogue.extensions import db
from catalogue.lib import spreadsheet
from catalogue.supplies.models import (
    AUTHORITIES,
    REPORTERS,
    STATE_LABELS,
    Approval,
    PerformanceResult,
    Product,
    Provenance,
)

LIST_SEPARATOR = "; "
TABLES = ("products", "approvals", "performance", "sources")


@dataclass(frozen=True)
class Column:
    """One column: its Table Schema field and how a row's value is read."""

    name: str
    type: str
    description: str
    value: Callable[[Any], Any]
    constraints: dict = field(default_factory=dict)

    def schema(self) -> dict:
        described: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
        }
        if self.type == "boolean":
            described |= {"trueValues": ["true"], "falseValues": ["false"]}
        return described | ({"constraints": self.constraints} if self.constraints else {})


def _list(values) -> list[str]:
    return list(values or [])


def _verified(attr: str) -> Callable[[Provenance], Any]:
    """Evidence only where staff verified the fact, as the product page shows it."""

    def read(fact: Provenance) -> Any:
        if fact.status != "verified":
            return None
        value = getattr(fact, attr)
        return day(value) if attr == "checked_on" else value

    return read


def _text(description: str, attr: str, **constraints) -> Column:
    return Column(attr, "string", description, lambda row: getattr(row, attr), constraints)


def _whole(description: str, attr: str) -> Column:
    return Column(attr, "integer", description, lambda row: getattr(row, attr), {"minimum": 0})


def _percent(attr: str, description: str) -> Column:
    return Column(
        attr,
        "number",
        f"{description}, in per cent, as the source gives it",
        lambda row: getattr(row, attr),
        {"minimum": 0, "maximum": 100},
    )


def _price_columns() -> list[Column]:
    """The indicative price per test as the manufacturer gave it (never a quotation), only
    where it is complete enough to be shown on the site."""

    def read(attr: str, convert=lambda v: v) -> Callable[[Product], Any]:
        def value(p: Product) -> Any:
            given = p.indicative_price is not None and getattr(p, attr) is not None
            return convert(getattr(p, attr)) if given else None

        return value

    about = "indicative price per test, as the manufacturer gave it (not a quotation)"
    positive = {"minimum": 0}
    return [
        Column("price_min", "number", f"Lowest {about}", read("price_min", float), positive),
        Column("price_max", "number", f"Highest {about}", read("price_max", float), positive),
        Column("price_currency", "string", "Its currency (ISO 4217)", read("price_currency")),
        Column("price_given_on", "date", "The day it was given", read("price_given_on", day)),
        Column(
            "price_entered_by",
            "string",
            "Who entered it on the portal: manufacturer or staff (from the manufacturer)",
            read("price_entered_by"),
        ),
    ]


def _evidence_columns() -> list[Column]:
    return [
        Column(
            "evidence_reference",
            "string",
            "Certificate or register number CAC staff checked (verified rows only)",
            _verified("evidence_reference"),
        ),
        Column(
            "evidence_url",
            "string",
            "Address of the official register entry CAC staff checked (verified rows only)",
            _verified("evidence_url"),
        ),
        Column(
            "checked_on",
            "date",
            "The day CAC staff checked the evidence (verified rows only)",
            _verified("checked_on"),
        ),
        Column(
            "evidence_note",
            "string",
            "CAC staff's note on what they checked (verified rows only)",
            _verified("evidence_note"),
        ),
    ]


REQUIRED = {"required": True}
PRODUCT_COLUMNS = [
    _text("The product's identifier on this site", "slug", required=True, unique=True),
    _text("Product name as the sources give it", "name", required=True),
    Column(
        "name_is_descriptive",
        "boolean",
        "true when the sources give no product name and `name` describes the product line",
        lambda p: p.name_is_descriptive,
    ),
    _text("Model or catalogue number", "model_number"),
    Column(
        "manufacturer_slug",
        "string",
        "The manufacturer's identifier on this site",
        lambda p: p.manufacturer.slug,
        REQUIRED,
    ),
    Column("manufacturer_name", "string", "Manufacturer", lambda p: p.manufacturer.name, REQUIRED),
    Column("category_slug", "string", "Category identifier", lambda p: p.category.slug, REQUIRED),
    Column("category_name", "string", "Category", lambda p: p.category.name, REQUIRED),
    _text("Test technology", "technology"),
    Column(
        "specimen_types",
        "string",
        f"Specimen types the product accepts, separated by '{LIST_SEPARATOR}'",
        lambda p: p.specimen_types,
    ),
    Column("self_test", "boolean", "Meant for self-testing", lambda p: p.self_test),
    Column(
        "targets",
        "string",
        f"Targets detected (genes, antigens), separated by '{LIST_SEPARATOR}'",
        lambda p: _list(p.targets),
    ),
    _text("One-line summary", "summary"),
    _text("Description, written by the portal from the cited sources", "description"),
    _text("Intended use", "intended_use"),
    _text("Limit of detection, as stated", "limit_of_detection"),
    _text("Where the limit of detection is stated", "limit_of_detection_basis"),
    _text("Time to result, as stated", "time_to_result"),
    _whole("Tests per kit", "tests_per_kit"),
    _text("Storage temperature", "storage_temperature"),
    _whole("Shelf life in months", "shelf_life_months"),
    _text("Production capacity, as stated", "production_capacity"),
    _whole("Minimum order quantity, in `unit`s", "moq"),
    _text("Unit of sale", "unit"),
    _text("Lead time", "lead_time"),
    _text("Pack size, as the manufacturer words it", "pack_size"),
    *_price_columns(),
    _text("HS code", "hs_code"),
    Column(
        "page_url",
        "string",
        "The product's page on this site",
        lambda p: url_for("supplies.product_detail", slug=p.slug, _external=True),
        REQUIRED,
    ),
    Column(
        "updated_at",
        "datetime",
        "When the product's entry last changed (ISO 8601 with its UTC offset)",
        lambda p: timestamp(p.updated_at),
    ),
]

APPROVAL_COLUMNS = [
    Column("id", "integer", "The approval's identifier on this site", lambda a: a.id, REQUIRED),
    Column(
        "product_slug", "string", "The product (products.slug)", lambda a: a.product.slug, REQUIRED
    ),
    Column(
        "authority",
        "string",
        "The approving authority, as a code",
        lambda a: a.authority,
        {"required": True, "enum": list(AUTHORITIES)},
    ),
    Column(
        "authority_label",
        "string",
        "The approval as the source words it where it says, else the authority's name",
        lambda a: a.authority_label,
        REQUIRED,
    ),
    _text("The authority's label exactly as the source gives it", "stated_as"),
    _text("Certificate or registration number, where public", "reference_number"),
    Column(
        "date",
        "string",
        "Date of the approval only as precisely as the source gives it: YYYY, YYYY-MM or "
        "YYYY-MM-DD",
        approval_date,
        {"pattern": r"\d{4}(-\d{2}(-\d{2})?)?"},
    ),
    _text("A vague date as the source words it (e.g. 'late 2020')", "date_as_stated"),
    Column("valid_from", "date", "Valid from", lambda a: day(a.valid_from)),
    Column("valid_until", "date", "Valid until", lambda a: day(a.valid_until)),
    Column("revoked_on", "date", "The day the authority revoked it", lambda a: day(a.revoked_on)),
    Column(
        "status",
        "string",
        "The stored state",
        lambda a: a.status,
        {"required": True, "enum": APPROVAL_STATUSES},
    ),
    Column(
        "state",
        "string",
        "Where the approval stands on the day of the download: public_source (stated in a "
        "public source), claimed (by the manufacturer), verified (by CAC staff, with evidence), "
        "expired (valid_until has passed) or revoked",
        lambda a: a.state,
        {"required": True, "enum": APPROVAL_STATE_NAMES},
    ),
    Column(
        "state_label",
        "string",
        "The state in words",
        lambda a: a.state_label,
        {"required": True, "enum": [STATE_LABELS[s] for s in APPROVAL_STATE_NAMES]},
    ),
    *_evidence_columns(),
    _text("Note on the approval", "note"),
    Column(
        "updated_at",
        "datetime",
        "When the approval's entry last changed (ISO 8601 with its UTC offset)",
        lambda a: timestamp(a.updated_at),
    ),
]

PERFORMANCE_COLUMNS = [
    Column("id", "integer", "The result's identifier on this site", lambda r: r.id, REQUIRED),
    Column(
        "product_slug", "string", "The product (products.slug)", lambda r: r.product.slug, REQUIRED
    ),
    _text("The study or document the figures come from", "study", required=True),
    Column(
        "measure",
        "string",
        "sens_spec: sensitivity and specificity; ppa_npa: positive and negative percent agreement",
        lambda r: r.measure,
        {"required": True, "enum": ["sens_spec", "ppa_npa"]},
    ),
    _text(
        "Qualifier the source puts before the sensitivity ('up to', '~'), as written",
        "sensitivity_qualifier",
    ),
    _percent("sensitivity", "Sensitivity (or PPA)"),
    _percent("sensitivity_ci_low", "Low end of the sensitivity interval"),
    _percent("sensitivity_ci_high", "High end of the sensitivity interval"),
    _text("Qualifier the source puts before the specificity, as written", "specificity_qualifier"),
    _percent("specificity", "Specificity (or NPA)"),
    _percent("specificity_ci_low", "Low end of the specificity interval"),
    _percent("specificity_ci_high", "High end of the specificity interval"),
    _whole("Number of samples or people in the study", "sample_size"),
    Column(
        "reported_by",
        "string",
        "Who reported the figures, as a code",
        lambda r: r.reported_by,
        {"required": True, "enum": list(REPORTERS)},
    ),
    Column(
        "reporter_label",
        "string",
        "Who reported the figures, in words",
        lambda r: r.reporter_label,
        {"required": True},
    ),
    Column(
        "status",
        "string",
        "The stored state",
        lambda r: r.status,
        {"required": True, "enum": PERFORMANCE_STATUSES},
    ),
    Column(
        "state",
        "string",
        "public_source (stated in a public source), claimed (by the manufacturer) or verified "
        "(by CAC staff, with evidence)",
        lambda r: r.state,
        {"required": True, "enum": PERFORMANCE_STATUSES},
    ),
    Column(
        "state_label",
        "string",
        "The state in words",
        lambda r: r.state_label,
        {"required": True, "enum": [STATE_LABELS[s] for s in PERFORMANCE_STATUSES]},
    ),
    *_evidence_columns(),
    _text("Note on the figures", "note"),
]

SOURCE_COLUMNS = [
    Column("product_slug", "string", "The product (products.slug)", lambda s: s[0], REQUIRED),
    Column(
        "approval_id",
        "integer",
        "The approval the source is cited for (approvals.id); empty otherwise",
        lambda s: s[1],
    ),
    Column(
        "performance_id",
        "integer",
        "The performance result the source is cited for (performance.id); empty otherwise",
        lambda s: s[2],
    ),
    Column(
        "source",
        "string",
        "The public source: an address, or a repository, file and commit, as cited",
        lambda s: s[3],
        REQUIRED,
    ),
]

COLUMNS = {
    "products": PRODUCT_COLUMNS,
    "approvals": APPROVAL_COLUMNS,
    "performance": PERFORMANCE_COLUMNS,
    "sources": SOURCE_COLUMNS,
}


def published_products() -> list[Product]:
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.status == "published")
            .order_by(Product.slug)
            .options(
                joinedload(Product.manufacturer),
                joinedload(Product.category),
                selectinload(Product.specimens),
                selectinload(Product.approvals),
                selectinload(Product.performance),
            )
        )
    )


def _sources(product: Product) -> list[tuple[str, int | None, int | None, str]]:
    """Each source cited, for the product as a whole or for one approval or result."""
    rows: list[tuple[str, int | None, int | None, str]] = [
        (product.slug, None, None, s) for s in _list(product.public_sources)
    ]
    for a in product.public_approvals:
        rows += [(product.slug, a.id, None, s) for s in _list(a.public_sources)]
    for r in public_performance(product):
        rows += [(product.slug, None, r.id, s) for s in _list(r.public_sources)]
    return rows


def catalogue_tables() -> dict[str, list[dict[str, Any]]]:
    """The four tables as lists of rows (JSON values: lists stay lists, None is null)."""
    products = published_products()
    approvals: list[Approval] = [a for p in products for a in p.public_approvals]
    performance: list[PerformanceResult] = [r for p in products for r in public_performance(p)]
    sources = [s for p in products for s in _sources(p)]
    records: dict[str, list[Any]] = {
        "products": products,
        "approvals": approvals,
        "performance": performance,
        "sources": sources,
    }
    return {
        table: [{c.name: c.value(record) for c in COLUMNS[table]} for record in records[table]]
        for table in TABLES
    }


def _cell(value: Any) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 80, as the sources write it, not 80.0
    return value


def table_csv(table: str, rows: list[dict[str, Any]]) -> str:
    """One table as CSV: the header on the first line, text cells safe for spreadsheets."""
    out = io.StringIO()
    writer = spreadsheet.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in COLUMNS[table]])
    for row in rows:
        writer.writerow([_cell(row[c.name]) for c in COLUMNS[table]])
    return out.getvalue()


PACKAGE_DESCRIPTION = (
    "Korean COVID-19 diagnostics listed on the CAC Medical Supplies Export Portal: published "
    "products, their approvals with the state of each (stated in a public source, claimed by the "
    "manufacturer, verified by CAC staff with the evidence recorded, expired or revoked), "
    "performance results with who reported them, and the public sources cited for each row. "
    "Compiled by the portal from the cited public sources; facts the sources do not give are "
    "empty. The portal grants no licence over these facts: they belong to their sources, whose "
    "own terms apply, so cite the sources (sources.csv) along with this compilation. "
    "Rejected approvals and results and unpublished products are not included. In the CSV "
    "files, a text cell that begins with =, +, -, @, a tab or a carriage return starts with an "
    "apostrophe (') so that spreadsheets do not run it as a formula; the JSON export "
    "(catalogue.json) has the same tables without it."
)

FOREIGN_KEYS = {
    "approvals": [("product_slug", "products", "slug")],
    "performance": [("product_slug", "products", "slug")],
    "sources": [
        ("product_slug", "products", "slug"),
        ("approval_id", "approvals", "id"),
        ("performance_id", "performance", "id"),
    ],
}
PRIMARY_KEYS = {"products": ["slug"], "approvals": ["id"], "performance": ["id"]}
TITLES = {
    "products": "Published products",
    "approvals": "Approvals of the products, with their states",
    "performance": "Performance results of the products, with who reported them",
    "sources": "Public sources cited for each product, approval and performance result",
}


def _table_schema(table: str) -> dict:
    schema: dict[str, Any] = {
        "fields": [c.schema() for c in COLUMNS[table]],
        "missingValues": [""],
    }
    if table in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[table]
    if table in FOREIGN_KEYS:
        schema["foreignKeys"] = [
            {"fields": column, "reference": {"resource": target, "fields": target_column}}
            for column, target, target_column in FOREIGN_KEYS[table]
        ]
    return schema


def catalogue_datapackage(urls: dict[str, str], homepage: str) -> dict:
    """The Frictionless (Tabular) Data Package of the CSV files at `urls` (by table name)."""
    return {
        "profile": "tabular-data-package",
        "name": "cac-medical-supplies-catalogue",
        "title": "CAC Medical Supplies Export Portal: Korean COVID-19 diagnostics catalogue",
        "description": PACKAGE_DESCRIPTION,
        "homepage": homepage,
        "sources": [
            {
                "title": "The public sources cited for each row, listed in sources.csv",
                "path": urls["sources"],
            }
        ],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": table,
                "title": TITLES[table],
                "path": urls[table],
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": _table_schema(table),
            }
            for table in TABLES
        ],
    }

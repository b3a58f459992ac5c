"""Catalogue rows as the JSON objects of the API (the shapes openapi.py documents)."""

from datetime import date, datetime
from decimal import Decimal

from flask import url_for

from catalogue.lib.dates import aware
from catalogue.supplies.models import (
    Approval,
    Evidence,
    Manufacturer,
    PerformanceResult,
    Product,
    Provenance,
)


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 with its UTC offset, also where SQLite hands back a naive datetime."""
    return aware(value).isoformat() if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def approval_date(approval: Approval) -> str | None:
    """The approval date only as precisely as the source gives it: 2020, 2020-04 or 2020-04-21."""
    if approval.approved_on is None:
        return None
    if approval.date_precision == "year":
        return f"{approval.approved_on.year:04d}"
    if approval.date_precision == "month":
        return approval.approved_on.strftime("%Y-%m")
    return approval.approved_on.isoformat()


def evidence(fact: Evidence) -> dict:
    """What the staff check recorded, as buyers see it beside "verified by CAC staff"."""
    return {
        "reference": fact.evidence_reference,
        "register_url": fact.evidence_url,
        "checked_on": day(fact.checked_on),
        "checked_by": fact.checked_by_label,
        "verified_at": timestamp(fact.verified_at),
        "note": fact.evidence_note,
    }


def _provenance(fact: Provenance) -> dict:
    return {
        "status": fact.status,
        "state": fact.state,
        "state_label": fact.state_label,
        "evidence": evidence(fact) if fact.status == "verified" else None,
    }


def approval(a: Approval) -> dict:
    return {
        "authority": a.authority,
        "authority_label": a.authority_label,
        "stated_as": a.stated_as,
        "reference_number": a.reference_number,
        "date": approval_date(a),
        "date_as_stated": a.date_as_stated,
        "valid_from": day(a.valid_from),
        "valid_until": day(a.valid_until),
        "revoked_on": day(a.revoked_on),
        **_provenance(a),
        "note": a.note,
        "public_sources": list(a.public_sources or []),
        "updated_at": timestamp(a.updated_at),
    }


def performance(r: PerformanceResult) -> dict:
    return {
        "study": r.study,
        "measure": r.measure,
        "sensitivity_qualifier": r.sensitivity_qualifier,
        "sensitivity": r.sensitivity,
        "sensitivity_ci": [r.sensitivity_ci_low, r.sensitivity_ci_high],
        "specificity_qualifier": r.specificity_qualifier,
        "specificity": r.specificity,
        "specificity_ci": [r.specificity_ci_low, r.specificity_ci_high],
        "sample_size": r.sample_size,
        "reported_by": r.reported_by,
        "reporter_label": r.reporter_label,
        **_provenance(r),
        "note": r.note,
        "public_sources": list(r.public_sources or []),
    }


def public_performance(p: Product) -> list[PerformanceResult]:
    """Performance rows a buyer may see: rejected ones are hidden, as rejected approvals are."""
    return [r for r in p.performance if r.status != "rejected"]


def _decimal(value: Decimal | None) -> str | None:
    """Exact, as a string: "2.1", "2500"."""
    return None if value is None else f"{value.normalize():f}"


def indicative_price(p: Product) -> dict | None:
    """The manufacturer's indicative price per test, as given; None when it gave none."""
    if p.indicative_price is None:
        return None
    return {
        "min": _decimal(p.price_min),
        "max": _decimal(p.price_max),
        "currency": p.price_currency,
        "per": "test",
        "given_on": day(p.price_given_on),
        "entered_by": p.price_entered_by,
    }


def product_summary(p: Product) -> dict:
    return {
        "slug": p.slug,
        "name": p.name,
        "model_number": p.model_number,
        "manufacturer": {"slug": p.manufacturer.slug, "name": p.manufacturer.name},
        "category": {"slug": p.category.slug, "name": p.category.name},
        "technology": p.technology,
        "specimen_types": p.specimen_types,
        "approvals": sorted({a.authority for a in p.public_approvals}),
        "summary": p.summary,
        "url": url_for("api.product_detail", slug=p.slug, _external=True),
        "page_url": url_for("supplies.product_detail", slug=p.slug, _external=True),
    }


def product_detail(p: Product) -> dict:
    return {
        **product_summary(p),
        "description": p.description,
        "intended_use": p.intended_use,
        "self_test": p.self_test,
        "targets": list(p.targets or []),
        "limit_of_detection": p.limit_of_detection,
        "time_to_result": p.time_to_result,
        "tests_per_kit": p.tests_per_kit,
        "storage_temperature": p.storage_temperature,
        "shelf_life_months": p.shelf_life_months,
        "compatible_instruments": list(p.compatible_instruments or []),
        "production_capacity": p.production_capacity,
        "moq": p.moq,
        "unit": p.unit,
        "lead_time": p.lead_time,
        "pack_size": p.pack_size,
        "indicative_price": indicative_price(p),
        "hs_code": p.hs_code,
        "approvals": [approval(a) for a in p.public_approvals],
        "performance": [performance(r) for r in public_performance(p)],
        "public_sources": list(p.public_sources or []),
        "updated_at": timestamp(p.updated_at),
    }


def manufacturer_summary(m: Manufacturer, product_count: int) -> dict:
    return {
        "slug": m.slug,
        "name": m.name,
        "name_ko": m.name_ko,
        "location": m.location,
        "website": m.website_url,
        "verification_status": m.verification_status,
        "product_count": product_count,
        "url": url_for("api.manufacturer_detail", slug=m.slug, _external=True),
        "page_url": url_for("supplies.manufacturer_detail", slug=m.slug, _external=True),
    }


def manufacturer_detail(m: Manufacturer, products: list[Product]) -> dict:
    return {
        **manufacturer_summary(m, len(products)),
        "description": m.description,
        "founded_year": m.founded_year,
        "employees": m.employees,
        "city": m.city,
        "province": m.province,
        "contact_email": m.contact_email,
        "contact_phone": m.contact_phone,
        "export_permission_number": m.export_permission_number,
        "quality_certifications": list(m.quality_certifications or []),
        "public_sources": list(m.public_sources or []),
        "products": [product_summary(p) for p in products],
    }

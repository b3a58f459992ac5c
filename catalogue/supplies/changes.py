"""Changing catalogue entries, for manufacturers (portal) and staff alike. Every change is audited.

Views decide who may change what; these functions enforce the rules that hold for everyone.
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa

from catalogue.audit.services import apply_changes, record_change
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.slugs import slugify
from catalogue.mail.services import queue_email
from catalogue.supplies.models import (
    AUTHORITIES,
    Approval,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
)

logger = logging.getLogger(__name__)

PRODUCT_FIELDS = (
    "name", "model_number", "category_id", "technology", "summary", "description",
    "intended_use", "self_test", "targets", "limit_of_detection", "limit_of_detection_basis",
    "time_to_result", "time_to_result_basis", "tests_per_kit", "storage_temperature",
    "shelf_life_months", "compatible_instruments", "production_capacity",
    "production_capacity_basis", "moq", "unit", "lead_time", "hs_code", "public_sources",
)  # fmt: skip
MANUFACTURER_FIELDS = (
    "name", "name_ko", "description", "founded_year", "employees", "address", "city",
    "province", "website", "contact_email", "contact_email_source", "contact_phone",
    "export_permission_number", "quality_certifications",
)  # fmt: skip
MAKER_GIVEN_SOURCE = "Given by the manufacturer in its portal profile"
STATUS_MOVES = {
    "draft": {"published", "archived"},
    "published": {"archived", "draft"},
    "archived": {"published", "draft"},
}


def _unique_slug(model, base: str) -> str:
    base = slugify(base)[:150] or "entry"
    slug, n = base, 2
    while db.session.scalar(sa.select(model.id).where(model.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_product(
    actor, manufacturer: Manufacturer, values: dict, specimens: list[str]
) -> Product:
    """A new product, as a draft until someone publishes it."""
    product = Product(
        slug=_unique_slug(Product, f"{manufacturer.slug} {values['name']}"),
        manufacturer=manufacturer,
        name=values["name"],
        category_id=values["category_id"],
        status="draft",
    )
    db.session.add(product)
    db.session.flush()
    record_change(actor, product, "created", None, product.name)
    update_product(actor, product, values, specimens)
    logger.info("User %s created product %s", actor.id, product.slug)
    return product


def update_product(actor, product: Product, values: dict, specimens: list[str]) -> int:
    """Apply the form's values; returns how many facts changed."""
    changes = apply_changes(actor, product, {k: values[k] for k in PRODUCT_FIELDS if k in values})
    count = len(changes)
    old_specimens = product.specimen_types
    if sorted(old_specimens) != sorted(specimens):
        record_change(actor, product, "specimen_types", old_specimens, specimens)
        product.specimens = [ProductSpecimen(specimen_type=s) for s in specimens]
        count += 1
    if count:
        product.updated_at = utcnow()
    return count


def set_product_status(actor, product: Product, status: str) -> None:
    if status not in STATUS_MOVES.get(product.status, set()):
        raise ServiceError("status", f"A {product.status} product cannot become {status}.")
    if status == "published" and not (product.name and product.category_id):
        raise ServiceError("status", "Give the product a name and a category before publishing.")
    apply_changes(actor, product, {"status": status})
    product.updated_at = utcnow()
    logger.info("User %s set %s to %s", actor.id, product.slug, status)


def add_performance(actor, product: Product, values: dict) -> PerformanceResult:
    result = PerformanceResult(product=product, **values)
    db.session.add(result)
    db.session.flush()
    record_change(actor, product, "performance", None, _performance_text(result))
    product.updated_at = utcnow()
    return result


def remove_performance(actor, product: Product, result: PerformanceResult) -> None:
    record_change(actor, product, "performance", _performance_text(result), None)
    db.session.delete(result)
    product.updated_at = utcnow()


def _performance_text(result: PerformanceResult) -> str:
    return (
        f"{result.study}: sensitivity {result.sensitivity}, specificity {result.specificity}, "
        f"n={result.sample_size}, reported by {result.reported_by}"
    )


def update_manufacturer(actor, manufacturer: Manufacturer, values: dict) -> int:
    """Save profile edits. Inquiries are e-mailed to the contact address, so a new address
    records where it comes from: the maker itself, or the source staff give."""
    values = dict(values)
    address = values.get("contact_email")
    if "contact_email" in values and address != manufacturer.contact_email:
        if not address:
            values["contact_email_source"] = None
        elif actor.role == "manufacturer":
            values["contact_email_source"] = MAKER_GIVEN_SOURCE
        elif not values.get("contact_email_source"):
            raise ServiceError(
                "contact_email_source", "Say where this address comes from: inquiries go to it."
            )
    elif actor.role == "manufacturer":
        values.pop("contact_email_source", None)  # staff's record of the source stays as it is
    changes = apply_changes(
        actor, manufacturer, {k: values[k] for k in MANUFACTURER_FIELDS if k in values}
    )
    if changes:
        manufacturer.updated_at = utcnow()
    return len(changes)


def save_approval_claim(
    actor, product: Product, approval: Approval | None, values: dict
) -> Approval:
    """Add or edit an approval claim. Any edit by a manufacturer needs staff verification again."""
    if values.get("authority") not in AUTHORITIES:
        raise ServiceError("authority", "Choose the approving authority.")
    if values["authority"] == "other" and not values.get("authority_name"):
        raise ServiceError("authority_name", "Name the authority.")
    approved_on: date | None = values.get("approved_on")
    if approved_on and approved_on > date.today():
        raise ServiceError("approved_on", "An approval date cannot be in the future.")
    if approval is None:
        approval = Approval(
            product=product, authority=values["authority"], status="claimed", public_sources=[]
        )
        db.session.add(approval)
        db.session.flush()
        record_change(actor, approval, "created", None, AUTHORITIES[values["authority"]])
    values = dict(values)
    values["date_precision"] = "day" if approved_on else None
    changed = apply_changes(actor, approval, values)
    if changed and actor.role != "staff" and approval.status != "claimed":
        apply_changes(
            actor,
            approval,
            {
                "status": "claimed",
                "verified_by_id": None,
                "verified_at": None,
                "rejection_reason": None,
            },
        )
    product.updated_at = utcnow()
    return approval


def verify_approval(actor, approval: Approval) -> None:
    if approval.status == "verified":
        raise ServiceError(None, "This approval is verified already.")
    apply_changes(
        actor,
        approval,
        {
            "status": "verified",
            "verified_by_id": actor.id,
            "verified_at": utcnow(),
            "rejection_reason": None,
        },
    )
    _tell_manufacturer(approval, "approval_verified", f"Approval verified: {approval.product.name}")
    logger.info("User %s verified approval %s", actor.id, approval.id)


def reject_approval(actor, approval: Approval, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason", "Give the manufacturer a reason for the rejection.")
    apply_changes(
        actor,
        approval,
        {
            "status": "rejected",
            "verified_by_id": actor.id,
            "verified_at": utcnow(),
            "rejection_reason": reason,
        },
    )
    _tell_manufacturer(
        approval, "approval_rejected", f"Approval claim not accepted: {approval.product.name}"
    )
    logger.info("User %s rejected approval %s", actor.id, approval.id)


def _tell_manufacturer(approval: Approval, template: str, subject: str) -> None:
    from catalogue.accounts.models import User  # upward on purpose: every feature names its users

    users = db.session.scalars(
        sa.select(User).where(
            User.manufacturer_id == approval.product.manufacturer_id, User.active.is_(True)
        )
    ).all()
    for user in users:
        queue_email(user.email, subject, template, user=user, approval=approval)


def verify_manufacturer(actor, manufacturer: Manufacturer, verified: bool) -> None:
    apply_changes(
        actor,
        manufacturer,
        {
            "verification_status": "verified" if verified else "unverified",
            "verified_by_id": actor.id if verified else None,
            "verified_at": utcnow() if verified else None,
        },
    )

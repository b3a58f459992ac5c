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
from catalogue.lib.dates import today, utcnow
from catalogue.lib.slugs import slugify
from catalogue.mail.services import queue_email
from catalogue.supplies.models import (
    AUTHORITIES,
    REPORTERS,
    Approval,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
    Upload,
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


# Issue 14: 2,201 rows on one product made its spec sheet impossible to render.
MAX_PERFORMANCE_ROWS = 50
PERFORMANCE_FIELDS = (
    "study", "measure", "sensitivity", "specificity", "sample_size", "note", "reported_by",
    "public_sources",
)  # fmt: skip
# Which figures a manufacturer may call someone else's: every reporter but CAC staff.
MAKER_REPORTERS = tuple(r for r in REPORTERS if r != "staff")


def _performance_values(actor, values: dict) -> dict:
    """The figures themselves; who entered them and their state are never taken from a form."""
    values = {k: values[k] for k in PERFORMANCE_FIELDS if k in values}
    allowed = REPORTERS if actor.role == "staff" else MAKER_REPORTERS
    if values.get("reported_by") not in allowed:
        raise ServiceError("reported_by", "Say who reported these figures.")
    return values


def add_performance(actor, product: Product, values: dict) -> PerformanceResult:
    """Add a figure set. A manufacturer's is "claimed" until staff check it; staff enter figures
    from a public source, which states them but does not verify them."""
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PerformanceResult)
        .where(PerformanceResult.product_id == product.id)
    )
    if (count or 0) >= MAX_PERFORMANCE_ROWS:
        raise ServiceError(
            None,
            f"A product can list at most {MAX_PERFORMANCE_ROWS} performance figures. "
            "Remove one before adding another.",
        )
    values = _performance_values(actor, values)
    if actor.role == "staff":
        if not values.get("public_sources"):
            raise ServiceError(
                "public_source", "Give the address of the public source of these figures."
            )
        provenance = {"entered_by": "staff", "status": "public_source"}
    else:
        provenance = {"entered_by": "manufacturer", "status": "claimed"}
    result = PerformanceResult(product=product, **values, **provenance)
    db.session.add(result)
    db.session.flush()
    record_change(actor, product, "performance", None, _performance_text(result))
    product.updated_at = utcnow()
    return result


def performance_lock(result: PerformanceResult) -> str | None:
    """Why the manufacturer may not change or remove this figure set; None when it may."""
    if result.maker_may_change:
        return None
    if result.is_independent:
        reason = f"Reported by {result.reporter_label}"
    elif result.entered_by == "staff":
        reason = "Entered by CAC staff from a public source"
    elif result.entered_by == "seed":
        reason = "Taken from a public source"
    else:  # the maker's own figures once staff have verified them
        reason = result.state_label
    return f"{reason} — you can comment, not change it."


def _refuse_locked(actor, result: PerformanceResult) -> None:
    if actor.role == "manufacturer" and (reason := performance_lock(result)):
        raise ServiceError(None, reason)


def update_performance(actor, product: Product, result: PerformanceResult, values: dict) -> int:
    """Edit a figure set; a manufacturer only its own unchecked ones. Returns how many changed."""
    _refuse_locked(actor, result)
    before = _performance_text(result)
    changed = apply_changes(actor, result, _performance_values(actor, values))
    if changed and actor.role != "staff" and result.status != "claimed":
        # A rejected figure set the maker corrects goes back to staff as a new claim.
        apply_changes(
            actor,
            result,
            {"status": "claimed", "rejection_reason": None, "verified_by_id": None,
             "verified_at": None},
        )  # fmt: skip
    if changed:
        record_change(actor, product, "performance", before, _performance_text(result))
        product.updated_at = utcnow()
    return len(changed)


def comment_on_performance(
    actor, product: Product, result: PerformanceResult, comment: str | None
) -> bool:
    """Set (or clear) the manufacturer's comment on any figure set of its product."""
    comment = (comment or "").strip() or None
    if comment and len(comment) > 500:
        raise ServiceError("comment", "A comment can be at most 500 characters.")
    old = result.maker_comment
    if not apply_changes(actor, result, {"maker_comment": comment}):
        return False
    # Also on the product, whose history is the one the maker and staff read.
    record_change(
        actor,
        product,
        "performance comment",
        f"{result.study}: {old}" if old else None,
        f"{result.study}: {comment}" if comment else None,
    )
    product.updated_at = utcnow()
    return True


def remove_performance(actor, product: Product, result: PerformanceResult) -> None:
    _refuse_locked(actor, result)
    record_change(actor, product, "performance", _performance_text(result), None)
    db.session.delete(result)
    product.updated_at = utcnow()


def _performance_text(result: PerformanceResult) -> str:
    return (
        f"{result.study}: sensitivity {result.sensitivity}, specificity {result.specificity}, "
        f"n={result.sample_size}, reported by {result.reported_by}"
    )


def set_upload_checked(actor, upload: Upload, checked: bool) -> bool:
    """Staff mark a file as checked (or undo it). Until then buyers read "uploaded by the
    manufacturer — not checked by CAC", never "certificate"."""
    if checked == upload.is_checked:
        return False
    if checked:
        apply_changes(actor, upload, {"checked_by_id": actor.id, "checked_at": utcnow()})
    else:
        apply_changes(actor, upload, {"checked_by_id": None, "checked_at": None})
    # Also on the owner, whose history is the one staff and the maker read.
    owner = upload.product or db.session.get(Manufacturer, upload.manufacturer_id)
    name = upload.title or upload.filename
    old, new = (None, name) if checked else (name, None)
    record_change(actor, owner, "document checked by CAC", old, new)
    if upload.product is not None:
        upload.product.updated_at = utcnow()
    return True


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
    _check_validity(values.get("valid_from"), values.get("valid_until"))
    if approval is not None and approval.status == "revoked" and actor.role != "staff":
        # An edit would send it back to "claimed" and hide the revocation from buyers.
        raise ServiceError(
            None, "This approval was revoked and cannot be changed; add a new claim for a new one."
        )
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
        # The maker's word now, no longer what a source or a staff check said.
        values = NO_EVIDENCE | {"status": "claimed", "rejection_reason": None}
        apply_changes(actor, approval, values)
    product.updated_at = utcnow()
    return approval


def _check_validity(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from and valid_until and valid_until <= valid_from:
        raise ServiceError("valid_until", "“Valid until” must be after “valid from”.")


def set_approval_validity(
    actor, approval: Approval, valid_from: date | None, valid_until: date | None
) -> int:
    """Staff's record of when an approval is valid (a renewal moves valid_until on, and its
    expiry reminders start again); returns how many dates changed."""
    _check_validity(valid_from, valid_until)
    changed = apply_changes(actor, approval, {"valid_from": valid_from, "valid_until": valid_until})
    if changed:
        approval.product.updated_at = utcnow()
    return len(changed)


def revoke_approval(actor, approval: Approval, revoked_on: date) -> None:
    """Staff record that the authority revoked an approval: buyers see it as revoked."""
    if approval.status == "revoked":
        raise ServiceError(None, "This approval is recorded as revoked already.")
    if revoked_on > today():
        raise ServiceError("revoked_on", "The revocation date cannot be in the future.")
    apply_changes(actor, approval, {"status": "revoked", "revoked_on": revoked_on})
    approval.product.updated_at = utcnow()
    _tell_manufacturer(approval, "approval_revoked", f"Approval revoked: {approval.product.name}")
    logger.info("User %s revoked approval %s", actor.id, approval.id)


def _evidence(values: dict) -> dict:
    """The evidence of a staff check, cleaned; refused unless it says what was checked, where,
    when, and a note for buyers."""
    reference = (values.get("evidence_reference") or "").strip()
    url = (values.get("evidence_url") or "").strip()
    note = (values.get("evidence_note") or "").strip()
    checked_on: date | None = values.get("checked_on")
    if not reference and not url:
        raise ServiceError(
            "evidence_reference",
            "Record the evidence: the certificate or register number, or the address of the "
            "official register entry you checked.",
        )
    if url and not url.startswith(("https://", "http://")):
        raise ServiceError("evidence_url", "The register's address must start with https://.")
    if checked_on is None:
        raise ServiceError("checked_on", "Give the date you checked the evidence.")
    if checked_on > today():
        raise ServiceError("checked_on", "The date checked cannot be in the future.")
    if not note:
        raise ServiceError("evidence_note", "Add a note on what you checked; buyers read it.")
    return {
        "evidence_reference": reference or None,
        "evidence_url": url or None,
        "checked_on": checked_on,
        "evidence_note": note,
    }


# What a fact loses when it is no longer verified (a maker's edit, a rejection, a withdrawal).
NO_EVIDENCE = {
    "evidence_reference": None,
    "evidence_url": None,
    "checked_on": None,
    "evidence_note": None,
    "verified_by_id": None,
    "verified_at": None,
}


def verify_fact(actor, fact: Approval | PerformanceResult, evidence: dict) -> None:
    """Mark an approval or a performance result "verified by CAC staff", with its evidence."""
    if fact.status == "verified":
        raise ServiceError(None, "This is verified already.")
    if fact.status == "revoked":
        raise ServiceError(None, "A revoked approval cannot be verified.")
    values = _evidence(evidence)
    values |= {"status": "verified", "verified_by_id": actor.id, "verified_at": utcnow()}
    apply_changes(actor, fact, values | {"rejection_reason": None})
    fact.product.updated_at = utcnow()
    logger.info("User %s verified %s %s", actor.id, fact.__tablename__, fact.id)


def reject_fact(actor, fact: Approval | PerformanceResult, reason: str) -> None:
    """Mark an approval or a performance result rejected; buyers no longer see it counted."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason", "Give the manufacturer a reason for the rejection.")
    values = NO_EVIDENCE | {"status": "rejected", "rejection_reason": reason}
    apply_changes(actor, fact, values | {"verified_by_id": actor.id, "verified_at": utcnow()})
    fact.product.updated_at = utcnow()
    logger.info("User %s rejected %s %s", actor.id, fact.__tablename__, fact.id)


def verify_approval(actor, approval: Approval, evidence: dict) -> None:
    verify_fact(actor, approval, evidence)
    _tell_manufacturer(approval, "approval_verified", f"Approval verified: {approval.product.name}")


def reject_approval(actor, approval: Approval, reason: str) -> None:
    reject_fact(actor, approval, reason)
    _tell_manufacturer(
        approval, "approval_rejected", f"Approval claim not accepted: {approval.product.name}"
    )


def _tell_manufacturer(approval: Approval, template: str, subject: str) -> None:
    from catalogue.accounts.models import User  # upward on purpose: every feature names its users

    users = db.session.scalars(
        sa.select(User).where(
            User.manufacturer_id == approval.product.manufacturer_id, User.active.is_(True)
        )
    ).all()
    for user in users:
        queue_email(user.email, subject, template, user=user, approval=approval)


def verify_manufacturer(actor, manufacturer: Manufacturer, evidence: dict) -> None:
    """Mark a manufacturer's profile verified by CAC staff, with the evidence of the check."""
    if manufacturer.verification_status == "verified":
        raise ServiceError(None, "This profile is verified already.")
    values = _evidence(evidence)
    values |= {"verification_status": "verified", "verified_by_id": actor.id}
    apply_changes(actor, manufacturer, values | {"verified_at": utcnow()})


def withdraw_manufacturer_verification(actor, manufacturer: Manufacturer) -> None:
    apply_changes(actor, manufacturer, NO_EVIDENCE | {"verification_status": "unverified"})

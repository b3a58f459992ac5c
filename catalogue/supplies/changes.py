"""Changing catalogue entries, for manufacturers (portal) and staff alike. Every change is audited.

Views decide who may change what; these functions enforce the rules that hold for everyone.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

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
    IdentityChange,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
    Upload,
)
from catalogue.supplies.uploads import delete_document

logger = logging.getLogger(__name__)

PRODUCT_FIELDS = (
    "name", "model_number", "category_id", "technology", "summary", "description",
    "intended_use", "self_test", "targets", "limit_of_detection", "limit_of_detection_basis",
    "time_to_result", "time_to_result_basis", "tests_per_kit", "storage_temperature",
    "shelf_life_months", "compatible_instruments", "production_capacity",
    "production_capacity_basis", "moq", "unit", "lead_time", "pack_size", "price_min",
    "price_max", "price_currency", "price_given_on", "hs_code", "public_sources",
)  # fmt: skip
PRICE_FIELDS = ("price_min", "price_max", "price_currency", "price_given_on")
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


CHANGED_MEANWHILE = (
    "This entry was changed by someone else meanwhile, so your changes were not saved. The "
    "current entry is shown; your input is kept in the form."
)


class EditConflict(ServiceError):
    """The entry was saved by someone else after this form was loaded: saving the form would
    silently undo their change (issue 14: a maker's and staff's edits overwrote each other)."""

    def __init__(self) -> None:
        super().__init__(None, CHANGED_MEANWHILE)


def check_version(entity, version: int | None) -> None:
    """Refuse an edit made on an older version of a versioned entry (supplies/models.py). The
    site's forms always post the version they were loaded with; None (no version posted) is
    left to the row check at the flush."""
    if version is not None and version != entity.version:
        raise EditConflict()


@contextmanager
def _edit_written():
    """Write the edit at the end, so that a concurrent save of the same row (its version moved
    on between our read and our write, at that flush or at an autoflush before it) is an
    EditConflict the view answers with the input kept, not a 500."""
    try:
        yield
        db.session.flush()
    except StaleDataError as error:
        raise EditConflict() from error


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
    count = db.session.scalar(
        sa.select(sa.func.count(Product.id)).where(Product.manufacturer_id == manufacturer.id)
    )
    if (count or 0) >= MAX_PRODUCTS:
        # Each published one is a row of the company profile and a section of the brochure.
        raise ServiceError(
            "name",
            f"A manufacturer can have at most {MAX_PRODUCTS} products on the portal. Reuse an "
            "archived one, or ask CAC staff.",
        )
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


def update_product(
    actor, product: Product, values: dict, specimens: list[str], version: int | None = None
) -> int:
    """Apply the form's values (loaded at `version`); returns how many facts changed."""
    check_version(product, version)
    with _edit_written():
        changes = apply_changes(
            actor, product, {k: values[k] for k in PRODUCT_FIELDS if k in values}
        )
        count = len(changes)
        if any(change.field in PRICE_FIELDS for change in changes):
            # Buyers read who gave the price: whoever last saved it.
            entered_by = "staff" if actor.role == "staff" else "manufacturer"
            priced = product.indicative_price is not None
            apply_changes(actor, product, {"price_entered_by": entered_by if priced else None})
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


# Issue 14: 2,201 rows on one product made its spec sheet impossible to render. Every row a
# spec sheet prints is capped, so that one at every cap renders in seconds
# (tests/exports/test_bounded_renders.py; documents: supplies/uploads.py).
MAX_PERFORMANCE_ROWS = 15
MAX_APPROVALS = 20
MAX_PRODUCTS = 50  # per manufacturer
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
        apply_changes(actor, result, NO_EVIDENCE | {"status": "claimed", "rejection_reason": None})
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


def remove_upload(actor, document: Upload) -> list[Approval]:
    """Delete an uploaded file's row, audited on its owner. An approval whose certificate it
    was loses the link in the same transaction (audited on the approval; its state rests on its
    own evidence and stays); a quotation sent to a buyer is part of the inquiry and stays.
    Its file is removed once the transaction commits. Returns the approvals unlinked."""
    if document.kind == "quotation":
        raise ServiceError(
            None, "This file is a quotation sent to a buyer: it stays with the inquiry."
        )
    owner = document.product or db.session.get(Manufacturer, document.manufacturer_id)
    name = document.title or document.filename
    approvals = list(
        db.session.scalars(sa.select(Approval).where(Approval.document_id == document.id))
    )
    for approval in approvals:
        record_change(actor, approval, "document", name, None)
        approval.document = None
        approval.product.updated_at = utcnow()
    record_change(actor, owner, "documents", document.filename, None)
    delete_document(document)
    return approvals


# What says who a verified manufacturer is: its names, its website (where buyers check it), the
# address inquiries are e-mailed to, and its MFDS export permission number (the register entry
# staff checked). A verified maker's change of these waits for staff review (IdentityChange);
# the rest of its profile it keeps editing directly.
IDENTITY_FIELDS = ("name", "name_ko", "website", "contact_email", "export_permission_number")
# As a sentence names them ("Your change of the website and the contact e-mail ...").
IDENTITY_LABELS = {
    "name": "company name (English)",
    "name_ko": "company name (Korean)",
    "website": "website",
    "contact_email": "contact e-mail",
    "export_permission_number": "MFDS export permission number",
}


class ProfileSaved(NamedTuple):
    changed: int  # facts changed on the profile
    requested: tuple[str, ...]  # identity fields now waiting for staff review


def _same_identity(field: str, old, new) -> bool:
    """Whether two values say the same: the form shows a stored domain as https://domain."""
    old, new = (str(v or "").strip() for v in (old, new))
    if field == "website":
        old, new = (
            v.removeprefix("https://").removeprefix("http://").rstrip("/") for v in (old, new)
        )
    if field == "contact_email":
        old, new = old.lower(), new.lower()
    return old == new


def update_manufacturer(
    actor, manufacturer: Manufacturer, values: dict, version: int | None = None
) -> ProfileSaved:
    """Save profile edits (loaded at `version`). Inquiries are e-mailed to the contact address,
    so a new address records where it comes from: the maker itself, or the source staff give.
    A verified maker's change of its identity is filed for staff review instead."""
    check_version(manufacturer, version)
    with _edit_written():
        return _save_profile(actor, manufacturer, dict(values))


def _save_profile(actor, manufacturer: Manufacturer, values: dict) -> ProfileSaved:
    requested: dict = {}
    if actor.role == "manufacturer":
        if manufacturer.verification_status == "verified":
            for field in IDENTITY_FIELDS:
                if field in values:
                    new = values.pop(field)
                    if not _same_identity(field, getattr(manufacturer, field), new):
                        requested[field] = new
        # Unverified (perhaps since the request), the maker saves what its form shows itself.
        _file_identity_change(actor, manufacturer, requested)
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
    return ProfileSaved(len(changes), tuple(requested))


def pending_identity_change(manufacturer: Manufacturer) -> IdentityChange | None:
    return db.session.scalar(
        sa.select(IdentityChange).where(
            IdentityChange.manufacturer_id == manufacturer.id, IdentityChange.status == "pending"
        )
    )


def latest_identity_change(manufacturer: Manufacturer) -> IdentityChange | None:
    """The maker's latest request, to show it what waits or what staff refused and why."""
    return db.session.scalar(
        sa.select(IdentityChange)
        .where(IdentityChange.manufacturer_id == manufacturer.id)
        .order_by(IdentityChange.requested_at.desc(), IdentityChange.id.desc())
        .limit(1)
    )


def _file_identity_change(actor, manufacturer: Manufacturer, requested: dict) -> None:
    """Make `requested` the maker's one pending identity change (audited). The form shows a
    pending request's values, so a save asks for exactly what the form holds: a new request
    replaces the pending one (never edited, so staff approve what they read), and none left
    withdraws it."""
    pending = pending_identity_change(manufacturer)
    if pending is not None:
        if pending.requested == requested:
            return
        pending.status = "withdrawn" if not requested else "replaced"
        pending.decided_at = utcnow()
        if not requested:
            record_change(actor, manufacturer, "identity change request", "pending", "withdrawn")
            return
        db.session.flush()  # one pending request per maker (a unique index)
    if not requested:
        return
    asked_before = pending.requested if pending is not None else {}
    for field, new in requested.items():
        if asked_before.get(field, getattr(manufacturer, field)) != new:
            record_change(
                actor, manufacturer, f"{field} (requested; awaits CAC staff review)",
                getattr(manufacturer, field), new,
            )  # fmt: skip
    db.session.add(
        IdentityChange(
            manufacturer_id=manufacturer.id,
            requested=requested,
            previous={field: getattr(manufacturer, field) for field in requested},
            status="pending",
            requested_by_id=actor.id,
        )
    )
    logger.info(
        "User %s asked to change %s of %s", actor.id, ", ".join(requested), manufacturer.slug
    )


def _open_identity_change(manufacturer: Manufacturer, change_id: int) -> IdentityChange:
    change = pending_identity_change(manufacturer)
    if change is None or change.id != change_id:
        raise ServiceError(
            None,
            "The manufacturer changed or withdrew its request meanwhile: review the request "
            "as it is now.",
        )
    return change


def approve_identity_change(actor, manufacturer: Manufacturer, change_id: int) -> bool:
    """Apply a reviewed identity change. A verified profile stops being verified: the evidence
    buyers read beside "verified" (register entry, date checked, note) was about the old
    details, so staff verify it again with the evidence of a check of the new ones. Returns
    whether the verification was withdrawn."""
    change = _open_identity_change(manufacturer, change_id)
    values = dict(change.requested)
    if "contact_email" in values:
        values["contact_email_source"] = MAKER_GIVEN_SOURCE if values["contact_email"] else None
    apply_changes(actor, manufacturer, values)
    change.status, change.decided_by_id, change.decided_at = "approved", actor.id, utcnow()
    record_change(actor, manufacturer, "identity change request", "pending", "approved")
    was_verified = manufacturer.verification_status == "verified"
    if was_verified:
        withdraw_manufacturer_verification(actor, manufacturer)
    manufacturer.updated_at = utcnow()
    logger.info("User %s approved identity change %s of %s", actor.id, change.id, manufacturer.slug)
    return was_verified


def refuse_identity_change(actor, manufacturer: Manufacturer, change_id: int, reason: str) -> None:
    """Refuse a requested identity change; the profile stays as it is and the maker reads why."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason", "Give the manufacturer a reason for the refusal.")
    if len(reason) > 500:
        raise ServiceError("reason", "A reason can be at most 500 characters.")
    change = _open_identity_change(manufacturer, change_id)
    change.status, change.decided_by_id, change.decided_at = "refused", actor.id, utcnow()
    change.reason = reason
    record_change(actor, manufacturer, "identity change request", "pending", f"refused: {reason}")
    logger.info("User %s refused identity change %s of %s", actor.id, change.id, manufacturer.slug)


def save_approval_claim(
    actor, product: Product, approval: Approval | None, values: dict, version: int | None = None
) -> Approval:
    """Add or edit an approval claim (loaded at `version`). Any edit by a manufacturer needs
    staff verification again."""
    if approval is not None:
        check_version(approval, version)
    with _edit_written():
        return _save_approval_claim(actor, product, approval, values)


def _save_approval_claim(actor, product: Product, approval: Approval | None, values: dict):
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
        count = db.session.scalar(
            sa.select(sa.func.count(Approval.id)).where(Approval.product_id == product.id)
        )
        if (count or 0) >= MAX_APPROVALS:
            raise ServiceError(
                "authority",
                f"A product can list at most {MAX_APPROVALS} approvals. Edit an existing "
                "claim instead, or ask CAC staff.",
            )
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
    _tell_manufacturer(
        approval,
        "approval_revoked",
        _l("Approval revoked: %(product)s", product=approval.product.name),
    )
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
    _tell_manufacturer(
        approval,
        "approval_verified",
        _l("Approval verified: %(product)s", product=approval.product.name),
    )


def reject_approval(actor, approval: Approval, reason: str) -> None:
    reject_fact(actor, approval, reason)
    _tell_manufacturer(
        approval,
        "approval_rejected",
        _l("Approval claim not accepted: %(product)s", product=approval.product.name),
    )


def _tell_manufacturer(approval: Approval, template: str, subject) -> None:
    """Mail the maker's users, each in their language (`subject` is a lazy string)."""
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

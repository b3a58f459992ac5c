"""The buyer's side: replies, decisions on quotations, and what the buyer sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from catalogue.accounts.models import User  # upward on purpose: every feature names its users
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries.models import (
    EVENT_ACCEPTED,
    EVENT_DECLINED,
    EVENT_REVISION_ASKED,
    Inquiry,
    InquiryLine,
    InquiryMessage,
    Quotation,
    QuotationLine,
    event_part,
)
from catalogue.inquiries.services import (
    _check_open,
    _clean_body,
    _event,
    _tell_maker,
    _tell_officer,
)
from catalogue.lib.dates import aware, utcnow


def reply_as_officer(inquiry: Inquiry, body: str, revised_quotation: bool, author: User | None):
    _check_open(inquiry)
    if revised_quotation and inquiry.current_quotation is None:
        raise ServiceError(
            "revised_quotation",
            _("There is no quotation yet to revise: send a message instead."),
        )
    body = _clean_body(body)
    message = InquiryMessage(
        inquiry=inquiry,
        author_kind="officer",
        author_id=author.id if author else None,
        body=body,
        asks_revised_quotation=revised_quotation,
    )
    db.session.add(message)
    inquiry.updated_at = utcnow()
    if revised_quotation:
        _event(
            inquiry,
            "revision_asked",
            "officer",
            event_part(EVENT_REVISION_ASKED),
            actor=author,
        )
    subject = (
        _l("Revised quotation requested: %(reference)s", reference=inquiry.reference)
        if revised_quotation
        else _l("Buyer's reply on %(reference)s", reference=inquiry.reference)
    )
    _tell_maker(inquiry, subject, "inquiry_officer_reply", message=message)
    return message


# A quotation's state in the sentence "Quotation A was … already" (the stored value is the key).
# Why a decision could not be made: one whole sentence per state the quotation is in.
_ALREADY_DECIDED = {
    "accepted": _l("Quotation %(label)s was accepted already; nothing was changed."),
    "declined": _l("Quotation %(label)s was declined already; nothing was changed."),
    "superseded": _l("Quotation %(label)s was replaced by a newer one; nothing was changed."),
}
_CHANGED_MEANWHILE = _l("Quotation %(label)s changed meanwhile; nothing was changed.")


def _decide(inquiry: Inquiry, quotation_id: int, outcome: str, reason: str | None) -> Quotation:
    """Accept or decline the current quotation with a compare-and-set, so that of two
    simultaneous decisions exactly one wins."""
    _check_open(inquiry)
    quotation = next((q for q in inquiry.quotations if q.id == quotation_id), None)
    if quotation is None:
        raise ServiceError(None, _("That quotation is not part of this inquiry."))
    if outcome == "accepted" and quotation.is_expired():
        raise ServiceError(None, _("This quotation has expired: ask for a revised quotation."))
    now = utcnow()
    result = db.session.execute(
        sa.update(Quotation)
        .where(Quotation.id == quotation.id, Quotation.status == "current")
        .values(status=outcome, decided_at=now, decision_reason=reason)
        .execution_options(synchronize_session=False)
    )
    changed = cast(sa.CursorResult, result).rowcount
    if changed != 1:
        db.session.refresh(quotation)
        raise ServiceError(
            None,
            str(
                _ALREADY_DECIDED.get(
                    quotation.status,
                    _l("Quotation %(label)s changed meanwhile; nothing was changed."),
                )
            )
            % {"label": quotation.label},
        )
    db.session.refresh(quotation)
    inquiry.status = outcome
    inquiry.updated_at = now
    return quotation


def accept_quotation(inquiry: Inquiry, quotation_id: int, author: User | None) -> Quotation:
    quotation = _decide(inquiry, quotation_id, "accepted", None)
    _event(
        inquiry,
        "accepted",
        "officer",
        event_part(EVENT_ACCEPTED, label=quotation.label),
        actor=author,
    )
    _tell_maker(
        inquiry,
        _l(
            "Quotation %(label)s accepted: %(reference)s",
            label=quotation.label,
            reference=inquiry.reference,
        ),
        "quotation_decision",
        quotation=quotation,
    )
    _tell_officer(
        inquiry,
        _l(
            "You accepted quotation %(label)s of %(reference)s",
            label=quotation.label,
            reference=inquiry.reference,
        ),
        "quotation_decision_officer",
        quotation=quotation,
    )
    return quotation


def decline_quotation(
    inquiry: Inquiry, quotation_id: int, reason: str, author: User | None
) -> Quotation:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason", _("Say why you decline, so the manufacturer can improve it."))
    if len(reason) > 500:
        raise ServiceError(
            "reason", _("The reason is too long (at most %(num)d characters).", num=500)
        )
    quotation = _decide(inquiry, quotation_id, "declined", reason)
    _event(
        inquiry,
        "declined",
        "officer",
        event_part(EVENT_DECLINED, label=quotation.label, reason=reason),
        actor=author,
    )
    _tell_maker(
        inquiry,
        _l(
            "Quotation %(label)s declined: %(reference)s",
            label=quotation.label,
            reference=inquiry.reference,
        ),
        "quotation_decision",
        quotation=quotation,
    )
    _tell_officer(
        inquiry,
        _l(
            "You declined quotation %(label)s of %(reference)s",
            label=quotation.label,
            reference=inquiry.reference,
        ),
        "quotation_decision_officer",
        quotation=quotation,
    )
    return quotation


# --- What each side sees ----------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    text: str
    kind: str


def timeline(inquiry: Inquiry, *, audience: str) -> list[TimelineEntry]:
    """Every event with its time, oldest first; staff also see their internal notes."""
    actors = {
        "officer": _("Buyer"),
        "manufacturer": inquiry.manufacturer.name,
        "staff": _("CAC staff"),
        "system": _("Portal"),
    }
    return [
        TimelineEntry(aware(e.created_at), actors.get(e.actor_kind, ""), e.text, e.kind)
        for e in inquiry.events
        if e.public or audience == "staff"
    ]


def group_of(inquiry: Inquiry) -> list[Inquiry]:
    """The inquiries filed together from one basket, with their quotations loaded at once."""
    return list(
        db.session.scalars(
            sa.select(Inquiry)
            .where(Inquiry.group_code == inquiry.group_code)
            .options(
                selectinload(Inquiry.manufacturer),
                selectinload(Inquiry.quotations)
                .selectinload(Quotation.lines)
                .options(
                    selectinload(QuotationLine.tiers),
                    selectinload(QuotationLine.inquiry_line).selectinload(InquiryLine.product),
                ),
            )
            .order_by(Inquiry.reference)
        )
    )


def inquiries_of(user: User) -> list[Inquiry]:
    """A signed-in officer's inquiries, newest first."""
    return list(
        db.session.scalars(
            sa.select(Inquiry)
            .where(Inquiry.officer_id == user.id)
            .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
        )
    )


def officer_inquiry(user: User, inquiry_id: int) -> Inquiry | None:
    """One of a signed-in officer's own inquiries, or None."""
    return db.session.scalar(
        sa.select(Inquiry).where(Inquiry.id == inquiry_id, Inquiry.officer_id == user.id)
    )


def attach_to_account(user: User) -> int:
    """After the owner of an address confirmed it: their earlier inquiries join the account."""
    result = db.session.execute(
        sa.update(Inquiry)
        .where(sa.func.lower(Inquiry.email) == user.email.lower(), Inquiry.officer_id.is_(None))
        .values(officer_id=user.id)
        .execution_options(synchronize_session=False)
    )
    return cast(sa.CursorResult, result).rowcount


def has_quotations_to_compare(inquiry: Inquiry) -> bool:
    """Whether the comparison page has something to show: a basket with a live quotation."""
    live = db.session.execute(
        sa.select(sa.func.count(Quotation.id))
        .join(Inquiry, Quotation.inquiry_id == Inquiry.id)
        .where(Inquiry.group_code == inquiry.group_code, Quotation.status != "superseded")
    ).scalar_one()
    return live > 0

"""The CAC staff desk: inquiries that reach nobody yet, and how staff forward them."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalogue.accounts.models import User  # upward on purpose: every feature names its users
from catalogue.audit.services import apply_changes
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries.links import revoke_maker_link
from catalogue.inquiries.models import (
    EVENT_CONTACTED,
    EVENT_FORWARDED_BY_EMAIL,
    EVENT_IN_INBOX_JOINED,
    EVENT_MAKER_DECLINED,
    EVENT_NOTE,
    EVENT_PASSED_ON,
    OFFLINE_OUTCOMES,
    Inquiry,
    event_part,
)
from catalogue.inquiries.services import (
    MAX_MESSAGE,
    _check_open,
    _close,
    _event,
    _send_by_email,
    _tell_officer,
    reaches_nobody,
)
from catalogue.lib.dates import utcnow
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import Manufacturer

logger = logging.getLogger(__name__)


def _forwarded(actor: User, inquiry: Inquiry, summary: dict, told) -> None:
    """`summary` goes on the timeline (an event_part); `told` is the same news for the
    buyer's e-mail, a lazy string written in the buyer's language."""
    inquiry.forwarded_by_id = actor.id
    inquiry.escalated_at = None
    _event(inquiry, "forwarded", "staff", summary, actor=actor)
    _tell_officer(
        inquiry,
        _l(
            "Your inquiry %(reference)s: CAC staff forwarded it to %(maker)s",
            reference=inquiry.reference,
            maker=inquiry.manufacturer.name,
        ),
        "inquiry_forwarded",
        summary=told,
    )
    logger.info("Staff %s forwarded inquiry %s", actor.id, inquiry.reference)


def forward_to_contact(actor: User, inquiry: Inquiry, address: str, source: str) -> None:
    """Staff add a contact e-mail to the maker (with where it comes from) and send the inquiry."""
    _check_open(inquiry)
    address, source = _email(address), (source or "").strip()
    if not source:
        raise ServiceError("source", _("Say where this address comes from."))
    maker = inquiry.manufacturer
    apply_changes(actor, maker, {"contact_email": address, "contact_email_source": source[:300]})
    if address != inquiry.route_address:
        revoke_maker_link(inquiry)  # a link sent to an earlier address stops working
    _send_by_email(inquiry, maker, address)
    _forwarded(
        actor,
        inquiry,
        event_part(EVENT_FORWARDED_BY_EMAIL, maker=maker.name),
        _l("Forwarded by CAC staff to %(maker)s by e-mail.", maker=maker.name),
    )


def forward_by_email(actor: User, inquiry: Inquiry, address: str, note: str | None) -> None:
    """Staff send the inquiry to an address (not kept on file), with a note to the maker."""
    _check_open(inquiry)
    address = _email(address)
    note = (note or "").strip() or None
    if note and len(note) > MAX_MESSAGE:
        raise ServiceError(
            "note", _("The note is too long (at most %(num)d characters).", num=MAX_MESSAGE)
        )
    revoke_maker_link(inquiry)  # a new recipient gets a new link; the old one stops working
    _send_by_email(inquiry, inquiry.manufacturer, address, note=note)
    maker = inquiry.manufacturer.name
    _forwarded(
        actor,
        inquiry,
        event_part(EVENT_FORWARDED_BY_EMAIL, maker=maker),
        _l("Forwarded by CAC staff to %(maker)s by e-mail.", maker=maker),
    )


def record_offline_contact(
    actor: User, inquiry: Inquiry, channel: str, outcome: str, note: str | None
) -> None:
    """Staff reached (or tried to reach) the maker by phone, fax or a visit."""
    _check_open(inquiry)
    if channel not in EVENT_CONTACTED:  # one timeline sentence per channel
        raise ServiceError("channel", _("Choose how you contacted the manufacturer."))
    if outcome not in OFFLINE_OUTCOMES:
        raise ServiceError("outcome", _("Choose the outcome."))
    note = (note or "").strip() or None
    if note and len(note) > MAX_MESSAGE:
        raise ServiceError(
            "note", _("The note is too long (at most %(num)d characters).", num=MAX_MESSAGE)
        )
    name = inquiry.manufacturer.name
    detail = event_part(
        EVENT_CONTACTED[channel], maker=name, outcome=outcome, labels={"outcome": "offline_outcome"}
    )
    noted = [event_part(EVENT_NOTE, note=note)] if note else []
    _event(inquiry, "offline_contact", "staff", detail, *noted, actor=actor, public=False)
    if outcome == "reached":
        if reaches_nobody(inquiry):
            inquiry.route, inquiry.routed_at = "offline", utcnow()
        if inquiry.status == "new":
            inquiry.status = "routed"
        _forwarded(
            actor,
            inquiry,
            event_part(EVENT_PASSED_ON[channel], maker=name),
            _passed_on(channel, name),
        )
    elif outcome == "declined":
        _event(
            inquiry,
            "maker_declined",
            "staff",
            event_part(EVENT_MAKER_DECLINED, maker=name),
            actor=actor,
        )
        _close(inquiry, "lost", "staff", actor)
        _tell_officer(
            inquiry,
            _l(
                "%(maker)s cannot supply your inquiry %(reference)s",
                maker=name,
                reference=inquiry.reference,
            ),
            "inquiry_closed",
            reason=_l("%(maker)s told CAC staff it cannot supply this.", maker=name),
        )


def _passed_on(channel: str, maker: str):
    """ "Passed on to … by CAC staff by phone." for the buyer's e-mail, in their language."""
    if channel == "phone":
        return _l("Passed on to %(maker)s by CAC staff by phone.", maker=maker)
    if channel == "fax":
        return _l("Passed on to %(maker)s by CAC staff by fax.", maker=maker)
    if channel == "visit":
        return _l("Passed on to %(maker)s by CAC staff in person.", maker=maker)
    return _l("Passed on to %(maker)s by CAC staff outside the portal.", maker=maker)


def route_waiting_inquiries(maker: Manufacturer) -> int:
    """A maker's first portal user has joined: its inquiries that reach nobody move into the
    inbox."""
    open_ones = db.session.scalars(
        sa.select(Inquiry).where(
            Inquiry.manufacturer_id == maker.id,
            Inquiry.route.in_(("staff_desk", "email")),
            Inquiry.status != "closed",
        )
    ).all()
    waiting = [inquiry for inquiry in open_ones if reaches_nobody(inquiry)]
    for inquiry in waiting:
        inquiry.route, inquiry.routed_at = "portal", utcnow()
        if inquiry.status == "new":
            inquiry.status = "routed"
        _event(inquiry, "routed", "system", event_part(EVENT_IN_INBOX_JOINED, maker=maker.name))
    return len(waiting)


def _email(address: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email((address or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ServiceError(
            "email", _("That is not a valid e-mail address: %(error)s", error=error)
        ) from None


def needing_route() -> list[Inquiry]:
    """Open inquiries that reach nobody yet: no route, or a routing e-mail that failed."""
    failed = sa.select(OutboundEmail.id).where(OutboundEmail.status == "failed")
    return list(
        db.session.scalars(
            sa.select(Inquiry)
            .where(
                Inquiry.status != "closed",
                sa.or_(
                    Inquiry.route == "staff_desk",
                    sa.and_(Inquiry.route == "email", Inquiry.route_email_id.in_(failed)),
                ),
            )
            .order_by(Inquiry.created_at, Inquiry.id)
        )
    )


def escalated() -> list[Inquiry]:
    return list(
        db.session.scalars(
            sa.select(Inquiry)
            .where(Inquiry.escalated_at.is_not(None), Inquiry.status != "closed")
            .order_by(Inquiry.created_at, Inquiry.id)
        )
    )

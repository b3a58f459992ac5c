"""Filing, routing, answering and deciding purchase inquiries.

Filing writes the inquiries, their lines, their route and every notification (OutboundEmail
rows) in one transaction: either all of it is saved or none of it is, so no inquiry or notice is
ever lost. Each inquiry's route is decided then and shown as it is: the maker's portal inbox, an
e-mail to the address on file (with a private link to answer without an account), or the CAC
staff desk, who forward it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.accounts.models import User  # upward on purpose: every feature names its users
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE, current_language, known_language
from catalogue.i18n.formats import format_day, format_number
from catalogue.inquiries.links import (
    derive_token,
    hash_token,
    maker_link,
    officer_link,
    tracking_token,
)
from catalogue.inquiries.models import (
    CLOSED_REASONS,
    EVENT_CLOSED,
    EVENT_FILED,
    EVENT_IN_INBOX,
    EVENT_OPENED,
    EVENT_QUOTED,
    EVENT_STAFF_DESK,
    Inquiry,
    InquiryEvent,
    InquiryLine,
    InquiryMessage,
    Quotation,
    ReferenceCounter,
    event_part,
    event_text,
)
from catalogue.lib.dates import add_business_days, aware, utcnow
from catalogue.lib.urls import external_url
from catalogue.mail.models import OutboundEmail
from catalogue.mail.services import account_language, lift_suppression, queue_email
from catalogue.supplies.models import Manufacturer, Product

logger = logging.getLogger(__name__)

MAX_BASKET = 20
# One form files one inquiry per manufacturer, with a notice each: this bounds what one
# (anonymous) submission can create.
MAX_MANUFACTURERS = 10
MAX_QUANTITY = 100_000_000
MAX_MESSAGE = 5000
ANSWER_WITHIN_BUSINESS_DAYS = 2
# The language of mail to a maker's or the staff desk's address that is no user's: Korean.
MAKER_LANGUAGE = "ko"


@dataclass
class LineRequest:
    product: Product
    quantity: int
    unit: str
    note: str | None = None


@dataclass
class Contact:
    name: str
    organisation: str
    email: str
    country: str
    job_title: str | None = None
    phone: str | None = None
    city: str | None = None


@dataclass
class Filed:
    """What the confirmation page shows: each inquiry with its private tracking token."""

    group_code: str
    inquiries: list[tuple[Inquiry, str]] = field(default_factory=list)
    # True when the form had been sent before: these are the inquiries it filed then.
    again: bool = False


def reply_due(inquiry: Inquiry) -> datetime:
    """When a first response is due: 2 business days after filing."""
    return add_business_days(aware(inquiry.created_at), ANSWER_WITHIN_BUSINESS_DAYS)


# --- Filing and routing ------------------------------------------------------------------------


def published_products(slugs: list[str]) -> list[Product]:
    """Published products for these slugs, in the given order (unknown ones left out)."""
    if not slugs:
        return []
    found = {
        p.slug: p
        for p in db.session.scalars(
            sa.select(Product).where(Product.slug.in_(slugs), Product.status == "published")
        )
    }
    return [found[s] for s in slugs if s in found]


def manufacturers_of(slugs: list[str]) -> set[int]:
    """The manufacturers of the published products with these slugs."""
    if not slugs:
        return set()
    return set(
        db.session.scalars(
            sa.select(Product.manufacturer_id).where(
                Product.slug.in_(slugs), Product.status == "published"
            )
        )
    )


def next_reference(year: int) -> str:
    """CAC-YYYY-NNNNN, sequential per year. The counter row is locked by the update itself,
    so concurrent filings queue for it and never share a number."""
    table = ReferenceCounter.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(table)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    number = db.session.execute(
        sa.update(table)
        .where(table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    ).scalar_one()
    return f"CAC-{year}-{number:05d}"


def file_inquiries(
    lines: list[LineRequest],
    contact: Contact,
    *,
    destination: str | None,
    incoterm: str | None,
    required_by: date | None,
    message: str | None,
    officer: User | None = None,
    form_token: str | None = None,
    language: str | None = None,
) -> Filed:
    """One inquiry per manufacturer in the basket, under one group, each routed at once.

    `form_token` is the form's one-time token: a form sent again (after a network error, say)
    files nothing new and gets the inquiries it filed the first time. `language` is the
    officer's (the language they filed in, by default): their mail about it goes in it."""
    language = known_language(language) or current_language()
    if form_token:
        earlier = filed_with_form_token(form_token, contact.email)
        if earlier is not None:
            return earlier
    if not lines:
        raise ServiceError(None, _("Add at least one product to the inquiry."))
    # An officer whose data was removed on request and who files again gives the address anew.
    lift_suppression(contact.email)
    if len(lines) > MAX_BASKET:
        raise ServiceError(
            None, _("An inquiry can cover at most %(num)d products.", num=MAX_BASKET)
        )
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise ServiceError(
                "quantity",
                _("Quantities must be from 1 to %(most)s.", most=format_number(MAX_QUANTITY)),
            )
    if required_by is not None and required_by <= date.today():
        raise ServiceError("required_by", _("The required-by date must be in the future."))
    if message and len(message) > MAX_MESSAGE:
        raise ServiceError(
            "message",
            _("The message is too long (at most %(num)d characters).", num=MAX_MESSAGE),
        )

    by_maker: dict[int, list[LineRequest]] = {}
    for line in lines:
        by_maker.setdefault(line.product.manufacturer_id, []).append(line)
    if len(by_maker) > MAX_MANUFACTURERS:
        raise ServiceError(
            None,
            _(
                "One inquiry goes to at most %(most)d manufacturers, and these products come "
                "from %(num)d. Remove the products of %(extra)d of them and send those in a "
                "second inquiry.",
                most=MAX_MANUFACTURERS,
                num=len(by_maker),
                extra=len(by_maker) - MAX_MANUFACTURERS,
            ),
        )

    filed = Filed(group_code=secrets.token_hex(8))
    year = utcnow().year
    portal_users = _portal_users(list(by_maker))
    for maker_id in sorted(by_maker):
        nonce = secrets.token_hex(16)
        token = derive_token("track", nonce)
        inquiry = Inquiry(
            reference=next_reference(year),
            group_code=filed.group_code,
            manufacturer_id=maker_id,
            officer_id=officer.id if officer else None,
            contact_name=contact.name,
            organisation=contact.organisation,
            job_title=contact.job_title,
            email=contact.email,
            phone=contact.phone,
            city=contact.city,
            country=contact.country,
            destination=destination,
            incoterm=incoterm,
            required_by=required_by,
            message=message,
            status="new",
            tracking_nonce=nonce,
            tracking_token_hash=hash_token(token),
            form_token_hash=hash_token(form_token) if form_token else None,
            language=language,
        )
        inquiry.lines = [
            InquiryLine(
                product=line.product, quantity=line.quantity, unit=line.unit, note=line.note
            )
            for line in by_maker[maker_id]
        ]
        db.session.add(inquiry)
        db.session.flush()
        _event(inquiry, "filed", "officer", event_part(EVENT_FILED), actor=officer)
        _route(inquiry, portal_users.get(maker_id, []))
        filed.inquiries.append((inquiry, token))

    tracking = [(i, officer_link(i)) for i, _t in filed.inquiries]
    queue_email(
        contact.email,
        _l(
            "Your inquiry %(references)s",
            references=", ".join(i.reference for i, _t in filed.inquiries),
        ),
        "inquiry_confirmation",
        language=language,
        contact=contact,
        filed=tracking,
        route_text=route_text,
        secrets=[link for _i, link in tracking],
    )
    logger.info("Inquiries %s filed", [i.reference for i, _t in filed.inquiries])
    return filed


def filed_with_form_token(form_token: str, email: str) -> Filed | None:
    """The inquiries filed with this form token, or None if it has not been used. The same
    form sent again carries the same address; another address means the token was copied."""
    filed = list(
        db.session.scalars(
            sa.select(Inquiry)
            .where(Inquiry.form_token_hash == hash_token(form_token))
            .order_by(Inquiry.reference)
        )
    )
    if not filed:
        return None
    if any(i.email != email for i in filed):
        raise ServiceError(None, _("This form was sent already. Reload the page to start anew."))
    token = {i.id: tracking_token(i) for i in filed}
    return Filed(filed[0].group_code, [(i, token[i.id] or "") for i in filed], again=True)


def filed_by_reference(references: list[str]) -> list[Inquiry]:
    """The inquiries just filed, for the confirmation page."""
    return list(
        db.session.scalars(
            sa.select(Inquiry).where(Inquiry.reference.in_(references)).order_by(Inquiry.reference)
        )
    )


def _portal_users(maker_ids: list[int]) -> dict[int, list[str]]:
    rows = db.session.execute(
        sa.select(User.manufacturer_id, User.email)
        .where(User.manufacturer_id.in_(maker_ids), User.active.is_(True))
        .order_by(User.id)
    ).all()
    found: dict[int, list[str]] = {}
    for maker_id, email in rows:
        assert maker_id is not None  # the query picks users of these makers
        found.setdefault(maker_id, []).append(email)
    return found


def _event(inquiry, kind, actor_kind, *parts, actor=None, public=True) -> InquiryEvent:
    """A timeline entry of one or more sentences (event_part): stored in English, with the
    values that say it again in each reader's language."""
    with force_locale(DEFAULT_LANGUAGE):
        summary = event_text(list(parts))
    event = InquiryEvent(
        inquiry=inquiry,
        kind=kind,
        actor_kind=actor_kind,
        summary=summary,
        summary_values=list(parts),
        public=public,
        actor_id=actor.id if actor is not None else None,
    )
    db.session.add(event)
    return event


def _route(inquiry: Inquiry, portal_users: list[str]) -> None:
    """Decide how the inquiry reaches its maker, and send it that way."""
    maker = db.session.get(Manufacturer, inquiry.manufacturer_id)
    assert maker is not None  # a foreign key
    if portal_users:
        inquiry.route, inquiry.status, inquiry.routed_at = "portal", "routed", utcnow()
        _event(inquiry, "routed", "system", event_part(EVENT_IN_INBOX, maker=maker.name))
        for address in portal_users:
            queue_email(
                address,
                _l(
                    "New inquiry %(reference)s from %(organisation)s",
                    reference=inquiry.reference,
                    organisation=inquiry.organisation,
                ),
                "inquiry_new_for_maker",
                inquiry=inquiry,
                link=external_url("portal.inquiry_detail", inquiry_id=inquiry.id),
                through_portal=True,
            )
    elif maker.contact_email:
        _send_by_email(inquiry, maker, maker.contact_email)
    else:
        inquiry.route, inquiry.status = "staff_desk", "new"
        _event(
            inquiry,
            "staff_desk",
            "system",
            event_part(EVENT_STAFF_DESK, maker=maker.name, num=ANSWER_WITHIN_BUSINESS_DAYS),
        )
        for address in staff_addresses():
            queue_email(
                address,
                _l(
                    "Needs a route: inquiry %(reference)s for %(maker)s",
                    reference=inquiry.reference,
                    maker=maker.name,
                ),
                "inquiry_staff_desk",
                language=maker_language(address),
                inquiry=inquiry,
                link=external_url("staff.inquiry_detail", inquiry_id=inquiry.id),
            )


def _send_by_email(inquiry, maker, address, *, note=None) -> OutboundEmail:
    inquiry.route, inquiry.route_address = "email", address
    inquiry.routed_at = utcnow()
    if inquiry.status == "new":
        inquiry.status = "routed"
    link = maker_link(inquiry)
    notice = queue_email(
        address,
        _l(
            "New inquiry %(reference)s from %(organisation)s",
            reference=inquiry.reference,
            organisation=inquiry.organisation,
        ),
        "inquiry_new_for_maker",
        language=maker_language(address),
        inquiry=inquiry,
        link=link,
        days=current_app.config["MAKER_LINK_DAYS"],
        through_portal=False,
        note=note,
        secrets=[link],
    )
    db.session.flush()
    inquiry.route_email_id = notice.id
    return notice


def maker_language(address: str) -> str:
    """The language of mail to a maker's or the staff desk's address: its account's, else
    Korean (the address on a maker's profile or STAFF_DESK_EMAIL is often no user's)."""
    return account_language(address) or MAKER_LANGUAGE


def officer_language(inquiry: Inquiry) -> str:
    """The language of mail to the inquiry's officer: the one they filed it in, else their
    account's, else English (inquiries filed before the portal spoke other languages)."""
    return known_language(inquiry.language) or account_language(inquiry.email) or DEFAULT_LANGUAGE


def staff_addresses() -> list[str]:
    """Where the staff desk's mail goes: STAFF_DESK_EMAIL if set, else every active staff user."""
    configured = current_app.config.get("STAFF_DESK_EMAIL")
    if configured:
        return [configured]
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.role == "staff", User.active.is_(True))
            .order_by(User.id)
        )
    )


def route_text(inquiry: Inquiry) -> str:
    """What really happened to the inquiry on its way to the maker, in plain words."""
    name = inquiry.manufacturer.name
    if inquiry.route == "portal":
        return _("In %(maker)s's portal inbox", maker=name)
    if inquiry.route == "offline":
        if not inquiry.routed_at:
            return _("Passed on to %(maker)s by CAC staff outside the portal", maker=name)
        return _(
            "Passed on to %(maker)s by CAC staff outside the portal on %(day)s",
            maker=name,
            day=format_day(aware(inquiry.routed_at)),
        )
    if inquiry.route == "email":
        notice = (
            db.session.get(OutboundEmail, inquiry.route_email_id)
            if inquiry.route_email_id
            else None
        )
        by_staff = bool(inquiry.forwarded_by_id)
        if notice is None or notice.status in ("pending", "sending"):
            if by_staff:
                return _("Being e-mailed to %(maker)s by CAC staff", maker=name)
            return _("Being e-mailed to %(maker)s", maker=name)
        if notice.status == "sent":
            assert notice.sent_at is not None  # set with the status
            day = format_day(aware(notice.sent_at))
            if by_staff:
                return _("E-mailed to %(maker)s by CAC staff on %(day)s", maker=name, day=day)
            return _("E-mailed to %(maker)s on %(day)s", maker=name, day=day)
        return _(
            "The e-mail to %(maker)s could not be delivered: it is back with CAC staff, who "
            "will forward it",
            maker=name,
        )
    return _(
        "%(maker)s is not on the portal yet: CAC staff will forward it within %(num)d "
        "business days",
        maker=name,
        num=ANSWER_WITHIN_BUSINESS_DAYS,
    )


def reaches_nobody(inquiry: Inquiry) -> bool:
    """No route yet, or the e-mail that was its route failed: staff must forward it."""
    if inquiry.route == "staff_desk":
        return True
    if inquiry.route == "email" and inquiry.route_email_id:
        notice = db.session.get(OutboundEmail, inquiry.route_email_id)
        return notice is not None and notice.status == "failed"
    return False


def _check_open(inquiry: Inquiry) -> None:
    if inquiry.status == "closed":
        raise ServiceError(None, _("This inquiry is closed."))


# --- The manufacturer's side -------------------------------------------------------------------


def mark_read(inquiry: Inquiry, actor: User | None = None) -> None:
    if inquiry.status in ("new", "routed"):
        inquiry.status = "read"
        inquiry.read_at = utcnow()
        _event(
            inquiry,
            "read",
            "manufacturer",
            event_part(EVENT_OPENED, maker=inquiry.manufacturer.name),
            actor=actor,
        )


def _respond(inquiry: Inquiry) -> None:
    if inquiry.first_response_at is None:
        inquiry.first_response_at = utcnow()
    inquiry.escalated_at = None
    inquiry.updated_at = utcnow()


def reply_as_manufacturer(actor: User | None, inquiry: Inquiry, body: str) -> InquiryMessage:
    """A maker's message, from the portal (actor) or through its e-mailed link (None)."""
    _check_open(inquiry)
    body = _clean_body(body)
    mark_read(inquiry, actor)
    message = InquiryMessage(
        inquiry=inquiry,
        author_kind="manufacturer",
        author_id=actor.id if actor else None,
        body=body,
    )
    db.session.add(message)
    _respond(inquiry)
    _tell_officer(
        inquiry,
        _l("Reply to your inquiry %(reference)s", reference=inquiry.reference),
        "inquiry_reply",
        message=message,
    )
    return message


def record_quotation(inquiry: Inquiry, quotation: Quotation, actor: User | None) -> None:
    """The bookkeeping of a new quotation version (built and checked in quotations.py)."""
    mark_read(inquiry, actor)
    _event(
        inquiry,
        "quoted",
        "manufacturer",
        event_part(EVENT_QUOTED, label=quotation.label, maker=inquiry.manufacturer.name),
        actor=actor,
    )
    db.session.add(
        InquiryMessage(
            inquiry=inquiry,
            author_kind="manufacturer",
            author_id=actor.id if actor else None,
            body=quotation.note or "",
            quotation_id=quotation.id,
        )
    )
    inquiry.status = "quoted"
    _respond(inquiry)
    _tell_officer(
        inquiry,
        _l(
            "Quotation %(label)s for your inquiry %(reference)s",
            label=quotation.label,
            reference=inquiry.reference,
        ),
        "inquiry_quotation",
        quotation=quotation,
    )


def _close(inquiry: Inquiry, reason: str, actor_kind: str, actor: User | None) -> None:
    inquiry.status = "closed"
    inquiry.closed_reason = reason
    inquiry.closed_at = utcnow()
    closed = event_part(EVENT_CLOSED, reason=reason, labels={"reason": "closed_reason"})
    _event(inquiry, "closed", actor_kind, closed, actor=actor)


# Who may close an inquiry, and for which reasons.
CLOSE_REASONS_BY_SIDE = {
    "manufacturer": ("won", "lost"),
    "officer": ("withdrawn",),
    "staff": ("won", "lost", "withdrawn", "no_response"),
}


def close(actor_kind: str, inquiry: Inquiry, reason: str, actor: User | None = None) -> None:
    if reason not in CLOSE_REASONS_BY_SIDE.get(actor_kind, ()):
        raise ServiceError("reason", _("Choose why the inquiry is closed."))
    if inquiry.status == "closed":
        raise ServiceError(None, _("The inquiry is closed already."))
    _close(inquiry, reason, actor_kind, actor)
    # Lazy: written in each recipient's language.
    text = _l("Closed: %(reason)s.", reason=CLOSED_REASONS[reason])
    if actor_kind == "officer":
        _tell_maker(
            inquiry,
            _l("Inquiry %(reference)s withdrawn by the buyer", reference=inquiry.reference),
            "inquiry_closed",
            reason=text,
        )
    else:
        _tell_officer(
            inquiry,
            _l("Your inquiry %(reference)s is closed", reference=inquiry.reference),
            "inquiry_closed",
            reason=text,
        )


def _tell_officer(inquiry: Inquiry, subject, template: str, **context) -> None:
    """Mail the buyer, in their language, with the link to their inquiry (tracking page or
    account). `subject` is a lazy string, translated into that language."""
    link = officer_link(inquiry)
    queue_email(
        inquiry.email,
        subject,
        template,
        language=officer_language(inquiry),
        inquiry=inquiry,
        link=link,
        secrets=[link],
        **context,
    )


def _tell_maker(inquiry: Inquiry, subject, template: str, **context) -> None:
    """Mail the maker the way the inquiry reached it; staff hear of staff-desk ones."""
    if inquiry.route == "portal":
        link = external_url("portal.inquiry_detail", inquiry_id=inquiry.id)
        addresses = _portal_users([inquiry.manufacturer_id]).get(inquiry.manufacturer_id, [])
    elif inquiry.route == "email" and inquiry.route_address:
        link, addresses = maker_link(inquiry), [inquiry.route_address]
    else:
        link = external_url("staff.inquiry_detail", inquiry_id=inquiry.id)
        addresses = staff_addresses()
    for address in addresses:
        queue_email(
            address,
            subject,
            template,
            language=maker_language(address),
            inquiry=inquiry,
            link=link,
            secrets=[link],
            **context,
        )


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("body", _("Write a message."))
    if len(body) > MAX_MESSAGE:
        raise ServiceError(
            "body", _("The message is too long (at most %(num)d characters).", num=MAX_MESSAGE)
        )
    return body


def waiting_for_maker(maker_id: int) -> list[Inquiry]:
    """A maker's inquiries that wait for its first response, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Inquiry)
            .where(
                Inquiry.manufacturer_id == maker_id,
                Inquiry.first_response_at.is_(None),
                Inquiry.status.in_(("new", "routed", "read")),
            )
            .order_by(Inquiry.created_at, Inquiry.id)
        )
    )

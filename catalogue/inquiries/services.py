"""Filing, answering and overseeing purchase inquiries.

Filing writes the inquiries, their lines and every notification (OutboundEmail rows) in one
transaction: either all of it is saved or none of it is, so no inquiry or notice is ever lost.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.accounts.models import User
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries.models import (
    CLOSED_REASONS,
    Inquiry,
    InquiryLine,
    InquiryMessage,
    Quotation,
    ReferenceCounter,
)
from catalogue.lib.dates import utcnow
from catalogue.lib.urls import external_url
from catalogue.mail.services import queue_email
from catalogue.supplies.models import Manufacturer, Product

logger = logging.getLogger(__name__)

MAX_BASKET = 20
MAX_QUANTITY = 100_000_000
MAX_MESSAGE = 5000
ANSWER_WITHIN_BUSINESS_DAYS = 2
MIN_INQUIRIES_FOR_REPLY_TIME = 5


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
) -> Filed:
    """One inquiry per manufacturer in the basket, under one group, with all notifications."""
    if not lines:
        raise ServiceError(None, "Add at least one product to the inquiry.")
    if len(lines) > MAX_BASKET:
        raise ServiceError(None, f"An inquiry can cover at most {MAX_BASKET} products.")
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise ServiceError("quantity", f"Quantities must be from 1 to {MAX_QUANTITY:,}.")
    if required_by is not None and required_by <= date.today():
        raise ServiceError("required_by", "The required-by date must be in the future.")
    if message and len(message) > MAX_MESSAGE:
        raise ServiceError(
            "message", f"The message is too long (at most {MAX_MESSAGE} characters)."
        )

    by_maker: dict[int, list[LineRequest]] = {}
    for line in lines:
        by_maker.setdefault(line.product.manufacturer_id, []).append(line)

    filed = Filed(group_code=secrets.token_hex(8))
    year = utcnow().year
    for maker_id in sorted(by_maker):
        token = secrets.token_urlsafe(24)  # 192 bits; only its hash is stored
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
            tracking_token_hash=hash_token(token),
        )
        inquiry.lines = [
            InquiryLine(
                product=line.product, quantity=line.quantity, unit=line.unit, note=line.note
            )
            for line in by_maker[maker_id]
        ]
        db.session.add(inquiry)
        db.session.flush()
        inquiry.manufacturer_notified = _notify_manufacturer(inquiry)
        filed.inquiries.append((inquiry, token))

    queue_email(
        contact.email,
        "Your inquiry " + ", ".join(i.reference for i, _t in filed.inquiries),
        "inquiry_confirmation",
        contact=contact,
        filed=[(i, external_url("inquiries.track", token=t)) for i, t in filed.inquiries],
    )
    logger.info(
        "Inquiries %s filed by %s", [i.reference for i, _t in filed.inquiries], contact.email
    )
    return filed


def _maker_recipients(maker: Manufacturer) -> list[str]:
    users = db.session.scalars(
        sa.select(User.email).where(User.manufacturer_id == maker.id, User.active.is_(True))
    ).all()
    recipients = list(
        dict.fromkeys([*users, *([maker.contact_email] if maker.contact_email else [])])
    )
    return recipients


def _notify_manufacturer(inquiry: Inquiry) -> bool:
    maker = db.session.get(Manufacturer, inquiry.manufacturer_id)
    recipients = _maker_recipients(maker)
    for address in recipients:
        queue_email(
            address,
            f"New inquiry {inquiry.reference} from {inquiry.organisation}",
            "inquiry_new_for_maker",
            inquiry=inquiry,
            link=external_url("portal.inquiry_detail", inquiry_id=inquiry.id),
        )
    return bool(recipients)


def inquiry_by_token(token: str) -> Inquiry | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Inquiry).where(Inquiry.tracking_token_hash == hash_token(token))
    )


# --- The manufacturer's side -------------------------------------------------------------------


def mark_read(inquiry: Inquiry) -> None:
    if inquiry.status == "new":
        inquiry.status = "read"
        inquiry.read_at = utcnow()


def _respond(inquiry: Inquiry, status: str) -> None:
    if inquiry.first_response_at is None:
        inquiry.first_response_at = utcnow()
    if inquiry.status != "closed":
        inquiry.status = status
    inquiry.updated_at = utcnow()


def _tell_officer(inquiry: Inquiry, token_link: str | None, subject: str, template: str, **ctx):
    queue_email(inquiry.email, subject, template, inquiry=inquiry, link=token_link, **ctx)


def reply_as_manufacturer(actor: User, inquiry: Inquiry, body: str) -> InquiryMessage:
    body = _clean_body(body)
    message = InquiryMessage(
        inquiry=inquiry, author_kind="manufacturer", author_id=actor.id, body=body
    )
    db.session.add(message)
    _respond(inquiry, "answered")
    _tell_officer(
        inquiry,
        None,
        f"Reply to your inquiry {inquiry.reference}",
        "inquiry_reply",
        message=message,
    )
    return message


def quote(actor: User, inquiry: Inquiry, values: dict) -> Quotation:
    if values["valid_until"] <= date.today():
        raise ServiceError("valid_until", "A quotation must be valid until a future date.")
    if values["unit_price"] <= 0:
        raise ServiceError("unit_price", "The unit price must be above zero.")
    quotation = Quotation(inquiry=inquiry, created_by_id=actor.id, **values)
    db.session.add(quotation)
    db.session.flush()
    db.session.add(
        InquiryMessage(
            inquiry=inquiry,
            author_kind="manufacturer",
            author_id=actor.id,
            body=values.get("note") or "Quotation sent.",
            quotation_id=quotation.id,
        )
    )
    _respond(inquiry, "quoted")
    _tell_officer(
        inquiry, None, f"Quotation for your inquiry {inquiry.reference}", "inquiry_quotation",
        quotation=quotation,
    )  # fmt: skip
    return quotation


def close(actor_kind: str, inquiry: Inquiry, reason: str) -> None:
    if reason not in CLOSED_REASONS:
        raise ServiceError("reason", "Choose why the inquiry is closed.")
    if inquiry.status == "closed":
        raise ServiceError(None, "The inquiry is closed already.")
    inquiry.status = "closed"
    inquiry.closed_reason = reason
    inquiry.closed_at = utcnow()
    db.session.add(
        InquiryMessage(
            inquiry=inquiry, author_kind=actor_kind, body=f"Closed: {CLOSED_REASONS[reason]}."
        )
    )


# --- The officer's side ------------------------------------------------------------------------


def reply_as_officer(inquiry: Inquiry, body: str, revised_quotation: bool, author: User | None):
    if inquiry.status == "closed":
        raise ServiceError(None, "This inquiry is closed.")
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
    maker = db.session.get(Manufacturer, inquiry.manufacturer_id)
    subject = (
        f"Revised quotation requested: {inquiry.reference}"
        if revised_quotation
        else f"Buyer's reply on {inquiry.reference}"
    )
    for address in _maker_recipients(maker):
        queue_email(
            address, subject, "inquiry_officer_reply", inquiry=inquiry, message=message,
            link=external_url("portal.inquiry_detail", inquiry_id=inquiry.id),
        )  # fmt: skip
    return message


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("body", "Write a message.")
    if len(body) > MAX_MESSAGE:
        raise ServiceError("body", f"The message is too long (at most {MAX_MESSAGE} characters).")
    return body


# --- Oversight ---------------------------------------------------------------------------------


def add_business_days(start: datetime, days: int) -> datetime:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


@dataclass
class ResponseStats:
    inquiries: int
    answered: int
    median_hours: float | None
    share_within_two_days: float | None


def response_stats(inquiries) -> ResponseStats:
    """From inquiries, or rows of their created_at and first_response_at."""
    answered = [i for i in inquiries if i.first_response_at is not None]
    hours = [
        (aware(i.first_response_at) - aware(i.created_at)).total_seconds() / 3600 for i in answered
    ]
    on_time = [
        i
        for i in answered
        if aware(i.first_response_at)
        <= add_business_days(aware(i.created_at), ANSWER_WITHIN_BUSINESS_DAYS)
    ]
    return ResponseStats(
        inquiries=len(inquiries),
        answered=len(answered),
        median_hours=statistics.median(hours) if hours else None,
        share_within_two_days=len(on_time) / len(inquiries) if inquiries else None,
    )


def _response_times(*where):
    """created_at and first_response_at of inquiries: only the two columns the figures need."""
    return db.session.execute(
        sa.select(Inquiry.manufacturer_id, Inquiry.created_at, Inquiry.first_response_at).where(
            *where
        )
    ).all()


def stats_by_manufacturer() -> list[tuple[Manufacturer, ResponseStats]]:
    grouped: dict[int, list] = {}
    for row in _response_times():
        grouped.setdefault(row.manufacturer_id, []).append(row)
    makers = {
        m.id: m
        for m in db.session.scalars(sa.select(Manufacturer).where(Manufacturer.id.in_(grouped)))
    }
    rows = [(makers[mid], response_stats(items)) for mid, items in grouped.items()]
    return sorted(rows, key=lambda row: row[0].name)


def typical_reply_time(maker: Manufacturer) -> str | None:
    """'typically replies within …' for the public page; None until there is enough data."""
    inquiries = _response_times(Inquiry.manufacturer_id == maker.id)
    if len(inquiries) < MIN_INQUIRIES_FOR_REPLY_TIME:
        return None
    stats = response_stats(inquiries)
    if stats.median_hours is None:
        return None
    hours = stats.median_hours
    if hours < 1:
        return "an hour"
    if hours < 24:
        return f"{round(hours)} hour{'s' if round(hours) != 1 else ''}"
    days = round(hours / 24)
    return f"{days} day{'s' if days != 1 else ''}"


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

"""A buyer's personal data in their inquiries, found by e-mail address and removed on request.

An anonymised inquiry keeps what the maker and CAC staff need for their records — its reference,
lines, quotations, the maker's replies, its timeline — and loses who asked: the contact's name,
organisation, job title, e-mail address and phone, the buyer's own messages, and its tracking
link. The marker "removed on request" stands in their place.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from catalogue.audit.services import record_change
from catalogue.extensions import db
from catalogue.inquiries.links import hash_token
from catalogue.inquiries.models import Inquiry
from catalogue.mail.models import REMOVED_ON_REQUEST
from catalogue.mail.services import redact

# The inquiry's fields that say who asked. City and country stay: they say where the goods go.
PERSONAL_FIELDS = ("contact_name", "organisation", "job_title", "email", "phone")


def inquiries_of(email: str, officer_ids: list[int] | None = None) -> list[Inquiry]:
    """The inquiries filed with this address (in any case), or by these accounts."""
    address = email.strip().lower()
    if not address:
        return []
    condition = sa.func.lower(Inquiry.email) == address
    if officer_ids:
        condition = sa.or_(condition, Inquiry.officer_id.in_(officer_ids))
    return list(db.session.scalars(sa.select(Inquiry).where(condition).order_by(Inquiry.id)))


def personal_values(inquiry: Inquiry) -> list[str]:
    """What the inquiry holds about its contact, to be looked for in mail and notes as well."""
    return [value for field in PERSONAL_FIELDS if (value := getattr(inquiry, field))]


def anonymise_inquiry(actor, inquiry: Inquiry) -> None:
    """Remove the contact's personal data from one inquiry; recorded in its audit history
    without the removed values."""
    if inquiry.email == REMOVED_ON_REQUEST:
        return  # done before
    parts = personal_values(inquiry)
    inquiry.contact_name = inquiry.organisation = inquiry.email = REMOVED_ON_REQUEST
    inquiry.job_title = inquiry.phone = None
    if inquiry.message:
        inquiry.message = REMOVED_ON_REQUEST  # the buyer's own words may sign their name
    for message in inquiry.messages:
        if message.author_kind == "officer":
            message.body = REMOVED_ON_REQUEST
        else:
            message.body = redact(message.body, parts)
    for line in inquiry.lines:
        if line.note:
            line.note = REMOVED_ON_REQUEST  # the buyer's own words too
    for quotation in inquiry.quotations:
        if quotation.decision_reason:
            quotation.decision_reason = REMOVED_ON_REQUEST  # the buyer's reason for declining
    for event in inquiry.events:
        event.summary = redact(event.summary, parts)  # staff notes of a call may name them
        event.redact_values(lambda text: redact(text, parts))
    # The tracking link stops working: no nonce to derive it from, and a hash nothing matches.
    inquiry.tracking_nonce = None
    inquiry.tracking_token_hash = hash_token(secrets.token_hex(32))
    inquiry.form_token_hash = None
    record_change(actor, inquiry, "personal data", None, "Removed on request")

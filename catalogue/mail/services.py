"""Queueing mail: every feature sends e-mail through queue_email, inside its own transaction.

Each message is written in its recipient's language when it is queued (subject and body, with
the dates and amounts in that locale), and stored as written: the delivery job only sends it.
"""

import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale

from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE, current_language, known_language
from catalogue.mail.headers import header_text
from catalogue.mail.models import (
    CANCELLED_NOTE,
    REMOVED_ON_REQUEST,
    MailSuppression,
    OutboundEmail,
)

# The language of mail to an account that has not chosen one: makers and staff are Korean.
ROLE_LANGUAGES = {"manufacturer": "ko", "staff": "ko"}


def account_language(address: str) -> str | None:
    """The language of mail to the account with this address: the one its user chose, else
    Korean for makers and staff; None if no account has the address or an officer chose none
    (then the request's language decides, see `mail_language`)."""
    from catalogue.accounts.models import User  # upward on purpose: mail is below accounts

    user = db.session.scalar(
        sa.select(User)
        .where(sa.func.lower(User.email) == address.strip().lower())
        .order_by(User.id)
        .limit(1)
    )
    if user is None:
        return None
    return known_language(user.language) or ROLE_LANGUAGES.get(user.role)


def mail_language(address: str, language: str | None = None) -> str:
    """The language a message to `address` is written in: `language` if the caller knows it,
    else the recipient's account's (see `account_language`), else the language of the request
    being served (the person who just acted is the recipient), else English."""
    return (
        known_language(language)
        or account_language(address)
        or (current_language() if has_request_context() else None)
        or DEFAULT_LANGUAGE
    )


def queue_email(
    to: str,
    subject,
    template: str,
    *,
    secrets: Iterable[str | None] = (),
    language: str | None = None,
    **context,
) -> OutboundEmail:
    """Add a message to the outbox; it is sent once the caller's transaction commits.

    The message is written in the recipient's language (see `mail_language`; `language` is the
    caller's word for it): give the subject as a lazy string (`lazy_gettext`), so that it is
    translated into that language too. `secrets` are the parts of the body that must not outlive
    delivery; links to any page that takes a token are secret whether or not the caller lists
    them. Once the message is sent, the stored body keeps a placeholder in their place.
    """
    with force_locale(mail_language(to, language)):
        return _queue_email(to, str(subject), template, secrets=secrets, **context)


def _queue_email(
    to: str, subject: str, template: str, *, secrets: Iterable[str | None], **context
) -> OutboundEmail:
    subject = header_text(subject)
    if to == REMOVED_ON_REQUEST or is_suppressed(to):
        # Kept as a cancelled row, so the caller and staff see that it was not sent; nothing of
        # the message or the address is stored.
        message = OutboundEmail(
            to_address=REMOVED_ON_REQUEST,
            subject=subject,
            body_text="",
            kind=template,
            status="cancelled",
            last_error=CANCELLED_NOTE,
        )
        db.session.add(message)
        return message
    body = render_template(f"email/{template}.txt", subject=subject, **context)
    marked = {s for s in secrets if s}
    for part in marked:
        if part not in body:  # a template that changed how it prints the link
            raise ValueError(f"The {template} e-mail does not show a part marked secret.")
    parts = sorted(marked | set(_token_links().findall(body)), key=len, reverse=True)
    message = OutboundEmail(
        to_address=to,
        subject=subject,
        body_text=body,
        secrets=parts or None,
        kind=template,
        status="pending",
    )
    db.session.add(message)
    return message


def _token_links() -> re.Pattern[str]:
    """A link to any route with a `token` argument (reset, invitation, confirmation, tracking,
    maker links...), up to the end of the link; built once per app from its URL map."""
    pattern = current_app.extensions.get("mail_token_links")
    if pattern is None:
        paths = set()
        for rule in current_app.url_map.iter_rules():
            if "token" in rule.arguments:
                path = rule.rule[: rule.rule.index("token>") + len("token>")]
                # Static parts as they are, each <argument> as one path segment.
                pieces = re.split(r"<[^>]+>", path)
                paths.add(r"[^\s/]+".join(re.escape(piece) for piece in pieces))
        alternatives = "|".join(sorted(paths)) or r"(?!)"
        pattern = re.compile(rf"\S*(?:{alternatives})\S*")
        current_app.extensions["mail_token_links"] = pattern
    return pattern


def is_suppressed(address: str) -> bool:
    return (
        db.session.scalar(
            sa.select(MailSuppression.id).where(
                MailSuppression.address_hash == MailSuppression.address_hash_of(address)
            )
        )
        is not None
    )


def suppress_address(address: str) -> MailSuppression:
    """Send nothing more to this address (kept as a hash); the same row if it is suppressed."""
    address_hash = MailSuppression.address_hash_of(address)
    row = db.session.scalar(
        sa.select(MailSuppression).where(MailSuppression.address_hash == address_hash)
    )
    if row is None:
        row = MailSuppression(address_hash=address_hash)
        db.session.add(row)
        db.session.flush()
    return row


def lift_suppression(address: str) -> None:
    """Mail this address again: its owner gave it anew (a new inquiry), after a removal."""
    address_hash = MailSuppression.address_hash_of(address)
    db.session.execute(
        sa.delete(MailSuppression).where(MailSuppression.address_hash == address_hash)
    )


def messages_about(address: str, related: Iterable[str] = ()) -> list[OutboundEmail]:
    """The outbox rows sent to this address, or that name it or one of the `related` terms
    (say, the references of the inquiries it filed) in their subject or body."""
    terms = [address, *related]
    stmt = sa.select(OutboundEmail).where(
        sa.or_(
            sa.func.lower(OutboundEmail.to_address) == address.strip().lower(),
            *[OutboundEmail.body_text.contains(term) for term in terms if term],
            *[OutboundEmail.subject.contains(term) for term in terms if term],
        )
    )
    return list(db.session.scalars(stmt.order_by(OutboundEmail.id)))


# Values shorter than this are not looked for in other people's text: an organisation called
# "WHO" must not turn a maker's "WHO EUL listed" into nonsense.
SHORTEST_REDACTED = 4


def redact(text: str, values: Iterable[str]) -> str:
    """`text` with each whole-word, any-case occurrence of the values (their name, phone...)
    replaced by the marker "removed on request"; values too short to be told from words stay."""
    for value in sorted({v.strip() for v in values if v and v.strip()}, key=len, reverse=True):
        if len(value) >= SHORTEST_REDACTED:
            pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
            text = pattern.sub(REMOVED_ON_REQUEST, text)
    return text


def forget_address(address: str, values: Iterable[str | None], related: Iterable[str] = ()):
    """Remove a person's data from the outbox: messages to the address not sent yet are
    cancelled, and every message to it or about it (see `messages_about`) keeps the marker
    "removed on request" in place of the address and of each of `values` (their name, phone...).
    Returns the rows changed."""
    parts = [v for v in (address, *values) if v]
    changed = []
    for message in messages_about(address, related):
        before = (message.to_address, message.subject, message.body_text, message.status)
        if message.to_address.strip().lower() == address.strip().lower():
            message.to_address = REMOVED_ON_REQUEST
            if message.status != "sent":
                message.status, message.last_error = "cancelled", CANCELLED_NOTE
        message.subject = redact(message.subject, parts)
        message.body_text = redact(message.body_text, parts)
        message.secrets = [s for s in message.secrets or () if s in message.body_text] or None
        if (message.to_address, message.subject, message.body_text, message.status) != before:
            changed.append(message)
    return changed

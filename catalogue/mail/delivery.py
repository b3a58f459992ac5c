"""Delivering the outbox: over SMTP when MAIL_SERVER is set, else as .eml files in MAIL_OUTBOX_DIR.

Each message is claimed with a compare-and-set update, so several processes (gunicorn workers,
app machines, `flask mail deliver`) can deliver side by side without sending one message twice.
Every claim counts as an attempt, and any failure of one message (it cannot be built, the
server refuses it, the process died while sending it) is that message's alone: it is retried
with exponential back-off, after MAIL_MAX_ATTEMPTS marked failed and shown to staff, who can
queue it again, and the pass goes on with the others.

Once sent, a message's secret parts (links that carry a token) are replaced by a placeholder in
the stored body. Without MAIL_SERVER the .eml files are the delivered mail: they are written
readable by their owner only (0600, in a 0700 folder) and deleted after
MAIL_OUTBOX_RETENTION_DAYS (mail/tasks.py, or `flask mail prune`).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import stat
import time
from datetime import timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from flask import current_app

from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.mail.headers import MAX_ADDRESS, header_text
from catalogue.mail.models import CANCELLED_NOTE, REMOVED_ON_REQUEST, OutboundEmail
from catalogue.mail.services import is_suppressed

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
CLAIM_TIMEOUT = timedelta(minutes=10)  # a process that died mid-send releases its claim


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def build_message(email: OutboundEmail) -> EmailMessage:
    """The message as sent. Every header value is made one safe line here, whatever the row
    holds (rows queued before subjects were cleaned, addresses with odd display names)."""
    message = EmailMessage()
    message["From"] = _address(current_app.config["MAIL_DEFAULT_SENDER"])
    message["To"] = _address(email.to_address)
    message["Subject"] = header_text(email.subject)
    message["Date"] = format_datetime(email.created_at or utcnow())
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    message.set_content(email.body_text)
    return message


def _address(value: str) -> Address:
    """Exactly one address, "Name <addr>" or a bare one. Built as an Address, its display name is
    quoted as needed whatever it holds; a value that is not one address fails this message (never
    the pass)."""
    text = header_text(value, MAX_ADDRESS)
    name, addr_spec = "", text
    if text.endswith(">") and "<" in text:
        cut = text.rindex("<")
        name, addr_spec = text[:cut].strip().strip('"'), text[cut + 1 : -1]
    try:
        return Address(display_name=name, addr_spec=addr_spec.strip())
    except (ValueError, IndexError, MessageError):  # the ways the email package's parser fails
        raise ValueError("Not a valid e-mail address.") from None


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=20, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=20)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _outbox() -> Path:
    """The outbox folder, private to the user the app runs as."""
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    _private(outbox, 0o700)  # a folder made before it was private
    return outbox


def _private(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:
        path.chmod(mode)


def _write_eml(message: EmailMessage, email: OutboundEmail) -> None:
    path = _outbox() / f"{email.id:08d}-{email.kind}.eml"
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # a leftover .tmp keeps its mode through O_CREAT
        file.write(bytes(message))
    temporary.replace(path)


def prune_outbox() -> int:
    """Delete the .eml files older than MAIL_OUTBOX_RETENTION_DAYS; returns how many.

    Files made before the outbox was private are made readable by their owner only."""
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not outbox.is_dir():
        return 0
    _private(outbox, 0o700)
    days = current_app.config["MAIL_OUTBOX_RETENTION_DAYS"]
    cutoff = time.time() - days * 86400
    deleted = 0
    for path in outbox.iterdir():
        if not path.is_file() or path.suffix not in (".eml", ".tmp"):
            continue
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
        else:
            _private(path, 0o600)
    if deleted:
        logger.info("Deleted %d outbox files older than %d days", deleted, days)
    return deleted


def delete_copies(emails: list[OutboundEmail]) -> int:
    """Delete this machine's .eml copies of these messages (their owner asked to be forgotten);
    returns how many. Other machines' copies go with MAIL_OUTBOX_RETENTION_DAYS."""
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    deleted = 0
    for email in emails:
        for suffix in (".eml", ".tmp"):
            path = outbox / f"{email.id:08d}-{email.kind}{suffix}"
            if path.is_file():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def send(email: OutboundEmail) -> None:
    message = build_message(email)
    if current_app.config.get("MAIL_SERVER"):
        _send_smtp(message)
    else:
        _write_eml(message, email)


def _claim(email_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            sa.or_(
                OutboundEmail.status == "pending",
                sa.and_(
                    OutboundEmail.status == "sending",
                    OutboundEmail.claimed_at < now - CLAIM_TIMEOUT,
                ),
            ),
        )
        .values(status="sending", claimed_at=now, attempts=OutboundEmail.attempts + 1)
    )
    db.session.commit()
    return cast(sa.CursorResult, result).rowcount == 1


def deliver_pending(limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send what is due; returns how many were sent, retried later or failed for good."""
    now = utcnow()
    due = db.session.scalars(
        sa.select(OutboundEmail.id)
        .where(
            sa.or_(
                sa.and_(OutboundEmail.status == "pending", OutboundEmail.next_attempt_at <= now),
                sa.and_(
                    OutboundEmail.status == "sending",
                    OutboundEmail.claimed_at < now - CLAIM_TIMEOUT,
                ),
            )
        )
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for email_id in due:
        if not _claim(email_id):
            continue  # another process took it
        email = db.session.get(OutboundEmail, email_id)
        assert email is not None  # claimed just now
        outcome = _attempt(email)
        counts[outcome] = counts.get(outcome, 0) + 1  # "cancelled" only when there were any
        db.session.commit()
    return counts


def _attempt(email: OutboundEmail) -> str:
    """Send one claimed message; returns "sent", "retry", "failed" or "cancelled". Never
    raises: whatever goes wrong with one message is recorded on it, and the others are still
    delivered."""
    if email.to_address == REMOVED_ON_REQUEST or is_suppressed(email.to_address):
        # Queued before its address asked to be forgotten.
        email.status, email.last_error = "cancelled", CANCELLED_NOTE
        return "cancelled"
    if email.attempts > current_app.config["MAIL_MAX_ATTEMPTS"]:
        # Its earlier claims were never released: the sending process died each time.
        return _failed_attempt(email, "Delivery stopped during each attempt (the process ended).")
    try:
        send(email)
    except Exception as error:  # one message's failure must not stop the pass
        expected = isinstance(error, (OSError, smtplib.SMTPException))
        # SMTP errors may quote the address: log their kind (last_error has the rest).
        logger.warning(
            "Mail %s not sent: %s", email.id, type(error).__name__, exc_info=not expected
        )
        return _failed_attempt(email, f"{type(error).__name__}: {error}")
    email.status = "sent"
    email.sent_at = utcnow()
    email.last_error = None
    email.redact()
    return "sent"


def _failed_attempt(email: OutboundEmail, error: str) -> str:
    email.last_error = header_text(error, 500)  # shown to staff; no NUL for PostgreSQL
    if email.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        email.status = "failed"
        logger.error("Mail %s failed for good after %d attempts", email.id, email.attempts)
        return "failed"
    email.status = "pending"
    email.next_attempt_at = utcnow() + backoff(email.attempts)
    return "retry"


def requeue(email: OutboundEmail) -> None:
    """Staff asked to try a failed message again."""
    email.status = "pending"
    email.attempts = 0
    email.next_attempt_at = utcnow()

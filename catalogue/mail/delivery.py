"""Delivering the outbox: over SMTP when MAIL_SERVER is set, else as .eml files in MAIL_OUTBOX_DIR.

Each message is claimed with a compare-and-set update, so several processes (gunicorn workers,
app machines, `flask mail deliver`) can deliver side by side without sending one message twice.
A failed attempt is retried with exponential back-off; after MAIL_MAX_ATTEMPTS it is marked
failed and shown to staff, who can queue it again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app

from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.periodic import start_periodic_thread
from catalogue.mail.models import OutboundEmail

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
CLAIM_TIMEOUT = timedelta(minutes=10)  # a process that died mid-send releases its claim
POLL_SECONDS = 2


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def build_message(email: OutboundEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at or utcnow())
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    message.set_content(email.body_text)
    return message


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


def _write_eml(message: EmailMessage, email: OutboundEmail) -> None:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{email.id:08d}-{email.kind}.eml"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(bytes(message))
    temporary.replace(path)


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
        .values(status="sending", claimed_at=now)
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
        try:
            send(email)
        except (OSError, smtplib.SMTPException) as error:
            email.attempts += 1
            email.last_error = f"{error.__class__.__name__}: {error}"[:500]
            if email.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                email.status = "failed"
                counts["failed"] += 1
                # SMTP errors may quote the address: log their kind (last_error has the rest).
                logger.error("Mail %s failed for good: %s", email.id, type(error).__name__)
            else:
                email.status = "pending"
                email.next_attempt_at = utcnow() + backoff(email.attempts)
                counts["retry"] += 1
                logger.warning("Mail %s will be retried: %s", email.id, type(error).__name__)
        else:
            email.attempts += 1
            email.status = "sent"
            email.sent_at = utcnow()
            email.last_error = None
            counts["sent"] += 1
        db.session.commit()
    return counts


def requeue(email: OutboundEmail) -> None:
    """Staff asked to try a failed message again."""
    email.status = "pending"
    email.attempts = 0
    email.next_attempt_at = utcnow()


def start_delivery_thread(app: Flask) -> threading.Thread:
    """A daemon thread per app process that delivers the outbox every few seconds."""
    return start_periodic_thread(app, "mail-delivery", deliver_pending, POLL_SECONDS)

"""The outbox of e-mail messages."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import Model
from catalogue.lib.dates import utcnow

# "cancelled": never to be sent, because its address asked to be forgotten (MailSuppression).
MAIL_STATES = ("pending", "sending", "sent", "failed", "cancelled")
REDACTED = "[link removed after delivery]"
# What stands in place of personal data removed at its owner's request (anywhere in the site).
REMOVED_ON_REQUEST = "removed on request"
CANCELLED_NOTE = "Not sent: the address asked for its personal data to be removed."


class OutboundEmail(Model):
    __tablename__ = "outbound_emails"
    __table_args__ = (sa.Index("ix_outbound_emails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    # The parts of body_text that carry a token (reset, invitation, tracking links): kept only
    # until the message is sent, then replaced in body_text by REDACTED.
    secrets: Mapped[list[str] | None] = mapped_column(sa.JSON)
    kind: Mapped[str] = mapped_column(sa.String(40))  # the template name, for staff filtering
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    def redact(self) -> None:
        """Forget the secret parts: the stored body keeps a placeholder in their place."""
        for part in self.secrets or ():
            self.body_text = self.body_text.replace(part, REDACTED)
        self.secrets = None


class MailSuppression(Model):
    """An address that asked for its personal data to be removed: nothing more is sent to it.

    Only the address's SHA-256 is kept (see `address_hash`), so the list itself does not keep
    the address it was asked to forget, yet each new message can still be checked against it."""

    __tablename__ = "mail_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    @staticmethod
    def address_hash_of(address: str) -> str:
        return hashlib.sha256(address.strip().lower().encode()).hexdigest()

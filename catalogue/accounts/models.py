"""Users and their roles."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from catalogue.extensions import Model
from catalogue.lib.dates import utcnow
from catalogue.lib.timestamps import TimestampMixin

ROLES = ("officer", "manufacturer", "staff")


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('officer', 'manufacturer', 'staff')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    name: Mapped[str | None] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20), default="officer")
    manufacturer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("manufacturers.id"), index=True
    )
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    active: Mapped[bool] = mapped_column(default=True)
    # The interface language chosen (catalogue.i18n.LANGUAGES); also the language of their mail.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Set when the owner opened the confirmation link: only then are earlier inquiries filed
    # with this address attached to the account.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Part of every session's and remember-me cookie's id: raising it at sign-out and at a
    # password reset ends all of the user's sessions, on every device.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    manufacturer = relationship("Manufacturer", foreign_keys=[manufacturer_id])

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    @staticmethod
    def hash_password(password: str) -> str:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        return generate_password_hash(password, method=method)

    def set_password(self, password: str) -> None:
        self.password_hash = self.hash_password(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        return check_password_hash(self.password_hash, password)

    def get_session_id(self) -> str:
        """A new id for one sign-in, which Flask-Login keeps in the signed session and remember-me
        cookies: "<user id>:<session generation>:<signed in at, Unix seconds>:<random>". The
        random part makes every sign-in's cookies its own; see `parse_session_id`."""
        signed_in = int(utcnow().timestamp())
        return f"{self.id}:{self.session_generation}:{signed_in}:{secrets.token_urlsafe(9)}"

    @staticmethod
    def parse_session_id(session_id: str) -> tuple[int, int, int] | None:
        """(user id, session generation, signed in at) of a `get_session_id` value, or None."""
        parts = session_id.split(":")
        if len(parts) != 4 or not all(part.isdecimal() for part in parts[:3]):
            return None
        return int(parts[0]), int(parts[1]), int(parts[2])

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"  # no address: reprs reach logs


TOKEN_PURPOSES = ("password_reset", "invitation", "email_confirmation", "registration")


class AccountToken(Model):
    """A single-use, expiring link token (password reset, manufacturer invitation, e-mail
    confirmation, registration).

    Only the token's SHA-256 is stored: a leaked database does not leak working links.
    """

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    manufacturer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("manufacturers.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # A registration's details (password as its hash) until its link creates the account.
    payload: Mapped[dict | None] = mapped_column(sa.JSON)

    user = relationship("User", foreign_keys=[user_id])
    manufacturer = relationship("Manufacturer")
    created_by = relationship("User", foreign_keys=[created_by_id])

"""Private links: the buyer's tracking link and the maker's link to answer without an account.

A link token is derived from a random nonce with the secret key, and only its hash is stored:
the database alone opens nothing, and later e-mails can still carry the link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.lib.dates import aware, utcnow
from catalogue.lib.urls import external_url


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derive_token(purpose: str, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()  # 192 bits


def tracking_token(inquiry: Inquiry) -> str | None:
    return derive_token("track", inquiry.tracking_nonce) if inquiry.tracking_nonce else None


def officer_link(inquiry: Inquiry) -> str | None:
    """The link every e-mail to the buyer carries: the account page for account holders,
    else the private tracking page."""
    if inquiry.officer_id is not None:
        return external_url("accounts.inquiry_detail", inquiry_id=inquiry.id)
    token = tracking_token(inquiry)
    return external_url("inquiries.track", token=token) if token else None


def maker_link(inquiry: Inquiry) -> str:
    """The maker's private link to read, reply and quote without an account.

    Issued on first use and valid for MAKER_LINK_DAYS after the latest e-mail that carries it."""
    if not inquiry.maker_token_nonce:
        inquiry.maker_token_nonce = secrets.token_hex(16)
        inquiry.maker_token_hash = hash_token(derive_token("maker", inquiry.maker_token_nonce))
    days = current_app.config["MAKER_LINK_DAYS"]
    inquiry.maker_token_expires_at = utcnow() + timedelta(days=days)
    return external_url(
        "inquiries.maker_view", token=derive_token("maker", inquiry.maker_token_nonce)
    )


def revoke_maker_link(inquiry: Inquiry) -> None:
    inquiry.maker_token_nonce = inquiry.maker_token_hash = inquiry.maker_token_expires_at = None


def inquiry_by_token(token: str) -> Inquiry | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Inquiry).where(Inquiry.tracking_token_hash == hash_token(token))
    )


def inquiry_by_maker_token(token: str) -> Inquiry | None:
    """The inquiry a maker's link opens, while the link is live."""
    if not token or len(token) > 100:
        return None
    inquiry = db.session.scalar(
        sa.select(Inquiry).where(Inquiry.maker_token_hash == hash_token(token))
    )
    if inquiry is None or inquiry.maker_token_expires_at is None:
        return None
    if aware(inquiry.maker_token_expires_at) <= utcnow():
        return None
    return inquiry

"""Account operations: sign-in, registration, password reset, invitations, staff accounts."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalogue.accounts.models import AccountToken, User
from catalogue.audit.services import apply_changes
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.urls import external_url
from catalogue.mail.services import ROLE_LANGUAGES, lift_suppression, queue_email

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12

__all__ = [
    "ServiceError",
    "accept_invitation",
    "authenticate",
    "check_password_policy",
    "complete_registration",
    "confirm_email",
    "create_staff_user",
    "end_sessions",
    "find_user_by_email",
    "invite_manufacturer_user",
    "register_officer",
    "request_password_reset",
    "reset_password",
    "send_email_confirmation",
    "set_user_active",
    "staff_exists",
    "token_for",
    "user_for_session",
]


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            "password", _("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
        )
    if password.lower() in _common_passwords() or len(set(password)) < 4:
        raise ServiceError("password", _("That password is too common or too easy to guess."))


def _normalised_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ServiceError(
            "email", _("That is not a valid e-mail address: %(reason)s", reason=error)
        ) from None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def staff_exists() -> bool:
    count = sa.select(sa.func.count(User.id)).where(User.role == "staff")
    return db.session.execute(count).scalar_one() > 0


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (the same for every failure)."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        # Check against a throwaway hash so an unknown e-mail takes as long as a wrong password.
        User().set_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


# --- Sessions ----------------------------------------------------------------------------------


def user_for_session(session_id: str) -> User | None:
    """The user a session or remember-me cookie signs in, while that sign-in lasts: the account is
    active, nothing ended its sessions since (sign-out, password reset) and it is at most
    REMEMBER_COOKIE_DURATION old. Ids of another form (a bare user id, as cookies carried before
    sessions could be ended) sign in nobody."""
    parsed = User.parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, generation, signed_in = parsed
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_generation != generation:
        return None
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"]
    if utcnow().timestamp() - signed_in > lifetime.total_seconds():
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of the user, on every device, with their remember-me cookies."""
    user.session_generation = user.session_generation + 1
    logger.info("Sessions of user %s ended", user.id)


# --- Accounts ----------------------------------------------------------------------------------


def _new_user(email: str, password: str, role: str, **fields) -> User:
    address = _normalised_email(email)
    check_password_policy(password)
    if find_user_by_email(address):
        raise ServiceError("email", _("An account with that e-mail address exists already."))
    user = User(email=address, role=role, active=True, **fields)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_staff_user(email: str, password: str) -> User:
    user = _new_user(email, password, "staff")
    logger.info("Staff account %s created", user.id)
    return user


REGISTRATION_FIELDS = ("name", "organisation", "job_title", "city", "country")


def register_officer(email: str, password: str, **fields) -> str:
    """A procurement officer's self-registration; returns the normalised address.

    Nothing here tells the visitor whether the address has an account: a new address is e-mailed
    a link that creates the account (so it exists only once the address is proven), an address in
    use is e-mailed a notice for its owner. Both hash the password, so both take as long.
    """
    address = _normalised_email(email)
    check_password_policy(password)
    password_hash = User.hash_password(password)
    existing = find_user_by_email(address)
    if existing is not None:
        queue_email(
            existing.email,
            _l("Someone tried to register with your address"),
            "registration_attempt",
            user=existing,
            sign_in_link=external_url("accounts.login"),
            reset_link=external_url("accounts.password_reset_request"),
        )
        logger.info("Registration attempted with the address of user %s", existing.id)
        return address
    details = {key: fields.get(key) for key in REGISTRATION_FIELDS}
    # Registering gives the address anew, even after its data was removed on request.
    lift_suppression(address)
    days = current_app.config["EMAIL_CONFIRMATION_DAYS"]
    token = _issue_token(
        "registration",
        timedelta(days=days),
        email=address,
        payload={**details, "password_hash": password_hash},
    )
    queue_email(
        address,
        _l("Confirm your e-mail address to finish registering"),
        "registration_confirmation",
        name=details["name"],
        email=address,
        link=external_url("accounts.register_confirm", token=token),
        days=days,
    )
    return address


def complete_registration(token: str) -> tuple[User, int]:
    """Use a registration link: the officer's account is made with the confirmed address, and the
    inquiries filed earlier with it join the account. Returns the user and how many joined."""
    from catalogue.inquiries.buyer import attach_to_account

    record = token_for("registration", token)
    if record is None or record.email is None or not record.payload:
        raise ServiceError(
            None,
            _(
                "This link is invalid, has expired or has been used already. Register again, "
                "or sign in if your account is ready."
            ),
        )
    if find_user_by_email(record.email) is not None:
        raise ServiceError(None, _("An account with this address exists already: please sign in."))
    _use(record)
    details = record.payload
    # The password hash stays only on the user, not on this address's other registration links
    # (which still say the account exists, when used).
    others = db.session.scalars(
        sa.select(AccountToken).where(
            AccountToken.purpose == "registration",
            AccountToken.email == record.email,
            AccountToken.id != record.id,
        )
    )
    for other in others:
        other.payload = {k: v for k, v in (other.payload or {}).items() if k != "password_hash"}
    record.payload = None
    user = User(
        email=record.email,
        role="officer",
        active=True,
        password_hash=details["password_hash"],
        email_confirmed_at=utcnow(),  # the link reached the address
        **{key: details.get(key) for key in REGISTRATION_FIELDS},
    )
    db.session.add(user)
    db.session.flush()
    attached = attach_to_account(user)
    logger.info("Officer %s registered; %d inquiries attached", user.id, attached)
    return user, attached


# --- Single-use link tokens ------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_token(purpose: str, lifetime: timedelta, **fields) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            purpose=purpose, token_hash=_hash(token), expires_at=utcnow() + lifetime, **fields
        )
    )
    return token


def token_for(purpose: str, token: str) -> AccountToken | None:
    """The unused, unexpired token of that purpose, or None."""
    if not token or len(token) > 100:
        return None
    record = db.session.scalar(
        sa.select(AccountToken).where(
            AccountToken.token_hash == _hash(token), AccountToken.purpose == purpose
        )
    )
    if record is None or record.used_at is not None:
        return None
    expires = record.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    return record if expires > utcnow() else None


def _use(record: AccountToken) -> None:
    """Mark used with a compare-and-set, so two simultaneous uses cannot both succeed."""
    result = db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.id == record.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if cast(sa.CursorResult, result).rowcount != 1:
        raise ServiceError(None, _("This link has been used already."))


def request_password_reset(email: str) -> None:
    """E-mail a reset link if an active account has that address; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = _issue_token("password_reset", timedelta(hours=hours), user_id=user.id)
    link = external_url("accounts.password_reset", token=token)
    queue_email(
        user.email,
        _l("Reset your password"),
        "password_reset",
        user=user,
        link=link,
        hours=hours,
        secrets=[link],
    )


def reset_password(token: str, password: str) -> User:
    record = token_for("password_reset", token)
    if record is None or record.user is None or not record.user.active:
        raise ServiceError(None, _("This reset link is invalid or has expired. Ask for a new one."))
    check_password_policy(password)
    _use(record)
    user = record.user
    user.set_password(password)
    # The new password ends every session and every other reset link of the account.
    end_sessions(user)
    db.session.execute(
        sa.delete(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == "password_reset",
            AccountToken.used_at.is_(None),
        )
    )
    return user


# --- E-mail confirmation -----------------------------------------------------------------------


def send_email_confirmation(user: User) -> str:
    """E-mail the officer a single-use link that confirms their address; returns the token.

    Earlier links stay valid until they expire: each of them confirms the same address.
    """
    if user.role != "officer":
        raise ServiceError(None, _("Only buyer accounts confirm their address by a link."))
    if user.email_confirmed_at is not None:
        raise ServiceError(None, _("Your address is confirmed already."))
    days = current_app.config["EMAIL_CONFIRMATION_DAYS"]
    # The address goes into the token too: a link confirms only the address it was sent to.
    token = _issue_token(
        "email_confirmation", timedelta(days=days), user_id=user.id, email=user.email
    )
    link = external_url("accounts.email_confirm", token=token)
    queue_email(
        user.email,
        _l("Confirm your e-mail address"),
        "email_confirmation",
        user=user,
        link=link,
        days=days,
        secrets=[link],
    )
    return token


def confirm_email(token: str) -> tuple[User, int]:
    """Use a confirmation link: the address is confirmed and the inquiries filed earlier with it
    join the account. Returns the user and how many inquiries were attached."""
    from catalogue.inquiries.buyer import attach_to_account

    record = token_for("email_confirmation", token)
    user = record.user if record is not None else None
    if record is None or user is None or not user.active or record.email != user.email:
        raise ServiceError(
            None,
            _(
                "This confirmation link is invalid, has expired or has been used already. "
                "Sign in to see whether your address is confirmed or to ask for a new link."
            ),
        )
    _use(record)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    attached = attach_to_account(user)
    logger.info("User %s confirmed their address; %d inquiries attached", user.id, attached)
    return user, attached


# --- Invitations -------------------------------------------------------------------------------


def invite_manufacturer_user(actor: User, manufacturer, email: str) -> str:
    """Staff invite someone to join as a user of one manufacturer; returns the token."""
    address = _normalised_email(email)
    if find_user_by_email(address):
        raise ServiceError("email", _("An account with that e-mail address exists already."))
    days = current_app.config["INVITATION_DAYS"]
    token = _issue_token(
        "invitation",
        timedelta(days=days),
        email=address,
        manufacturer_id=manufacturer.id,
        created_by_id=actor.id,
    )
    link = external_url("accounts.invitation_accept", token=token)
    queue_email(
        address,
        _l("Your invitation to manage %(name)s on the CAC portal", name=manufacturer.name),
        "invitation",
        # No account yet to have chosen a language: a maker's user reads Korean, whatever the
        # language of the staff member who invites them.
        language=ROLE_LANGUAGES["manufacturer"],
        manufacturer=manufacturer,
        link=link,
        days=days,
        secrets=[link],
    )
    logger.info("User %s invited a user for %s", actor.id, manufacturer.slug)
    return token


def accept_invitation(token: str, name: str, password: str) -> User:
    record = token_for("invitation", token)
    if record is None:
        raise ServiceError(
            None, _("This invitation is invalid or has expired. Ask staff for a new one.")
        )
    from catalogue.inquiries.desk import route_waiting_inquiries

    assert record.email is not None  # an invitation always carries the invited address
    user = _new_user(
        record.email, password, "manufacturer", name=name, manufacturer_id=record.manufacturer_id
    )
    _use(record)
    # The invitation reached this address, which proves it.
    user.email_confirmed_at = utcnow()
    # Inquiries that waited at the staff desk for this maker move into its portal inbox.
    route_waiting_inquiries(record.manufacturer)
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise ServiceError(None, _("You cannot deactivate your own account."))
    apply_changes(actor, user, {"active": active})
    if not active:
        end_sessions(user)  # reactivation does not bring the old sessions back

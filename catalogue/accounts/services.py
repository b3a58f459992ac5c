"""Account operations shared by the CLI and (later) the account pages."""

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from catalogue.accounts.models import User
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.dates import utcnow

MIN_PASSWORD_LENGTH = 12

__all__ = [
    "ServiceError",
    "authenticate",
    "create_staff_user",
    "find_user_by_email",
    "staff_exists",
]


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


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def staff_exists() -> bool:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == "staff")) > 0


def create_staff_user(email: str, password: str) -> User:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise ServiceError("email", f"That is not a valid e-mail address: {error}") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if find_user_by_email(email):
        raise ServiceError("email", "An account with that e-mail address exists already.")
    user = User(email=User.normalise_email(email), role="staff", active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user

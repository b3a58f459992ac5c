"""Access checks for views."""

from functools import wraps

from flask import abort
from flask_login import current_user

from catalogue.extensions import login_manager


def require_role(*roles: str) -> None:
    """Anonymous users are sent to log in; signed-in users without the role get 403."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if current_user.role not in roles:
        abort(403)


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require_role(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator

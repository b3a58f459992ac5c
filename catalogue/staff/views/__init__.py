"""The staff back office: one blueprint, its views split by subject into modules here."""

from flask import Blueprint

from catalogue.accounts.decorators import require_role

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def staff_only():
    # Every /staff/ route, present and future, is for signed-in staff only.
    require_role("staff")


# Subject modules register their routes on bp when imported.
from catalogue.staff.views import (  # noqa: E402, F401
    claims,
    content,
    dashboard,
    expiry,
    exports,
    inquiries,
    people,
    photos,
    privacy,
    rates,
    supplies,
    translations,
)

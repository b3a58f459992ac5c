"""The manufacturer portal: one blueprint, views split by subject into modules here."""

from flask import Blueprint, abort
from flask_login import current_user

from catalogue.accounts.decorators import require_role

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.before_request
def manufacturers_only():
    # Every /portal/ route is for signed-in users of one manufacturer.
    require_role("manufacturer")
    if current_user.manufacturer_id is None:
        abort(403)


from catalogue.portal.views import (  # noqa: E402, F401
    dashboard,
    inquiries,
    photos,
    products,
    profile,
    uploads,
)

"""The manufacturer portal: one blueprint, views split by subject into modules here."""

from flask import Blueprint, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalogue.accounts.decorators import require_role

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.before_request
def manufacturers_only():
    # Every /portal/ route is for signed-in users of one manufacturer.
    require_role("manufacturer")
    if current_user.manufacturer_id is None:
        abort(403)


# A product's status as the portal's pages name it (the stored value stays the key).
PRODUCT_STATUS_LABELS = {
    "draft": _l("draft"),
    "published": _l("published"),
    "archived": _l("archived"),
}


@bp.context_processor
def portal_labels():
    return {"product_status_labels": PRODUCT_STATUS_LABELS}


from catalogue.portal.views import (  # noqa: E402, F401
    dashboard,
    inquiries,
    photos,
    products,
    profile,
    translations,
    uploads,
)

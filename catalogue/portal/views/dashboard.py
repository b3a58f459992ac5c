from flask import render_template
from flask_login import current_user

from catalogue.inquiries.services import reply_due, waiting_for_maker
from catalogue.lib.dates import utcnow
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies.models import PRODUCT_STATES


@bp.get("/")
def dashboard():
    maker = services.own_manufacturer(current_user)
    products = services.own_products(current_user)
    by_status = {state: [p for p in products if p.status == state] for state in PRODUCT_STATES}
    return render_template(
        "portal/dashboard.html",
        maker=maker,
        by_status=by_status,
        missing_profile=services.missing_profile_facts(maker),
        missing_by_product={p: services.missing_product_facts(p) for p in products},
        waiting=[(i, reply_due(i)) for i in waiting_for_maker(maker.id)],
        now=utcnow(),
    )

"""The staff dashboard: what waits for staff, inquiries that reach nobody first."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from catalogue.inquiries import desk
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import Inquiry
from catalogue.lib.dates import aware, utcnow
from catalogue.staff import services
from catalogue.staff.views import bp


@dataclass
class WaitingInquiry:
    """One inquiry on the dashboard, with what the template shows but must not query."""

    inquiry: Inquiry
    route: str
    age: str


def age_text(since: datetime, now: datetime) -> str:
    """How long ago, in plain words: "40 minutes", "5 hours", "3 days"."""
    minutes = max(int((now - aware(since)).total_seconds() // 60), 0)
    if minutes < 1:
        return _("less than a minute")
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    days = hours // 24
    return ngettext("%(num)d day", "%(num)d days", days)


def _rows(found: list[Inquiry], now: datetime) -> list[WaitingInquiry]:
    return [WaitingInquiry(i, inquiries.route_text(i), age_text(i.created_at, now)) for i in found]


@bp.get("/")
def dashboard():
    now = utcnow()
    return render_template(
        "staff/dashboard.html",
        waiting=services.waiting_work(),
        needing_route=_rows(desk.needing_route(), now),
        escalated=_rows(desk.escalated(), now),
        escalation_days=current_app.config["INQUIRY_ESCALATION_BUSINESS_DAYS"],
    )

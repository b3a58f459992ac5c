"""The staff dashboard: what waits for staff."""

from flask import render_template

from catalogue.staff import services
from catalogue.staff.views import bp


@bp.get("/")
def dashboard():
    return render_template("staff/dashboard.html", waiting=services.waiting_work())

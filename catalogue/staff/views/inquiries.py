"""Staff oversight of inquiries: every inquiry, response times per manufacturer, CSV export."""

import csv
import io

import sqlalchemy as sa
from flask import Response, abort, render_template, request
from sqlalchemy.orm import selectinload

from catalogue.extensions import db
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import INQUIRY_STATES, Inquiry
from catalogue.lib.paging import page_arg
from catalogue.staff.views import bp
from catalogue.supplies.models import Manufacturer


def _filtered():
    stmt = sa.select(Inquiry).order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    status = request.args.get("status") or None
    if status is not None and status not in INQUIRY_STATES:
        abort(400, description="Unknown status filter.")
    if status:
        stmt = stmt.where(Inquiry.status == status)
    maker = request.args.get("manufacturer") or None
    if maker:
        stmt = stmt.join(Manufacturer, Inquiry.manufacturer_id == Manufacturer.id).where(
            Manufacturer.slug == maker
        )
    return stmt, status, maker


@bp.get("/inquiries/")
def inquiry_list():
    stmt, status, maker = _filtered()
    pagination = db.paginate(
        stmt.options(selectinload(Inquiry.manufacturer)), page=page_arg(), per_page=50,
        error_out=False,
    )  # fmt: skip
    return render_template(
        "staff/inquiry_list.html",
        pagination=pagination,
        status=status,
        maker=maker,
        states=INQUIRY_STATES,
        stats=inquiries.stats_by_manufacturer(),
        makers=db.session.scalars(sa.select(Manufacturer).order_by(Manufacturer.name)).all(),
    )


@bp.get("/inquiries/<int:inquiry_id>")
def inquiry_detail(inquiry_id):
    inquiry = db.session.get(Inquiry, inquiry_id)
    if inquiry is None:
        abort(404)
    return render_template("staff/inquiry_detail.html", inquiry=inquiry)


@bp.get("/inquiries.csv")
def inquiry_csv():
    stmt, _status, _maker = _filtered()
    rows = db.session.scalars(stmt.options(selectinload(Inquiry.manufacturer))).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["reference", "created_at", "manufacturer", "organisation", "country", "status",
         "first_response_at", "hours_to_first_response", "closed_reason"]
    )  # fmt: skip
    for i in rows:
        hours = None
        if i.first_response_at:
            delta = inquiries.aware(i.first_response_at) - inquiries.aware(i.created_at)
            hours = round(delta.total_seconds() / 3600, 1)
        writer.writerow(
            [i.reference, i.created_at.isoformat(), i.manufacturer.name, _csv_safe(i.organisation),
             i.country, i.status, i.first_response_at.isoformat() if i.first_response_at else "",
             "" if hours is None else hours, i.closed_reason or ""]
        )  # fmt: skip
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=inquiries.csv"},
    )


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; neutralise them."""
    return "'" + value if value and value[0] in "=+-@" else value

"""Staff oversight of inquiries: every inquiry, the staff desk's actions on one, response times
per manufacturer, CSV export."""

import io
from typing import cast

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries import buyer, desk, forms, metrics
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import STATE_LABELS, Inquiry
from catalogue.lib import spreadsheet
from catalogue.lib.dates import aware
from catalogue.lib.paging import page_arg
from catalogue.staff import services
from catalogue.staff.views import bp

# Each action on the inquiry page is its own form, told apart by its prefix.
FORWARD, BY_EMAIL, OFFLINE, CLOSE = "fw", "em", "off", "cl"


def _filters() -> tuple[str | None, str | None]:
    """The list's filters from the query string: a status and a manufacturer's slug."""
    status = request.args.get("status") or None
    if status is not None and status not in STATE_LABELS:
        abort(400, description=_("Unknown status filter."))
    return status, request.args.get("manufacturer") or None


@bp.get("/inquiries/")
def inquiry_list():
    status, maker = _filters()
    pagination = services.inquiry_page(status, maker, page_arg())
    return render_template(
        "staff/inquiry_list.html",
        pagination=pagination,
        status=status,
        maker=maker,
        states=STATE_LABELS,
        routes={i.id: inquiries.route_text(i) for i in pagination.items},
        unrouted={i.id for i in pagination.items if _needs_forwarding(i)},
        stats=metrics.stats_by_manufacturer(),
        makers=services.manufacturers_by_name(),
    )


def _inquiry(inquiry_id: int) -> Inquiry:
    return db.get_or_404(Inquiry, inquiry_id)


def _needs_forwarding(inquiry: Inquiry) -> bool:
    """Whether forwarding makes sense: no route yet, or the routing e-mail failed."""
    return inquiry.is_open and inquiries.reaches_nobody(inquiry)


def _detail(inquiry: Inquiry, status: int = 200, **submitted):
    """The staff page of one inquiry; `submitted` holds a form that failed, with its errors."""
    maker = inquiry.manufacturer
    action_forms = {
        "forward_form": forms.ForwardToContactForm(prefix=FORWARD, formdata=None),
        "email_form": forms.ForwardByEmailForm(prefix=BY_EMAIL, formdata=None),
        "offline_form": forms.OfflineContactForm(prefix=OFFLINE, formdata=None),
        "close_form": forms.CloseForm("staff", prefix=CLOSE, formdata=None),
    }
    action_forms.update(submitted)
    return render_template(
        "staff/inquiry_detail.html",
        inquiry=inquiry,
        route=inquiries.route_text(inquiry),
        timeline=buyer.timeline(inquiry, audience="staff"),
        reply_due=inquiries.reply_due(inquiry),
        needs_forwarding=_needs_forwarding(inquiry),
        invite_email=maker.contact_email or inquiry.route_address or "",
        **action_forms,
    ), status


def _copy_error(form, error: ServiceError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is None:
        form.form_errors.append(error.message)
    else:
        target.errors = [*target.errors, error.message]


def _act(inquiry: Inquiry, form, form_name: str, action, done: str):
    """Validate one action form, run its service call, then commit and go back to the page,
    or show the page again with the message beside the field (nothing saved)."""
    if form.validate():
        try:
            action()
        except ServiceError as error:
            db.session.rollback()
            _copy_error(form, error)
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("staff.inquiry_detail", inquiry_id=inquiry.id))
    return _detail(inquiry, 400, **{form_name: form})


@bp.get("/inquiries/<int:inquiry_id>")
def inquiry_detail(inquiry_id):
    return _detail(_inquiry(inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/forward")
def inquiry_forward(inquiry_id):
    inquiry = _inquiry(inquiry_id)
    form = forms.ForwardToContactForm(prefix=FORWARD)
    return _act(
        inquiry,
        form,
        "forward_form",
        # DataRequired: the action runs after validation.
        lambda: desk.forward_to_contact(
            current_user, inquiry, cast(str, form.email.data), cast(str, form.source.data)
        ),
        _("Contact saved and inquiry forwarded by e-mail; the buyer will be e-mailed."),
    )


@bp.post("/inquiries/<int:inquiry_id>/forward-by-email")
def inquiry_forward_by_email(inquiry_id):
    inquiry = _inquiry(inquiry_id)
    form = forms.ForwardByEmailForm(prefix=BY_EMAIL)
    return _act(
        inquiry,
        form,
        "email_form",
        # DataRequired: the action runs after validation.
        lambda: desk.forward_by_email(
            current_user, inquiry, cast(str, form.email.data), form.note.data
        ),
        _("Inquiry forwarded by e-mail; the buyer will be e-mailed."),
    )


@bp.post("/inquiries/<int:inquiry_id>/offline-contact")
def inquiry_offline_contact(inquiry_id):
    inquiry = _inquiry(inquiry_id)
    form = forms.OfflineContactForm(prefix=OFFLINE)
    return _act(
        inquiry,
        form,
        "offline_form",
        lambda: desk.record_offline_contact(
            current_user, inquiry, form.channel.data, form.outcome.data, form.note.data
        ),
        _("Contact recorded."),
    )


@bp.post("/inquiries/<int:inquiry_id>/close")
def inquiry_close(inquiry_id):
    inquiry = _inquiry(inquiry_id)
    form = forms.CloseForm("staff", prefix=CLOSE)
    return _act(
        inquiry,
        form,
        "close_form",
        lambda: inquiries.close("staff", inquiry, form.reason.data, current_user),
        _("Inquiry closed; the buyer will be e-mailed."),
    )


@bp.get("/inquiries.csv")
def inquiry_csv():
    rows = services.filtered_inquiries(*_filters())
    out = io.StringIO()
    writer = spreadsheet.writer(out)  # every text cell made safe for spreadsheets
    writer.writerow(
        ["reference", "created_at", "manufacturer", "organisation", "country", "status",
         "status_label", "route", "first_response_at", "hours_to_first_response",
         "closed_reason"]
    )  # fmt: skip
    for i in rows:
        hours = None
        if i.first_response_at:
            delta = aware(i.first_response_at) - aware(i.created_at)
            hours = round(delta.total_seconds() / 3600, 1)
        writer.writerow(
            [i.reference, i.created_at.isoformat(), i.manufacturer.name, i.organisation,
             i.country, i.status, i.status_label, i.route,
             i.first_response_at.isoformat() if i.first_response_at else "",
             "" if hours is None else hours, i.closed_reason or ""]
        )  # fmt: skip
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=inquiries.csv"},
    )

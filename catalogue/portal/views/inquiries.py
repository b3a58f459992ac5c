"""The manufacturer's inquiry inbox: read, reply, quote, close."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries import forms, services
from catalogue.inquiries.models import INQUIRY_STATES, STATE_LABELS
from catalogue.inquiries.pages import (
    handle_maker_reply,
    handle_quotation,
    maker_page,
    send_quotation_pdf,
)
from catalogue.lib.paging import page_arg
from catalogue.portal import services as portal
from catalogue.portal.views import bp


@bp.get("/inquiries/")
def inquiry_list():
    status = request.args.get("status") or None
    if status is not None and status not in INQUIRY_STATES:
        abort(400, description=_("Unknown status filter."))
    counts = portal.own_inquiry_counts(current_user)
    pagination = portal.own_inquiry_page(current_user, status, page_arg())
    return render_template(
        "portal/inquiry_list.html", pagination=pagination, status=status, counts=counts,
        states=STATE_LABELS, reply_due=services.reply_due,
    )  # fmt: skip


def _urls(inquiry) -> dict:
    return {
        "reply_action": url_for("portal.inquiry_reply", inquiry_id=inquiry.id),
        "quote_action": url_for("portal.inquiry_quote", inquiry_id=inquiry.id),
        "close_action": url_for("portal.inquiry_close", inquiry_id=inquiry.id),
        "quotation_url": lambda q: url_for(
            "portal.inquiry_quotation_pdf", inquiry_id=inquiry.id, quotation_id=q.id
        ),
    }


def _detail(inquiry, **forms_and_status):
    return maker_page(inquiry, "portal/inquiry_detail.html", _urls(inquiry), **forms_and_status)


@bp.get("/inquiries/<int:inquiry_id>")
def inquiry_detail(inquiry_id):
    inquiry = portal.own_inquiry(current_user, inquiry_id)
    if inquiry.status in ("new", "routed"):
        services.mark_read(inquiry, current_user)
        db.session.commit()
    return _detail(inquiry)


@bp.post("/inquiries/<int:inquiry_id>/reply")
def inquiry_reply(inquiry_id):
    inquiry = portal.own_inquiry(current_user, inquiry_id)
    form = forms.ReplyForm()
    if handle_maker_reply(inquiry, form, current_user):
        return redirect(url_for("portal.inquiry_detail", inquiry_id=inquiry.id, _anchor="thread"))
    return _detail(inquiry, reply_form=form, status=400)


@bp.post("/inquiries/<int:inquiry_id>/quotation")
def inquiry_quote(inquiry_id):
    inquiry = portal.own_inquiry(current_user, inquiry_id)
    form = forms.quotation_form(inquiry)
    if handle_quotation(inquiry, form, current_user, "portal"):
        return redirect(url_for("portal.inquiry_detail", inquiry_id=inquiry.id, _anchor="thread"))
    return _detail(inquiry, quotation_form=form, status=400)


@bp.post("/inquiries/<int:inquiry_id>/close")
def inquiry_close(inquiry_id):
    inquiry = portal.own_inquiry(current_user, inquiry_id)
    form = forms.CloseForm("manufacturer", prefix="c")
    if form.validate():
        try:
            services.close("manufacturer", inquiry, form.reason.data, current_user)
        except ServiceError as error:
            form.reason.errors = [*form.reason.errors, error.message]
        else:
            db.session.commit()
            flash(_("Inquiry closed; the buyer will be e-mailed."), "success")
            return redirect(url_for("portal.inquiry_detail", inquiry_id=inquiry.id))
    return _detail(inquiry, close_form=form, status=400)


@bp.get("/inquiries/<int:inquiry_id>/quotations/<int:quotation_id>.pdf")
def inquiry_quotation_pdf(inquiry_id, quotation_id):
    return send_quotation_pdf(portal.own_inquiry(current_user, inquiry_id), quotation_id)

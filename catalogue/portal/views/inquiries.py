"""The manufacturer's inquiry inbox: read, reply, quote, close."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries import forms
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import INQUIRY_STATES, Inquiry
from catalogue.inquiries.views import send_quotation_pdf
from catalogue.lib.paging import page_arg
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies.documents import store_document


def _own_inquiry(inquiry_id: int) -> Inquiry:
    inquiry = db.session.scalar(
        sa.select(Inquiry).where(
            Inquiry.id == inquiry_id, Inquiry.manufacturer_id == current_user.manufacturer_id
        )
    )
    if inquiry is None:
        abort(404)
    return inquiry


@bp.get("/inquiries/")
def inquiry_list():
    status = request.args.get("status") or None
    if status is not None and status not in INQUIRY_STATES:
        abort(400, description="Unknown status filter.")
    stmt = (
        sa.select(Inquiry)
        .where(Inquiry.manufacturer_id == current_user.manufacturer_id)
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    )
    if status:
        stmt = stmt.where(Inquiry.status == status)
    counts = dict(
        db.session.execute(
            sa.select(Inquiry.status, sa.func.count())
            .where(Inquiry.manufacturer_id == current_user.manufacturer_id)
            .group_by(Inquiry.status)
        ).all()
    )
    pagination = db.paginate(stmt, page=page_arg(), per_page=30, error_out=False)
    return render_template(
        "portal/inquiry_list.html", pagination=pagination, status=status, counts=counts,
        states=INQUIRY_STATES,
    )  # fmt: skip


def _detail(inquiry, reply_form=None, quotation_form=None, close_form=None, status=200):
    return render_template(
        "portal/inquiry_detail.html",
        inquiry=inquiry,
        reply_form=reply_form or forms.ReplyForm(),
        quotation_form=quotation_form or forms.QuotationForm(prefix="q"),
        close_form=close_form or forms.CloseForm(prefix="c"),
    ), status


@bp.get("/inquiries/<int:inquiry_id>")
def inquiry_detail(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    if inquiry.status == "new":
        inquiries.mark_read(inquiry)
        db.session.commit()
    return _detail(inquiry)


@bp.post("/inquiries/<int:inquiry_id>/reply")
def inquiry_reply(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    form = forms.ReplyForm()
    if form.validate():
        try:
            inquiries.reply_as_manufacturer(current_user, inquiry, form.body.data)
        except ServiceError as error:
            form.body.errors = [*form.body.errors, error.message]
        else:
            db.session.commit()
            flash("Reply sent; the buyer is told by e-mail.", "success")
            return redirect(
                url_for("portal.inquiry_detail", inquiry_id=inquiry.id, _anchor="thread")
            )
    return _detail(inquiry, reply_form=form, status=400)


@bp.post("/inquiries/<int:inquiry_id>/quotation")
def inquiry_quote(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    form = forms.QuotationForm(prefix="q")
    if form.validate():
        try:
            values = form.values()
            upload = form.attachment.data
            if upload and upload.filename:
                document = store_document(
                    upload, kind="quotation", title=f"Quotation {inquiry.reference}",
                    uploader=current_user, owner=services.own_manufacturer(current_user),
                )  # fmt: skip
                if document.content_type != "application/pdf":
                    raise ServiceError("attachment", "The quotation attachment must be a PDF.")
                values["document_id"] = document.id
            inquiries.quote(current_user, inquiry, values)
        except ServiceError as error:
            db.session.rollback()
            # Upload errors name "file", which the form calls `attachment`.
            field = getattr(form, error.field or "", None) or form.attachment
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            flash("Quotation sent; the buyer is told by e-mail.", "success")
            return redirect(
                url_for("portal.inquiry_detail", inquiry_id=inquiry.id, _anchor="thread")
            )
    return _detail(inquiry, quotation_form=form, status=400)


@bp.post("/inquiries/<int:inquiry_id>/close")
def inquiry_close(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    form = forms.CloseForm(prefix="c")
    if form.validate():
        try:
            inquiries.close("manufacturer", inquiry, form.reason.data)
        except ServiceError as error:
            form.reason.errors = [*form.reason.errors, error.message]
        else:
            db.session.commit()
            flash("Inquiry closed.", "success")
            return redirect(url_for("portal.inquiry_detail", inquiry_id=inquiry.id))
    return _detail(inquiry, close_form=form, status=400)


@bp.get("/inquiries/<int:inquiry_id>/quotations/<int:quotation_id>.pdf")
def inquiry_quotation_pdf(inquiry_id, quotation_id):
    return send_quotation_pdf(_own_inquiry(inquiry_id), quotation_id)

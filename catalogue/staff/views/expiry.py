"""Approval validity: what expires soon or has expired, validity dates and revocations."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.staff import services
from catalogue.staff.views import bp
from catalogue.supplies import changes
from catalogue.supplies.forms import RevokeApprovalForm, ValidityForm
from catalogue.supplies.models import Approval


@bp.get("/approvals/expiry/")
def expiry_list():
    return render_template(
        "staff/expiry_list.html",
        expiring=services.expiring_approvals(),
        expired=services.expired_approvals(),
        revoked=services.revoked_approvals(),
    )


def _validity_page(approval, validity_form=None, revoke_form=None, status=200):
    if validity_form is None:
        validity_form = ValidityForm(formdata=None, obj=approval)
    return render_template(
        "staff/approval_validity.html",
        approval=approval,
        validity_form=validity_form,
        revoke_form=revoke_form or RevokeApprovalForm(formdata=None),
    ), status


def _form_error(form, error: ServiceError) -> None:
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/approvals/<int:approval_id>/validity", methods=["GET", "POST"])
def approval_validity(approval_id):
    approval = db.get_or_404(Approval, approval_id)
    form = ValidityForm()
    if not form.is_submitted():
        return _validity_page(approval)
    if form.validate():
        try:
            count = changes.set_approval_validity(
                current_user, approval, form.valid_from.data, form.valid_until.data
            )
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Validity saved (%(num)d change).", "Validity saved (%(num)d changes).", count
                ),
                "success",
            )
            return redirect(url_for("staff.approval_validity", approval_id=approval.id))
    return _validity_page(approval, validity_form=form, status=400)


@bp.post("/approvals/<int:approval_id>/revoke")
def approval_revoke(approval_id):
    approval = db.get_or_404(Approval, approval_id)
    form = RevokeApprovalForm()
    if form.validate():
        assert form.revoked_on.data  # DataRequired
        try:
            changes.revoke_approval(current_user, approval, form.revoked_on.data)
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Revoked: %(product)s — %(approval)s.",
                    product=approval.product.name,
                    approval=approval.authority_label,
                ),
                "success",
            )
            return redirect(url_for("staff.approval_validity", approval_id=approval.id))
    return _validity_page(approval, revoke_form=form, status=400)

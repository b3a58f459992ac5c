"""Verifying or rejecting manufacturers' approval claims."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalogue.audit.services import history_of
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.staff import services
from catalogue.staff.forms import RejectClaimForm
from catalogue.staff.views import bp
from catalogue.supplies import changes
from catalogue.supplies.models import APPROVAL_STATES, Approval


@bp.get("/claims/")
def claim_list():
    status = request.args.get("status", "claimed")
    if status not in APPROVAL_STATES:
        abort(400, description="Unknown status filter.")
    return render_template(
        "staff/claim_list.html", approvals=services.claims_with_status(status), status=status
    )


def _approval(approval_id: int) -> Approval:
    return db.get_or_404(Approval, approval_id)


@bp.get("/claims/<int:approval_id>")
def claim_detail(approval_id):
    approval = _approval(approval_id)
    return render_template(
        "staff/claim_detail.html",
        approval=approval,
        reject_form=RejectClaimForm(),
        records=history_of(approval),
    )


@bp.post("/claims/<int:approval_id>/verify")
def claim_verify(approval_id):
    approval = _approval(approval_id)
    try:
        changes.verify_approval(current_user, approval)
    except ServiceError as error:
        flash(error.message, "warning")
        return redirect(url_for("staff.claim_detail", approval_id=approval.id))
    db.session.commit()
    flash(f"Verified: {approval.product.name} — {approval.authority_label}.", "success")
    return redirect(url_for("staff.claim_list"))


@bp.post("/claims/<int:approval_id>/reject")
def claim_reject(approval_id):
    approval = _approval(approval_id)
    form = RejectClaimForm()
    if not form.validate():
        return render_template(
            "staff/claim_detail.html",
            approval=approval,
            reject_form=form,
            records=history_of(approval),
        ), 400
    assert form.reason.data  # DataRequired
    changes.reject_approval(current_user, approval, form.reason.data)
    db.session.commit()
    flash(f"Rejected: {approval.product.name} — {approval.authority_label}.", "success")
    return redirect(url_for("staff.claim_list"))

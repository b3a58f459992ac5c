"""Checking the catalogue's facts: approvals and performance results are verified with the
evidence of the check, or rejected with a reason."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalogue.audit.services import history_of
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.staff import services
from catalogue.staff.forms import EvidenceForm, RejectClaimForm
from catalogue.staff.views import bp
from catalogue.supplies import changes
from catalogue.supplies.models import APPROVAL_STATES, PERFORMANCE_STATES, Approval
from catalogue.supplies.models import PerformanceResult as Result

# The tabs of the two queues, in the order staff work through them.
APPROVAL_TABS = {
    "claimed": _l("Claimed by manufacturers"),
    "public_source": _l("Stated in public sources"),
    "verified": _l("Verified by CAC staff"),
    "rejected": _l("Rejected"),
    "revoked": _l("Revoked"),
}
RESULT_TABS = {key: APPROVAL_TABS[key] for key in PERFORMANCE_STATES}


def _status_arg(states) -> str:
    status = request.args.get("status", "claimed")
    if status not in states:
        abort(400, description=_("Unknown status filter."))
    return status


@bp.get("/claims/")
def claim_list():
    status = _status_arg(APPROVAL_STATES)
    return render_template(
        "staff/claim_list.html",
        kind="approvals",
        tabs=APPROVAL_TABS,
        status=status,
        approvals=services.claims_with_status(status),
    )


@bp.get("/claims/performance/")
def claim_result_list():
    status = _status_arg(PERFORMANCE_STATES)
    return render_template(
        "staff/claim_list.html",
        kind="performance",
        tabs=RESULT_TABS,
        status=status,
        results=services.results_with_status(status),
    )


def _render_check(fact, template: str, evidence_form=None, reject_form=None, status=200):
    return render_template(
        template,
        fact=fact,
        evidence_form=evidence_form or EvidenceForm(),
        reject_form=reject_form or RejectClaimForm(),
        records=history_of(fact),
    ), status


def _verify(fact, template: str, verify, done_url: str, done: str):
    """Verify with the posted evidence; on refusal show the form again with its messages."""
    form = EvidenceForm()
    if form.validate():
        try:
            verify(current_user, fact, form.evidence())
        except ServiceError as error:
            db.session.rollback()
            if error.field in form:
                form[error.field].errors = [error.message]
            else:
                flash(error.message, "warning")
        else:
            db.session.commit()
            flash(_("Verified: %(entry)s.", entry=done), "success")
            return redirect(done_url)
    flash(_("Not verified: record the evidence of your check."), "error")
    return _render_check(fact, template, evidence_form=form, status=400)


def _reject(fact, template: str, reject, done_url: str, done: str):
    form = RejectClaimForm()
    if not form.validate():
        return _render_check(fact, template, reject_form=form, status=400)
    assert form.reason.data  # DataRequired
    reject(current_user, fact, form.reason.data)
    db.session.commit()
    flash(_("Rejected: %(entry)s.", entry=done), "success")
    return redirect(done_url)


# --- Approvals ------------------------------------------------------------------------------


@bp.get("/claims/<int:approval_id>")
def claim_detail(approval_id):
    return _render_check(db.get_or_404(Approval, approval_id), "staff/claim_detail.html")


@bp.post("/claims/<int:approval_id>/verify")
def claim_verify(approval_id):
    approval = db.get_or_404(Approval, approval_id)
    done = f"{approval.product.name} — {approval.authority_label}"
    return _verify(
        approval, "staff/claim_detail.html", changes.verify_approval, url_for("staff.claim_list"),
        done,
    )  # fmt: skip


@bp.post("/claims/<int:approval_id>/reject")
def claim_reject(approval_id):
    approval = db.get_or_404(Approval, approval_id)
    done = f"{approval.product.name} — {approval.authority_label}"
    return _reject(
        approval, "staff/claim_detail.html", changes.reject_approval, url_for("staff.claim_list"),
        done,
    )  # fmt: skip


# --- Performance results --------------------------------------------------------------------


@bp.get("/claims/performance/<int:result_id>")
def claim_result_detail(result_id):
    return _render_check(db.get_or_404(Result, result_id), "staff/result_detail.html")


@bp.post("/claims/performance/<int:result_id>/verify")
def claim_result_verify(result_id):
    result = db.get_or_404(Result, result_id)
    done = f"{result.product.name} — {result.study}"
    return _verify(
        result, "staff/result_detail.html", changes.verify_fact,
        url_for("staff.claim_result_list"), done,
    )  # fmt: skip


@bp.post("/claims/performance/<int:result_id>/reject")
def claim_result_reject(result_id):
    result = db.get_or_404(Result, result_id)
    done = f"{result.product.name} — {result.study}"
    return _reject(
        result, "staff/result_detail.html", changes.reject_fact,
        url_for("staff.claim_result_list"), done,
    )  # fmt: skip

"""User accounts, the audit history and the outgoing mail, as staff oversee them."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalogue.accounts import services as accounts
from catalogue.accounts.models import ROLES, User
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.paging import page_arg
from catalogue.mail.delivery import requeue
from catalogue.mail.models import MAIL_STATES, OutboundEmail
from catalogue.staff.forms import AuditFilterForm
from catalogue.staff.models import ChangeRecord
from catalogue.staff.views import bp


@bp.get("/users/")
def user_list():
    role = request.args.get("role") or None
    if role is not None and role not in ROLES:
        abort(400, description="Unknown role filter.")
    stmt = sa.select(User).order_by(User.role, User.email)
    if role:
        stmt = stmt.where(User.role == role)
    pagination = db.paginate(stmt, page=page_arg(), per_page=50, error_out=False)
    return render_template("staff/user_list.html", pagination=pagination, role=role, roles=ROLES)


@bp.post("/users/<int:user_id>/active")
def user_set_active(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    active = request.form.get("active") == "1"
    try:
        accounts.set_user_active(current_user, user, active)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("staff.user_list"))
    db.session.commit()
    flash(f"{user.email} is {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for("staff.user_list"))


@bp.get("/audit/")
def audit_list():
    form = AuditFilterForm(request.args)
    stmt = sa.select(ChangeRecord).order_by(ChangeRecord.created_at.desc(), ChangeRecord.id.desc())
    if form.validate() and form.entity_type.data:
        stmt = stmt.where(ChangeRecord.entity_type == form.entity_type.data)
    elif form.errors:
        abort(400, description="Unknown entry type.")
    pagination = db.paginate(stmt, page=page_arg(), per_page=100, error_out=False)
    return render_template("staff/audit_list.html", pagination=pagination, form=form)


@bp.get("/mail/")
def mail_list():
    status = request.args.get("status") or None
    if status is not None and status not in MAIL_STATES:
        abort(400, description="Unknown status filter.")
    stmt = sa.select(OutboundEmail).order_by(OutboundEmail.id.desc())
    if status:
        stmt = stmt.where(OutboundEmail.status == status)
    counts = dict(
        db.session.execute(
            sa.select(OutboundEmail.status, sa.func.count()).group_by(OutboundEmail.status)
        ).all()
    )
    pagination = db.paginate(stmt, page=page_arg(), per_page=50, error_out=False)
    return render_template(
        "staff/mail_list.html", pagination=pagination, status=status, counts=counts
    )


@bp.post("/mail/<int:email_id>/retry")
def mail_retry(email_id):
    email = db.session.get(OutboundEmail, email_id)
    if email is None:
        abort(404)
    requeue(email)
    db.session.commit()
    flash(f"Message to {email.to_address} queued again.", "success")
    return redirect(url_for("staff.mail_list", status="failed"))

"""User accounts, the audit history and the outgoing mail, as staff oversee them."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.accounts import services as accounts
from catalogue.accounts.models import ROLES, User
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.paging import page_arg
from catalogue.mail.delivery import requeue
from catalogue.mail.models import MAIL_STATES, OutboundEmail
from catalogue.staff import services
from catalogue.staff.forms import AuditFilterForm
from catalogue.staff.views import bp


@bp.get("/users/")
def user_list():
    role = request.args.get("role") or None
    if role is not None and role not in ROLES:
        abort(400, description=_("Unknown role filter."))
    pagination = services.user_page(role, page_arg())
    return render_template("staff/user_list.html", pagination=pagination, role=role, roles=ROLES)


@bp.post("/users/<int:user_id>/active")
def user_set_active(user_id):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_user_active(current_user, user, active)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("staff.user_list"))
    db.session.commit()
    if active:
        flash(_("%(email)s is active.", email=user.email), "success")
    else:
        flash(_("%(email)s is deactivated.", email=user.email), "success")
    return redirect(url_for("staff.user_list"))


@bp.get("/audit/")
def audit_list():
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400, description=_("Unknown entry type."))
    pagination = services.change_page(form.entity_type.data or None, page_arg())
    return render_template("staff/audit_list.html", pagination=pagination, form=form)


@bp.get("/mail/")
def mail_list():
    status = request.args.get("status") or None
    if status is not None and status not in MAIL_STATES:
        abort(400, description=_("Unknown status filter."))
    counts = services.mail_counts()
    pagination = services.mail_page(status, page_arg())
    return render_template(
        "staff/mail_list.html", pagination=pagination, status=status, counts=counts
    )


@bp.post("/mail/<int:email_id>/retry")
def mail_retry(email_id):
    email = db.get_or_404(OutboundEmail, email_id)
    requeue(email)
    db.session.commit()
    flash(_("Message to %(email)s queued again.", email=email.to_address), "success")
    return redirect(url_for("staff.mail_list", status="failed"))

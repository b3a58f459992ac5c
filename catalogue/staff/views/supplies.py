"""Manufacturers and products as staff see them: verification, invitations, editing any entry."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from catalogue.accounts import services as accounts
from catalogue.audit.services import history_of
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.paging import page_arg
from catalogue.lib.storage import send_stored
from catalogue.staff import services
from catalogue.staff.forms import EvidenceForm, InviteForm
from catalogue.staff.views import bp
from catalogue.supplies import changes
from catalogue.supplies import services as supplies_services
from catalogue.supplies.forms import (
    DocumentForm,
    ManufacturerForm,
    StaffPerformanceForm,
    product_form,
)
from catalogue.supplies.models import Manufacturer, Product, Upload
from catalogue.supplies.uploads import document_key


def _manufacturer(manufacturer_id: int) -> Manufacturer:
    return db.get_or_404(Manufacturer, manufacturer_id)


def _product(product_id: int) -> Product:
    return db.get_or_404(Product, product_id)


@bp.get("/manufacturers/")
def manufacturer_list():
    return render_template(
        "staff/manufacturer_list.html", rows=services.manufacturers_with_claim_counts()
    )


@bp.route("/manufacturers/<int:manufacturer_id>", methods=["GET", "POST"])
def manufacturer_detail(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    form = ManufacturerForm()
    if form.validate_on_submit():
        try:
            saved = changes.update_manufacturer(
                current_user, maker, form.values(), version=form.version.data
            )
        except changes.EditConflict:
            db.session.rollback()
            current = ManufacturerForm(formdata=None)
            current.fill_from(maker)
            form.keep_input(current, maker.version)
        except ServiceError as error:
            db.session.rollback()
            assert error.field is not None  # update_manufacturer names the field
            field = getattr(form, error.field)
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            count = saved.changed
            flash(
                ngettext(
                    "Profile saved (%(num)d change).", "Profile saved (%(num)d changes).", count
                ),
                "success",
            )
            return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))
    if not form.is_submitted():
        form.fill_from(maker)
    return _manufacturer_page(maker, form=form)


def _manufacturer_page(
    maker: Manufacturer, form=None, evidence_form=None, status=None, refusal=None
):
    if form is None:
        form = ManufacturerForm(formdata=None)
        form.fill_from(maker)
    evidence_form = evidence_form or EvidenceForm(formdata=None)
    if status is None:
        status = 409 if form.conflict is not None else 200
        status = 400 if form.errors or evidence_form.errors else status
    return render_template(
        "staff/manufacturer_detail.html",
        maker=maker,
        form=form,
        evidence_form=evidence_form,
        identity_change=changes.pending_identity_change(maker),
        refusal=refusal or {},
        # ?email= pre-fills the invitation (the "Invite a maker user" link of an inquiry).
        invite_form=InviteForm(email=request.args.get("email", "").strip()[:254] or None),
        users=services.manufacturer_users(maker),
        products=services.manufacturer_products(maker),
        documents=supplies_services.company_uploads(maker),
        records=history_of(maker),
    ), status


@bp.post("/manufacturers/<int:manufacturer_id>/verification")
def manufacturer_verify(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    form = EvidenceForm()
    if form.validate():
        try:
            changes.verify_manufacturer(current_user, maker, form.evidence())
        except ServiceError as error:
            db.session.rollback()
            if error.field in form:
                form[error.field].errors = [error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("%(name)s: profile verified by CAC staff.", name=maker.name), "success")
            return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))
    flash(_("Not verified: record the evidence of your check."), "error")
    return _manufacturer_page(maker, evidence_form=form)


@bp.post("/manufacturers/<int:manufacturer_id>/verification/withdraw")
def manufacturer_withdraw_verification(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    changes.withdraw_manufacturer_verification(current_user, maker)
    db.session.commit()
    flash(_("%(name)s: profile no longer verified.", name=maker.name), "success")
    return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))


def _identity_change_id() -> int:
    change_id = request.form.get("change_id", type=int)
    if change_id is None:
        abort(400, description=_("Say which request you reviewed."))
    return change_id


@bp.post("/manufacturers/<int:manufacturer_id>/identity-change/approve")
def identity_change_approve(manufacturer_id):
    """Apply the maker's requested change of its names, website, contact e-mail or export
    permission number (see supplies.changes.approve_identity_change)."""
    maker = _manufacturer(manufacturer_id)
    try:
        unverified = changes.approve_identity_change(current_user, maker, _identity_change_id())
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _manufacturer_page(maker, status=409)
    db.session.commit()
    flash(_("%(name)s: the requested change is applied.", name=maker.name), "success")
    if unverified:
        flash(
            _(
                "The profile is no longer verified: its evidence was about the old details. "
                "Verify it again below with the evidence of a check of the new ones."
            ),
            "warning",
        )
    return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))


@bp.post("/manufacturers/<int:manufacturer_id>/identity-change/refuse")
def identity_change_refuse(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    reason = request.form.get("reason", "")
    try:
        changes.refuse_identity_change(current_user, maker, _identity_change_id(), reason)
    except ServiceError as error:
        db.session.rollback()
        if error.field != "reason":  # the request changed meanwhile
            flash(error.message, "error")
            return _manufacturer_page(maker, status=409)
        refusal = {"reason": reason[:500], "error": error.message}
        return _manufacturer_page(maker, status=400, refusal=refusal)
    db.session.commit()
    flash(
        _(
            "%(name)s: the requested change is refused; the manufacturer sees why.",
            name=maker.name,
        ),
        "success",
    )
    return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))


@bp.post("/manufacturers/<int:manufacturer_id>/invitations")
def manufacturer_invite(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    form = InviteForm()
    target = url_for("staff.manufacturer_detail", manufacturer_id=maker.id, _anchor="users")
    if not form.validate():
        flash(_("Invitation not sent: give a valid e-mail address."), "error")
        return redirect(target)
    assert form.email.data  # DataRequired
    try:
        accounts.invite_manufacturer_user(current_user, maker, form.email.data)
    except ServiceError as error:
        flash(_("Invitation not sent: %(reason)s", reason=error.message), "error")
        return redirect(target)
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
    return redirect(target)


@bp.get("/products/")
def product_list():
    q = request.args.get("q", "").strip()[:200]
    pagination = services.product_page(q, page_arg())
    return render_template("staff/product_list.html", pagination=pagination, q=q)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id):
    product = _product(product_id)
    form = product_form()
    if form.validate_on_submit():
        try:
            count = changes.update_product(
                current_user, product, form.values(), form.specimen_types.data or [],
                version=form.version.data,
            )  # fmt: skip
        except changes.EditConflict:
            db.session.rollback()
            current = product_form(formdata=None)
            current.fill_from(product)
            form.keep_input(current, product.version)
        else:
            db.session.commit()
            flash(ngettext("Saved (%(num)d change).", "Saved (%(num)d changes).", count), "success")
            return redirect(url_for("staff.product_edit", product_id=product.id))
    if not form.is_submitted():
        form.fill_from(product)
    return render_template(
        "staff/product_edit.html",
        product=product,
        form=form,
        performance_form=StaffPerformanceForm(prefix="perf", formdata=None),
        document_form=DocumentForm(),
        records=history_of(product),
    ), (409 if form.conflict is not None else 400 if form.errors else 200)


def _status_message(status: str) -> str:
    """The flash after a status change, one whole sentence per state."""
    if status == "published":
        return _("The product is now published.")
    if status == "archived":
        return _("The product is now archived.")
    if status == "draft":
        return _("The product is now draft.")
    return _("The product is now %(status)s.", status=status)


@bp.post("/products/<int:product_id>/status")
def product_status(product_id):
    product = _product(product_id)
    try:
        changes.set_product_status(current_user, product, request.form.get("status", ""))
    except ServiceError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_status_message(product.status), "success")
    return redirect(url_for("staff.product_edit", product_id=product.id))


@bp.post("/products/<int:product_id>/performance")
def performance_add(product_id):
    product = _product(product_id)
    form = StaffPerformanceForm(prefix="perf")
    if not form.validate():
        problem = next(iter(form.errors.values()))[0]
        flash(_("Performance figure not added: %(reason)s", reason=problem), "error")
    else:
        try:
            changes.add_performance(current_user, product, form.values())
        except ServiceError as error:
            db.session.rollback()
            flash(_("Performance figure not added: %(reason)s", reason=error.message), "error")
        else:
            db.session.commit()
            flash(_("Performance figure added, stated in its public source."), "success")
    return redirect(url_for("staff.product_edit", product_id=product.id, _anchor="performance"))


@bp.post("/products/<int:product_id>/performance/<int:result_id>/delete")
def performance_delete(product_id, result_id):
    product = _product(product_id)
    result = next((r for r in product.performance if r.id == result_id), None)
    if result is None:
        abort(404)
    changes.remove_performance(current_user, product, result)
    db.session.commit()
    flash(_("Performance figure removed."), "success")
    return redirect(url_for("staff.product_edit", product_id=product.id, _anchor="performance"))


@bp.get("/documents/<int:document_id>")
def document_download(document_id):
    document = db.get_or_404(Upload, document_id)
    return send_stored(
        document_key(document), mimetype=document.content_type, download_name=document.filename
    )


@bp.post("/documents/<int:document_id>/check")
def document_check(document_id):
    """Mark an uploaded file as checked by CAC staff, or undo it (checked=0)."""
    document = db.get_or_404(Upload, document_id)
    checked = request.form.get("checked")
    if checked not in ("0", "1"):
        abort(400, description=_("Say whether the document is checked (1) or not (0)."))
    changes.set_upload_checked(current_user, document, checked == "1")
    db.session.commit()
    name = document.title or document.filename
    if checked == "1":
        flash(_("%(name)s: checked by CAC.", name=name), "success")
    else:
        flash(_("%(name)s: no longer marked as checked.", name=name), "success")
    if document.product_id:
        target = url_for("staff.product_edit", product_id=document.product_id)
    else:
        target = url_for("staff.manufacturer_detail", manufacturer_id=document.manufacturer_id)
    return redirect(target + "#documents")

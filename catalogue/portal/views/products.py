"""The manufacturer's products: create, edit, publish/archive, performance figures, approvals."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from catalogue.audit.services import history_of
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.portal.views.uploads import store_posted_document, upload_document
from catalogue.supplies import changes
from catalogue.supplies.forms import (
    ApprovalClaimForm,
    DocumentForm,
    PerformanceCommentForm,
    PerformanceForm,
    product_form,
)
from catalogue.supplies.models import AUTHORITIES
from catalogue.supplies.uploads import store_document

# What the maker is told after publishing, unpublishing or archiving (by the product's status).
_NOW_STATUS = {
    "published": _l("The product is now published."),
    "draft": _l("The product is now draft."),
    "archived": _l("The product is now archived."),
}


def _edit_page(product, form, status=200, *, document_form=None, upload=None):
    """The edit page; `upload` ("stored" or "failed") says a document upload just came with the
    form's edits, which are shown again, unsaved."""
    return render_template(
        "portal/product_edit.html",
        product=product,
        form=form,
        performance_form=PerformanceForm(prefix="perf", formdata=None),
        performance_lock=changes.performance_lock,
        document_form=document_form or DocumentForm(formdata=None),
        upload=upload,
    ), status


@bp.get("/products/")
def product_list():
    status = request.args.get("status")
    if status not in (None, "", "draft", "published", "archived"):
        abort(400, description=_("Unknown status filter."))
    return render_template(
        "portal/product_list.html",
        products=services.own_products(current_user, status or None),
        status=status,
    )


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    maker = services.own_manufacturer(current_user)
    form = product_form()
    if form.validate_on_submit():
        try:
            product = changes.create_product(
                current_user, maker, form.values(), form.specimen_types.data or []
            )
        except ServiceError as error:  # e.g. at the cap of products per manufacturer
            db.session.rollback()
            form.name.errors = [*form.name.errors, error.message]
        else:
            db.session.commit()
            flash(_("Product saved as a draft. Publish it when its facts are complete."), "success")
            return redirect(url_for("portal.product_edit", product_id=product.id))
    return render_template("portal/product_new.html", form=form), (400 if form.errors else 200)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id):
    product = services.own_product(current_user, product_id)
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
            return _edit_page(product, form, 409)
        db.session.commit()
        flash(ngettext("Saved (%(num)d change).", "Saved (%(num)d changes).", count), "success")
        if request.form.get("file") or request.files.get("file"):
            # Save posts the form without the file; it needs the Upload button.
            flash(
                _("The file you chose was not uploaded: press Upload under Documents."), "warning"
            )
        return redirect(url_for("portal.product_edit", product_id=product.id))
    if not form.is_submitted():
        form.fill_from(product)
    return _edit_page(product, form, 400 if form.errors else 200)


@bp.post("/products/<int:product_id>/status")
def product_status(product_id):
    product = services.own_product(current_user, product_id)
    try:
        changes.set_product_status(current_user, product, request.form.get("status", ""))
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("portal.product_edit", product_id=product.id)), 303
    db.session.commit()
    flash(str(_NOW_STATUS.get(product.status, product.status)), "success")
    return redirect(url_for("portal.product_edit", product_id=product.id))


def _back_to_performance(product):
    return redirect(url_for("portal.product_edit", product_id=product.id, _anchor="performance"))


def _refuse_if_locked(result) -> None:
    """Independent evidence and figures the maker did not enter are not the maker's to change:
    a direct POST is refused as the page would never offer it."""
    reason = changes.performance_lock(result)
    if reason:
        abort(403, description=reason)


@bp.post("/products/<int:product_id>/performance")
def performance_add(product_id):
    product = services.own_product(current_user, product_id)
    form = PerformanceForm(prefix="perf")
    if not form.validate():
        flash(_("Performance figure not added: %(reason)s", reason=_first_error(form)), "error")
        return _back_to_performance(product)
    try:
        result = changes.add_performance(current_user, product, form.values())
    except ServiceError as error:
        db.session.rollback()
        flash(_("Performance figure not added: %(reason)s", reason=error.message), "error")
        return _back_to_performance(product), 303
    db.session.commit()
    if result.maker_may_change:
        flash(
            _("Performance figure added. Buyers see it as claimed by the manufacturer."), "success"
        )
    else:
        flash(
            _(
                "Performance figure added. Reported by %(reporter)s, so it is locked: "
                "you can comment on it, and CAC staff will check it against its source.",
                reporter=result.reporter_label,
            ),
            "success",
        )
    return _back_to_performance(product)


@bp.route("/products/<int:product_id>/performance/<int:result_id>", methods=["GET", "POST"])
def performance_edit(product_id, result_id):
    product = services.own_product(current_user, product_id)
    result = services.own_performance(current_user, product, result_id)
    _refuse_if_locked(result)
    form = PerformanceForm(prefix="perf")
    if form.validate_on_submit():
        try:
            count = changes.update_performance(current_user, product, result, form.values())
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Performance figure saved (%(num)d change).",
                    "Performance figure saved (%(num)d changes).",
                    count,
                ),
                "success",
            )
            return _back_to_performance(product)
    elif not form.is_submitted():
        form.fill_from(result)
    return render_template(
        "portal/performance_edit.html", product=product, result=result, form=form
    ), (400 if form.errors or form.form_errors else 200)


@bp.post("/products/<int:product_id>/performance/<int:result_id>/comment")
def performance_comment(product_id, result_id):
    product = services.own_product(current_user, product_id)
    result = services.own_performance(current_user, product, result_id)
    form = PerformanceCommentForm()
    if not form.validate():
        flash(_("Comment not saved: %(reason)s", reason=_first_error(form)), "error")
        return _back_to_performance(product), 303
    changed = changes.comment_on_performance(current_user, product, result, form.comment.data)
    db.session.commit()
    flash(_("Comment saved.") if changed else _("The comment is unchanged."), "success")
    return _back_to_performance(product)


@bp.post("/products/<int:product_id>/performance/<int:result_id>/delete")
def performance_delete(product_id, result_id):
    product = services.own_product(current_user, product_id)
    result = services.own_performance(current_user, product, result_id)
    _refuse_if_locked(result)
    changes.remove_performance(current_user, product, result)
    db.session.commit()
    flash(_("Performance figure removed."), "success")
    return _back_to_performance(product)


def _save_claim(product, approval, form):
    """Shared by add and edit: store the certificate (if any) and the claim in one transaction.
    None when it was not saved: the form says why (an EditConflict: in form.conflict)."""
    try:
        values = form.values()
        if form.certificate.data and form.certificate.data.filename:
            document = store_document(
                form.certificate.data,
                kind="certificate",
                # Not called a certificate: staff have not checked it yet.
                title=f"Approval document: {AUTHORITIES.get(form.authority.data, '')}",
                uploader=current_user,
                owner=product,
            )
            values["document_id"] = document.id
        saved = changes.save_approval_claim(
            current_user, product, approval, values, version=form.version.data
        )
    except changes.EditConflict:
        db.session.rollback()
        if approval is None:  # a new claim met a newer product: nothing of the form differs
            form.conflict = []
        else:
            form.keep_input(ApprovalClaimForm(formdata=None, obj=approval), approval.version)
        return None
    except ServiceError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None)
        if field is not None and error.field != "file":
            field.errors = [*field.errors, error.message]
        else:
            form.certificate.errors = [*form.certificate.errors, error.message]
        return None
    db.session.commit()
    return saved


@bp.route("/products/<int:product_id>/approvals/new", methods=["GET", "POST"])
def approval_new(product_id):
    product = services.own_product(current_user, product_id)
    form = ApprovalClaimForm()
    if form.validate_on_submit() and _save_claim(product, None, form):
        flash(_("Approval claim saved. Portal staff will verify it."), "success")
        return redirect(url_for("portal.product_edit", product_id=product.id, _anchor="approvals"))
    status = 409 if form.conflict is not None else 400 if form.errors else 200
    return render_template(
        "portal/approval_form.html",
        form=form, product=product, approval=None,
    ), status  # fmt: skip


@bp.route("/approvals/<int:approval_id>/edit", methods=["GET", "POST"])
def approval_edit(approval_id):
    approval = services.own_approval(current_user, approval_id)
    product = approval.product
    form = ApprovalClaimForm(obj=approval if request.method == "GET" else None)
    if form.validate_on_submit() and _save_claim(product, approval, form):
        flash(_("Approval claim saved. Portal staff will verify it again."), "success")
        return redirect(url_for("portal.product_edit", product_id=product.id, _anchor="approvals"))
    status = 409 if form.conflict is not None else 400 if form.errors else 200
    return render_template(
        "portal/approval_form.html",
        form=form, product=product, approval=approval,
    ), status  # fmt: skip


@bp.post("/products/<int:product_id>/documents")
def product_document_upload(product_id):
    """Upload a document. The edit page's Upload button belongs to the product form, so the
    typed product values come along: the page is shown again with them, still unsaved."""
    product = services.own_product(current_user, product_id)
    if "name" not in request.form:  # the document fields alone: nothing typed to keep
        target = url_for("portal.product_edit", product_id=product.id, _anchor="documents")
        return upload_document(product, target)
    form = product_form()  # bound to the posted values, not validated: they are not saved here
    document_form = DocumentForm()
    if store_posted_document(product, document_form):
        return _edit_page(product, form, upload="stored")
    return _edit_page(product, form, 400, document_form=document_form, upload="failed")


@bp.get("/products/<int:product_id>/history")
def product_history(product_id):
    product = services.own_product(current_user, product_id)
    return render_template(
        "portal/history.html", subject=product.name, records=history_of(product),
        back=url_for("portal.product_edit", product_id=product.id),
    )  # fmt: skip


def _first_error(form) -> str:
    for field, messages in form.errors.items():
        label = getattr(form, field).label.text if field and hasattr(form, field) else ""
        if label:
            return _("%(field)s: %(problem)s", field=label, problem=messages[0])
        return messages[0]
    return _("check the form.")

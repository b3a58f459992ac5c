"""Manufacturers and products as staff see them: verification, invitations, editing any entry."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from catalogue.accounts import services as accounts
from catalogue.audit.services import history_of
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.paging import page_arg
from catalogue.staff import services
from catalogue.staff.forms import InviteForm
from catalogue.staff.views import bp
from catalogue.supplies import changes
from catalogue.supplies.forms import (
    DocumentForm,
    ManufacturerForm,
    PerformanceForm,
    product_form,
)
from catalogue.supplies.models import Manufacturer, Product, Upload
from catalogue.supplies.uploads import document_path


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
            count = changes.update_manufacturer(current_user, maker, form.values())
        except ServiceError as error:
            db.session.rollback()
            assert error.field is not None  # update_manufacturer names the field
            field = getattr(form, error.field)
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            flash(f"Profile saved ({count} change{'' if count == 1 else 's'}).", "success")
            return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))
    if not form.is_submitted():
        form.fill_from(maker)
    return render_template(
        "staff/manufacturer_detail.html",
        maker=maker,
        form=form,
        # ?email= pre-fills the invitation (the "Invite a maker user" link of an inquiry).
        invite_form=InviteForm(email=request.args.get("email", "").strip()[:254] or None),
        users=services.manufacturer_users(maker),
        products=services.manufacturer_products(maker),
        records=history_of(maker),
    ), (400 if form.errors else 200)


@bp.post("/manufacturers/<int:manufacturer_id>/verification")
def manufacturer_verify(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    verified = request.form.get("verified") == "1"
    changes.verify_manufacturer(current_user, maker, verified)
    db.session.commit()
    flash(f"{maker.name} is {'verified' if verified else 'no longer verified'}.", "success")
    return redirect(url_for("staff.manufacturer_detail", manufacturer_id=maker.id))


@bp.post("/manufacturers/<int:manufacturer_id>/invitations")
def manufacturer_invite(manufacturer_id):
    maker = _manufacturer(manufacturer_id)
    form = InviteForm()
    target = url_for("staff.manufacturer_detail", manufacturer_id=maker.id, _anchor="users")
    if not form.validate():
        flash("Invitation not sent: give a valid e-mail address.", "error")
        return redirect(target)
    assert form.email.data  # DataRequired
    try:
        accounts.invite_manufacturer_user(current_user, maker, form.email.data)
    except ServiceError as error:
        flash(f"Invitation not sent: {error.message}", "error")
        return redirect(target)
    db.session.commit()
    flash(f"Invitation sent to {form.email.data}.", "success")
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
        count = changes.update_product(
            current_user, product, form.values(), form.specimen_types.data or []
        )
        db.session.commit()
        flash(f"Saved ({count} change{'' if count == 1 else 's'}).", "success")
        return redirect(url_for("staff.product_edit", product_id=product.id))
    if not form.is_submitted():
        form.fill_from(product)
    return render_template(
        "staff/product_edit.html",
        product=product,
        form=form,
        performance_form=PerformanceForm(prefix="perf"),
        document_form=DocumentForm(),
        records=history_of(product),
    ), (400 if form.errors else 200)


@bp.post("/products/<int:product_id>/status")
def product_status(product_id):
    product = _product(product_id)
    try:
        changes.set_product_status(current_user, product, request.form.get("status", ""))
    except ServiceError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"The product is now {product.status}.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id))


@bp.post("/products/<int:product_id>/performance")
def performance_add(product_id):
    product = _product(product_id)
    form = PerformanceForm(prefix="perf")
    if form.validate():
        values = form.values() | {
            "reported_by": request.form.get("perf-reported_by", "manufacturer")
        }
        if values["reported_by"] not in ("manufacturer", "regulator", "independent", "field"):
            values["reported_by"] = "manufacturer"
        changes.add_performance(current_user, product, values)
        db.session.commit()
        flash("Performance figure added.", "success")
    else:
        flash("Performance figure not added: check the figures.", "error")
    return redirect(url_for("staff.product_edit", product_id=product.id, _anchor="performance"))


@bp.post("/products/<int:product_id>/performance/<int:result_id>/delete")
def performance_delete(product_id, result_id):
    product = _product(product_id)
    result = next((r for r in product.performance if r.id == result_id), None)
    if result is None:
        abort(404)
    changes.remove_performance(current_user, product, result)
    db.session.commit()
    flash("Performance figure removed.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id, _anchor="performance"))


@bp.get("/documents/<int:document_id>")
def document_download(document_id):
    document = db.get_or_404(Upload, document_id)
    return send_file(
        document_path(document),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
    )

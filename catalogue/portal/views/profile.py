from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from catalogue.audit.services import history_of
from catalogue.extensions import db
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies import changes
from catalogue.supplies import services as supplies_services
from catalogue.supplies.forms import DocumentForm, ManufacturerForm


@bp.route("/profile", methods=["GET", "POST"])
def profile_edit():
    maker = services.own_manufacturer(current_user)
    form = ManufacturerForm()
    if form.validate_on_submit():
        count = changes.update_manufacturer(current_user, maker, form.values())
        db.session.commit()
        flash(f"Profile saved ({count} change{'' if count == 1 else 's'}).", "success")
        return redirect(url_for("portal.profile_edit"))
    if not form.is_submitted():
        form.fill_from(maker)
    return render_template(
        "portal/profile_edit.html",
        form=form,
        maker=maker,
        documents=supplies_services.company_uploads(maker),
        document_form=DocumentForm(),
    ), (400 if form.errors else 200)


@bp.get("/profile/history")
def profile_history():
    maker = services.own_manufacturer(current_user)
    return render_template(
        "portal/history.html", subject=maker.name, records=history_of(maker),
        back=url_for("portal.profile_edit"),
    )  # fmt: skip

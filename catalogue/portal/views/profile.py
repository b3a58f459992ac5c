from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from catalogue.audit.services import history_of
from catalogue.extensions import db
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies import changes
from catalogue.supplies import services as supplies_services
from catalogue.supplies.forms import DocumentForm, ManufacturerForm


def _fill(form: ManufacturerForm, maker) -> ManufacturerForm:
    """The profile as the maker last asked for it: a pending identity change's values stand
    in for the public ones, so saving again keeps the request as it is."""
    form.fill_from(maker)
    pending = changes.pending_identity_change(maker)
    for field, value in (pending.requested if pending else {}).items():
        form[field].data = value
    return form


@bp.route("/profile", methods=["GET", "POST"])
def profile_edit():
    maker = services.own_manufacturer(current_user)
    form = ManufacturerForm()
    if form.validate_on_submit():
        try:
            saved = changes.update_manufacturer(
                current_user, maker, form.values(), version=form.version.data
            )
        except changes.EditConflict:
            db.session.rollback()
            current = _fill(ManufacturerForm(formdata=None), maker)
            form.keep_input(current, maker.version, skip=("contact_email_source",))
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Profile saved (%(num)d change).", "Profile saved (%(num)d changes).",
                    saved.changed,
                ),
                "success",
            )  # fmt: skip
            if saved.requested:
                fields = ", ".join(str(changes.IDENTITY_LABELS[f]) for f in saved.requested)
                flash(
                    _(
                        "Your change of %(fields)s waits for CAC staff review: buyers see the "
                        "current details until staff approve it.",
                        fields=fields,
                    ),
                    "info",
                )
            return redirect(url_for("portal.profile_edit"))
    if not form.is_submitted():
        _fill(form, maker)
    status = 409 if form.conflict is not None else 400 if form.errors else 200
    return render_template(
        "portal/profile_edit.html",
        form=form,
        maker=maker,
        identity_change=changes.latest_identity_change(maker),
        documents=supplies_services.company_uploads(maker),
        document_form=DocumentForm(),
    ), status


@bp.get("/profile/history")
def profile_history():
    maker = services.own_manufacturer(current_user)
    return render_template(
        "portal/history.html", subject=maker.name, records=history_of(maker),
        back=url_for("portal.profile_edit"),
    )  # fmt: skip

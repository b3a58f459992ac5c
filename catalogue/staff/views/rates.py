"""Reference exchange rates: entered by staff with their date and source, used only to compare
quotations in different currencies."""

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n.formats import format_day
from catalogue.inquiries import quotations
from catalogue.inquiries.forms import ReferenceRateForm
from catalogue.lib.paging import page_arg
from catalogue.staff import services
from catalogue.staff.views import bp


@bp.route("/rates/", methods=["GET", "POST"])
def rate_list():
    form = ReferenceRateForm()
    if form.validate_on_submit():
        # InputRequired and DataRequired
        assert form.rate.data is not None and form.as_of.data is not None
        assert form.source.data is not None
        try:
            rate = quotations.add_reference_rate(
                current_user, form.base.data, form.quote.data, form.rate.data,
                form.as_of.data, form.source.data,
            )  # fmt: skip
        except ServiceError as error:
            db.session.rollback()
            target = getattr(form, error.field, None) if error.field else None
            if target is None:
                form.form_errors.append(error.message)
            else:
                target.errors = [*target.errors, error.message]
        else:
            db.session.commit()
            rate_text = f"1 {rate.base} = {rate.rate.normalize():,f} {rate.quote}"
            flash(
                _(
                    "Rate saved: %(rate)s (%(day)s, %(source)s).",
                    rate=rate_text,
                    day=format_day(rate.as_of),
                    source=rate.source,
                ),
                "success",
            )
            return redirect(url_for("staff.rate_list"))
    elif not form.is_submitted():
        form.as_of.data = date.today()
    return render_template(
        "staff/rate_list.html",
        form=form,
        latest=quotations.latest_rates(),
        history=services.rate_history_page(page_arg()),
    ), (400 if form.errors else 200)

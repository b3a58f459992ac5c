"""Privacy requests: find what the site holds about an e-mail address, and remove it."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.mail.delivery import delete_copies
from catalogue.staff import privacy
from catalogue.staff.forms import PrivacyEraseForm, PrivacyLookupForm
from catalogue.staff.views import bp


@bp.get("/privacy/")
def privacy_index():
    return render_template("staff/privacy.html", lookup=PrivacyLookupForm(), found=None)


@bp.post("/privacy/")
def privacy_lookup():
    lookup = PrivacyLookupForm()
    if not lookup.validate_on_submit():
        return render_template("staff/privacy.html", lookup=lookup, found=None), 400
    assert lookup.email.data  # DataRequired
    found = privacy.find_personal_data(lookup.email.data)
    erase = PrivacyEraseForm(formdata=None, email=found.email)
    return render_template("staff/privacy.html", lookup=lookup, found=found, erase=erase)


@bp.post("/privacy/erase")
def privacy_erase():
    erase = PrivacyEraseForm()
    if not erase.validate_on_submit():
        # Back to what was found, with the reason nothing was removed.
        found = privacy.find_personal_data(erase.email.data) if erase.email.data else None
        lookup = PrivacyLookupForm(formdata=None, email=erase.email.data)
        page = render_template("staff/privacy.html", lookup=lookup, found=found, erase=erase)
        return page, 400
    assert erase.email.data  # DataRequired
    try:
        done = privacy.erase_personal_data(current_user, erase.email.data)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        found = privacy.find_personal_data(erase.email.data)
        lookup = PrivacyLookupForm(formdata=None, email=erase.email.data)
        page = render_template("staff/privacy.html", lookup=lookup, found=found, erase=erase)
        return page, 400
    db.session.commit()
    delete_copies(done.messages)  # once the removal is kept
    flash(
        _(
            "Personal data removed: %(inquiries)d inquiries, %(accounts)d accounts and "
            "%(emails)d e-mails anonymised, %(cancelled)d unsent e-mails cancelled. "
            "Nothing more will be sent to that address.",
            inquiries=done.inquiries,
            accounts=done.accounts,
            emails=len(done.messages),
            cancelled=done.cancelled,
        ),
        "success",
    )
    return redirect(url_for("staff.privacy_index"))

"""Sign in, sign out, registration, password reset, invitations and the officer's account page."""

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from catalogue.accounts import forms, services
from catalogue.errors import ServiceError, handle_http_error
from catalogue.extensions import db, limiter
from catalogue.i18n import LANGUAGES, current_language, remember_language
from catalogue.i18n.formats import country_name
from catalogue.inquiries import buyer
from catalogue.inquiries import pages as inquiry_pages
from catalogue.inquiries.forms import DecisionForm, ReplyForm

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _safe_next(default: str) -> str:
    """Only follow ?next= to a path on this site."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def home_for(user) -> str:
    views = current_app.view_functions
    if user.role == "staff":
        return url_for("staff.dashboard")
    if user.role == "manufacturer" and "portal.dashboard" in views:
        return url_for("portal.dashboard")
    return url_for("accounts.account_home")


def _form_page(template: str, form, **context):
    """Render a form page: 200 when fresh, 400 when it comes back with errors."""
    csrf_errors = getattr(getattr(form, "csrf_token", None), "errors", None)
    if csrf_errors:
        form.form_errors.append(
            _(
                "This form was open too long, or you signed in or out meanwhile, so it was not "
                "sent and nothing changed (%(reason)s). Your entries are kept below: please "
                "check them and send the form again.",
                reason=csrf_errors[0],
            )
        )
    return render_template(template, form=form, **context), 400 if form.errors else 200


# The views whose every change goes through form.validate_on_submit(), which checks the CSRF
# token itself: when the token has expired they are run again, so that the form comes back with
# the visitor's input and the reason instead of a bare error page.
_FORM_VIEWS = {
    "accounts.login",
    "accounts.register",
    "accounts.register_confirm",
    "accounts.password_reset_request",
    "accounts.password_reset",
    "accounts.invitation_accept",
}


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    if request.endpoint in _FORM_VIEWS and not _token_is_valid():
        try:
            return current_app.view_functions[request.endpoint](**(request.view_args or {}))
        except HTTPException:  # the link of the page is no longer valid either
            pass
    return handle_http_error(error)


def _token_is_valid() -> bool:
    """Whether the form's own check of the token would pass (CSRFProtect also refuses a valid
    token, e.g. for a missing Referer over HTTPS; the form would not catch that)."""
    try:
        validate_csrf(request.form.get(current_app.config["WTF_CSRF_FIELD_NAME"]))
    except ValidationError:
        return False
    return True


def _start_session(user, remember: bool = False) -> None:
    """Sign the user in with a new session id and a new CSRF token."""
    _new_csrf_token()
    login_user(user, remember=remember)


def _new_csrf_token() -> None:
    """A token read or planted before a sign-in or sign-out cannot act after it."""
    name = current_app.config["WTF_CSRF_FIELD_NAME"]
    session.pop(name, None)
    g.pop(name, None)


def _copy_error(form, error: ServiceError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = forms.LoginForm()
    if form.validate_on_submit():
        assert form.email.data and form.password.data  # DataRequired
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            # One message for a wrong e-mail and a wrong password: no account probing.
            form.form_errors.append(_("That e-mail and password do not match an active account."))
        else:
            _start_session(user, remember=bool(form.remember.data))
            db.session.commit()
            return redirect(_safe_next(home_for(user)))
    return _form_page("accounts/login.html", form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # On every device: a copied session or remember-me cookie opens nothing afterwards.
        services.end_sessions(current_user)
        db.session.commit()
    logout_user()
    _new_csrf_token()
    flash(_("You are signed out."), "success")
    return redirect(url_for("content.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    form = forms.RegistrationForm()
    if form.validate_on_submit():
        assert form.email.data and form.password.data  # DataRequired
        assert form.name.data and form.organisation.data  # DataRequired
        try:
            address = services.register_officer(
                form.email.data,
                form.password.data,
                name=form.name.data.strip(),
                organisation=form.organisation.data.strip(),
                job_title=(form.job_title.data or "").strip() or None,
                city=(form.city.data or "").strip() or None,
                country=form.country.data,
            )
        except ServiceError as error:
            _copy_error(form, error)
        else:
            db.session.commit()
            # The same answer whether or not the address has an account: its e-mail tells.
            flash(_("We sent an e-mail to %(address)s.", address=address), "info")
            return redirect(url_for("accounts.register_sent"))
    return _form_page("accounts/register.html", form)


@bp.get("/register/sent")
def register_sent():
    return render_template(
        "accounts/register_sent.html", days=current_app.config["EMAIL_CONFIRMATION_DAYS"]
    )


@bp.route("/register/<token>", methods=["GET", "POST"])
def register_confirm(token):
    """The link from the registration e-mail. Opening it shows what will be made; the account is
    made by the button (a POST), so a mail scanner that opens links does not use it up."""
    registration = services.token_for("registration", token)
    if registration is None or not registration.payload:
        abort(
            404,
            description=_(
                "This link is invalid, has expired or has been used already. Register again, "
                "or sign in if your account is ready."
            ),
        )
    form = forms.RegistrationConfirmForm()
    if form.validate_on_submit():
        try:
            user, attached = services.complete_registration(token)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "info")
            return redirect(url_for("accounts.login"))
        _start_session(user)  # the account keeps the language chosen so far
        db.session.commit()
        message = _("Welcome. Your account is ready and %(email)s is confirmed.", email=user.email)
        flash(_with_attached(message, attached), "success")
        return redirect(url_for("accounts.account_home"))
    return _form_page(
        "accounts/register_confirm.html",
        form,
        email=registration.email,
        details=registration.payload,
        country=country_name(registration.payload.get("country")),
    )


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def password_reset_request():
    form = forms.PasswordResetRequestForm()
    if form.validate_on_submit():
        assert form.email.data  # DataRequired
        services.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            _("If an account uses that address, we have sent it a link to set a new password."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return _form_page("accounts/password_reset_request.html", form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset(token):
    if services.token_for("password_reset", token) is None:
        abort(404, description=_("This reset link is invalid or has expired. Ask for a new one."))
    form = forms.NewPasswordForm()
    if form.validate_on_submit():
        assert form.password.data  # DataRequired
        try:
            services.reset_password(token, form.password.data)
        except ServiceError as error:
            _copy_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password is changed. Please sign in."), "success")
            return redirect(url_for("accounts.login"))
    return _form_page("accounts/password_reset.html", form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation_accept(token):
    invitation = services.token_for("invitation", token)
    if invitation is None:
        abort(
            404,
            description=_("This invitation is invalid or has expired. Ask staff for a new one."),
        )
    form = forms.InvitationAcceptForm()
    if form.validate_on_submit():
        assert form.name.data and form.password.data  # DataRequired
        try:
            user = services.accept_invitation(token, form.name.data.strip(), form.password.data)
        except ServiceError as error:
            _copy_error(form, error)
        else:
            _start_session(user)  # the account keeps the language chosen so far
            db.session.commit()
            flash(
                _("Welcome. You now manage %(name)s.", name=invitation.manufacturer.name),
                "success",
            )
            return redirect(home_for(user))
    return _form_page("accounts/invitation_accept.html", form, invitation=invitation)


@bp.get("/confirm/<token>")
def email_confirm(token):
    """The link from the confirmation e-mail; it names its user, so signing in is not needed.

    It changes state on GET (a link in an e-mail), so it is single use: a second visit is a 404.
    """
    try:
        user, attached = services.confirm_email(token)
    except ServiceError as error:
        db.session.rollback()
        abort(404, description=error.message)
    db.session.commit()
    message = _("Your address %(email)s is confirmed.", email=user.email)
    flash(_with_attached(message, attached), "success")
    return redirect(url_for("accounts.account_home"))


@bp.post("/confirm/resend")
@limiter.limit(_register_limit)
@login_required
def email_confirm_resend():
    try:
        services.send_email_confirmation(current_user)
    except ServiceError as error:
        flash(error.message, "info")
    else:
        db.session.commit()
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("accounts.account_home"))


def _with_attached(message: str, attached: int) -> str:
    """The message, then how many earlier inquiries joined the account (if any)."""
    if not attached:
        return message
    news = ngettext(
        "%(num)d earlier inquiry is now in your account.",
        "%(num)d earlier inquiries are now in your account.",
        attached,
    )
    return f"{message} {news}"


def _account_page(language_form=None, status: int = 200):
    if language_form is None:
        language_form = forms.LanguageForm(language=current_user.language or current_language())
    return render_template(
        "accounts/account_home.html",
        inquiries=buyer.inquiries_of(current_user),
        language_form=language_form,
    ), status


@bp.get("/")
@login_required
def account_home():
    return _account_page()


@bp.post("/language")
@login_required
def language_update():
    """The account's language: of its pages on every device, and of the e-mails it is sent."""
    form = forms.LanguageForm()
    if not form.validate_on_submit():
        return _account_page(form, 400)
    code = form.language.data
    current_user.language = code
    db.session.commit()
    response = redirect(url_for("accounts.account_home"), code=303)
    remember_language(response, code)
    # The page after the redirect is in the new language, and so is this message.
    with force_locale(code):
        flash(
            _(
                "Your language is saved: pages and e-mails will be in %(language)s.",
                language=LANGUAGES[code],
            ),
            "success",
        )
    return response


def _own_inquiry(inquiry_id: int):
    inquiry = buyer.officer_inquiry(current_user, inquiry_id)
    if inquiry is None:
        abort(404)
    return inquiry


def _inquiry_urls(inquiry) -> dict:
    return {
        "reply_action": url_for("accounts.inquiry_reply", inquiry_id=inquiry.id),
        "decision_action": url_for("accounts.inquiry_decision", inquiry_id=inquiry.id),
        "withdraw_action": url_for("accounts.inquiry_withdraw", inquiry_id=inquiry.id),
        "compare_url": url_for("accounts.inquiry_compare", inquiry_id=inquiry.id)
        if buyer.has_quotations_to_compare(inquiry)
        else None,
        "quotation_url": lambda q: url_for(
            "accounts.inquiry_quotation_pdf", inquiry_id=inquiry.id, quotation_id=q.id
        ),
    }


def _inquiry_page(inquiry, **forms_and_status):
    return inquiry_pages.officer_page(
        inquiry, "accounts/inquiry_detail.html", _inquiry_urls(inquiry), **forms_and_status
    )


@bp.get("/inquiries/<int:inquiry_id>")
@login_required
def inquiry_detail(inquiry_id):
    """A signed-in officer's own inquiry: the same page as the tracking link."""
    return _inquiry_page(_own_inquiry(inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/reply")
@login_required
def inquiry_reply(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    form = ReplyForm()
    if inquiry_pages.handle_officer_reply(inquiry, form, current_user):
        return redirect(url_for("accounts.inquiry_detail", inquiry_id=inquiry.id, _anchor="thread"))
    return _inquiry_page(inquiry, reply_form=form, status=400)


@bp.post("/inquiries/<int:inquiry_id>/decision")
@login_required
def inquiry_decision(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    form = DecisionForm()
    if inquiry_pages.handle_decision(inquiry, form, current_user):
        return redirect(
            url_for("accounts.inquiry_detail", inquiry_id=inquiry.id, _anchor="decision")
        )
    return _inquiry_page(inquiry, decision_form=form, status=409)


@bp.post("/inquiries/<int:inquiry_id>/withdraw")
@login_required
def inquiry_withdraw(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    inquiry_pages.handle_withdraw(inquiry, current_user)
    return redirect(url_for("accounts.inquiry_detail", inquiry_id=inquiry.id))


@bp.get("/inquiries/<int:inquiry_id>/compare")
@login_required
def inquiry_compare(inquiry_id):
    inquiry = _own_inquiry(inquiry_id)
    currency: dict[str, Any] = (
        {"currency": request.args["currency"]} if request.args.get("currency") else {}
    )
    return inquiry_pages.comparison_response(
        inquiry,
        "html",
        {
            "csv_url": url_for("accounts.inquiry_compare_csv", inquiry_id=inquiry.id, **currency),
            "pdf_url": url_for("accounts.inquiry_compare_pdf", inquiry_id=inquiry.id, **currency),
            "back_url": url_for("accounts.inquiry_detail", inquiry_id=inquiry.id),
        },
    )


@bp.get("/inquiries/<int:inquiry_id>/compare.csv")
@login_required
def inquiry_compare_csv(inquiry_id):
    return inquiry_pages.comparison_response(_own_inquiry(inquiry_id), "csv")


@bp.get("/inquiries/<int:inquiry_id>/compare.pdf")
@login_required
def inquiry_compare_pdf(inquiry_id):
    return inquiry_pages.comparison_response(_own_inquiry(inquiry_id), "pdf")


@bp.get("/inquiries/<int:inquiry_id>/quotations/<int:quotation_id>.pdf")
@login_required
def inquiry_quotation_pdf(inquiry_id, quotation_id):
    return inquiry_pages.send_quotation_pdf(_own_inquiry(inquiry_id), quotation_id)

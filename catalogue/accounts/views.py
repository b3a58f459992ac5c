"""Sign in, sign out, registration, password reset, invitations and the officer's account page."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from catalogue.accounts import forms, services
from catalogue.errors import ServiceError
from catalogue.extensions import db

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _safe_next(default: str) -> str:
    """Only follow ?next= to a path on this site."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def _home_for(user) -> str:
    if user.role == "staff" and "staff.dashboard" in _views():
        return url_for("staff.dashboard")
    if user.role == "manufacturer" and "portal.dashboard" in _views():
        return url_for("portal.dashboard")
    return url_for("accounts.account_home")


def _views():
    from flask import current_app

    return current_app.view_functions


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            # One message for a wrong e-mail and a wrong password: no account probing.
            form.password.errors.append("That e-mail and password do not match an active account.")
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(_safe_next(_home_for(user)))
    status = 400 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("content.home"))


@bp.get("/")
@login_required
def account_home():
    return render_template("accounts/account_home.html")


__all__ = ["bp", "ServiceError"]

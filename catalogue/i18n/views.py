"""The language switcher: a cookie for the visitor (no tracking: it holds the choice only) and,
for a signed-in user, the account's language too (which also decides their e-mails).

Visitors who are not signed in switch with a GET form: it only sets their cookie, and their pages
need no session (nor a CSRF token) for it. Signed-in users post the form with its token, since it
changes their account; a GET (a link from elsewhere) changes nothing for them.
"""

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from catalogue.extensions import db
from catalogue.i18n import COOKIE_NAME, known_language, remember_language

bp = Blueprint("i18n", __name__)


def _back_to(target: str | None) -> str:
    """The page the switcher was used on; only a path on this site, without its ?lang=."""
    target = target or ""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.netloc:
        return url_for("content.home")
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(f"{COOKIE_NAME}="))
    return parts.path + (f"?{query}" if query else "")


@bp.route("/language", methods=["GET", "POST"])
def switch_language():
    values = request.form if request.method == "POST" else request.args
    code = known_language(values.get("lang"))
    if code is None:
        abort(400, description=gettext("Choose one of the languages offered."))
    response = redirect(_back_to(values.get("next")), code=303)
    if request.method == "GET" and current_user.is_authenticated:
        return response
    remember_language(response, code)
    if request.method == "POST" and current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    return response

"""Sessions end at sign-out and at a password reset; remember-me cookies are new at every sign-in
and last 30 days; a used reset link ends the user's other reset links.

The requests here run without an outer app context, as in production, so nothing Flask-Login
caches in `g` carries over from one request (or one browser) to the next.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from catalogue.accounts import services
from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.mail.models import OutboundEmail

EMAIL = "ana.souza@saude.example"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "plum orchard at dawn"


@pytest.fixture
def site(app_factory):
    app = app_factory("test_sessions")
    with app.app_context():
        db.create_all()
        user = User(email=EMAIL, role="officer", name="Ana Souza")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    return app


def _sign_in(browser, password=PASSWORD, **extra):
    response = browser.post("/account/login", data={"email": EMAIL, "password": password, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _opens_account(browser) -> bool:
    response = browser.get("/account/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _with_cookie(site, name, value):
    """A second browser that carries one cookie copied from the first."""
    browser = site.test_client()
    browser.set_cookie(name, value)
    return browser


def _reset_links(site) -> list[str]:
    with site.app_context():
        bodies = db.session.scalars(
            sa.select(OutboundEmail.body_text)
            .where(OutboundEmail.kind == "password_reset")
            .order_by(OutboundEmail.id)
        ).all()
    return [re.search(r"http://localhost(/account/password-reset/\S+)", b).group(1) for b in bodies]


def _reset_password(site, password=NEW_PASSWORD):
    browser = site.test_client()
    browser.post("/account/password-reset", data={"email": EMAIL})
    link = _reset_links(site)[-1]
    done = browser.post(link, data={"password": password, "confirm": password})
    assert done.status_code == 302


# --- Sign-out ends the session ------------------------------------------------------------------


def test_a_session_cookie_copied_before_sign_out_no_longer_opens_the_account(site):
    browser = site.test_client()
    _sign_in(browser)
    copied = browser.get_cookie("session").value
    assert _opens_account(_with_cookie(site, "session", copied))
    browser.post("/account/logout")
    assert not _opens_account(browser)
    assert not _opens_account(_with_cookie(site, "session", copied))


def test_a_remember_me_cookie_from_before_sign_out_is_refused(site):
    browser = site.test_client()
    _sign_in(browser, remember="y")
    remember = browser.get_cookie("remember_token").value
    assert _opens_account(_with_cookie(site, "remember_token", remember))
    browser.post("/account/logout")
    assert not _opens_account(_with_cookie(site, "remember_token", remember))


def test_signing_in_again_after_sign_out_works(site):
    browser = site.test_client()
    _sign_in(browser)
    browser.post("/account/logout")
    _sign_in(browser)
    assert _opens_account(browser)


# --- A password reset ends every session --------------------------------------------------------


def test_a_remember_me_cookie_from_before_a_password_reset_is_refused(site):
    browser = site.test_client()
    _sign_in(browser, remember="y")
    remember = browser.get_cookie("remember_token").value
    session_cookie = browser.get_cookie("session").value
    _reset_password(site)
    assert not _opens_account(_with_cookie(site, "remember_token", remember))
    assert not _opens_account(_with_cookie(site, "session", session_cookie))
    assert not _opens_account(browser)
    # The new password opens a new session.
    _sign_in(browser, password=NEW_PASSWORD)
    assert _opens_account(browser)


def test_a_deactivated_account_loses_its_sessions(site):
    browser = site.test_client()
    _sign_in(browser)
    with site.app_context():
        db.session.scalar(sa.select(User)).active = False
        db.session.commit()
    assert not _opens_account(browser)


# --- Remember-me cookies ------------------------------------------------------------------------


def test_the_remember_me_cookie_differs_between_two_sign_ins(site):
    first, second = site.test_client(), site.test_client()
    _sign_in(first, remember="y")
    _sign_in(second, remember="y")
    one, two = first.get_cookie("remember_token"), second.get_cookie("remember_token")
    assert one.value != two.value
    # Both devices stay signed in.
    assert _opens_account(_with_cookie(site, "remember_token", one.value))
    assert _opens_account(_with_cookie(site, "remember_token", two.value))


def test_the_remember_me_cookie_lasts_30_days(site):
    browser = site.test_client()
    _sign_in(browser, remember="y")
    expires = browser.get_cookie("remember_token").expires
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)


def test_a_remember_me_cookie_older_than_30_days_is_refused_even_if_kept(site, monkeypatch):
    browser = site.test_client()
    _sign_in(browser, remember="y")
    remember = browser.get_cookie("remember_token").value
    later = utcnow() + timedelta(days=30, minutes=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert not _opens_account(_with_cookie(site, "remember_token", remember))


def test_the_old_remember_me_cookie_format_is_refused(site):
    """Before sessions were revocable the cookie was `<user id>|<HMAC>`, the same at every sign-in
    and valid for a year; such cookies no longer open anything."""
    with site.test_request_context():
        user_id = db.session.scalar(sa.select(User.id))
        old = encode_cookie(str(user_id))
    assert not _opens_account(_with_cookie(site, "remember_token", old))


# --- Reset links --------------------------------------------------------------------------------


@pytest.mark.parametrize("used", ["newer", "older"])
def test_using_one_reset_link_ends_the_others(site, used):
    browser = site.test_client()
    browser.post("/account/password-reset", data={"email": EMAIL})
    browser.post("/account/password-reset", data={"email": EMAIL})
    older, newer = _reset_links(site)
    use, other = (newer, older) if used == "newer" else (older, newer)
    assert browser.get(other).status_code == 200
    assert browser.post(use, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
    assert browser.get(other).status_code == 404
    again = browser.post(other, data={"password": "another long phrase", "confirm": "x"})
    assert again.status_code == 404
    # A link asked for afterwards works.
    browser.post("/account/password-reset", data={"email": EMAIL})
    assert browser.get(_reset_links(site)[-1]).status_code == 200


def test_deactivation_ends_sessions_so_reactivation_does_not_bring_them_back(site):
    browser = site.test_client()
    _sign_in(browser)
    copied = _with_cookie(site, "session", browser.get_cookie("session").value)
    with site.app_context():
        staff = User(email="staff@cac.example", role="staff", name="Staff")
        db.session.add(staff)
        user = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        services.set_user_active(staff, user, False)
        db.session.commit()
        services.set_user_active(staff, user, True)
        db.session.commit()
    assert not _opens_account(copied)

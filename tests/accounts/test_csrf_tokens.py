"""CSRF tokens are new after signing in and expire; an expired one brings the form back with the
visitor's input and a clear message, and changes nothing."""

import re
import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.mail.models import OutboundEmail

EMAIL = "ana.souza@saude.example"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def site(app_factory):
    """CSRF on; requests run without an outer app context, as in production."""
    app = app_factory("test_csrf_tokens", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        user = User(email=EMAIL, role="officer", name="Ana Souza")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    return app


def _token_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _form_token(browser, path="/account/login") -> str:
    return _token_in(browser.get(path).get_data(as_text=True))


def _token_issued_ago(site, browser, seconds: float) -> str:
    """A token for this browser's session, signed `seconds` ago."""
    with browser.session_transaction() as session:
        raw = session["csrf_token"]

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds)

    signer = URLSafeTimedSerializer(
        site.config["SECRET_KEY"], salt="wtf-csrf-token", signer=Earlier
    )
    return str(signer.dumps(raw))


def test_the_token_from_before_sign_in_is_refused_after_it(site):
    browser = site.test_client()
    before = _form_token(browser)
    signed_in = browser.post(
        "/account/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": before}
    )
    assert signed_in.status_code == 302
    after = _token_in(browser.get("/account/").get_data(as_text=True))
    assert after != before
    # A token planted or read before sign-in cannot act for the signed-in user.
    assert browser.post("/account/logout", data={"csrf_token": before}).status_code == 400
    assert browser.get("/account/").status_code == 200
    assert browser.post("/account/logout", data={"csrf_token": after}).status_code == 302
    assert browser.get("/account/").status_code == 302


def test_the_token_expires(site):
    limit = site.config["WTF_CSRF_TIME_LIMIT"]
    assert limit is not None and 3600 <= limit <= 24 * 3600
    browser = site.test_client()
    _form_token(browser)
    fresh = _token_issued_ago(site, browser, limit - 60)
    ok = browser.post(
        "/account/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": fresh}
    )
    assert ok.status_code == 302


def test_an_expired_token_brings_the_form_back_with_the_input_and_a_clear_message(site):
    browser = site.test_client()
    _form_token(browser, "/account/register")
    expired = _token_issued_ago(site, browser, site.config["WTF_CSRF_TIME_LIMIT"] + 60)
    data = {
        "name": "Bruno Lima",
        "email": "bruno.lima@saude.example",
        "organisation": "City Health Department",
        "job_title": "Buyer",
        "city": "Recife",
        "country": "BR",
        "password": "plum orchard at dawn",
        "confirm": "plum orchard at dawn",
        "csrf_token": expired,
    }
    response = browser.post("/account/register", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "was open too long" in page and "has expired" in page
    for value in ("Bruno Lima", "bruno.lima@saude.example", "City Health Department", "Recife"):
        assert f'value="{value}"' in page
    # Nothing was done, and the form now carries a fresh token that works.
    with site.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == 0
    again = browser.post("/account/register", data={**data, "csrf_token": _token_in(page)})
    assert again.status_code == 302


def test_an_expired_token_on_sign_in_keeps_the_address(site):
    browser = site.test_client()
    _form_token(browser)
    expired = _token_issued_ago(site, browser, site.config["WTF_CSRF_TIME_LIMIT"] + 60)
    response = browser.post(
        "/account/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": expired}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "was open too long" in page and f'value="{EMAIL}"' in page
    assert browser.get("/account/").status_code == 302


def test_a_missing_token_is_still_a_plain_refusal_elsewhere(site):
    browser = site.test_client()
    response = browser.post("/account/logout")
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)

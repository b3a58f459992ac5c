"""Rate limits on sign-in and registration."""

import pytest

from catalogue.extensions import db


@pytest.fixture
def limited_client(app_factory):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
        yield app.test_client()


def test_fourth_sign_in_attempt_in_a_minute_gets_429(limited_client):
    data = {"email": "someone@city.example", "password": "wrong password here"}
    codes = [limited_client.post("/account/login", data=data).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    page = limited_client.post("/account/login", data=data)
    assert page.status_code == 429
    assert "Too many requests" in page.get_data(as_text=True)
    # Reading the form is not limited.
    assert limited_client.get("/account/login").status_code == 200


def test_registration_is_rate_limited(app_factory):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [client.post("/account/register", data={}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]

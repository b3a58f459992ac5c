"""Sign-in, registration, password reset and invitations, through the pages."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalogue.accounts import services
from catalogue.accounts.models import AccountToken, User
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.mail.models import OutboundEmail
from tests.fixtures.accounts import DEFAULT_PASSWORD

GOOD_PASSWORD = "plum orchard at dawn"


def _text(response):
    return response.get_data(as_text=True)


def _sign_in(client, email, password, **extra):
    return client.post("/account/login", data={"email": email, "password": password, **extra})


def _mail_to(address):
    return db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == address)
    ).all()


def _link_in(message) -> str:
    return re.search(r"http://localhost(/account/\S+)", message.body_text).group(1)


# --- Sign in -----------------------------------------------------------------------------------


def test_officer_signs_in_and_reaches_the_account_page(client, make_user):
    user = make_user(email="buyer@city.example")
    response = _sign_in(client, "Buyer@City.example", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/")
    assert user.email in _text(client.get("/account/"))


def test_staff_lands_on_the_staff_dashboard(client, make_user):
    make_user(role="staff", email="staff@portal.example")
    response = _sign_in(client, "staff@portal.example", DEFAULT_PASSWORD)
    assert response.headers["Location"].endswith("/staff/")


def test_wrong_email_and_wrong_password_get_the_same_message(client, make_user):
    make_user(email="known@city.example")
    wrong_password = _sign_in(client, "known@city.example", "not the password at all")
    wrong_email = _sign_in(client, "unknown@city.example", DEFAULT_PASSWORD)
    assert wrong_password.status_code == wrong_email.status_code == 400
    message = "That e-mail and password do not match an active account."
    assert message in _text(wrong_password) and message in _text(wrong_email)


def test_inactive_user_cannot_sign_in(client, make_user):
    make_user(email="gone@city.example", active=False)
    response = _sign_in(client, "gone@city.example", DEFAULT_PASSWORD)
    assert response.status_code == 400
    assert client.get("/account/").status_code == 302


def test_remember_me_sets_a_lasting_httponly_cookie(client, make_user):
    make_user(email="stay@city.example")
    response = _sign_in(client, "stay@city.example", DEFAULT_PASSWORD, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    session_cookie = [c for c in cookies if c.startswith("session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_next_only_follows_paths_on_this_site(client, make_user):
    make_user(email="n@city.example")
    inside = client.post(
        "/account/login?next=/supplies/",
        data={"email": "n@city.example", "password": DEFAULT_PASSWORD},
    )
    assert inside.headers["Location"] == "/supplies/"
    client.post("/account/logout")
    outside = client.post(
        "/account/login?next=//evil.example/x",
        data={"email": "n@city.example", "password": DEFAULT_PASSWORD},
    )
    assert "evil.example" not in outside.headers["Location"]


def test_sign_out(client, make_user, login):
    login(make_user())
    assert client.get("/account/").status_code == 200
    client.post("/account/logout")
    assert client.get("/account/").status_code == 302


# --- Registration ------------------------------------------------------------------------------


def _registration(**changes):
    data = {
        "name": "Ana Souza",
        "email": "ana.souza@saude.example",
        "organisation": "City Health Department",
        "job_title": "Procurement officer",
        "city": "Recife",
        "country": "BR",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data.update(changes)
    return data


def test_registration_creates_the_officer_by_the_emailed_link(client):
    response = client.post("/account/register", data=_registration())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/register/sent")
    page = _text(client.get(response.headers["Location"]))
    assert "We sent an e-mail to ana.souza@saude.example" in page
    assert db.session.scalar(sa.select(User)) is None
    (message,) = _mail_to("ana.souza@saude.example")
    assert client.post(_link_in(message)).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "ana.souza@saude.example"))
    assert (
        user.role == "officer" and user.country == "BR" and user.job_title == "Procurement officer"
    )
    assert user.password_hash.startswith("scrypt:") and GOOD_PASSWORD not in user.password_hash
    assert "ana.souza@saude.example" in _text(client.get("/account/"))
    client.post("/account/logout")
    assert _sign_in(client, "ana.souza@saude.example", GOOD_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password": "short", "confirm": "short"}, "at least 12"),
        ({"password": "password1234", "confirm": "password1234"}, "too common"),
        ({"confirm": "something else entirely"}, "The passwords differ."),
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"country": "XX"}, "Not a valid choice"),
        ({"organisation": ""}, "This field is required."),
    ],
)
def test_registration_refuses_bad_input_and_keeps_the_form(client, changes, message):
    response = client.post("/account/register", data=_registration(**changes))
    assert response.status_code == 400
    html = _text(response)
    assert message in html
    assert 'value="City Health Department"' in html or changes.get("organisation") == ""
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_by_emailed_single_use_link(client, make_user):
    make_user(email="forgot@city.example")
    response = client.post("/account/password-reset", data={"email": "forgot@city.example"})
    assert response.status_code == 302
    (message,) = _mail_to("forgot@city.example")
    link = _link_in(message)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert done.status_code == 302
    assert _sign_in(client, "forgot@city.example", GOOD_PASSWORD).status_code == 302
    # The link works once.
    assert client.get(link).status_code == 404
    again = client.post(
        link, data={"password": "another long phrase", "confirm": "another long phrase"}
    )
    assert again.status_code == 404


def test_password_reset_link_expires(client, make_user):
    make_user(email="late@city.example")
    client.post("/account/password-reset", data={"email": "late@city.example"})
    link = _link_in(_mail_to("late@city.example")[0])
    token = db.session.scalar(sa.select(AccountToken))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(link).status_code == 404


def test_reset_request_answers_the_same_for_unknown_addresses(client, make_user):
    make_user(email="real@city.example")
    known = client.post("/account/password-reset", data={"email": "real@city.example"})
    unknown = client.post("/account/password-reset", data={"email": "nobody@city.example"})
    assert known.status_code == unknown.status_code == 302
    assert _mail_to("nobody@city.example") == []
    assert client.get(known.headers["Location"]).status_code == 200


def test_only_the_hash_of_a_token_is_stored(client, make_user):
    make_user(email="hash@city.example")
    client.post("/account/password-reset", data={"email": "hash@city.example"})
    token = _link_in(_mail_to("hash@city.example")[0]).rsplit("/", 1)[1]
    stored = db.session.scalar(sa.select(AccountToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_unknown_reset_token_is_404(client):
    assert client.get("/account/password-reset/not-a-real-token").status_code == 404


# --- Invitations -------------------------------------------------------------------------------


def test_invitation_creates_a_manufacturer_user_bound_to_its_maker(
    client, make_user, make_manufacturer
):
    staff = make_user(role="staff")
    maker = make_manufacturer(name="Invited Bio Inc.")
    services.invite_manufacturer_user(staff, maker, "QA@invited.example")
    db.session.commit()
    (message,) = _mail_to("qa@invited.example")
    link = _link_in(message)
    page = client.get(link)
    assert page.status_code == 200 and "Invited Bio Inc." in _text(page)
    response = client.post(
        link, data={"name": "Kim Min-ji", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "qa@invited.example"))
    assert user.role == "manufacturer" and user.manufacturer_id == maker.id
    assert client.get(link).status_code == 404  # single use


def test_expired_invitation_is_refused(client, make_user, make_manufacturer):
    services.invite_manufacturer_user(make_user(role="staff"), make_manufacturer(), "x@m.example")
    db.session.commit()
    link = _link_in(_mail_to("x@m.example")[0])
    token = db.session.scalar(sa.select(AccountToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 404
    assert (
        db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == "manufacturer")) == 0
    )


def test_manufacturer_accounts_cannot_self_register(client, make_manufacturer):
    maker = make_manufacturer()
    client.post(
        "/account/register",
        data=_registration(role="manufacturer", manufacturer_id=str(maker.id)),
    )
    client.post(_link_in(_mail_to("ana.souza@saude.example")[0]))
    user = db.session.scalar(sa.select(User))
    assert user.role == "officer" and user.manufacturer_id is None

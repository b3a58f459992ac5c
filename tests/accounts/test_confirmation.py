"""An officer's address is confirmed by an e-mailed link, and then the inquiries filed earlier with
it join the account: the registration link makes the account; accounts made before registration
links existed ask for a confirmation link."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalogue.accounts import services
from catalogue.accounts.models import AccountToken, User
from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.lib.dates import utcnow
from catalogue.mail.models import OutboundEmail

GOOD_PASSWORD = "plum orchard at dawn"
ADDRESS = "ana.souza@saude.example"


def _text(response):
    return response.get_data(as_text=True)


def _registration(email=ADDRESS):
    return {
        "name": "Ana Souza",
        "email": email,
        "organisation": "City Health Department",
        "country": "BR",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }


def _mails(kind, address=ADDRESS):
    return db.session.scalars(
        sa.select(OutboundEmail)
        .where(OutboundEmail.to_address == address, OutboundEmail.kind == kind)
        .order_by(OutboundEmail.id)
    ).all()


def _confirmation_mails(address=ADDRESS):
    return _mails("email_confirmation", address)


def _link_in(message) -> str:
    return re.search(
        r"http://localhost(/account/(?:confirm|register)/\S+)", message.body_text
    ).group(1)


def _registration_link(client, email=ADDRESS) -> str:
    response = client.post("/account/register", data=_registration(email))
    assert response.status_code == 302
    return _link_in(_mails("registration_confirmation", email.lower())[-1])


def _user(address=ADDRESS) -> User:
    return db.session.scalar(sa.select(User).where(User.email == address))


@pytest.fixture
def file_as_guest(make_product, file_inquiry):
    """file_as_guest(email) files a guest inquiry with that address and returns it."""
    product = make_product()

    def file(email, officer=None):
        ((inquiry, _token),) = file_inquiry(
            (product, 100), email=email, officer=officer, message="Please quote."
        )
        return inquiry

    return file


# --- Registration: the e-mailed link makes the account -----------------------------------------


def test_earlier_inquiries_join_the_account_made_by_the_registration_link(client, file_as_guest):
    earlier = file_as_guest("Ana.Souza@Saude.EXAMPLE")
    reference = earlier.reference

    link = _registration_link(client, "ANA.souza@saude.example")
    assert _user() is None  # not before the address is proven
    assert client.get("/account/").status_code == 302
    (message,) = _mails("registration_confirmation")
    assert "Seoul Metropolitan Government" in message.body_text
    page = client.get(link)
    assert page.status_code == 200
    assert "City Health Department" in _text(page) and ADDRESS in _text(page)

    created = client.post(link)
    assert created.status_code == 302
    assert created.headers["Location"].endswith("/account/")
    page = _text(client.get("/account/"))
    assert "1 earlier inquiry is now in your account." in page
    assert reference in page
    assert 'id="email-confirmation-notice"' not in page
    db.session.expire_all()
    assert _user().email_confirmed_at is not None
    assert db.session.get(Inquiry, earlier.id).officer_id == _user().id

    # The link works once.
    again = client.get(link)
    assert again.status_code == 404
    assert "used already" in _text(again)
    assert client.post(link).status_code == 404


def test_an_expired_registration_link_is_404_and_makes_nothing(client, file_as_guest):
    earlier = file_as_guest(ADDRESS)
    link = _registration_link(client)
    token = db.session.scalar(sa.select(AccountToken).where(AccountToken.purpose == "registration"))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 404
        assert "expired" in _text(response)
    db.session.expire_all()
    assert _user() is None
    assert db.session.get(Inquiry, earlier.id).officer_id is None


def test_a_registration_link_makes_no_second_account(client, make_user):
    first, second = _registration_link(client), _registration_link(client)
    assert client.post(first).status_code == 302
    client.post("/account/logout")
    response = client.post(second, follow_redirects=True)
    assert "exists already" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_the_registration_link_keeps_only_a_hash(client):
    link = _registration_link(client)
    token = db.session.scalar(sa.select(AccountToken).where(AccountToken.purpose == "registration"))
    assert link.rsplit("/", 1)[1] not in token.token_hash
    assert GOOD_PASSWORD not in str(token.payload)
    client.post(link)
    db.session.refresh(token)
    assert token.payload is None  # the password's hash now lives on the account only


def test_unknown_token_is_404(client):
    assert client.get("/account/confirm/not-a-real-token").status_code == 404
    assert client.get("/account/register/not-a-real-token").status_code == 404


def test_inquiries_with_other_addresses_are_never_attached(client, make_user, file_as_guest):
    other_officer = make_user(email="someone.else@city.example")
    others = [
        file_as_guest("someone.else@city.example").id,
        file_as_guest("someone.else@city.example", officer=other_officer).id,
        file_as_guest("ana.souza@other.example").id,
    ]
    mine = file_as_guest(ADDRESS).id
    client.post(_registration_link(client))
    db.session.expire_all()
    user = _user()
    assert db.session.get(Inquiry, mine).officer_id == user.id
    owners = {i: db.session.get(Inquiry, i).officer_id for i in others}
    assert owners == {others[0]: None, others[1]: other_officer.id, others[2]: None}


# --- Accounts made before registration links: confirmed by a link they ask for ------------------


def test_an_unconfirmed_account_confirms_by_a_link_it_asks_for(
    client, login, make_user, file_as_guest
):
    earlier = file_as_guest(ADDRESS)
    login(make_user(email=ADDRESS, name="Ana Souza"))
    page = _text(client.get("/account/"))
    assert 'id="email-confirmation-notice"' in page and "Send the link again" in page
    assert earlier.reference not in page
    response = client.post("/account/confirm/resend")
    assert response.status_code == 302
    assert "We sent a new link" in _text(client.get("/account/"))
    (message,) = _confirmation_mails()
    assert client.get(_link_in(message)).status_code == 302
    page = _text(client.get("/account/"))
    assert "1 earlier inquiry is now in your account." in page and earlier.reference in page
    db.session.expire_all()
    assert db.session.get(Inquiry, earlier.id).officer_id == _user().id
    # Once confirmed, there is nothing to resend.
    client.post("/account/confirm/resend")
    assert "confirmed already" in _text(client.get("/account/"))
    assert len(_confirmation_mails()) == 1
    # The link works once.
    again = client.get(_link_in(message))
    assert again.status_code == 404 and "used already" in _text(again)


def test_the_confirmation_link_works_when_signed_out(client, login, make_user, file_as_guest):
    ids = [file_as_guest(ADDRESS).id, file_as_guest(ADDRESS.upper()).id]
    login(make_user(email=ADDRESS))
    client.post("/account/confirm/resend")
    client.post("/account/logout")
    response = client.get(_link_in(_confirmation_mails()[0]))
    assert response.status_code == 302
    db.session.expire_all()
    user = _user()
    assert user.email_confirmed_at is not None
    owners = db.session.scalars(sa.select(Inquiry.officer_id).where(Inquiry.id.in_(ids))).all()
    assert owners == [user.id, user.id]
    # Signed out, the account page asks for a sign-in, where the news is shown.
    sign_in = client.get(response.headers["Location"], follow_redirects=True)
    assert "2 earlier inquiries are now in your account." in _text(sign_in)


def test_an_expired_confirmation_link_is_404_and_attaches_nothing(
    client, login, make_user, file_as_guest
):
    earlier = file_as_guest(ADDRESS)
    login(make_user(email=ADDRESS))
    client.post("/account/confirm/resend")
    token = db.session.scalar(
        sa.select(AccountToken).where(AccountToken.purpose == "email_confirmation")
    )
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(_link_in(_confirmation_mails()[0]))
    assert response.status_code == 404
    assert "expired" in _text(response)
    db.session.expire_all()
    assert _user().email_confirmed_at is None
    assert db.session.get(Inquiry, earlier.id).officer_id is None


def test_resend_needs_a_signed_in_user(client, make_user):
    make_user(email=ADDRESS)
    response = client.post("/account/confirm/resend")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert _confirmation_mails() == []


def test_resend_is_rate_limited(app_factory):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
        user = User(email=ADDRESS, role="officer", name="Ana")
        user.set_password(GOOD_PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_session_id()
        codes = [client.post("/account/confirm/resend").status_code for _ in range(4)]
        assert codes == [302, 302, 302, 429]
        assert len(_confirmation_mails()) == 3


def test_resend_without_csrf_token_is_refused(app_factory):
    app = app_factory("test_csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        user = User(email=ADDRESS, role="officer", name="Ana")
        user.set_password(GOOD_PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_session_id()
            session["_fresh"] = True
        page = _text(client.get("/account/"))
        assert 'action="/account/confirm/resend"' in page and 'name="csrf_token"' in page
        response = client.post("/account/confirm/resend")
        assert response.status_code == 400
        assert _confirmation_mails() == []


@pytest.mark.parametrize("role", ["staff", "manufacturer"])
def test_staff_and_manufacturer_users_see_no_confirmation_notice(
    client, login, make_user, make_manufacturer, role
):
    fields = {"manufacturer_id": make_manufacturer().id} if role == "manufacturer" else {}
    login(make_user(role=role, **fields))
    assert 'id="email-confirmation-notice"' not in _text(client.get("/account/"))
    client.post("/account/confirm/resend")
    assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == 0


def test_accepting_an_invitation_confirms_the_address_and_routes_waiting_inquiries(
    client, make_user, make_manufacturer, make_product, file_inquiry
):
    maker = make_manufacturer(name="Invited Bio Inc.")
    ((waiting, _token),) = file_inquiry((make_product(manufacturer=maker), 10), email=ADDRESS)
    assert waiting.route == "staff_desk"

    services.invite_manufacturer_user(make_user(role="staff"), maker, "qa@invited.example")
    db.session.commit()
    invitation = db.session.scalar(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == "qa@invited.example")
    )
    link = re.search(r"http://localhost(/account/\S+)", invitation.body_text).group(1)
    response = client.post(
        link, data={"name": "Kim Min-ji", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _user("qa@invited.example").email_confirmed_at is not None
    moved = db.session.get(Inquiry, waiting.id)
    assert moved.route == "portal" and moved.status == "routed"
    assert _confirmation_mails("qa@invited.example") == []

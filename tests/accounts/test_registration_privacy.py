"""Registration does not tell anyone whether an address has an account: a new address gets a link
that creates the account, an address in use gets a notice to its owner, and the visitor sees the
same answer either way."""

import re

import pytest
import sqlalchemy as sa

from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.mail.models import OutboundEmail

ADDRESS = "ana.souza@saude.example"
GOOD_PASSWORD = "plum orchard at dawn"


def _registration(email=ADDRESS, **changes):
    data = {
        "name": "Ana Souza",
        "email": email,
        "organisation": "City Health Department",
        "job_title": "Procurement officer",
        "city": "Recife",
        "country": "BR",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data.update(changes)
    return data


def _answer(app, data):
    """What a visitor sees: the response to the form and the page it leads to."""
    browser = app.test_client()
    response = browser.post("/account/register", data=data)
    followed = browser.get(response.headers["Location"]) if response.status_code == 302 else None
    return browser, response, followed


def _without_tokens(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', html)


def _mail(address=ADDRESS):
    return db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == address)
    ).all()


@pytest.mark.postgresql
def test_an_address_in_use_gets_the_same_answer_and_its_owner_a_notice(app, make_user):
    fresh_browser, fresh, fresh_page = _answer(app, _registration())
    assert [m.kind for m in _mail()] == ["registration_confirmation"]

    owner = make_user(email=ADDRESS, name="Ana Souza")
    # Any spelling of the address is the same address.
    _browser, taken, taken_page = _answer(app, _registration(email="Ana.Souza@Saude.EXAMPLE"))

    assert fresh.status_code == taken.status_code == 302
    assert fresh.headers["Location"] == taken.headers["Location"]
    assert fresh.get_data() == taken.get_data()
    assert fresh_page.status_code == taken_page.status_code == 200
    assert _without_tokens(fresh_page.get_data(as_text=True)) == _without_tokens(
        taken_page.get_data(as_text=True)
    )
    assert "exists already" not in taken_page.get_data(as_text=True)
    assert f"We sent an e-mail to {ADDRESS}" in taken_page.get_data(as_text=True)

    notice = _mail()[-1]
    assert notice.kind == "registration_attempt"
    assert "/account/login" in notice.body_text and "/account/password-reset" in notice.body_text
    assert "/account/register/" not in notice.body_text  # no link that makes a second account
    # The account is as it was, and nobody is signed in as its owner.
    db.session.expire_all()
    assert db.session.get(User, owner.id).check_password("correct horse battery staple")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert fresh_browser.get("/account/").status_code == 302


def test_both_paths_hash_a_password(app, make_user, monkeypatch):
    """No faster answer for an address in use: both hash the password they were given."""
    from catalogue.accounts import models

    calls = []
    real = models.generate_password_hash
    monkeypatch.setattr(
        models, "generate_password_hash", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    app.test_client().post("/account/register", data=_registration())
    new_address = len(calls)
    make_user(email="taken@saude.example")
    calls.clear()
    app.test_client().post("/account/register", data=_registration(email="taken@saude.example"))
    assert new_address == len(calls) == 1


def test_bad_input_is_refused_the_same_way_for_an_address_in_use(client, make_user):
    make_user(email=ADDRESS)
    taken = client.post("/account/register", data=_registration(password="short", confirm="short"))
    fresh = client.post(
        "/account/register",
        data=_registration(email="new@saude.example", password="short", confirm="short"),
    )
    assert taken.status_code == fresh.status_code == 400
    assert "at least 12" in taken.get_data(as_text=True)
    assert _mail() == [] and _mail("new@saude.example") == []


def test_the_password_reset_request_answers_the_same_way(app, make_user):
    make_user(email=ADDRESS)
    answers = []
    for address in (ADDRESS, "nobody@saude.example"):
        browser = app.test_client()
        response = browser.post("/account/password-reset", data={"email": address})
        page = browser.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], response.get_data(),
                        _without_tokens(page.get_data(as_text=True))))  # fmt: skip
    assert answers[0] == answers[1]
    assert [m.kind for m in _mail()] == ["password_reset"]


def test_once_registered_no_registration_link_of_the_address_keeps_a_password_hash(app):
    from catalogue.accounts import services
    from catalogue.accounts.models import AccountToken

    services.register_officer(ADDRESS, GOOD_PASSWORD, name="Ana Souza")
    services.register_officer(ADDRESS, GOOD_PASSWORD, name="Ana Souza")  # asked twice
    db.session.commit()
    links = [re.search(r"/account/register/(\S+)", m.body_text).group(1) for m in _mail()]
    assert len(links) == 2
    services.complete_registration(links[-1])
    db.session.commit()
    left = db.session.scalars(
        sa.select(AccountToken).where(AccountToken.purpose == "registration")
    ).all()
    assert all(not (t.payload or {}).get("password_hash") for t in left)

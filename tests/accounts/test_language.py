"""The account's language (of its pages and e-mails), chosen on the account page; and the pages
of the CAC sections and accounts in every interface language."""

import re

import pytest

from catalogue.extensions import db
from catalogue.i18n import LANGUAGES


def _html_lang(page: str) -> str:
    match = re.search(r'<html[^>]*\blang="([^"]+)"', page)
    assert match
    return match.group(1)


def test_the_account_page_offers_every_language_with_the_current_one_selected(
    client, make_user, login
):
    login(make_user(role="officer", language="es"))
    page = client.get("/account/").get_data(as_text=True)
    form = page.split('id="account-language"', 1)[1].split("</form>", 1)[0]
    assert 'action="/account/language"' in form and 'method="post"' in form
    assert re.search(r'<label[^>]*for="language"', form)
    for code, name in LANGUAGES.items():
        assert f'value="{code}"' in form and name in form
    assert re.search(r'<option selected value="es">|<option value="es" selected', form)


def test_saving_the_language_sets_the_account_and_the_cookie(client, make_user, login):
    user = login(make_user(role="officer"))
    response = client.post("/account/language", data={"language": "fr"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    db.session.refresh(user)
    assert user.language == "fr"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "fr" and cookie.http_only
    # The next page (any browser language) is French, and says the choice was saved.
    page = client.get("/account/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _html_lang(page) == "fr"
    flashed = re.search(r'<div class="alert alert-success" role="status">([^<]+)</div>', page)
    assert flashed and "Français" in flashed.group(1)


def test_the_label_says_what_the_language_is_for(client, make_user, login):
    login(make_user(role="officer"))
    page = client.get("/account/").get_data(as_text=True)
    assert "Language of pages and e-mails" in page


def test_makers_and_staff_choose_theirs_on_the_account_page_too(client, make_user, login):
    user = login(make_user(role="manufacturer"))
    assert client.get("/account/").status_code == 200
    response = client.post("/account/language", data={"language": "ko"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.language == "ko"


@pytest.mark.parametrize("code", ["xx", "", "fr-FR", "EN"])
def test_an_unknown_code_is_refused_with_a_form_error(client, make_user, login, code):
    user = login(make_user(role="officer", language="en"))
    response = client.post("/account/language", data={"language": code})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose one of the languages offered." in page
    assert 'aria-invalid="true"' in page.split('id="account-language"', 1)[1]
    db.session.refresh(user)
    assert user.language == "en"
    assert client.get_cookie("lang") is None


def test_a_visitor_cannot_save_a_language_on_an_account(client):
    response = client.post("/account/language", data={"language": "fr"})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert client.get_cookie("lang") is None


def test_the_language_form_needs_its_csrf_token(app_factory):
    from catalogue.accounts.models import User
    from tests.fixtures.accounts import DEFAULT_PASSWORD

    app = app_factory("test_language_csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        user = User(email="officer@example.org", role="officer", name="Officer")
        user.set_password(DEFAULT_PASSWORD)
        db.session.add(user)
        db.session.commit()
    browser = app.test_client()
    login_page = browser.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    signed_in = browser.post(
        "/account/login",
        data={"email": "officer@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302

    refused = browser.post("/account/language", data={"language": "fr"})
    assert refused.status_code == 400
    assert browser.get_cookie("lang") is None

    page = browser.get("/account/").get_data(as_text=True)
    form = page.split('id="account-language"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    accepted = browser.post("/account/language", data={"language": "fr", "csrf_token": token})
    assert accepted.status_code == 303
    with app.app_context():
        saved = db.session.scalar(db.select(User).filter_by(email="officer@example.org"))
        assert saved.language == "fr"


def test_daily_updates_dates_are_iso_text_inputs_with_a_hint(seeded_client):
    page = seeded_client.get("/daily-updates/").get_data(as_text=True)
    assert 'type="date"' not in page
    hint = re.search(r'<div id="date-hint"[^>]*>(.*?)</div>', page, re.S)
    assert hint and "YYYY-MM-DD" in hint.group(1)
    for name in ("start", "end"):
        field = re.search(rf'<input id="{name}"[^>]*>', page).group(0)
        assert 'type="text"' in field and 'inputmode="numeric"' in field
        assert 'pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"' in field
        assert 'placeholder="YYYY-MM-DD"' in field and 'dir="ltr"' in field
        assert 'aria-describedby="date-hint"' in field


def test_a_wrong_date_keeps_the_hint_and_adds_the_error(seeded_client):
    response = seeded_client.get("/daily-updates/?start=31/03/2020")
    assert response.status_code == 400
    field = re.search(r'<input id="start"[^>]*>', response.get_data(as_text=True)).group(0)
    assert 'aria-describedby="date-hint start-error"' in field
    assert 'aria-invalid="true"' in field
    assert 'value="31/03/2020"' in field


def test_daily_updates_give_dates_in_the_readers_language(seeded_client):
    french = seeded_client.get("/daily-updates/?lang=fr").get_data(as_text=True)
    assert "30 juin 2020" in french
    english = seeded_client.get("/daily-updates/?lang=en").get_data(as_text=True)
    assert "30 June 2020" in english


PAGES = [
    "/",
    "/about",
    "/contact",
    "/privacy",
    "/terms",
    "/glossary",
    "/daily-updates/?region=Korea",
    "/cities-network/",
    "/news/",
    "/mayors-note/",
    "/countermeasures/",
    "/open-data/",
    "/account/login",
    "/account/register",
    "/account/password-reset",
]


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_section_and_account_pages_open_in_every_language(seeded_client, code):
    for path in PAGES:
        separator = "&" if "?" in path else "?"
        response = seeded_client.get(f"{path}{separator}lang={code}")
        assert response.status_code == 200, path
        assert _html_lang(response.get_data(as_text=True)).startswith(code), path


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_the_daily_charts_render_in_every_language(seeded_client, code):
    for path in ("/daily-updates/chart-totals.svg?region=Korea", "/daily-updates/trend-Seoul.svg"):
        response = seeded_client.get(
            f"{path}&lang={code}" if "?" in path else f"{path}?lang={code}"
        )
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "Accept-Language" in response.headers["Vary"]


def test_glossary_links_only_abbreviations_on_pages_in_other_languages(seeded_client):
    from catalogue.lib.glossary import link_terms

    html = "<p>Sensitivity and PPA per MFDS.</p>"
    english = link_terms(html, "/glossary")
    assert "#sensitivity" in english and "#ppa-npa" in english and "#mfds" in english
    other = link_terms(html, "/glossary", abbreviations_only=True)
    assert "#sensitivity" not in other and "#ppa-npa" in other and "#mfds" in other


def test_an_invitation_goes_in_korean_whatever_the_inviting_staff_members_language(
    client, make_user, make_manufacturer, login
):
    import sqlalchemy as sa

    from catalogue.mail.models import OutboundEmail

    maker = make_manufacturer(name="Invited Bio Inc.")
    login(make_user(role="staff", language="fr"))

    response = client.post(
        f"/staff/manufacturers/{maker.id}/invitations",
        data={"email": "new.user@invited.example"},
        headers={"Accept-Language": "fr"},
    )

    assert response.status_code == 302
    (message,) = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == "new.user@invited.example")
    ).all()
    # The invited user has no account, so no language of their own: a maker's user reads Korean.
    assert message.subject == "CAC 포털에서 Invited Bio Inc.을(를) 관리하도록 초대합니다"
    assert message.body_text.startswith("안녕하십니까.")
    assert (
        "포털 직원이 CAC 의료물품 수출 포털에서 Invited Bio Inc.을(를) 관리하도록"
        in message.body_text
    )
    assert "Invited Bio Inc." in message.body_text  # the company's name as entered
    assert "Bonjour" not in message.body_text and "Hello" not in message.body_text
    # The staff member who sent it is told in their own language.
    assert "Invitation envoyée" in client.get(response.headers["Location"]).get_data(as_text=True)

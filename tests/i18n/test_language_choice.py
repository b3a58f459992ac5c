"""Which language a page is served in: Accept-Language first, then the switcher's choice (a
cookie, and the account's once signed in), with <html lang dir> and hreflang alternates."""

import re

import pytest

from catalogue.extensions import db
from tests.fixtures.accounts import DEFAULT_PASSWORD


def _html_tag(page: str) -> str:
    match = re.search(r"<html[^>]*>", page)
    assert match
    return match.group(0)


def _nav_labels(page: str) -> list[str]:
    nav = page.split('id="site-nav"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', nav)


def test_a_browser_asking_for_french_gets_french_navigation(client):
    page = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert 'lang="fr"' in _html_tag(page) and 'dir="ltr"' in _html_tag(page)
    labels = _nav_labels(page)
    assert "Accueil" in labels and "Home" not in labels


def test_without_a_known_language_the_page_is_english(client):
    page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in _html_tag(page)
    assert "Home" in _nav_labels(page)


def test_arabic_pages_run_right_to_left_with_bootstraps_rtl_stylesheet(client):
    page = client.get("/?lang=ar").get_data(as_text=True)
    assert 'lang="ar"' in _html_tag(page) and 'dir="rtl"' in _html_tag(page)
    assert "vendor/bootstrap.rtl.min.css" in page
    assert "css/bootstrap.min.css" not in page


def test_chinese_is_declared_as_simplified(client):
    page = client.get("/?lang=zh").get_data(as_text=True)
    assert 'lang="zh-Hans"' in _html_tag(page)


def test_every_page_links_its_other_languages(client):
    page = client.get("/supplies/products/?category=x").get_data(as_text=True)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', page))
    assert set(alternates) == {"en", "ko", "fr", "es", "ar", "zh-Hans", "ru", "x-default"}
    assert alternates["fr"].startswith("http://localhost/supplies/products/?")
    assert "lang=fr" in alternates["fr"] and "category=x" in alternates["fr"]
    assert "lang=" not in alternates["x-default"]


def test_the_switcher_overrides_the_browser_and_is_remembered(client):
    response = client.get(
        "/language?lang=es&next=/news/?page=2%26lang=fr",
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/news/?page=2"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="es"' in _html_tag(page)
    assert "Inicio" in _nav_labels(page)


def test_every_page_has_the_switcher_marking_the_current_language(client):
    page = client.get("/glossary?lang=ru").get_data(as_text=True)
    switcher = page.split('class="language-switcher"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in page.split('class="language-switcher"', 1)[0][-200:] + switcher
    assert re.search(r'<option value="ru" lang="ru" selected>Русский</option>', switcher)
    for name in ("English", "한국어", "Français", "Español", "العربية", "中文（简体）"):
        assert name in switcher


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_the_switcher_only_returns_to_pages_of_this_site(client, target):
    response = client.get("/language", query_string={"lang": "fr", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_refused_with_a_message(client):
    response = client.get("/language?lang=xx&next=/")
    assert response.status_code == 400
    assert "Choose one of the languages offered" in response.get_data(as_text=True)
    assert client.get_cookie("lang") is None


def test_the_choice_made_before_signing_in_survives_it_and_follows_the_account(
    client, app, make_user
):
    user = make_user(role="officer", email="officer@example.org")
    client.get("/language?lang=fr&next=/")
    response = client.post(
        "/account/login", data={"email": "officer@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'lang="fr"' in _html_tag(page)
    db.session.refresh(user)
    assert user.language == "fr"

    # Another device, no cookie, an English browser: the account's choice.
    other = app.test_client()
    credentials = {"email": "officer@example.org", "password": DEFAULT_PASSWORD}
    other.post("/account/login", data=credentials)
    page = other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="fr"' in _html_tag(page)


def test_a_signed_in_user_switches_with_a_protected_form_that_updates_the_account(
    client, make_user, login
):
    user = login(make_user(role="manufacturer", language="ko"))
    page = client.get("/").get_data(as_text=True)
    assert 'lang="ko"' in _html_tag(page)
    form = page.split('class="language-switcher"', 1)[1].split("</form>", 1)[0]
    assert 'name="csrf_token"' in form
    response = client.post("/language", data={"lang": "en", "next": "/supplies/"})
    assert response.status_code == 303 and response.headers["Location"] == "/supplies/"
    db.session.refresh(user)
    assert user.language == "en"


def test_the_switcher_post_needs_its_csrf_token(app_factory):
    app = app_factory("test_lang_csrf", WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/language", data={"lang": "fr"})
    assert response.status_code == 400


def test_cached_pages_are_kept_per_language(client, world):
    url = f"/supplies/products/{world.product_a.slug}"
    english = client.get(url, headers={"Accept-Language": "en"})
    french = client.get(url, headers={"Accept-Language": "fr"})
    assert 'lang="fr"' in _html_tag(french.get_data(as_text=True))
    again = client.get(url, headers={"Accept-Language": "en"})
    assert again.headers.get("X-Page-Cache") == "hit"
    assert again.get_data() == english.get_data()
    assert "Accept-Language" in french.headers["Vary"] and "Cookie" in french.headers["Vary"]


def test_machine_readable_answers_stay_english(client, world):
    french = {"Accept-Language": "fr", "Cookie": "lang=fr"}
    api = client.get(f"/api/v1/products/{world.product_a.slug}", headers=french)
    assert api.status_code == 200
    assert api.get_json() == client.get(f"/api/v1/products/{world.product_a.slug}").get_json()
    csv = client.get("/open-data/catalogue/approvals.csv", headers=french)
    assert csv.status_code == 200
    english = client.get("/open-data/catalogue/approvals.csv").get_data()
    assert csv.get_data() == english
    page = client.get("/open-data/", headers=french).get_data(as_text=True)
    assert 'lang="fr"' in _html_tag(page)


@pytest.mark.parametrize("query", ["_external=1", "endpoint=x", "_method=POST", "_anchor=x"])
def test_odd_query_arguments_do_not_break_the_language_links(client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    alternates = re.findall(r'hreflang="fr" href="([^"]+)"', page)
    assert alternates and "#" not in alternates[0]


def test_repeated_filters_stay_in_the_language_links(client):
    page = client.get("/supplies/products/?specimen=nasal&specimen=saliva").get_data(as_text=True)
    (french,) = re.findall(r'hreflang="fr" href="([^"]+)"', page)
    assert "specimen=nasal" in french and "specimen=saliva" in french


@pytest.mark.parametrize("code", ["zh-Hans", "FR", "es-MX"])
def test_the_switcher_takes_the_tags_pages_use(client, code):
    response = client.get("/language", query_string={"lang": code, "next": "/"})
    assert response.status_code == 303
    assert client.get_cookie("lang").value in ("zh", "fr", "es")


def test_a_link_from_elsewhere_does_not_change_a_signed_in_users_language(client, make_user, login):
    user = login(make_user(role="staff", language="ko"))
    response = client.get("/language?lang=ar&next=/")
    assert response.status_code == 303
    assert client.get_cookie("lang") is None
    db.session.refresh(user)
    assert user.language == "ko"


def test_an_officer_signing_in_without_a_choice_keeps_the_language_they_read(client, make_user):
    user = make_user(role="officer", email="lectora@example.org")
    client.post(
        "/account/login",
        data={"email": "lectora@example.org", "password": DEFAULT_PASSWORD},
        headers={"Accept-Language": "es"},
    )
    db.session.refresh(user)
    assert user.language == "es"  # so their mail is in Spanish too


def test_a_maker_signing_in_without_a_choice_stays_korean_for_mail(client, make_user, world):
    user = make_user(
        role="manufacturer", email="maker@example.org", manufacturer_id=world.maker_a.id
    )
    client.post(
        "/account/login",
        data={"email": "maker@example.org", "password": DEFAULT_PASSWORD},
        headers={"Accept-Language": "en"},
    )
    db.session.refresh(user)
    assert user.language is None


def test_charts_are_drawn_in_the_pages_language(client):
    """A chart image is fetched on its own: its address names the page's language."""
    from pathlib import Path

    from catalogue.content.seed import load_content_seed

    load_content_seed(Path(__file__).resolve().parents[2] / "seed")
    db.session.commit()
    page = client.get("/?lang=ar").get_data(as_text=True)
    charts = re.findall(r'<img class="img-fluid chart" src="([^"]+)"', page)
    assert charts and all(src.endswith("lang=ar") for src in charts)
    arabic = client.get(charts[0]).get_data(as_text=True)
    english = client.get(charts[0].split("?")[0]).get_data(as_text=True)
    assert "new cases" in english and "new cases" not in arabic
    english_page = client.get("/").get_data(as_text=True)
    english_charts = re.findall(r'class="img-fluid chart" src="([^"]+)"', english_page)
    assert english_charts and not any("lang=" in src for src in english_charts)


def test_stylesheets_and_scripts_do_not_vary_by_language(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert "Accept-Language" not in response.headers.get("Vary", "")
    page = client.get("/search/suggest?q=an")
    assert "Accept-Language" in page.headers.get("Vary", "")

"""Content in several languages (issue 18, item 5): makers and staff enter translations of the
prose; public pages show them, or the English text marked "Available in English only"."""

import re

import pytest
import sqlalchemy as sa

from catalogue.audit.services import history_of
from catalogue.extensions import db
from catalogue.supplies.models import ContentTranslation
from catalogue.supplies.version import catalogue_version

ENGLISH = "Detects the nucleocapsid protein of SARS-CoV-2 in nasal swabs."
FRENCH = "Détecte la protéine de la nucléocapside du SARS-CoV-2 dans les écouvillons nasaux."


@pytest.fixture
def maker_and_product(make_manufacturer, make_product, make_user):
    maker = make_manufacturer(description="A Korean maker of rapid tests.")
    product = make_product(
        manufacturer=maker,
        name="STANDARD Q Demo Ag",
        summary="Rapid antigen test.",
        description=ENGLISH,
        intended_use="For professional use.",
    )
    user = make_user(role="manufacturer", manufacturer_id=maker.id)
    return maker, product, user


def _translate(client, url, **fields):
    return client.post(url, data=fields)


def _paragraph_with(text: str, html: str) -> str:
    match = re.search(r"<p[^>]*>[^<]*" + re.escape(text), html)
    assert match, text
    return match.group(0)


def test_a_maker_translates_a_product_and_the_french_page_shows_it(
    client, login, maker_and_product
):
    _maker, product, user = maker_and_product
    login(user)
    page = client.get(f"/portal/products/{product.id}/translations")
    assert page.status_code == 200
    assert "Translations of STANDARD Q Demo Ag" in page.get_data(as_text=True)
    form = client.get(f"/portal/products/{product.id}/translations/fr").get_data(as_text=True)
    assert 'lang="fr"' in form and ENGLISH in form  # the English text beside the field
    response = _translate(
        client, f"/portal/products/{product.id}/translations/fr", description=FRENCH
    )
    assert response.status_code == 302
    login(None)

    html = client.get(f"/supplies/products/{product.slug}?lang=fr").get_data(as_text=True)
    assert FRENCH.replace("'", "&#39;") in html
    assert ENGLISH not in html
    # Only the description is translated: the intended use is English, and says so.
    assert 'lang="en" dir="ltr">For professional use.' in html
    assert "STANDARD Q Demo Ag" in html  # a name is a fact: never translated


def test_a_page_without_a_translation_shows_the_english_text_and_says_so(client, maker_and_product):
    _maker, product, _user = maker_and_product
    db.session.add(
        ContentTranslation(
            kind="product", object_id=product.id, language="fr", field="description", text=FRENCH
        )
    )
    db.session.commit()
    html = client.get(f"/supplies/products/{product.slug}?lang=ru").get_data(as_text=True)
    assert 'lang="ru"' in html
    assert 'lang="en"' in _paragraph_with(ENGLISH, html)
    assert FRENCH not in html
    note = "Available in English only."
    assert html.count(note) >= 1 or "Доступно только на английском" in html
    # In English nothing is marked.
    english = client.get(f"/supplies/products/{product.slug}?lang=en").get_data(as_text=True)
    assert ENGLISH in english and note not in english


def test_profile_and_article_translations_show_on_their_pages(
    client, login, make_user, make_article, maker_and_product
):
    maker, _product, user = maker_and_product
    login(user)
    _translate(client, "/portal/profile/translations/es", description="Fabricante coreano.")
    staff = login(make_user(role="staff"))
    article = make_article(title="Seoul testing", summary="Drive-through.", body="Long *body*.")
    response = _translate(
        client,
        f"/staff/content/articles/{article.id}/translations/es",
        title="Pruebas en Seúl",
        summary="Autoservicio.",
        body="Texto *largo*.",
    )
    assert response.status_code == 302
    assert ("title (es)", "Pruebas en Seúl", staff.id) in {
        (r.field, r.new_value, r.actor_id) for r in history_of(article)
    }
    login(None)
    html = client.get(f"/supplies/manufacturers/{maker.slug}?lang=es").get_data(as_text=True)
    assert "Fabricante coreano." in html and ">A Korean maker of rapid tests." not in html
    html = client.get(f"{article.url}?lang=es").get_data(as_text=True)
    assert "Pruebas en Seúl" in html and "<em>largo</em>" in html and "Seoul testing" not in html


def test_each_change_is_in_the_audit_trail_and_an_empty_field_removes_it(
    client, login, maker_and_product
):
    _maker, product, user = maker_and_product
    login(user)
    url = f"/portal/products/{product.id}/translations/fr"
    _translate(client, url, description=FRENCH)
    _translate(client, url, description="")
    records = [(r.field, r.old_value, r.new_value, r.actor_id) for r in history_of(product)]
    assert ("description (fr)", None, FRENCH, user.id) in records
    assert ("description (fr)", FRENCH, None, user.id) in records
    assert db.session.scalar(sa.select(sa.func.count(ContentTranslation.id))) == 0


def test_user_text_is_escaped_on_the_public_page(client, login, maker_and_product):
    _maker, product, user = maker_and_product
    login(user)
    _translate(
        client,
        f"/portal/products/{product.id}/translations/fr",
        description='<script>alert("x")</script> Test rapide',
    )
    login(None)
    html = client.get(f"/supplies/products/{product.slug}?lang=fr").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_a_too_long_text_or_an_unknown_language_is_refused(client, login, maker_and_product):
    _maker, product, user = maker_and_product
    login(user)
    response = _translate(
        client, f"/portal/products/{product.id}/translations/fr", summary="x" * 401
    )
    assert response.status_code == 400
    assert "At most 400 characters." in response.get_data(as_text=True)
    assert client.get(f"/portal/products/{product.id}/translations/en").status_code == 404
    assert client.get(f"/portal/products/{product.id}/translations/xx").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ContentTranslation.id))) == 0


def test_a_maker_cannot_translate_another_makers_product_or_see_its_translations(
    client, login, make_product, make_user, maker_and_product
):
    _maker, _product, user = maker_and_product
    other = make_product(description="Someone else's kit.")
    login(user)
    assert client.get(f"/portal/products/{other.id}/translations").status_code == 404
    url = f"/portal/products/{other.id}/translations/fr"
    assert client.get(url).status_code == 404
    assert _translate(client, url, description="Piraté").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ContentTranslation.id))) == 0
    # ...nor use the staff pages.
    assert client.get(f"/staff/products/{other.id}/translations").status_code == 403


def test_staff_translate_any_product_and_the_page_links_to_it(
    client, login, make_user, maker_and_product
):
    _maker, product, _user = maker_and_product
    login(make_user(role="staff"))
    edit = client.get(f"/staff/products/{product.id}/edit").get_data(as_text=True)
    assert f"/staff/products/{product.id}/translations" in edit
    response = _translate(
        client, f"/staff/products/{product.id}/translations/zh", description="检测鼻拭子中的抗原。"
    )
    assert response.status_code == 302
    listing = client.get(f"/staff/products/{product.id}/translations").get_data(as_text=True)
    row = re.search(r'<tr id="language-zh">.*?</tr>', listing, re.S).group(0)
    assert "Description" in row


def test_a_translation_is_a_catalogue_change_for_the_page_cache(client, login, maker_and_product):
    _maker, product, user = maker_and_product
    before = catalogue_version()
    login(user)
    _translate(client, f"/portal/products/{product.id}/translations/fr", description=FRENCH)
    assert catalogue_version() == before + 1


@pytest.mark.postgresql
def test_a_translation_shows_at_once_on_a_cached_page(client, login, maker_and_product):
    _maker, product, user = maker_and_product
    url = f"/supplies/products/{product.slug}?lang=fr"
    assert ENGLISH in client.get(url).get_data(as_text=True)
    assert client.get(url).headers.get("X-Page-Cache") == "hit"
    login(user)
    _translate(client, f"/portal/products/{product.id}/translations/fr", description=FRENCH)
    login(None)
    response = client.get(url)
    assert "X-Page-Cache" not in response.headers
    assert ENGLISH not in response.get_data(as_text=True)


def test_translation_forms_require_a_csrf_token(app_factory, make_user):
    from catalogue.extensions import db as database

    csrf_app = app_factory("test_translation_csrf", WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        database.create_all()
        client = csrf_app.test_client()
        for url in (
            "/portal/products/1/translations/fr",
            "/portal/profile/translations/fr",
            "/staff/products/1/translations/fr",
            "/staff/manufacturers/1/translations/fr",
            "/staff/content/articles/1/translations/fr",
        ):
            response = client.post(url, data={"description": "x"})
            assert response.status_code == 400, url
            assert "CSRF" in response.get_data(as_text=True), url

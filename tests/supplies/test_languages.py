"""The public catalogue's interface text goes through gettext; facts stay as entered.

The cross-language checks (every string translated, French without English left) are in the
i18n tests; here: the English pages read as before, and another language changes the interface
around the facts, never the facts themselves.
"""

import re

import pytest


@pytest.fixture
def product(make_manufacturer, make_category, make_product):
    maker = make_manufacturer(slug="alpha-bio", name="Alpha Bio Inc.", name_ko="알파바이오")
    category = make_category(slug="rapid-antigen", name="Rapid antigen tests")
    return make_product(
        slug="alpha-ag",
        name="Alpha Antigen Test",
        manufacturer=maker,
        category=category,
        technology="lateral flow immunoassay",
        specimens=["nasal swab"],
        shelf_life_months=24,
        approvals=[{"authority": "ce_ivd", "status": "verified"}],
    )


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_english_product_list_reads_as_before(client, product):
    html = client.get("/supplies/products/", headers={"Accept-Language": "en"}).text
    text = _text(html)
    assert '<html lang="en" dir="ltr"' in html
    assert "Products 1 product" in text  # the heading and the count beside it
    assert "Filters (0) active" in text
    assert "Name, model or maker contains" in text
    assert "Headline performance" in text
    assert "Minimum sensitivity (%)" in text
    assert "Sort by" in text and "Recently updated" in text
    assert "Apply filters" in text
    assert "Tick two to four products to compare." in text


def test_english_product_page_reads_as_before(client, product):
    text = _text(client.get("/supplies/products/alpha-ag").text)
    assert "by Alpha Bio Inc. (알파바이오)" in text
    assert "Shelf life 24 months" in text
    assert "Regulatory approvals" in text
    assert "Verified by CAC staff" in text


def test_korean_reader_gets_a_korean_page_around_the_same_facts(client, product):
    html = client.get("/supplies/products/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).text
    assert '<html lang="ko" dir="ltr"' in html
    assert "Alpha Antigen Test" in html
    assert "Alpha Bio Inc." in html


def test_arabic_product_page_is_right_to_left_and_keeps_the_product_name(client, product):
    response = client.get("/supplies/products/alpha-ag?lang=ar")
    assert response.status_code == 200
    html = response.text
    assert re.search(r'<html lang="ar" dir="rtl"', html)
    # Facts as entered: the product, the maker, the category, the approval's name.
    assert '<h1 class="h2 mb-1">Alpha Antigen Test</h1>' in html
    assert "Alpha Bio Inc." in html
    assert "Rapid antigen tests" in html
    assert "CE-IVD" in html or "CE marking (IVD)" in html

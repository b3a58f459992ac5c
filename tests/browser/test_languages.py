"""The portal in other languages, in a real browser: the switcher, Arabic laid out right to left
(and accessible), and how an Arabic and a Korean product page look (screenshots kept on failure
under tests/browser/artifacts/; the lead also looks at them by eye)."""

import pytest

from tests.browser.test_quality import PRODUCT, _serious_violations

PRODUCT_PAGE = f"/supplies/products/{PRODUCT}"
# One page of each kind an officer meets, in Arabic.
ARABIC_PAGES = [
    "/",
    "/supplies/",
    "/supplies/products/?category=rapid-antigen",
    PRODUCT_PAGE,
    "/supplies/manufacturers/sd-biosensor",
    "/search?q=antigen",
    f"/inquiry/new?product={PRODUCT}",
    "/inquiry/basket",
    "/account/login",
    "/daily-updates/",
]


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("path", ARABIC_PAGES)
def test_arabic_pages_are_right_to_left_and_accessible(new_page, live_server, path, width):
    page = new_page(width=width)
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{live_server.url}{path}{separator}lang=ar")
    assert response.status == 200
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _serious_violations(page) == []


def _box(page, selector):
    box = page.locator(selector).first.bounding_box()
    assert box, selector
    return box


def test_an_arabic_product_page_reads_from_the_right(new_page, live_server):
    page = new_page(width=1366)
    page.goto(f"{live_server.url}{PRODUCT_PAGE}?lang=ar")
    brand, heading = _box(page, ".navbar-brand"), _box(page, "main h1")
    # The brand sits at the right end of the header, the heading starts from the right.
    assert brand["x"] > 1366 / 2
    assert heading["x"] + heading["width"] > 1366 / 2
    # The product's name is a fact: as entered, not translated.
    assert "STANDARD Q COVID-19 Ag" in page.locator("main h1").inner_text()
    page.screenshot(path=str(_artifact("product-ar.png")), full_page=True)


def test_a_korean_product_page_has_korean_labels_and_the_facts_as_entered(new_page, live_server):
    page = new_page(width=1366)
    page.goto(f"{live_server.url}{PRODUCT_PAGE}?lang=ko")
    assert page.evaluate("document.documentElement.lang") == "ko"
    nav = page.locator("#site-nav").inner_text()
    assert "의료" in nav  # "Medical Supplies" in Korean
    assert "STANDARD Q COVID-19 Ag" in page.locator("main h1").inner_text()
    page.screenshot(path=str(_artifact("product-ko.png")), full_page=True)


def test_the_switcher_changes_the_language_and_the_choice_survives_signing_in(
    new_page, live_server
):
    page = new_page()
    page.goto(f"{live_server.url}/supplies/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.select_option("#language-select", "fr")
    page.locator(".language-switcher button").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/supplies/"
    assert page.evaluate("document.documentElement.lang") == "fr"

    page.goto(f"{live_server.url}/account/login")
    page.fill("#email", live_server.maker_email)
    page.fill("#password", live_server.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    try:
        assert "/portal" in page.url
        assert page.evaluate("document.documentElement.lang") == "fr"
        # Signed in, the switcher posts a protected form that also keeps the choice on the account.
        page.select_option("#language-select", "ko")
        page.locator(".language-switcher button").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == "ko"
    finally:
        # The other browser tests sign in as this maker and read English pages.
        page.select_option("#language-select", "en")
        page.locator(".language-switcher button").click()
        page.wait_for_load_state()


def _artifact(name: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name

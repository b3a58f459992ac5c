"""The catalogue on a phone (360 px): no page wider than the screen, the filters behind their
button, the compare tray and "Add to inquiry" without losing the place — and the same forms
without JavaScript."""

import re

import pytest

from tests.browser.test_quality import PUBLIC_PAGES

PHONE = {"width": 360, "height": 740}
LIST = "/supplies/products/?category=rapid-antigen"


@pytest.fixture
def phone(new_page):
    return lambda javascript=True: new_page(**PHONE, javascript=javascript)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_public_page_scrolls_sideways_on_a_phone(phone, live_server, path):
    page = phone()
    page.goto(live_server.url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px screen"


def test_the_filters_wait_behind_their_button_and_the_products_come_first(phone, live_server):
    page = phone()
    page.goto(live_server.url + LIST)
    first_card = page.locator(".product-card").first.bounding_box()
    assert first_card["y"] < PHONE["height"], "the first product is below the first screen"
    nasal = page.locator(".facets").get_by_label(re.compile(r"^nasal swab"))
    assert not nasal.is_visible()

    toggle = page.get_by_text("Filters (1)")  # the category is the one active filter
    toggle.click()
    nasal.check()
    page.locator(".facets").get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"specimen=nasal"))
    assert page.get_by_text("Filters (2)").is_visible()


def test_the_compare_tray_counts_the_ticked_products_and_stays_in_view(phone, live_server):
    page = phone()
    page.goto(live_server.url + LIST)
    tray = page.locator("#compare-form")
    assert not tray.is_visible()  # nothing ticked yet

    boxes = page.locator(".product-card").get_by_label(re.compile("^Compare"))
    boxes.nth(0).check()
    assert page.get_by_role("button", name="Compare (1)").is_visible()
    boxes.nth(1).check()
    button = page.get_by_role("button", name="Compare (2)")
    box = button.bounding_box()
    # On the screen, though the form itself comes after the last product.
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    names = [
        page.locator(".product-card").nth(n).get_by_role("heading").inner_text().strip()
        for n in range(2)
    ]
    button.click()
    page.get_by_role("heading", name="Compare products").wait_for()
    headers = page.locator("table.compare-table thead th").all_inner_texts()
    assert [h.strip() for h in headers[1:]] == names


def test_add_to_inquiry_keeps_the_place_and_counts_the_basket(phone, live_server):
    page = phone()
    page.goto(live_server.url + LIST)
    add = page.locator(".product-card").nth(3).get_by_role("button", name=re.compile("^Add to"))
    add.scroll_into_view_if_needed()
    place = page.evaluate("window.scrollY")
    assert place > 0
    address = page.url

    add.click()
    page.get_by_role("status").filter(has_text="Added to your inquiry basket.").wait_for()
    assert page.locator("#basket-count").inner_text() == "1"
    assert page.evaluate("window.scrollY") == place
    assert page.url == address  # no reload, no jump to the top
    page.goto(live_server.url + "/inquiry/basket")
    assert page.locator("#basket-count").inner_text() == "1"


def test_add_to_inquiry_from_a_product_page_stays_on_it(phone, live_server):
    page = phone()
    page.goto(live_server.url + LIST)
    page.locator(".product-card").first.locator("h2 a, h3 a").first.click()
    address = page.url
    page.get_by_role("button", name="Add to inquiry").click()
    page.get_by_role("status").filter(has_text="Added to your inquiry basket.").wait_for()
    assert page.locator("#basket-count").inner_text() == "1"
    assert page.url == address


def test_without_javascript_the_same_forms_still_work(phone, live_server):
    page = phone(javascript=False)
    page.goto(live_server.url + LIST)
    page.get_by_text("Filters (1)").click()  # a <details>: opens without a script
    assert page.locator(".facets").get_by_label(re.compile(r"^nasal swab")).is_visible()

    card = page.locator(".product-card").nth(2)
    slug = card.get_attribute("id").removeprefix("product-")
    card.get_by_role("button", name=re.compile("^Add to")).click()
    page.wait_for_url(re.compile(f"#product-{slug}$"))
    assert page.locator("#basket-count").inner_text() == "1"
    assert page.get_by_text("Added to your inquiry basket.").count() == 1

    cards = page.locator(".product-card")
    for n in range(2):
        cards.nth(n).get_by_label(re.compile("^Compare")).check()
    page.get_by_role("button", name="Compare selected (2–4)").click()
    page.get_by_role("heading", name="Compare products").wait_for()
    assert page.locator("table.compare-table thead th").count() == 3

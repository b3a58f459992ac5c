"""A maker adds a product photo in a real browser; buyers see it on the card and the page."""

import re

from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

PRODUCT = "STANDARD Q COVID-19 Ag Test"
LOADED = "img => img.complete && img.naturalWidth > 0"


def _serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_maker_adds_a_photo_that_buyers_see_on_a_phone(new_page, live_server, tmp_path):
    photo = tmp_path / "kit.jpg"
    Image.new("RGB", (1600, 1200), (40, 110, 180)).save(photo, "JPEG")
    page = new_page()
    sign_in(page, live_server, live_server.maker_email)
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name=PRODUCT).click()
    page.get_by_role("link", name=re.compile(r"^photos \(")).click()
    page.get_by_label("Photo (PNG or JPEG)").set_input_files(str(photo))
    page.get_by_label("Alt text").fill("Test kit box with a cassette")
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Photo added.")).to_be_visible()
    expect(page.get_by_text("stored at 320, 640, 1280 px wide")).to_be_visible()
    assert _serious_violations(page) == []

    phone = new_page(width=360, height=780)
    phone.goto(f"{live_server.url}/supplies/products/?q=STANDARD+Q+COVID-19+Ag")
    card_image = phone.get_by_role("img", name="Test kit box with a cassette").first
    card_image.scroll_into_view_if_needed()
    phone.wait_for_function(LOADED, arg=card_image.element_handle())
    # The browser picked a stored width from the srcset; nothing sticks out at 360 px.
    assert re.search(r"/\d+\.jpg$", card_image.evaluate("img => img.currentSrc"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_role("link", name=PRODUCT, exact=True).first.click()
    main = phone.get_by_role("img", name="Test kit box with a cassette").first
    phone.wait_for_function(LOADED, arg=main.element_handle())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious_violations(phone) == []

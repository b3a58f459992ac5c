"""Accessibility (axe-core) of the key pages, and the weight of what an officer downloads."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import sign_in

PRODUCT = "standard-q-covid-19-ag-test"
COMPARE = "compare?products=standard-q-covid-19-ag-test,genbody-covid-19-ag"
PUBLIC_PAGES = [
    "/",
    f"/supplies/products/{PRODUCT}",
    f"/supplies/{COMPARE}",
    "/supplies/products/?category=rapid-antigen",
    f"/inquiry/new?product={PRODUCT}",
    "/account/login",
    "/search?q=antigen",
]
SERIOUS = {"serious", "critical"}


def _serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_accessibility_violations(new_page, live_server, path):
    page = new_page()
    page.goto(live_server.url + path)
    assert _serious_violations(page) == []


def test_portal_product_form_has_no_serious_accessibility_violations(new_page, live_server):
    page = new_page()
    sign_in(page, live_server, live_server.maker_email)
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name="STANDARD Q COVID-19 Ag Test").click()
    assert _serious_violations(page) == []


WEIGHT_LIMIT = 150 * 1024


@pytest.mark.parametrize("path", [f"/supplies/products/{PRODUCT}", "/search?q=antigen+rapid+test"])
def test_pages_are_light_and_load_nothing_from_elsewhere(new_page, live_server, path):
    page = new_page()
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(live_server.url + path, wait_until="networkidle")
    outside = [r.url for r in requests if not r.url.startswith(live_server.url)]
    assert outside == []
    transferred = sum(
        r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in requests
    )
    assert transferred <= WEIGHT_LIMIT, f"{transferred / 1024:.0f} KB in {len(requests)} requests"

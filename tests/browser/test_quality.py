"""Accessibility (axe-core) of the key pages, and the weight of what an officer downloads."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import sign_in

PRODUCT = "standard-q-covid-19-ag-test"
COMPARE = (
    "compare?products=standard-q-covid-19-ag-test,genbody-covid-19-ag,"
    "standard-m-ncov-real-time-detection-kit,standard-q-covid-19-igm-igg-duo"
)
# One page of every public type (the seed's entries), checked here and by test_phone.py.
PUBLIC_PAGES = [
    "/",
    "/supplies/",
    "/supplies/products/?category=rapid-antigen",
    f"/supplies/products/{PRODUCT}",
    "/supplies/manufacturers/",
    "/supplies/manufacturers/sd-biosensor",
    f"/supplies/{COMPARE}",
    "/search?q=antigen",
    "/cities-network/",
    "/daily-updates/",
    "/mayors-note/",
    "/mayors-note/speed-and-transparency",
    "/countermeasures/",
    "/countermeasures/drive-through-screening-stations",
    "/news/",
    "/news/supplementary-budget-march-2020",
    "/glossary",
    "/open-data/",
    f"/inquiry/new?product={PRODUCT}",
    "/inquiry/basket",
    "/account/login",
    "/account/register",
    "/about",
    "/contact",
    "/privacy",
    "/terms",
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


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_accessibility_violations(new_page, live_server, path, width):
    page = new_page(width=width)
    response = page.goto(live_server.url + path)
    assert response.status == 200
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

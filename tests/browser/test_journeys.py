"""End-to-end journeys of a manufacturer and of portal staff, in a real browser."""

import re
from datetime import date, timedelta

from tests.browser.conftest import sign_in

PRODUCT = "standard-q-covid-19-ag-test"  # SD Biosensor's, whose user the server has


def _file_inquiry(page, server) -> str:
    """An officer asks about one product; returns the private tracking link."""
    page.goto(f"{server.url}/supplies/products/{PRODUCT}")
    page.get_by_role("link", name="Ask about this product only").click()
    page.get_by_label("Quantity").fill("20000")
    page.get_by_label("Your name").fill("Ana Souza")
    page.get_by_label("Organisation (city government, agency)").fill(
        "Recife City Health Department"
    )
    page.get_by_label("Work e-mail").fill("ana.souza@recife.example")
    page.get_by_label("Country").select_option("BR")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send the inquiry").click()
    page.get_by_role("heading", name="Your inquiry is filed").wait_for()
    link = page.get_by_role("link", name=re.compile(r"Follow CAC-\d{4}-\d{5}"))
    return link.get_attribute("href")


def test_manufacturer_updates_a_fact_and_answers_with_a_quotation(new_page, live_server):
    officer = new_page()
    tracking = _file_inquiry(officer, live_server)

    maker = new_page()
    sign_in(maker, live_server, live_server.maker_email)
    maker.get_by_role("link", name="Products", exact=True).click()
    maker.get_by_role("link", name="STANDARD Q COVID-19 Ag Test").click()
    maker.get_by_label("Lead time (e.g. 2–3 weeks)").fill("3 weeks from order")
    maker.get_by_role("button", name="Save changes").click()
    maker.get_by_text("Saved (1 change).").wait_for()

    maker.goto(f"{live_server.url}/supplies/products/{PRODUCT}")
    logistics = maker.locator("#logistics").locator("xpath=..")
    assert "3 weeks from order" in logistics.inner_text()

    maker.goto(f"{live_server.url}/portal/inquiries/")
    maker.get_by_role("link", name=re.compile(r"CAC-\d{4}-\d{5}")).first.click()
    maker.locator("#q-lines-0-unit").select_option("test")
    maker.locator("#q-lines-0-unit_price").fill("2.35")
    maker.get_by_label("Valid until").fill((date.today() + timedelta(days=30)).isoformat())
    maker.get_by_label("Note to the buyer").fill("Shipped from Osong within two weeks.")
    maker.get_by_role("button", name="Send quotation").click()
    maker.get_by_role("status").filter(has_text="Quotation v1 sent").wait_for()

    officer.goto(live_server.url + tracking)
    thread = officer.locator("#thread").inner_text()
    assert "2.35 USD" in thread and "Shipped from Osong within two weeks." in thread
    assert officer.locator("#inquiry-status").inner_text() == "Quotation received"


def test_staff_verify_a_claim_and_export_a_brochure(new_page, live_server):
    staff = new_page()
    sign_in(staff, live_server, live_server.staff_email)
    staff.get_by_role("link", name="Facts to check").click()
    staff.get_by_role("link", name="Stated in public sources").click()
    row = staff.locator("tr", has_text="Allplex 2019-nCoV Assay").filter(
        has_text="CE marking (IVD)"
    )
    row.get_by_role("link", name="CE marking (IVD)").click()
    staff.get_by_role("button", name="Verify with this evidence").click()  # no evidence yet
    staff.get_by_text("Not verified: record the evidence of your check.").wait_for()
    staff.get_by_label("Certificate or register number").fill("CE-2020-0001")
    staff.get_by_label("Date checked").fill("2026-11-27")
    staff.get_by_label("Note (shown to buyers)").fill("Checked against the declaration.")
    staff.get_by_role("button", name="Verify with this evidence").click()
    staff.get_by_text("Verified: Allplex 2019-nCoV Assay").wait_for()

    staff.goto(f"{live_server.url}/supplies/products/allplex-2019-ncov-assay")
    approvals = staff.locator("section", has=staff.locator("#approvals")).inner_text()
    ce_row = staff.locator("tr", has_text="CE marking (IVD)").inner_text()
    assert "Verified by CAC staff" in ce_row and "Claimed" not in ce_row, approvals
    assert "CE-2020-0001" in ce_row and "Checked against the declaration." in ce_row

    staff.goto(f"{live_server.url}/staff/exports/")
    staff.get_by_label("Category").select_option(label="RT-PCR reagents")
    staff.get_by_role("button", name="Create brochure").click()
    job = staff.locator("tr.export-job").first
    job.and_(staff.locator("[data-status=done]")).wait_for(timeout=120_000)
    progress = job.locator("progress")
    assert progress.get_attribute("value") == progress.get_attribute("max")
    with staff.expect_download() as download:
        job.get_by_role("link", name="Download PDF").click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_officer_searches_compares_and_sends_one_inquiry(new_page, live_server):
    page = new_page()
    page.goto(live_server.url + "/")
    page.locator(".hero").get_by_label("Search products and manufacturers").fill("antigne")
    page.get_by_role("button", name="Search the catalogue").click()
    did_you_mean = page.locator(".did-you-mean")
    assert "antigen" in did_you_mean.inner_text()
    did_you_mean.get_by_role("link", name="antigen").click()
    page.wait_for_url(re.compile(r"q=antigen"))

    page.locator(".facets").get_by_label(re.compile(r"^nasal swab")).check()
    page.locator(".facets").get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"specimen=nasal"))
    results = page.locator(".search-result-product")
    assert results.count() >= 2
    first_name = results.nth(0).get_by_role("heading").inner_text().strip()
    results.nth(0).get_by_role("heading").get_by_role("link").click()
    page.get_by_role("heading", level=1, name=first_name).wait_for()
    page.go_back()

    results = page.locator(".search-result-product")
    for n in range(2):
        results.nth(n).get_by_label(re.compile("Add to compare")).check()
    page.get_by_role("button", name="Compare selected (2–4)").click()
    page.get_by_role("heading", name="Compare products").wait_for()
    assert page.locator("table.compare-table thead th").count() == 3
    for n in range(2):
        page.locator("table.compare-table").get_by_role("button", name="Add to inquiry").nth(
            n
        ).click()
        page.get_by_text("Added to your inquiry basket.").wait_for()
    assert page.locator("#basket-count").inner_text() == "2"

    page.get_by_role("link", name=re.compile("Inquiry basket")).click()
    page.get_by_role("link", name="Write the inquiry").click()
    for field in page.get_by_label("Quantity").all():
        field.fill("5000")
    page.get_by_label("Your name").fill("Ana Souza")
    page.get_by_label("Organisation (city government, agency)").fill(
        "Recife City Health Department"
    )
    page.get_by_label("Work e-mail").fill("ana.souza@recife.example")
    page.get_by_label("Country").select_option("BR")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send the inquiry").click()
    page.get_by_role("heading", name="Your inquiry is filed").wait_for()
    references = page.locator("#references .reference").all_inner_texts()
    assert references and all(re.fullmatch(r"CAC-\d{4}-\d{5}", r) for r in references)
    page.get_by_role("link", name=f"Follow {references[0]}").click()
    assert page.locator(".reference").first.inner_text() == references[0]

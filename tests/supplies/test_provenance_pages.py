"""What buyers read about where each fact stands: states, evidence, validity, uploads, wording."""

import re
from datetime import timedelta
from html import unescape

import pytest

from catalogue.extensions import db
from catalogue.lib.dates import today, utcnow
from catalogue.supplies.models import Approval, PerformanceResult, Upload

PRODUCT_URL = "/supplies/products/alpha-ag"


def plain(html: str) -> str:
    """What a reader sees of some HTML: its text, whitespace collapsed (terms may be links)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def row(html: str, text: str) -> str:
    """The HTML of the table row of the page whose text holds `text`."""
    for match in re.finditer(r"<tr>.*?</tr>", html, re.S):
        if text in plain(match.group(0)):
            return match.group(0)
    raise AssertionError(f"no row holds {text!r}")


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find('<section class="product-section"', start)
    return html[start : end if end != -1 else None]


def day(value) -> str:
    return value.strftime("%-d %B %Y")


@pytest.fixture
def product(make_manufacturer, make_category, make_product):
    maker = make_manufacturer(slug="alpha", name="Alpha Bio Inc.")
    return make_product(
        slug="alpha-ag",
        name="Alpha Antigen Test",
        manufacturer=maker,
        category=make_category(slug="rapid-antigen", name="Rapid antigen tests"),
        approvals=[
            {
                "authority": "ce_ivd",
                "status": "public_source",
                "public_sources": ["https://news.example/alpha-ce (press report)"],
            }
        ],
    )


@pytest.fixture
def checker(make_user):
    return make_user(role="staff", name="Min-ji Park", email="minji@cac.example")


def verify(fact, user, **evidence):
    """What a staff check leaves in the database (a profile keeps its own verification_status)."""
    if hasattr(fact, "status"):
        fact.status = "verified"
    fact.verified_by = user
    fact.verified_at = utcnow()
    fact.checked_on = evidence.pop("checked_on", today() - timedelta(days=3))
    for name, value in evidence.items():
        setattr(fact, name, value)
    db.session.commit()


# --- The seed: public sources, nothing verified --------------------------------------------------


def test_seeded_product_page_states_its_sources_and_claims_no_staff_check(seeded_client):
    html = seeded_client.get("/supplies/products/allplex-2019-ncov-assay").get_data(as_text=True)
    approvals = section(html, "approvals")
    assert plain(approvals).count("Stated in a public source") >= 4  # each approval, and the key
    assert "Verified by CAC staff" not in plain(html) and "✔" not in html
    assert "portal staff have checked" not in html and "awaiting verification" not in html
    # Each approval lists its own sources: the FDA EUA row links the article it comes from.
    fda = row(approvals, "US FDA Emergency Use Authorization")
    assert 'href="https://economynext.com/south-koreas-seegene-says-us-fda-gave-' in fda
    assert "April 2020" in plain(fda)


def test_seeded_pages_call_no_maker_or_product_certified_or_verified(seeded_client):
    maker = plain(seeded_client.get("/supplies/manufacturers/seegene").get_data(as_text=True))
    assert "Company profile not verified by CAC staff." in maker
    assert "Profile verified" not in maker and "Verified by CAC staff" not in maker
    listing = plain(seeded_client.get("/supplies/manufacturers/").get_data(as_text=True))
    assert "Not verified by CAC staff" in listing and "Verified manufacturer" not in listing
    home = plain(seeded_client.get("/").get_data(as_text=True))
    assert "CAC listed 45 Korean manufacturers as holding qualification certificates" in home
    assert "Find certified" not in home and "Products with verified approvals" not in home
    landing = plain(seeded_client.get("/supplies/").get_data(as_text=True))
    assert "Certified Korean manufacturers" not in landing
    assert "most verified approvals" not in landing and "come first" not in landing


# --- Verified, with its evidence ----------------------------------------------------------------


def test_verified_approval_shows_the_evidence_who_checked_and_when(client, product, checker):
    approval = product.approvals[0]
    checked = today() - timedelta(days=3)
    verify(
        approval,
        checker,
        checked_on=checked,
        evidence_reference="NB 1434-IVD-2020-0042",
        evidence_url="https://register.example/ivd/0042",
        evidence_note="Certificate matches the kit's catalogue number.",
    )
    cells = row(client.get(PRODUCT_URL).get_data(as_text=True), "CE marking (IVD)")
    assert '<a href="https://register.example/ivd/0042" rel="nofollow noopener">' in cells
    text = plain(cells)
    assert "✔ Verified by CAC staff" in text
    assert "Certificate or register no. checked: NB 1434-IVD-2020-0042" in text
    assert f"Checked on {day(checked)} by Min-ji Park" in text
    assert "Note: Certificate matches the kit's catalogue number." in text
    # Neither its reference no. nor its date is "on request" beside the word verified.
    assert "on request" not in text


def test_a_register_address_that_is_not_a_web_address_is_not_a_link(client, product, checker):
    verify(product.approvals[0], checker, evidence_url="javascript:alert(1)", evidence_note="x")
    html = client.get(PRODUCT_URL).get_data(as_text=True)
    assert 'href="javascript:' not in html


def test_expired_and_revoked_approvals_say_so_with_their_dates(client, product):
    expired, revoked = today() - timedelta(days=1), today() - timedelta(days=20)
    product.approvals[0].valid_from = today() - timedelta(days=400)
    product.approvals[0].valid_until = expired
    product.approvals[0].public_sources = []
    product.approvals.append(Approval(authority="fda_eua", status="revoked", revoked_on=revoked))
    db.session.commit()
    html = client.get(PRODUCT_URL).get_data(as_text=True)
    ce = plain(row(html, "CE marking (IVD)"))
    assert "Expired" in ce and f"Valid until {day(expired)}" in ce
    assert f"Valid from {day(today() - timedelta(days=400))}" in ce
    assert "Stated in a public source" not in ce
    fda = plain(row(html, "US FDA Emergency Use Authorization"))
    assert "Revoked" in fda and f"Revoked on {day(revoked)}" in fda
    assert "Expired: its valid-until date has passed" in plain(html)
    assert "Revoked: CAC staff recorded that the authority revoked it" in plain(html)


def test_rejected_approval_stays_hidden(client, product):
    product.approvals[0].status = "rejected"
    product.approvals[0].reference_number = "REJ-77"
    db.session.commit()
    html = plain(client.get(PRODUCT_URL).get_data(as_text=True))
    assert "REJ-77" not in html and "CE marking (IVD)" not in html
    assert "No approvals of this product recorded" in html


def test_authority_and_date_are_shown_as_the_source_words_them(client, product):
    product.approvals[0].stated_as = "swabs CE-marked"
    product.approvals[0].date_as_stated = "late 2020"
    db.session.commit()
    cells = plain(row(client.get(PRODUCT_URL).get_data(as_text=True), "swabs CE-marked"))
    assert "late 2020" in cells and "CE marking (IVD)" not in cells


# --- Performance rows ---------------------------------------------------------------------------


def test_performance_rows_keep_qualifiers_and_show_reporter_samples_state_and_comment(
    client, product
):
    product.performance.append(
        PerformanceResult(
            study="Multicentre evaluation",
            sensitivity=94.0,
            sensitivity_qualifier="up to",
            specificity=89.4,
            specificity_qualifier="~",
            sensitivity_ci_low=90.1,
            sensitivity_ci_high=96.8,
            sample_size=2523,
            reported_by="independent",
            public_sources=["https://journal.example/eval-2021"],
            maker_comment="Our own study found 96 % with a newer lot.",
            entered_by="seed",
            status="public_source",
        )
    )
    db.session.commit()
    cells = row(client.get(PRODUCT_URL).get_data(as_text=True), "Multicentre evaluation")
    assert 'href="https://journal.example/eval-2021"' in cells
    text = plain(cells)
    assert "up to 94 %" in text and "~89.4 %" in text
    assert "(interval 90.1–96.8)" in text and "CI" not in text
    assert "2,523" in text and "Independent evaluation" in text
    assert "Stated in a public source" in text
    assert "Manufacturer's comment: Our own study found 96 % with a newer lot." in text


def test_verified_and_rejected_performance_rows(client, product, checker):
    product.performance = [
        PerformanceResult(
            study="Staff-checked IFU study", sensitivity=95.3, reported_by="regulator"
        ),
        PerformanceResult(study="Rejected claim", sensitivity=99.9, reported_by="manufacturer"),
    ]
    product.performance[1].status = "rejected"
    db.session.commit()
    verify(product.performance[0], checker, evidence_reference="EUA210123", evidence_note="IFU")
    html = client.get(PRODUCT_URL).get_data(as_text=True)
    cells = plain(row(html, "Staff-checked IFU study"))
    assert "Verified by CAC staff" in cells and "EUA210123" in cells and "Min-ji Park" in cells
    assert "Rejected claim" not in html and "99.9" not in html


# --- Company permissions, uploads, the maker's profile ------------------------------------------


def test_company_permissions_show_on_the_maker_page_and_its_product_pages(client, product):
    product.manufacturer.company_permissions = [
        {
            "label": "MFDS export permission (company)",
            "note": "for the company's diagnostic reagents",
            "sources": ["https://news.example/alpha-export"],
        }
    ]
    db.session.commit()
    maker = client.get("/supplies/manufacturers/alpha").get_data(as_text=True)
    item = section(maker, "company-permissions")
    assert 'href="https://news.example/alpha-export"' in item
    text = plain(item)
    assert "MFDS export permission (company) — for the company's diagnostic reagents" in text
    assert "Company-level permission (not specific to one product)" in text
    page = client.get(PRODUCT_URL).get_data(as_text=True)
    approvals = section(page, "approvals")
    item = approvals[approvals.index("company-permissions") :]
    assert 'href="https://news.example/alpha-export"' in item
    text = plain(item)
    assert "MFDS export permission (company)" in text
    assert "Company-level permission (not specific to this product)" in text
    # It is not listed as one of the product's approvals.
    assert "MFDS export permission (company)" not in plain(row(page, "CE marking (IVD)"))


def test_an_unchecked_upload_is_never_called_a_certificate(client, product, checker):
    product.documents.append(
        Upload(
            kind="certificate", filename="scan.pdf", content_type="application/pdf",
            size=4096, sha256="0" * 64, storage_path="scan.pdf",
        )
    )  # fmt: skip
    db.session.commit()
    documents = plain(section(client.get(PRODUCT_URL).get_data(as_text=True), "documents"))
    assert "scan.pdf (Uploaded by the manufacturer — not checked by CAC; PDF, 4 KB)" in documents
    assert "ertificate" not in documents

    product.documents[0].checked_by_id = checker.id
    product.documents[0].checked_at = utcnow()
    product.updated_at = utcnow()
    db.session.commit()
    documents = plain(section(client.get(PRODUCT_URL).get_data(as_text=True), "documents"))
    assert "scan.pdf (Certificate (checked by CAC staff); PDF, 4 KB)" in documents


def test_maker_profile_is_called_verified_only_after_a_staff_check(client, product, checker):
    maker = product.manufacturer
    maker.verification_status = "pending"
    maker.evidence_reference = "BRN 123-45-67890"
    db.session.commit()
    html = plain(client.get("/supplies/manufacturers/alpha").get_data(as_text=True))
    assert "Profile verified" not in html and "BRN 123-45-67890" not in html

    maker.verification_status = "verified"
    verify(maker, checker, evidence_reference="BRN 123-45-67890", evidence_note="Registry entry")
    html = plain(client.get("/supplies/manufacturers/alpha").get_data(as_text=True))
    assert "✔ Profile verified by CAC staff" in html
    assert "BRN 123-45-67890" in html and "Registry entry" in html
    assert f"Checked on {day(maker.checked_on)} by Min-ji Park" in html
    listing = plain(client.get("/supplies/manufacturers/").get_data(as_text=True))
    assert "✔ Verified by CAC staff" in listing

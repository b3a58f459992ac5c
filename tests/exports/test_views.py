"""Spec sheets and company profiles through the test client."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from catalogue.exports import pdf, pdfcache, tasks
from catalogue.extensions import db
from catalogue.lib.storage import storage
from catalogue.supplies.models import Upload


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Text without any whitespace: a PDF wraps lines wherever its columns end."""
    return "".join(text.split())


@pytest.fixture
def product(make_manufacturer, make_category, make_product):
    maker = make_manufacturer(
        slug="alpha-bio",
        name="Alpha Bio Inc.",
        name_ko="알파바이오",
        website="alpha-bio.example",
        contact_email="export@alpha-bio.example",
    )
    category = make_category(slug="rt-pcr", name="RT-PCR reagents")
    return make_product(
        slug="alpha-pcr",
        name="Alpha PCR Kit",
        manufacturer=maker,
        category=category,
        technology="real-time RT-PCR",
        targets=["E", "RdRP"],
        limit_of_detection="4 genome copies/µL",
        specimens=["nasopharyngeal swab"],
        approvals=[
            {"authority": "fda_eua", "status": "verified", "reference_number": "EUA200123"},
            {"authority": "ce_ivd", "status": "claimed"},
            {"authority": "who_eul", "status": "rejected", "reference_number": "REJ-999"},
        ],
        performance=[
            {
                "study": "Manufacturer study",
                "sensitivity": 93.3,
                "specificity": 100.0,
                "sample_size": 110,
                "reported_by": "manufacturer",
            }
        ],
        public_sources=["https://source.example/alpha-pcr (press release)"],
    )


@pytest.fixture
def count_renders(monkeypatch):
    """Counts the WeasyPrint renders, to tell a cache hit from a miss."""
    calls = []
    real = pdf.html_to_pdf

    def counting(html, on_page=None):
        calls.append(html)
        return real(html, on_page)

    monkeypatch.setattr(pdf, "html_to_pdf", counting)
    return calls


def test_spec_sheet_is_a_pdf_with_the_products_facts(client, product):
    response = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "alpha-pcr-spec-sheet.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Alpha PCR Kit" in text
    assert "Alpha Bio Inc." in text
    assert "알파바이오" in text  # the Korean name is drawn with a Hangul font, not as boxes
    assert flat("US FDA Emergency Use Authorization") in flat(text) and "EUA200123" in text
    assert flat("CE marking (IVD)") in flat(text)
    assert flat("Claimed by the manufacturer") in flat(text)
    assert "REJ-999" not in text  # rejected claims are not shown to buyers
    assert "93.3 %" in text and "110" in text
    assert "4 genome copies/µL" in text
    assert "on request" in text  # e.g. lead time, storage, HS code are unknown
    assert "Page 1 of" in text
    assert "CAC Medical Supplies Export Portal" in text
    assert "http://localhost/supplies/products/alpha-pcr" in text


def test_spec_sheet_lists_the_products_documents(client, product):
    product.documents.append(
        Upload(
            kind="ifu",
            title="Instructions for use, rev. 3",
            filename="ifu.pdf",
            content_type="application/pdf",
            size=204800,
            sha256="0" * 64,
            storage_path="documents/ifu.pdf",
        )
    )
    db.session.commit()
    text = pdf_text(client.get("/supplies/products/alpha-pcr/spec-sheet.pdf").data)
    # Not checked by staff yet: the buyer is told so, and it is not called a certificate.
    assert flat("Instructions for use, rev. 3") in flat(text)
    assert flat("Uploaded by the manufacturer — not checked by CAC") in flat(text)
    assert "Certificates and instructions for use: on request" not in text


def test_spec_sheet_links_to_the_product_page_from_the_product_page(client, product):
    html = client.get("/supplies/products/alpha-pcr").get_data(as_text=True)
    assert 'href="/supplies/products/alpha-pcr/spec-sheet.pdf"' in html


def test_spec_sheet_is_reused_until_the_product_changes(client, product, count_renders):
    first = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    second = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert len(count_renders) == 1
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert first.headers["Last-Modified"]

    product.approvals[1].status = "verified"
    db.session.commit()
    third = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert len(count_renders) == 2
    assert third.headers["ETag"] != first.headers["ETag"]
    assert pdf_text(third.data).count("✔ Verified") == 2


def test_pdfs_are_rendered_ahead_of_the_first_visitor(client, product, count_renders):
    # The background pass renders the spec sheet and the company profile once...
    assert tasks.prerender_pdfs().rendered == 2
    assert tasks.prerender_pdfs().rendered == 0
    # ...so the first visitor after it gets stored files: no render in the request.
    sheet = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    profile = client.get("/supplies/manufacturers/alpha-bio/profile.pdf")
    assert sheet.status_code == profile.status_code == 200
    assert len(count_renders) == 2

    product.name = "Alpha PCR Kit II"
    db.session.commit()
    assert tasks.prerender_pdfs().rendered == 2  # the product is on its maker's profile too
    sheet = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert len(count_renders) == 4
    assert "Alpha PCR Kit II" in pdf_text(sheet.data)


def test_prerender_command_renders_what_changed(runner, product, count_renders):
    assert "Rendered 2 PDFs." in runner.invoke(args=["exports", "prerender"]).output
    assert "Rendered 0 PDFs." in runner.invoke(args=["exports", "prerender"]).output
    assert len(count_renders) == 2


def test_a_pass_out_of_time_leaves_the_rest_to_the_next(product, count_renders, monkeypatch):
    monkeypatch.setattr(pdfcache, "PRERENDER_BUDGET", 0)  # time for one document only
    assert tasks.prerender_pdfs().rendered == 1
    assert tasks.prerender_pdfs().rendered == 1  # the next pass goes on where it stopped
    assert tasks.prerender_pdfs().rendered == 0
    assert len(count_renders) == 2


def test_a_document_that_fails_to_render_holds_up_no_other(
    runner, product, count_renders, monkeypatch
):
    real = pdf.html_to_pdf

    def failing_sheets(html, on_page=None):
        if "— spec sheet" in html:
            raise RuntimeError("layout failed")
        return real(html, on_page)

    monkeypatch.setattr(pdf, "html_to_pdf", failing_sheets)
    monkeypatch.setattr(pdfcache, "PRERENDER_BUDGET", 0)  # one document a pass
    # The broken spec sheet is tried once; the profile after it is still rendered, and the
    # command ends.
    result = runner.invoke(args=["exports", "prerender"])
    assert "Rendered 1 PDF." in result.output
    assert tasks.prerender_pdfs() == (0, True)


def test_an_older_version_is_kept_a_while_then_dropped(client, product, monkeypatch):
    folder = "exports/spec-sheets/alpha-pcr/"
    client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    product.name = "Alpha PCR Kit II"
    db.session.commit()
    client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert len(storage().list(folder)) == 2  # a late render of the older one removes nothing
    monkeypatch.setattr(pdfcache, "OLD_VERSIONS_KEPT_FOR", timedelta(0))
    product.name = "Alpha PCR Kit III"
    db.session.commit()
    client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert len(storage().list(folder)) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda p: setattr(p.manufacturer, "contact_phone", "+82 2 0000 0000"),
        lambda p: setattr(p.performance[0], "sample_size", 120),
        lambda p: setattr(p.category, "name", "Molecular reagents"),
    ],
    ids=["manufacturer", "performance", "category"],
)
def test_spec_sheet_is_rendered_again_after_a_related_edit(client, product, count_renders, change):
    client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    change(product)
    db.session.commit()
    client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert len(count_renders) == 2


def test_conditional_requests_get_304(client, product, count_renders):
    first = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    etag = first.headers["ETag"]
    again = client.get(
        "/supplies/products/alpha-pcr/spec-sheet.pdf", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(
        "/supplies/products/alpha-pcr/spec-sheet.pdf",
        headers={"If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert since.status_code == 304
    stale = client.get(
        "/supplies/products/alpha-pcr/spec-sheet.pdf", headers={"If-None-Match": '"other"'}
    )
    assert stale.status_code == 200 and stale.data.startswith(b"%PDF-")
    assert len(count_renders) == 1


def test_unknown_and_unpublished_products_have_no_spec_sheet(client, product, make_product):
    make_product(slug="draft-kit", status="draft")
    make_product(slug="old-kit", status="archived")
    for slug in ("no-such-product", "draft-kit", "old-kit"):
        response = client.get(f"/supplies/products/{slug}/spec-sheet.pdf")
        assert response.status_code == 404
        assert "could not find" in response.get_data(as_text=True)


def test_manufacturer_profile_lists_published_products(client, product, make_product):
    make_product(
        slug="alpha-draft",
        name="Alpha Secret Draft",
        manufacturer=product.manufacturer,
        status="draft",
    )
    make_product(
        slug="alpha-ag",
        name="Alpha Antigen Test",
        manufacturer=product.manufacturer,
        approvals=[{"authority": "mfds_export", "status": "verified"}],
    )
    response = client.get("/supplies/manufacturers/alpha-bio/profile.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    assert "Alpha Bio Inc." in text and "알파바이오" in text
    assert "AlphaPCRKit" in flat(text) and "AlphaAntigenTest" in flat(text)
    assert "Alpha Secret Draft" not in text
    assert "FDA EUA" in text and "MFDS export permission" in text
    assert "on request" in text  # founded year, employees, phone are unknown
    assert "Company profile" in text
    # The maker has no sources of its own: its product entries' sources are cited.
    assert "https://source.example/alpha-pcr" in text


def test_manufacturer_profile_changes_with_its_products(client, product, count_renders):
    first = client.get("/supplies/manufacturers/alpha-bio/profile.pdf")
    assert client.get("/supplies/manufacturers/alpha-bio/profile.pdf").data == first.data
    product.name = "Alpha PCR Kit v2"
    db.session.commit()
    second = client.get("/supplies/manufacturers/alpha-bio/profile.pdf")
    assert len(count_renders) == 2
    assert "AlphaPCRKitv2" in flat(pdf_text(second.data))
    assert second.headers["ETag"] != first.headers["ETag"]


def test_unknown_manufacturer_has_no_profile(client):
    assert client.get("/supplies/manufacturers/nobody/profile.pdf").status_code == 404


def test_urls_in_product_text_are_never_fetched(client, product, monkeypatch):
    fetched = []
    real_fetch = pdf.StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(pdf.StaticOnlyFetcher, "fetch", spy)
    product.description = (
        'See file:///etc/passwd and <img src="file:///etc/passwd"> '
        '<img src="http://203.0.113.9/track.png"> <link rel="stylesheet" href="https://evil.example/x.css">'
    )
    product.intended_use = '<img src="https://evil.example/pixel.gif">'
    db.session.commit()
    response = client.get("/supplies/products/alpha-pcr/spec-sheet.pdf")
    assert response.status_code == 200
    assert fetched == ["https://portal.invalid/static/css/print.css"]
    text = pdf_text(response.data)
    assert '<img src="file:///etc/passwd">' in text  # shown as the text it is
    assert "root:" not in text

"""Spec sheets and company profiles in the reader's language: the labels are translated, the
facts (product, company and approval names, figures) stay as entered, and each language is a
stored file of its own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalogue.exports import pdf, tasks
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.storage import storage
from tests.exports import test_views
from tests.exports.test_fonts import embedded_fonts
from tests.exports.test_views import flat, pdf_text

# The Alpha PCR Kit of the view tests, by Alpha Bio Inc. (알파바이오).
product = test_views.product

SHEET = "/supplies/products/alpha-pcr/spec-sheet.pdf"
PROFILE = "/supplies/manufacturers/alpha-bio/profile.pdf"


@pytest.fixture
def rendered_html(monkeypatch):
    """The HTML of each PDF rendered, to check what the document declares."""
    calls = []
    real = pdf.html_to_pdf

    def keeping(html, on_page=None):
        calls.append(html)
        return real(html, on_page)

    monkeypatch.setattr(pdf, "html_to_pdf", keeping)
    return calls


def test_a_french_spec_sheet_has_french_labels_and_the_facts_as_entered(client, product):
    response = client.get(SHEET, headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    assert "alpha-pcr-spec-sheet-fr.pdf" in response.headers["Content-Disposition"]
    text = flat(pdf_text(response.data))
    assert flat("Fiche technique du produit") in text
    assert flat("Autorisations réglementaires") in text
    assert flat("Page 1 sur") in text  # the page numbers in the margin too
    assert "Productspecificationsheet" not in text
    # Facts are never translated.
    assert "AlphaPCRKit" in text
    assert "AlphaBioInc." in text
    assert "EUA200123" in text
    assert "알파바이오" in text


def test_english_and_french_sheets_are_different_stored_files(client, product, rendered_html):
    english = client.get(SHEET)
    french = client.get(f"{SHEET}?lang=fr")

    assert english.status_code == french.status_code == 200
    assert "Product specification sheet" in pdf_text(english.data)
    assert "Fiche technique du produit" in pdf_text(french.data)
    assert english.headers["ETag"] != french.headers["ETag"]
    assert "Accept-Language" in french.headers["Vary"]
    stored = storage().list("exports/spec-sheets/alpha-pcr/")
    assert sorted(key.rsplit(".", 2)[1] for key in stored) == ["en", "fr"]
    assert len(rendered_html) == 2

    # Each is served from its own file afterwards, not rendered again nor mixed up.
    again_english = client.get(SHEET, headers={"Accept-Language": "en"})
    again_french = client.get(SHEET, headers={"Accept-Language": "fr"})
    assert again_english.data == english.data
    assert again_french.data == french.data
    assert len(rendered_html) == 2


def test_an_edit_replaces_the_sheet_in_every_language(client, product, rendered_html):
    client.get(f"{SHEET}?lang=fr")
    product.name = "Alpha PCR Kit II"
    client.application.extensions["sqlalchemy"].session.commit()

    text = pdf_text(client.get(f"{SHEET}?lang=fr").data)

    assert "Alpha PCR Kit II" in text
    assert "Fiche technique du produit" in text


def test_an_arabic_sheet_is_laid_out_right_to_left(client, product, rendered_html):
    response = client.get(SHEET, headers={"Accept-Language": "ar"})

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert '<html lang="ar" dir="rtl">' in rendered_html[-1]
    assert "AlphaPCRKit" in flat(pdf_text(response.data))
    assert "alpha-pcr-spec-sheet-ar.pdf" in response.headers["Content-Disposition"]


def test_a_chinese_sheet_sets_han_text_in_the_simplified_chinese_face(client, product):
    response = client.get(f"{SHEET}?lang=zh")

    assert response.status_code == 200
    fonts = embedded_fonts(response.data)
    assert any(name.startswith("DejaVu-Sans") for name in fonts), fonts


def test_a_french_company_profile(client, product, rendered_html):
    response = client.get(PROFILE, headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    assert '<html lang="fr" dir="ltr">' in rendered_html[-1]
    text = flat(pdf_text(response.data))
    assert flat("Généré le") in text
    assert "AlphaBioInc." in text


def test_the_language_cookie_chooses_the_pdfs_language(client, product):
    client.set_cookie("lang", "fr")

    assert "Fiche technique du produit" in pdf_text(client.get(SHEET).data)


def test_pre_rendering_makes_the_english_files_only(client, product, rendered_html):
    tasks.prerender_pdfs()

    stored = storage().list("exports/")
    assert stored and all(key.endswith(".en.pdf") for key in stored), stored
    assert all('<html lang="en" dir="ltr">' in html for html in rendered_html)
    # A French reader's sheet is rendered on their first request.
    before = len(rendered_html)
    assert client.get(f"{SHEET}?lang=fr").status_code == 200
    assert len(rendered_html) == before + 1


def test_the_product_page_offers_the_sheet_in_the_pages_language(client, product):
    # Through the cookie or Accept-Language the sheet's address needs nothing more; a page
    # reached by its ?lang= address passes it on.
    page = client.get("/supplies/products/alpha-pcr?lang=fr").get_data(as_text=True)

    assert 'href="/supplies/products/alpha-pcr/spec-sheet.pdf?lang=fr"' in page
    plain = client.get("/supplies/products/alpha-pcr").get_data(as_text=True)
    assert 'href="/supplies/products/alpha-pcr/spec-sheet.pdf"' in plain


def test_a_staff_brochure_is_in_the_language_of_the_staff_members_request(
    client, make_user, login, product
):
    login(make_user(role="staff", name="Min-ji Staff"))

    response = client.post(
        "/staff/exports/", data={"title": "Diagnostics"}, headers={"Accept-Language": "fr"}
    )

    assert response.status_code == 302
    job = db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.status == "done", job.error
    assert job.parameters["language"] == "fr"
    download = client.get(f"/staff/exports/{job.id}/download")
    text = flat(pdf_text(download.data))
    download.close()
    assert flat("Généré le") in text  # the cover, in French
    assert "AlphaPCRKit" in text and "Diagnostics" in text  # facts and the title as entered

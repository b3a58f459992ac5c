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


# --- Content translations: the prose in the reader's language, else English that says so ------

DESCRIPTION = "One-step real-time RT-PCR kit for SARS-CoV-2 in upper respiratory specimens."
DESCRIPTION_FR = "Kit RT-PCR en temps réel en une étape pour le SARS-CoV-2."
INTENDED_USE = "For professional use in clinical laboratories."
PROFILE_TEXT = "Alpha Bio makes molecular diagnostics in Osong."
PROFILE_TEXT_FR = "Alpha Bio fabrique des diagnostics moléculaires à Osong."


@pytest.fixture
def described(product):
    """The sheet's product with English prose, its description translated into French."""
    from catalogue.supplies.translations import save_translations

    product.description = DESCRIPTION
    product.intended_use = INTENDED_USE
    product.manufacturer.description = PROFILE_TEXT
    db.session.flush()
    save_translations(None, product, "fr", {"description": DESCRIPTION_FR})
    save_translations(None, product.manufacturer, "fr", {"description": PROFILE_TEXT_FR})
    db.session.commit()
    return product


def test_a_french_sheet_prints_the_french_description(client, described, rendered_html):
    text = flat(pdf_text(client.get(f"{SHEET}?lang=fr").data))

    assert flat(DESCRIPTION_FR) in text
    assert flat(DESCRIPTION) not in text
    # The intended use has no French text: English, marked as such for the reader and the
    # screen reader.
    assert flat(INTENDED_USE) in text
    assert flat("Disponible en anglais uniquement.") in text
    assert f'<p lang="en" dir="ltr">{INTENDED_USE}</p>' in rendered_html[-1]
    assert f"<p>{DESCRIPTION_FR}</p>" in rendered_html[-1]


def test_a_russian_sheet_prints_the_english_text_with_a_note(client, described, rendered_html):
    text = flat(pdf_text(client.get(f"{SHEET}?lang=ru").data))

    assert flat(DESCRIPTION) in text and flat(DESCRIPTION_FR) not in text
    assert flat("Доступно только на английском языке.") in text
    assert f'<p lang="en" dir="ltr">{DESCRIPTION}</p>' in rendered_html[-1]


def test_the_english_sheet_has_no_note(client, described):
    text = flat(pdf_text(client.get(SHEET).data))

    assert flat(DESCRIPTION) in text
    assert "AvailableinEnglishonly" not in text


def test_editing_a_translation_gives_a_new_version_of_the_sheet(client, described, rendered_html):
    from catalogue.supplies.translations import save_translations

    first = client.get(f"{SHEET}?lang=fr")
    english = client.get(SHEET)
    save_translations(None, described, "fr", {"description": "Kit RT-PCR, nouvelle version."})
    db.session.commit()

    again = client.get(f"{SHEET}?lang=fr")

    assert again.headers["ETag"] != first.headers["ETag"]
    assert flat("Kit RT-PCR, nouvelle version.") in flat(pdf_text(again.data))
    # One version for every language: the English sheet is stored afresh too.
    assert client.get(SHEET).headers["ETag"] != english.headers["ETag"]
    assert len(rendered_html) == 4


def test_a_french_profile_prints_the_french_company_text(client, described, rendered_html):
    french = flat(pdf_text(client.get(f"{PROFILE}?lang=fr").data))
    russian = flat(pdf_text(client.get(f"{PROFILE}?lang=ru").data))

    assert flat(PROFILE_TEXT_FR) in french and flat(PROFILE_TEXT) not in french
    assert flat(PROFILE_TEXT) in russian and flat("Доступно только на английском языке.") in russian


def test_a_profile_translation_gives_a_new_version_of_the_profile(client, described):
    from catalogue.supplies.translations import save_translations

    first = client.get(f"{PROFILE}?lang=fr")
    save_translations(None, described.manufacturer, "fr", {"description": "Nouveau texte."})
    db.session.commit()

    again = client.get(f"{PROFILE}?lang=fr")

    assert again.headers["ETag"] != first.headers["ETag"]
    assert "Nouveautexte." in flat(pdf_text(again.data))


def test_a_french_brochure_prints_the_french_prose(client, make_user, login, described):
    from catalogue.supplies.translations import save_translations

    described.summary = "Real-time PCR for SARS-CoV-2."
    save_translations(None, described, "fr", {"summary": "PCR en temps réel pour le SARS-CoV-2."})
    db.session.commit()
    login(make_user(role="staff"))

    client.post("/staff/exports/", data={}, headers={"Accept-Language": "fr"})

    job = db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.status == "done", job.error
    download = client.get(f"/staff/exports/{job.id}/download")
    text = flat(pdf_text(download.data))
    download.close()
    assert flat("PCR en temps réel pour le SARS-CoV-2.") in text
    assert flat(PROFILE_TEXT_FR) in text
    assert flat("Real-time PCR for SARS-CoV-2.") not in text


def test_a_retried_brochure_waits_in_its_own_language(
    client, make_user, login, product, monkeypatch
):
    def broken(html, on_page=None):
        raise RuntimeError("out of memory")

    login(make_user(role="staff"))
    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    client.post("/staff/exports/", data={}, headers={"Accept-Language": "fr"})
    job = db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.status == "failed"
    monkeypatch.setattr(tasks, "submit", lambda job: None)  # left queued, to read its stage

    # Retried by a staff member reading Korean: the job's stage stays in French.
    response = client.post(f"/staff/exports/{job.id}/retry", headers={"Accept-Language": "ko"})

    assert response.status_code == 302
    db.session.refresh(job)
    assert job.status == "queued"
    assert job.stage == "En attente d'un processus de traitement"

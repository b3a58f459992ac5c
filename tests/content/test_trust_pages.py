"""About, Contact, Privacy and Terms: true of this software, linked from every page and the
inquiry form, and never showing an operator that is not configured."""

import re

import pytest

from catalogue.inquiries.forms import InquiryForm
from catalogue.supplies.models import STATE_LABELS

PAGES = ("/about", "/contact", "/privacy", "/terms")


def _text(response):
    return response.get_data(as_text=True)


def _plain(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", PAGES)
def test_trust_pages_render_and_are_linked_from_the_footer(client, path):
    response = client.get(path)
    assert response.status_code == 200
    footer = _text(client.get("/")).split('<footer class="site-footer', 1)[1]
    assert f'href="{path}"' in footer


def test_without_operator_settings_no_name_or_address_is_shown(client):
    for path in ("/about", "/contact", "/privacy"):
        page = _text(client.get(path))
        assert "The operator's details are not published on this instance" in page
        assert 'id="contact-email"' not in page and 'id="contact-address"' not in page
        assert "mailto:" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_configured_operator_details_are_shown_as_given(app, client):
    app.config.update(
        OPERATOR_NAME="Operator Name As Configured",
        CONTACT_EMAIL="privacy@portal.example",
        CONTACT_ADDRESS="Postal Address As Configured",
    )
    about = _text(client.get("/about"))
    assert "Operator Name As Configured" in about
    contact = _text(client.get("/contact"))
    assert 'href="mailto:privacy@portal.example"' in contact
    assert "Postal Address As Configured" in contact
    assert "not published" not in contact
    privacy = _plain(_text(client.get("/privacy")))
    assert "Write to privacy@portal.example from the address you used" in privacy


def test_about_explains_every_provenance_state_the_catalogue_shows(client):
    about = _plain(_text(client.get("/about")))
    for label in STATE_LABELS.values():
        assert str(label) in about  # the labels are lazy (translated when shown)
    assert "Independent evaluation" in about  # reporters a maker cannot overrule


def test_privacy_lists_the_inquiry_forms_personal_fields_and_real_retention(app, client):
    page = _plain(_text(client.get("/privacy"))).lower()
    with app.test_request_context():
        form = InquiryForm()
    for name in ("name", "organisation", "job_title", "email", "phone", "city", "country"):
        words = {"name": "your name", "email": "work e-mail", "job_title": "job title"}
        assert words.get(name, name) in page, name
    assert form.consent.label.text  # the form asks for agreement; the page names it
    assert "tick box" in page
    assert "kept until their removal is requested" in page
    days = app.config["MAIL_OUTBOX_RETENTION_DAYS"]
    assert f"deleted after {days} days" in page
    assert f"lasts {app.config['REMEMBER_COOKIE_DURATION'].days} days" in page
    assert "no tracking, analytics or advertising cookies" in page
    assert "the manufacturer" in page and "cac staff" in page


def test_privacy_says_nothing_of_eml_files_when_mail_goes_through_a_server(app, client):
    app.config["MAIL_SERVER"] = "smtp.portal.example"
    assert "files on its server" not in _text(client.get("/privacy"))


def test_terms_say_inquiries_are_not_orders_and_claims_carry_no_warranty(client):
    page = _plain(_text(client.get("/terms")))
    assert "it is not an order" in page
    assert "gives no warranty" in page


def test_inquiry_form_links_privacy_and_terms_beside_the_consent(client, world):
    client.post("/inquiry/basket/add", data={"product": world.product_a.slug})
    page = _text(client.get("/inquiry/new"))
    notice = page.index('id="consent-notice"')
    assert notice < page.index('name="consent"')
    near = page[notice : page.index('name="consent"')]
    assert 'href="/privacy"' in near and 'href="/terms"' in near

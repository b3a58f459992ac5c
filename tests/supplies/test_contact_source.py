"""Inquiries are e-mailed to a maker's contact address, so every address records its source."""

from catalogue.extensions import db
from catalogue.supplies.changes import MAKER_GIVEN_SOURCE


def _text(response):
    return response.get_data(as_text=True)


def test_a_makers_own_address_records_the_maker_as_its_source(client, login, world):
    login(world.user_a)
    response = client.post(
        "/portal/profile",
        data={"name": "Maker A Inc.", "contact_email": "sales@maker-a.example",
              "contact_email_source": "made up by the maker"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(world.maker_a)
    assert world.maker_a.contact_email == "sales@maker-a.example"
    assert world.maker_a.contact_email_source == MAKER_GIVEN_SOURCE


def test_staff_give_the_source_of_an_address_they_enter(client, login, world):
    login(world.staff)
    url = f"/staff/manufacturers/{world.maker_b.id}"
    assert "Where the contact e-mail comes from" in _text(client.get(url))
    refused = client.post(url, data={"name": "Maker B Inc.", "contact_email": "b@maker-b.example"})
    assert refused.status_code == 400
    assert "Say where this address comes from" in _text(refused)
    db.session.refresh(world.maker_b)
    assert world.maker_b.contact_email is None
    saved = client.post(
        url,
        data={"name": "Maker B Inc.", "contact_email": "b@maker-b.example",
              "contact_email_source": "Maker B's website, contact page (checked by phone)"},
    )  # fmt: skip
    assert saved.status_code == 302
    db.session.refresh(world.maker_b)
    assert world.maker_b.contact_email_source.startswith("Maker B's website")
    # Another edit that keeps the address needs no new source and keeps the old one.
    again = client.post(
        url, data={"name": "Maker B Inc.", "city": "Seoul", "contact_email": "b@maker-b.example",
                   "contact_email_source": "Maker B's website, contact page (checked by phone)"},
    )  # fmt: skip
    assert again.status_code == 302
    # The maker editing its profile later leaves staff's record of the source alone.
    login(world.user_b)
    client.post(
        "/portal/profile", data={"name": "Maker B Inc.", "contact_email": "b@maker-b.example"}
    )
    db.session.refresh(world.maker_b)
    assert world.maker_b.contact_email_source.startswith("Maker B's website")

"""Absolute links come from the configured site address, never from the request's Host
(issue 14, item 1: password-reset, invitation and tracking-link poisoning)."""

import re

import pytest
from flask import g

from catalogue.mail.delivery import deliver_pending
from tests.exports.test_views import flat, pdf_text
from tests.inquiries.test_journey import inquiry_form

FOREIGN = "http://evil.example"
# A host the site trusts (a loopback name) on another port: served, but never copied into links.
ALIAS = "http://localhost:8000"
# What development uses when SITE_URL is not set (the `make run` default before issue 14).
LOCAL_DEFAULT = "http://127.0.0.1:5000"


@pytest.fixture
def site_unset(app):
    app.config["SITE_URL"] = None


def _texts(smtp_server, address: str | None = None) -> list[str]:
    """Every delivered message (or those to one address) as its decoded text parts."""
    deliver_pending()
    messages = smtp_server.inbox.to(address) if address else smtp_server.inbox.messages
    texts = []
    for message in messages:
        parts = [str(v) for _, v in message.items()]
        for part in message.walk():
            if not part.is_multipart():
                parts.append(part.get_payload(decode=True).decode(part.get_content_charset()))
        texts.append("\n".join(parts))
    return texts


def _assert_no_host_from_request(texts: list[str]) -> None:
    assert texts, "no mail was delivered"
    for text in texts:
        assert "evil.example" not in text
        assert "localhost:8000" not in text


def _sign_in(client, user, base_url: str) -> None:
    g.pop("_login_user", None)
    with client.session_transaction(base_url=base_url) as session:
        session["_user_id"] = user.get_session_id()
        session["_fresh"] = True


def test_password_reset_link_never_comes_from_the_host_header(
    client, world, smtp_server, site_unset
):
    form = {"email": world.officer.email}
    # The attack: a foreign Host is refused before anything is mailed.
    assert client.post("/account/password-reset", data=form, base_url=FOREIGN).status_code == 400
    # A Host the site answers to still does not reach the link.
    assert client.post("/account/password-reset", data=form, base_url=ALIAS).status_code == 302

    texts = _texts(smtp_server, world.officer.email)
    _assert_no_host_from_request(texts)
    (link,) = re.findall(r"https?://\S+/account/password-reset/\S+", "\n".join(texts))
    assert link.startswith(LOCAL_DEFAULT + "/account/password-reset/")


def test_invitation_link_never_comes_from_the_host_header(client, world, smtp_server, site_unset):
    url = f"/staff/manufacturers/{world.maker_b.id}/invitations"
    for base_url in (FOREIGN, ALIAS):
        _sign_in(client, world.staff, base_url)
    refused = client.post(url, data={"email": "evil@maker-b.example"}, base_url=FOREIGN)
    assert refused.status_code == 400
    sent = client.post(url, data={"email": "new@maker-b.example"}, base_url=ALIAS)
    assert sent.status_code == 302

    assert not _texts(smtp_server, "evil@maker-b.example")
    texts = _texts(smtp_server, "new@maker-b.example")
    _assert_no_host_from_request(texts)
    (link,) = re.findall(r"https?://\S+/account/invitation/\S+", "\n".join(texts))
    assert link.startswith(LOCAL_DEFAULT + "/account/invitation/")


def test_inquiry_tracking_link_never_comes_from_the_host_header(
    client, world, smtp_server, site_unset
):
    form = inquiry_form([(world.product_a.slug, 500)], email="buyer@city.example")
    assert client.post("/inquiry/new", data=form, base_url=FOREIGN).status_code == 400
    assert client.post("/inquiry/new", data=form, base_url=ALIAS).status_code == 302

    # The buyer's tracking link and the maker's notice alike.
    texts = _texts(smtp_server)
    _assert_no_host_from_request(texts)
    buyer = "\n".join(_texts(smtp_server, "buyer@city.example"))
    (link,) = set(re.findall(r"https?://[^\s\"<>]+/inquiry/track/[^\s\"<>]+", buyer))
    assert link.startswith(LOCAL_DEFAULT + "/inquiry/track/")


def test_every_absolute_link_of_a_response_uses_the_site_address(client, world, site_unset):
    # Links the API, the open data and the OpenAPI document give are built the same way.
    bodies = [
        client.get("/api/v1/products", base_url=ALIAS).get_data(as_text=True),
        client.get("/api/v1/openapi.json", base_url=ALIAS).get_data(as_text=True),
        client.get("/open-data/catalogue/datapackage.json", base_url=ALIAS).get_data(as_text=True),
    ]
    links = [link for body in bodies for link in re.findall(r"https?://[^\s\"]+", body)]
    own = [link for link in links if "localhost" in link or "127.0.0.1" in link]
    assert own and all(link.startswith(LOCAL_DEFAULT + "/") for link in own)


def test_a_configured_site_address_is_used_whatever_the_host(app, client, world):
    app.config.update(SITE_URL="https://supplies.example", EXTRA_TRUSTED_HOSTS=["localhost"])
    body = client.get("/api/v1/products", base_url=ALIAS).get_json()
    assert body["items"][0]["page_url"].startswith("https://supplies.example/supplies/products/")


def test_a_spec_sheet_links_to_the_site_whatever_the_host(client, world, site_unset):
    response = client.get("/supplies/products/product-a/spec-sheet.pdf", base_url=ALIAS)
    assert response.status_code == 200
    text = flat(pdf_text(response.data))
    assert flat(LOCAL_DEFAULT + "/supplies/products/product-a") in text
    assert "localhost:8000" not in text

"""The whole inquiry journey through the test client, with mail delivered to a real SMTP server."""

import re
from datetime import date, timedelta
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.mail.delivery import deliver_pending
from catalogue.mail.models import OutboundEmail

FUTURE = (date.today() + timedelta(days=60)).isoformat()


def _text(response):
    return response.get_data(as_text=True)


def inquiry_form(products, **changes):
    data = {
        "name": "Ana Souza",
        "organisation": "Recife City Health Department",
        "job_title": "Procurement officer",
        "email": "ana.souza@recife.example",
        "phone": "+55 81 3355 0000",
        "city": "Recife",
        "country": "BR",
        "destination": "Recife airport (REC)",
        "incoterm": "CIP",
        "required_by": FUTURE,
        "message": "We need these for our testing centres.",
        "consent": "y",
    }
    for n, (slug, quantity) in enumerate(products):
        data[f"lines-{n}-product"] = slug
        data[f"lines-{n}-quantity"] = str(quantity)
        data[f"lines-{n}-unit"] = "tests"
    data.update(changes)
    return data


def test_whole_journey_from_basket_to_quotation_and_metrics(client, login, world, smtp_server):
    a, b = world.product_a, world.product_b
    world.maker_a.contact_email = "sales@maker-a.example"
    db.session.commit()
    login(None)

    # Basket: add two products of two makers; the header shows the count.
    client.post("/inquiry/basket/add", data={"product": a.slug})
    client.post("/inquiry/basket/add", data={"product": b.slug})
    basket = _text(client.get("/inquiry/basket"))
    assert re.search(r'id="basket-count">2<', basket)
    form_page = _text(client.get("/inquiry/new"))
    assert a.name in form_page and b.name in form_page

    # One form, two inquiries (one per manufacturer) under one group.
    response = client.post("/inquiry/new", data=inquiry_form([(a.slug, 5000), (b.slug, 200)]))
    assert response.status_code == 302
    confirmation = _text(client.get(response.headers["Location"]))
    references = re.findall(r"CAC-\d{4}-\d{5}", confirmation)
    assert len(set(references)) == 2
    links = re.findall(r'href="(/inquiry/track/[^"]+)"', confirmation)
    assert len(links) == 2
    filed = db.session.scalars(sa.select(Inquiry).where(Inquiry.reference.in_(references))).all()
    assert len({i.group_code for i in filed}) == 1
    assert re.search(r'id="basket-count">0<', _text(client.get("/inquiry/basket")))

    # Mail arrives at the SMTP server: the officer's confirmation and each maker's notice.
    deliver_pending()
    (confirmation_mail,) = smtp_server.inbox.to("ana.souza@recife.example")
    body = confirmation_mail.get_payload(decode=True).decode()
    assert all(ref in body for ref in references) and "/inquiry/track/" in body
    # Both makers have a portal user: the notice goes to them (their inbox is the route).
    for address in (world.user_a.email, world.user_b.email):
        subjects = [m["Subject"] for m in smtp_server.inbox.to(address)]
        assert any(ref in s for s in subjects for ref in references), address

    # The manufacturer opens (marks read), replies and quotes.
    inquiry_a = next(i for i in filed if i.manufacturer_id == world.maker_a.id)
    link_a = next(
        link for link, ref in zip(links, references, strict=True) if ref == inquiry_a.reference
    )
    login(world.user_a)
    assert "Recife City Health Department" in _text(client.get("/portal/inquiries/"))
    client.get(f"/portal/inquiries/{inquiry_a.id}")
    assert db.session.get(Inquiry, inquiry_a.id).status == "read"
    client.post(
        f"/portal/inquiries/{inquiry_a.id}/reply", data={"body": "We can supply from stock."}
    )
    quoted = client.post(
        f"/portal/inquiries/{inquiry_a.id}/quotation",
        data={"q-lines-0-unit": "test", "q-lines-0-unit_price": "2.35", "q-lines-0-moq": "1000",
              "q-lines-0-lead_time_days": "14", "q-currency": "USD", "q-valid_until": FUTURE,
              "q-incoterm": "CIP", "q-incoterm_place": "Recife airport",
              "q-note": "Price includes insurance."},
    )  # fmt: skip
    assert quoted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Inquiry, inquiry_a.id).status == "quoted"

    # The officer sees it on the tracking page and asks for a revised quotation.
    login(None)
    tracking = _text(client.get(link_a))
    assert "We can supply from stock." in tracking and "2.35 USD" in tracking
    assert "Price includes insurance." in tracking
    client.post(
        link_a + "/reply",
        data={"body": "Could you quote for 10,000 tests?", "revised_quotation": "y"},
    )
    assert "asks for a revised quotation" in _text(client.get(link_a))

    # Every step reached the officer or the maker by e-mail.
    deliver_pending()
    officer_mail = [m["Subject"] for m in smtp_server.inbox.to("ana.souza@recife.example")]
    assert any(s.startswith("Reply to your inquiry") for s in officer_mail)
    assert any(s.startswith("Quotation v1 for your inquiry") for s in officer_mail)
    # The maker reads Korean: "Revised quotation requested".
    maker_mail = [
        str(make_header(decode_header(m["Subject"])))
        for m in smtp_server.inbox.to(world.user_a.email)
    ]
    assert any(s.startswith("수정 견적서 요청") for s in maker_mail)

    # Staff see the response time for maker A.
    login(world.staff)
    staff_page = _text(client.get("/staff/inquiries/"))
    row = staff_page.split("Maker A Inc.")[1].split("</tr>")[0]
    assert "<td>2</td><td>2</td>" in row  # the world's own inquiry and this one, both answered
    # Both were answered within minutes, but neither has had its full 2 business days yet.
    assert "none due yet" in row and "%" not in row
    csv_text = _text(client.get("/staff/inquiries.csv"))
    assert inquiry_a.reference in csv_text


def test_mail_waits_while_the_smtp_server_is_down(client, world, smtp_server):
    smtp_server.stop()
    response = client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 100)]))
    assert response.status_code == 302
    assert deliver_pending()["sent"] == 0
    pending = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.status == "pending")
    ).all()
    assert pending and all(m.attempts == 1 and m.last_error for m in pending)
    # The server is back; once the back-off has passed, everything is delivered.
    smtp_server.start()
    for message in pending:
        message.next_attempt_at = message.created_at
    db.session.commit()
    assert deliver_pending()["sent"] == len(pending)
    assert smtp_server.inbox.to("ana.souza@recife.example")


def test_signed_in_officer_finds_inquiries_in_the_account(client, login, world):
    login(world.officer)
    client.post(
        "/inquiry/new",
        data=inquiry_form([(world.product_a.slug, 10)], email=world.officer.email),
    )
    account = _text(client.get("/account/"))
    reference = re.search(r"CAC-\d{4}-\d{5}", account).group(0)
    inquiry = db.session.scalar(sa.select(Inquiry).where(Inquiry.reference == reference))
    assert inquiry.officer_id == world.officer.id
    assert reference in _text(client.get(f"/account/inquiries/{inquiry.id}"))
    login(world.user_a)  # nobody else's account shows it
    assert client.get(f"/account/inquiries/{inquiry.id}").status_code == 404


def test_unknown_tracking_token_is_404_and_tokens_are_stored_hashed(client, world):
    assert client.get("/inquiry/track/not-a-token").status_code == 404
    response = client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 10)]))
    token = None
    with client.session_transaction() as session:
        token = session["just_filed"][0][1]
    assert len(token) >= 32  # 192 random bits, URL-safe
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Inquiry.tracking_token_hash == token))
        == 0
    )
    assert response.status_code == 302 and client.get(f"/inquiry/track/{token}").status_code == 200


@pytest.mark.postgresql
def test_references_are_sequential_per_year(client, world):
    for _ in range(3):
        client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 10)]))
    references = sorted(db.session.scalars(sa.select(Inquiry.reference)).all())
    numbers = [int(r.rsplit("-", 1)[1]) for r in references]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(r.startswith(f"CAC-{date.today().year}-") for r in references)


def test_reply_time_shows_only_from_five_inquiries(app, client, login, world):
    page = _text(client.get("/supplies/manufacturers/maker-a"))
    assert "Typically replies" not in page
    for _ in range(4):
        client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 10)]))
    login(world.user_a)
    for inquiry in db.session.scalars(
        sa.select(Inquiry).where(Inquiry.manufacturer_id == world.maker_a.id)
    ):
        client.post(f"/portal/inquiries/{inquiry.id}/reply", data={"body": "Yes."})
    login(None)
    # Replies do not change the catalogue: a cached page shows the new figure once it expires.
    app.extensions["page_cache"].seconds = 0
    page = _text(client.get("/supplies/manufacturers/maker-a"))
    assert "Typically replies to inquiries within" in page

"""Every inquiry reaches someone, and pages and e-mails say exactly how; the maker's link."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries import links
from catalogue.inquiries.models import Inquiry
from catalogue.lib.dates import utcnow
from catalogue.mail.delivery import deliver_pending
from catalogue.mail.models import OutboundEmail
from tests.inquiries.test_journey import FUTURE, inquiry_form


def _text(response):
    return response.get_data(as_text=True)


def _mail_to(address):
    return db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == address)
    ).all()


@pytest.fixture
def three_makers(world, make_manufacturer, make_product):
    """Maker A has a portal user; C only a contact e-mail on file; D nothing at all."""
    maker_c = make_manufacturer(
        slug="maker-c", name="Maker C Ltd.", contact_email="sales@c.example"
    )
    maker_d = make_manufacturer(slug="maker-d", name="Maker D Co.")
    return (
        world.product_a,
        make_product(slug="product-c", manufacturer=maker_c),
        make_product(slug="product-d", manufacturer=maker_d),
    )


def _file(client, products):
    response = client.post("/inquiry/new", data=inquiry_form([(p.slug, 500) for p in products]))
    assert response.status_code == 302
    return _text(client.get(response.headers["Location"]))


def test_each_route_is_chosen_at_filing_and_shown_truthfully(client, world, three_makers):
    a, c, d = three_makers
    confirmation = _file(client, three_makers)
    rows = {
        re.search(r"<strong>(.*?)</strong>", row).group(1): row
        for row in re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", confirmation, re.S)
    }
    assert "In Maker A Inc.&#39;s portal inbox" in rows["Maker A Inc."]
    assert "Being e-mailed to Maker C Ltd." in rows["Maker C Ltd."]  # queued, not yet sent
    assert (
        "Maker D Co. is not on the portal yet: CAC staff will forward it within 2 business days"
        in rows["Maker D Co."]
    )
    # Each reference is listed with its maker and products.
    assert "500 tests of " + c.name in rows["Maker C Ltd."]
    assert "We have sent it to the manufacturers" not in confirmation

    inquiries = {
        i.manufacturer.slug: i
        for i in db.session.scalars(sa.select(Inquiry))
        if i.manufacturer.slug in ("maker-a", "maker-c", "maker-d") and i.message
    }
    assert inquiries["maker-a"].route == "portal" and inquiries["maker-a"].status == "routed"
    assert inquiries["maker-c"].route == "email" and inquiries["maker-c"].status == "routed"
    assert inquiries["maker-d"].route == "staff_desk" and inquiries["maker-d"].status == "new"
    # Mail: the maker's user, the address on file with a private link, and staff for D.
    assert _mail_to(world.user_a.email)
    (notice,) = _mail_to("sales@c.example")
    # A maker off the portal is mailed in Korean: "no account needed".
    assert "/inquiry/respond/" in notice.body_text and "계정 없이" in notice.body_text
    (desk,) = _mail_to(world.staff.email)
    # In Korean, as staff read it ("Needs a route"); the maker's name as entered.
    assert desk.subject.startswith("경로 지정 필요") and "Maker D Co." in desk.subject
    confirmation_mail = _mail_to("ana.souza@recife.example")[0].body_text
    assert "CAC staff will forward it within 2 business days" in confirmation_mail
    assert (
        "portal inbox" in confirmation_mail
        and "Being e-mailed to Maker C Ltd." in confirmation_mail
    )

    # Once the e-mail has really gone, the tracking page says so — and only then.
    track = re.search(r'href="(/inquiry/track/[^"]+)"', rows["Maker C Ltd."]).group(1)
    assert "Being e-mailed to Maker C Ltd." in _text(client.get(track))
    deliver_pending()
    assert re.search(r"E-mailed to Maker C Ltd\. on \d", _text(client.get(track)))


def test_a_failed_routing_email_is_shown_and_goes_to_the_staff_queue(
    client, login, world, three_makers
):
    _file(client, three_makers[1:2])
    notice = _mail_to("sales@c.example")[0]
    notice.status = "failed"
    db.session.commit()
    inquiry = db.session.scalar(
        sa.select(Inquiry).where(Inquiry.route_address == "sales@c.example")
    )
    from catalogue.inquiries.desk import needing_route

    assert inquiry in needing_route()
    login(world.user_a)
    token = links.tracking_token(inquiry)
    login(None)
    page = _text(client.get(f"/inquiry/track/{token}"))
    assert "could not be delivered" in page and "E-mailed to" not in page


def _maker_token(inquiry):
    body = _mail_to(inquiry.route_address)[0].body_text
    return re.search(r"/inquiry/respond/([A-Za-z0-9_\-]+)", body).group(1)


def test_the_maker_answers_and_quotes_through_the_link_without_an_account(client, three_makers):
    _file(client, three_makers[1:2])
    inquiry = db.session.scalar(sa.select(Inquiry).where(Inquiry.route == "email"))
    token = _maker_token(inquiry)
    page = client.get(f"/inquiry/respond/{token}")
    assert page.status_code == 200 and "Maker C Ltd." in _text(page)
    db.session.expire_all()
    assert inquiry.status == "read"
    assert (
        client.post(f"/inquiry/respond/{token}/reply", data={"body": "We have stock."}).status_code
        == 302
    )
    quoted = client.post(
        f"/inquiry/respond/{token}/quotation",
        data={
            "q-lines-0-unit": "test",
            "q-lines-0-unit_price": "1.90",
            "q-currency": "EUR",
            "q-valid_until": FUTURE,
        },
    )
    assert quoted.status_code == 302
    db.session.expire_all()
    assert inquiry.status == "quoted" and inquiry.quotations[0].created_via == "link"
    assert inquiry.quotations[0].created_by_id is None
    # The buyer's notice carries a direct link to the tracking page.
    quote_mail = [
        m for m in _mail_to("ana.souza@recife.example") if m.subject.startswith("Quotation v1")
    ]
    assert quote_mail and "/inquiry/track/" in quote_mail[0].body_text


def test_expired_reused_or_foreign_maker_links_give_404_and_change_nothing(
    client, world, three_makers, make_manufacturer, make_product
):
    maker_e = make_manufacturer(slug="maker-e", name="Maker E", contact_email="e@e.example")
    _file(client, [three_makers[1], make_product(slug="product-e", manufacturer=maker_e)])
    mine = db.session.scalar(sa.select(Inquiry).where(Inquiry.route_address == "sales@c.example"))
    other = db.session.scalar(sa.select(Inquiry).where(Inquiry.route_address == "e@e.example"))
    token, other_token = _maker_token(mine), _maker_token(other)

    # Foreign: maker E's link cannot open C's quotation files or act on C's inquiry.
    assert (
        client.get(
            f"/inquiry/respond/{other_token}/quotations/{world.inquiry_a.quotations[0].id}.pdf"
        ).status_code
        == 404
    )
    # Expired.
    mine.maker_token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/inquiry/respond/{token}").status_code == 404
    assert client.post(f"/inquiry/respond/{token}/reply", data={"body": "Hi"}).status_code == 404
    # Reused after it was replaced (staff sent the inquiry to another address).
    from catalogue.inquiries.desk import forward_by_email

    mine.maker_token_expires_at = utcnow() + timedelta(days=1)
    db.session.commit()
    assert client.get(f"/inquiry/respond/{token}").status_code == 200
    forward_by_email(world.staff, mine, "export@c.example", None)
    db.session.commit()
    assert client.get(f"/inquiry/respond/{token}").status_code == 404
    assert client.post(f"/inquiry/respond/{token}/quotation", data={}).status_code == 404
    assert client.get("/inquiry/respond/not-a-token").status_code == 404
    db.session.expire_all()
    assert not mine.messages and not mine.quotations
    # The tracking token opens nothing on the maker side, and the other way round.
    assert client.get(f"/inquiry/respond/{links.tracking_token(mine)}").status_code == 404
    assert client.get(f"/inquiry/track/{other_token}").status_code == 404


def test_link_tokens_are_stored_only_as_hashes(client, three_makers):
    _file(client, three_makers[1:2])
    inquiry = db.session.scalar(sa.select(Inquiry).where(Inquiry.route == "email"))
    token = _maker_token(inquiry)
    assert len(token) >= 32
    stored = db.session.execute(
        sa.text("SELECT * FROM inquiries WHERE id = :id"), {"id": inquiry.id}
    ).one()
    assert token not in [str(v) for v in stored] and links.tracking_token(inquiry) not in [
        str(v) for v in stored
    ]
    assert inquiry.maker_token_hash == links.hash_token(token)

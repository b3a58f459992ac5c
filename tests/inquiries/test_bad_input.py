"""Bad input gets a clear 4xx and creates nothing; hostile markup is shown escaped everywhere."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries import services
from catalogue.inquiries.models import Inquiry
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import Category, Manufacturer, Product
from tests.inquiries.test_journey import inquiry_form

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": "not-an-address"}, "Invalid email address"),
        ({"required_by": YESTERDAY}, "The date must be in the future."),
        ({"lines-0-quantity": "0"}, "From 1 to 100,000,000."),
        ({"lines-0-quantity": "1000000000000"}, "From 1 to 100,000,000."),
        ({"lines-0-quantity": "many"}, "Not a valid integer value."),
        ({"consent": ""}, "Please agree"),
        ({"message": "x" * 20_000}, "At most 5000 characters."),
        ({"country": "ZZ"}, "Not a valid choice"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_message_beside_the_field(client, world, changes, message):
    before = (_count(Inquiry), _count(OutboundEmail))
    response = client.post(
        "/inquiry/new", data=inquiry_form([(world.product_a.slug, 10)], **changes)
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Recife City Health Department"' in html  # the form comes back filled in
    assert (_count(Inquiry), _count(OutboundEmail)) == before


def test_filled_honeypot_creates_nothing(client, world):
    before = _count(Inquiry)
    response = client.post(
        "/inquiry/new",
        data=inquiry_form([(world.product_a.slug, 10)], website="http://spam.example"),
    )
    assert response.status_code == 400
    assert _count(Inquiry) == before


def test_unknown_or_unpublished_product_is_refused(client, world):
    before = _count(Inquiry)
    assert (
        client.post("/inquiry/new", data=inquiry_form([("no-such-product", 10)])).status_code == 400
    )
    world.product_b.status = "archived"
    db.session.commit()
    assert (
        client.post("/inquiry/new", data=inquiry_form([(world.product_b.slug, 10)])).status_code
        == 400
    )
    assert client.get("/inquiry/new?product=no-such-product").status_code == 404
    assert client.post("/inquiry/basket/add", data={"product": "nope"}).status_code == 404
    assert _count(Inquiry) == before


def test_inquiry_submissions_are_rate_limited(app_factory, backend):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, INQUIRY_RATE_LIMIT="2 per hour")
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [client.post("/inquiry/new", data={}).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_one_form_goes_to_at_most_ten_manufacturers(client, make_product):
    """One anonymous POST used to file 20 inquiries and mail 20 notices (issue 14, item 18)."""
    products = [make_product() for _ in range(services.MAX_MANUFACTURERS + 1)]
    before = (_count(Inquiry), _count(OutboundEmail))
    too_many = client.post("/inquiry/new", data=inquiry_form([(p.slug, 10) for p in products]))
    assert too_many.status_code == 400
    assert "at most 10 manufacturers" in too_many.get_data(as_text=True)
    assert (_count(Inquiry), _count(OutboundEmail)) == before
    ten = client.post("/inquiry/new", data=inquiry_form([(p.slug, 10) for p in products[:10]]))
    assert ten.status_code == 302 and _count(Inquiry) == before[0] + 10


def test_the_basket_holds_products_of_at_most_ten_manufacturers(client, make_product):
    products = [make_product() for _ in range(services.MAX_MANUFACTURERS + 1)]
    for product in products:
        response = client.post("/inquiry/basket/add", data={"product": product.slug})
    with client.session_transaction() as session:
        assert session["basket"] == [p.slug for p in products[:10]]
    page = client.get(response.location).get_data(as_text=True)
    assert "at most 10 manufacturers" in page


def test_the_inquiry_rate_limit_counts_every_inquiry_a_form_files(app_factory):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, INQUIRY_RATE_LIMIT="10 per hour")
    with app.app_context():
        db.create_all()
        category = Category(slug="c", name="C", kind="diagnostic_reagent")
        for n in range(11):
            db.session.add(
                Product(slug=f"p{n}", name=f"P{n}", status="published", category=category,
                        manufacturer=Manufacturer(slug=f"m{n}", name=f"M{n}"))
            )  # fmt: skip
        db.session.commit()
        client = app.test_client()
        ten = client.post("/inquiry/new", data=inquiry_form([(f"p{n}", 10) for n in range(10)]))
        one_more = client.post("/inquiry/new", data=inquiry_form([("p10", 10)]))
        assert (ten.status_code, one_more.status_code) == (302, 429)
        assert _count(Inquiry) == 10


def test_hostile_markup_is_escaped_for_maker_officer_and_staff(client, login, world):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post(
        "/inquiry/new",
        data=inquiry_form(
            [(world.product_a.slug, 10)], name=evil, organisation=evil, message=evil,
            **{"lines-0-note": evil},
        ),
    )  # fmt: skip
    inquiry = db.session.scalar(sa.select(Inquiry).where(Inquiry.organisation == evil))
    with client.session_transaction() as session:
        token = session["just_filed"][0][1]
    pages = [(None, f"/inquiry/track/{token}"), (world.user_a, f"/portal/inquiries/{inquiry.id}"),
             (world.user_a, "/portal/inquiries/"), (world.staff, "/staff/inquiries/"),
             (world.staff, f"/staff/inquiries/{inquiry.id}")]  # fmt: skip
    for who, url in pages:
        login(who)
        html = client.get(url).get_data(as_text=True)
        assert '<script>alert("x")' not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url
    login(world.user_a)
    client.post(f"/portal/inquiries/{inquiry.id}/reply", data={"body": evil})
    login(None)
    html = client.get(f"/inquiry/track/{token}").get_data(as_text=True)
    assert "<img src=x" not in html


def test_csv_export_neutralises_formulas(client, login, world):
    client.post(
        "/inquiry/new",
        data=inquiry_form([(world.product_a.slug, 10)], organisation="=HYPERLINK(1)"),
    )
    login(world.staff)
    text = client.get("/staff/inquiries.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_quotation_needs_a_future_validity_and_a_price(client, login, world):
    login(world.user_a)
    inquiry = world.inquiry_a
    past = client.post(
        f"/portal/inquiries/{inquiry.id}/quotation",
        data={"q-lines-0-unit": "test", "q-lines-0-unit_price": "1", "q-currency": "USD",
              "q-valid_until": YESTERDAY},
    )  # fmt: skip
    assert past.status_code == 400 and "future date" in past.get_data(as_text=True)
    no_price = client.post(
        f"/portal/inquiries/{inquiry.id}/quotation",
        data={"q-lines-0-unit": "test", "q-currency": "USD",
              "q-valid_until": (date.today() + timedelta(days=9)).isoformat()},
    )  # fmt: skip
    assert no_price.status_code == 400 and "Give a price." in no_price.get_data(as_text=True)
    assert len(inquiry.quotations) == 1


def test_staff_see_a_quotation_sent_without_a_pdf(client, login, world):
    """A maker may revise a quotation without a document: the staff page shows it, no link."""
    from catalogue.inquiries import quotations

    inquiry = world.inquiry_a
    quotations.submit_quotation(
        inquiry,
        quotations.Offer(
            currency="USD",
            valid_until=date.today() + timedelta(days=30),
            lines=[quotations.LineOffer(unit="test", unit_price=Decimal("2.4"))],
        ),
        actor=world.user_a,
        via="portal",
    )
    db.session.commit()
    login(world.staff)
    response = client.get(f"/staff/inquiries/{inquiry.id}")
    assert response.status_code == 200
    assert "2.4" in response.get_data(as_text=True)

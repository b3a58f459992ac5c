"""Structured quotations: exact money, price breaks, versions, bad input refused on its field."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries import quotations
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import Quotation
from catalogue.lib.money import format_money, quantize

FUTURE = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def inquiry(world, file_inquiry):
    """5,000 tests of maker A's product asked, no quotation yet."""
    ((inquiry, _token),) = file_inquiry((world.product_a, 5000))
    return inquiry


def _form(**changes):
    data = {
        "q-lines-0-unit": "kit",
        "q-lines-0-pack_size": "25",
        "q-lines-0-unit_price": "87.50",
        "q-lines-0-moq": "40",
        "q-lines-0-lead_time_days": "21",
        "q-lines-0-shelf_life_months": "12",
        "q-lines-0-tiers-0-min_quantity": "200",
        "q-lines-0-tiers-0-unit_price": "80",
        "q-lines-0-tiers-1-min_quantity": "1000",
        "q-lines-0-tiers-1-unit_price": "75.125",
        "q-currency": "USD",
        "q-valid_until": FUTURE,
        "q-incoterm": "CIP",
        "q-incoterm_place": "São Paulo GRU airport",
        "q-payment_terms": "30 % advance",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _quote(client, login, world, inquiry, **changes):
    login(world.user_a)
    return client.post(f"/portal/inquiries/{inquiry.id}/quotation", data=_form(**changes))


def test_totals_tiers_and_price_per_test_are_exact(client, login, world, inquiry):
    response = _quote(client, login, world, inquiry)
    assert response.status_code == 302
    quotation = db.session.scalar(sa.select(Quotation).where(Quotation.inquiry_id == inquiry.id))
    line = quotation.lines[0]
    # 5,000 tests in kits of 25 = 200 kits: the first price break applies.
    assert line.quantity_asked == 200 and line.applied_price == Decimal("80")
    assert line.total == Decimal("16000.00") and quotation.total == Decimal("16000.00")
    assert line.price_per_test == Decimal("3.2000")
    assert line.price_for(999) == Decimal("80") and line.price_for(1000) == Decimal("75.125")
    assert line.price_for(40) == Decimal("87.5")
    # The buyer reads units, not bare numbers.
    login(None)
    page = client.get(f"/account/inquiries/{inquiry.id}")  # not the buyer's account: 404/302
    assert page.status_code in (302, 404)
    login(world.user_a)
    html = client.get(f"/portal/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "87.50 USD per kit of 25 tests" in html
    assert "from 200 kits: 80.00 USD" in html and "from 1,000 kits: 75.125 USD" in html
    assert "16,000.00 USD" in html and "200 kits × 80.00 USD" in html
    assert "40 kits" in html and "21 days" in html and "12 months" in html
    assert "CIP São Paulo GRU airport" in html


def test_rounding_follows_the_currency(world):
    assert quantize(Decimal("1234.5"), "KRW") == Decimal("1235")
    assert quantize(Decimal("0.1235"), "KWD") == Decimal("0.124")
    assert format_money(Decimal("1234.5"), "JPY") == "1,235 JPY"
    assert format_money(Decimal("2.5"), "USD", exact=True) == "2.50 USD"
    assert format_money(Decimal("2.3456"), "USD", exact=True) == "2.3456 USD"
    # Decimal all the way: 0.1 + 0.2 is exactly 0.3, as a buyer expects on an invoice.
    assert quantize(Decimal("0.1") + Decimal("0.2"), "USD") == Decimal("0.30")


def test_below_the_moq_the_total_is_for_the_moq_and_says_so(client, login, world, inquiry):
    response = _quote(
        client,
        login,
        world,
        inquiry,
        **{
            "q-lines-0-moq": "400",
            "q-lines-0-tiers-0-min_quantity": "500",
            "q-lines-0-tiers-1-min_quantity": None,
            "q-lines-0-tiers-1-unit_price": None,
        },
    )
    assert response.status_code == 302
    line = inquiry.quotations[0].lines[0]
    assert line.below_moq and line.billed_quantity == 400
    assert line.total == Decimal("35000.00")  # 400 kits × 87.50
    html = client.get(f"/portal/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "the minimum order, above the 200 asked" in html


def test_units_that_cannot_be_linked_give_no_invented_total(client, login, world, inquiry):
    response = _quote(client, login, world, inquiry, **{"q-lines-0-pack_size": ""})
    assert response.status_code == 302
    line = inquiry.quotations[0].lines[0]
    assert line.total is None and line.price_per_test is None
    html = client.get(f"/portal/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "Not computable" in html and "tests per kit not given" in html


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"q-lines-0-unit_price": "-1"}, "q-lines-0-unit_price", "A price must be above zero."),
        ({"q-lines-0-unit_price": "0"}, "q-lines-0-unit_price", "A price must be above zero."),
        ({"q-lines-0-unit_price": "abc"}, "q-lines-0-unit_price", "Not a valid decimal value"),
        ({"q-lines-0-unit_price": "1.23456"}, "q-lines-0-unit_price", "at most four decimals"),
        ({"q-currency": "XYZ"}, "q-currency", "Not a valid choice"),
        (
            {"q-valid_until": (date.today() - timedelta(days=1)).isoformat()},
            "q-valid_until",
            "valid until a future date",
        ),
        (
            {"q-lines-0-tiers-1-min_quantity": "200"},
            "q-lines-0-tiers-0-min_quantity",
            "Price breaks overlap",
        ),
        (
            {"q-lines-0-tiers-1-min_quantity": "100"},
            "q-lines-0-tiers-0-min_quantity",
            "Price breaks overlap",
        ),
        (
            {"q-lines-0-tiers-0-min_quantity": "10"},
            "q-lines-0-tiers-0-min_quantity",
            "below the minimum order of 40",
        ),
        (
            {"q-lines-0-tiers-0-unit_price": ""},
            "q-lines-0-tiers-0-min_quantity",
            "Give a price per unit.",
        ),
        ({"q-incoterm_place": ""}, "q-incoterm_place", "Name the place"),
        ({"q-lines-0-unit": "litre"}, "q-lines-0-unit", "Not a valid choice"),
    ],
)
def test_bad_quotations_are_refused_on_the_field_and_save_nothing(
    client, login, world, inquiry, changes, field, message
):
    mail_before = db.session.scalar(sa.text("SELECT COUNT(*) FROM outbound_emails"))
    response = _quote(client, login, world, inquiry, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    # The message sits beside its field (the field's error block), not only at the top.
    error_block = html.split(f'id="{field}-error"')[1].split("</div>")[0]
    assert message in error_block
    assert 'value="São Paulo GRU airport"' in html or field == "q-incoterm_place"  # kept
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Quotation.id))) == 2  # the world's own
    assert db.session.scalar(sa.text("SELECT COUNT(*) FROM outbound_emails")) == mail_before


def test_a_revision_supersedes_and_keeps_the_earlier_version(client, login, world, inquiry):
    assert _quote(client, login, world, inquiry).status_code == 302
    assert (
        _quote(client, login, world, inquiry, **{"q-lines-0-unit_price": "85"}).status_code == 302
    )
    db.session.expire_all()
    first, second = inquiry.quotations
    assert (first.version, first.status) == (1, "superseded")
    assert (second.version, second.status) == (2, "current")
    assert inquiry.current_quotation is second
    html = client.get(f"/portal/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "Quotation v1 (superseded by a later version)" in html
    assert "Quotation v2" in html and "85.00 USD per kit" in html


def test_the_service_refuses_a_quotation_missing_a_line(world, inquiry):
    offer = quotations.Offer(currency="USD", valid_until=date.today() + timedelta(days=5), lines=[])
    with pytest.raises(inquiries.ServiceError, match="Quote every product"):
        quotations.submit_quotation(inquiry, offer, actor=world.user_a, via="portal")

"""Pack size, minimum order and an indicative price per test: entered by the maker (or staff),
shown on the cards, the product page, the compare page, the spec sheet and the API — and "on
request" wherever none was given."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.exports.pdfcache import spec_sheet_html
from catalogue.extensions import db
from catalogue.lib.dates import today
from catalogue.supplies.models import Product
from catalogue.supplies.seed import load_seed
from catalogue.supplies.version import catalogue_version

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def maker_setup(make_user, make_product):
    product = make_product(name="Alpha Ag Rapid Test", moq=1000, unit="tests")
    other = make_product(name="Beta Ag Rapid Test")
    user = make_user(role="manufacturer", manufacturer_id=product.manufacturer_id)
    return product, other, user


def _form(product, **changes) -> dict:
    data = {
        "name": product.name,
        "category_id": str(product.category_id),
        "moq": str(product.moq or ""),
        "unit": product.unit or "",
        "version": str(product.version),
    }
    data.update(changes)
    return data


def _priced(product, given_on, **changes) -> dict:
    price = {
        "pack_size": "25 tests per kit",
        "price_min": "2.1",
        "price_max": "2.60",
        "price_currency": "USD",
        "price_given_on": given_on.isoformat(),
    }
    return _form(product, **{**price, **changes})


def test_maker_price_shows_on_card_product_page_compare_and_spec_sheet(client, login, maker_setup):
    product, other, user = maker_setup
    given_on = today() - timedelta(days=16)
    login(user)
    response = client.post(f"/portal/products/{product.id}/edit", data=_priced(product, given_on))
    assert response.status_code == 302
    login(None)
    expected = (
        f"Indicative price USD 2.10–2.60 per test "
        f"(set by the manufacturer, {given_on.strftime('%-d %b %Y')})"
    )

    cards = _visible(_text(client.get("/supplies/products/")))
    assert expected in cards
    assert "Pack size 25 tests per kit" in cards and "Minimum order 1,000 tests" in cards

    page = _text(client.get(f"/supplies/products/{product.slug}"))
    logistics = _visible(page.split('id="logistics"')[1].split("</section>")[0])
    assert expected in logistics and "Indicative only: ask the manufacturer" in logistics
    assert "Pack size 25 tests per kit" in logistics

    compare = _visible(_text(client.get(f"/supplies/compare?products={product.slug},{other.slug}")))
    price_row = "Indicative price (differs) USD 2.10–2.60 per test (set by the manufacturer"
    assert price_row in compare
    assert "Pack size (differs) 25 tests per kit on request" in compare  # the other gave none

    db.session.refresh(product)
    sheet = _visible(spec_sheet_html(product, "https://portal.example/p"))
    assert "Indicative price USD 2.10–2.60 per test (set by the manufacturer," in sheet
    assert "Pack size 25 tests per kit" in sheet


def test_no_price_shows_on_request_everywhere(client, maker_setup):
    product, other, _user = maker_setup
    card = _visible(_text(client.get("/supplies/products/")))
    assert "Indicative price on request" in card and "Pack size on request" in card
    page = _visible(_text(client.get(f"/supplies/products/{product.slug}")))
    assert "Indicative price on request" in page
    compare = _visible(_text(client.get(f"/supplies/compare?products={product.slug},{other.slug}")))
    assert "Indicative price on request on request" in compare
    sheet = _visible(spec_sheet_html(product, "https://portal.example/p"))
    assert "Indicative price on request" in sheet
    api = client.get(f"/api/v1/products/{product.slug}").get_json()
    assert api["indicative_price"] is None and api["pack_size"] is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price_min": "3", "price_max": "2"}, "price_max", "must not be below the lowest"),
        ({"price_currency": ""}, "price_currency", "Choose the currency of the price."),
        ({"price_currency": "XYZ"}, "price_currency", "Choose a currency from the list"),
        ({"price_given_on": ""}, "price_given_on", "Give the date this price was given."),
        ({"price_given_on": "tomorrow"}, "price_given_on", "Not a valid date value."),
        ({"price_min": "0"}, "price_min", "Give a price above 0"),
        ({"price_min": "-1"}, "price_min", "Give a price above 0"),
        ({"price_min": "NaN"}, "price_min", "Give a price above 0"),
        ({"price_max": "Infinity"}, "price_max", "Give a price above 0"),
        ({"price_max": "1e30"}, "price_max", "Give the price of one test."),
        ({"price_min": "2.123456"}, "price_min", "at most four decimals"),
        ({"price_min": "two"}, "price_min", "Not a valid decimal value."),
    ],
)
def test_bad_price_is_refused_beside_its_field(client, login, maker_setup, changes, field, message):
    product, _other, user = maker_setup
    login(user)
    data = _priced(product, today(), **changes)
    response = client.post(f"/portal/products/{product.id}/edit", data=data)
    assert response.status_code == 400
    html = _text(response)
    error = html.split(f'id="{field}-error"')[1].split("</div>")[0]
    assert message in error
    db.session.refresh(product)
    assert product.price_min is None and product.pack_size is None


def test_a_price_dated_in_the_future_is_refused(client, login, maker_setup):
    product, _other, user = maker_setup
    login(user)
    data = _priced(product, today() + timedelta(days=1))
    response = client.post(f"/portal/products/{product.id}/edit", data=data)
    assert response.status_code == 400
    assert "The date cannot be in the future." in _text(response)


@pytest.mark.postgresql  # how each database hands back the stored decimals
def test_maker_change_is_audited_and_moves_the_catalogue_version(client, login, maker_setup):
    product, _other, user = maker_setup
    login(user)
    before = catalogue_version()
    given_on = today() - timedelta(days=3)
    client.post(f"/portal/products/{product.id}/edit", data=_priced(product, given_on))
    assert catalogue_version() > before
    records = {
        r.field: r
        for r in db.session.scalars(
            sa.select(ChangeRecord).where(
                ChangeRecord.entity_type == "products", ChangeRecord.entity_id == product.id
            )
        )
    }
    assert records["price_min"].new_value == "2.1000" and records["price_min"].actor_id == user.id
    assert records["price_currency"].new_value == "USD"
    assert records["price_given_on"].new_value == given_on.isoformat()
    assert records["pack_size"].new_value == "25 tests per kit"
    assert records["price_entered_by"].new_value == "manufacturer"
    history = _text(client.get(f"/portal/products/{product.id}/history"))
    assert "price_min" in history and "25 tests per kit" in history

    # The form shows the price as it was typed, and saving it again is no change.
    edit = _text(client.get(f"/portal/products/{product.id}/edit"))
    assert 'name="price_min" step="any" type="number" value="2.1"' in edit
    assert '<option selected value="USD">' in edit
    db.session.refresh(product)
    response = client.post(
        f"/portal/products/{product.id}/edit",
        data=_priced(product, given_on),
        follow_redirects=True,
    )
    assert "Saved (0 changes)." in _text(response)

    # Clearing the prices clears the currency, the date and who gave it: "on request" again.
    db.session.refresh(product)
    client.post(
        f"/portal/products/{product.id}/edit",
        data=_form(product, price_currency="USD", price_given_on=given_on.isoformat()),
    )
    db.session.refresh(product)
    assert (product.price_min, product.price_currency, product.price_entered_by) == (
        None,
        None,
        None,
    )
    login(None)
    assert "Indicative price on request" in _visible(
        _text(client.get(f"/supplies/products/{product.slug}"))
    )


def test_a_price_older_than_a_year_shows_its_age(client, make_product):
    given_on = today().replace(day=1) - timedelta(days=430)
    product = make_product(
        price_min=Decimal("1.5"),
        price_currency="EUR",
        price_given_on=given_on,
        price_entered_by="manufacturer",
    )
    page = _visible(_text(client.get(f"/supplies/products/{product.slug}")))
    # Whole months: one fewer while this month's day is before the day it was given.
    months = (today().year - given_on.year) * 12 + today().month - given_on.month
    months -= today().day < given_on.day
    assert months >= 14
    assert (
        f"from EUR 1.50 per test (set by the manufacturer, {given_on.strftime('%-d %b %Y')}; "
        f"given {months} months ago)"
    ) in page
    recent = make_product(
        price_max=Decimal("2500"),
        price_currency="KRW",
        price_given_on=today() - timedelta(days=300),
        price_entered_by="manufacturer",
    )
    page = _visible(_text(client.get(f"/supplies/products/{recent.slug}")))
    assert "up to KRW 2,500 per test" in page and "ago" not in page


def test_staff_entered_price_says_so_and_api_gives_it(client, login, make_user, maker_setup):
    product, _other, _user = maker_setup
    login(make_user(role="staff"))
    given_on = today() - timedelta(days=2)
    response = client.post(f"/staff/products/{product.id}/edit", data=_priced(product, given_on))
    assert response.status_code in (302, 303)
    login(None)
    page = _visible(_text(client.get(f"/supplies/products/{product.slug}")))
    assert "USD 2.10–2.60 per test (entered by CAC staff," in page
    api = client.get(f"/api/v1/products/{product.slug}").get_json()
    assert api["pack_size"] == "25 tests per kit"
    assert api["indicative_price"] == {
        "min": "2.1",
        "max": "2.6",
        "currency": "USD",
        "per": "test",
        "given_on": given_on.isoformat(),
        "entered_by": "staff",
    }
    csv_text = client.get("/open-data/catalogue/products.csv").get_data(as_text=True)
    row = next(r for r in csv.DictReader(io.StringIO(csv_text)) if r["slug"] == product.slug)
    assert (row["pack_size"], row["price_min"], row["price_max"]) == (
        "25 tests per kit",
        "2.1",
        "2.6",
    )
    assert (row["price_currency"], row["price_given_on"]) == ("USD", given_on.isoformat())
    assert row["price_entered_by"] == "staff"


def test_the_seed_gives_no_price_or_pack_size(app):
    load_seed(SEED_DIR)
    db.session.commit()
    priced = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Product)
        .where(
            sa.or_(
                Product.price_min.is_not(None),
                Product.price_max.is_not(None),
                Product.pack_size.is_not(None),
            )
        )
    )
    assert priced == 0

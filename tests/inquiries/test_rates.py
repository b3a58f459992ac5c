"""Reference exchange rates: staff enter them with a date and a source; nobody else can."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries.models import ReferenceRate

TODAY = date.today().isoformat()


def _text(response):
    return response.get_data(as_text=True)


def _rates():
    return db.session.scalars(sa.select(ReferenceRate).order_by(ReferenceRate.id)).all()


def _form(**changes):
    data = {"base": "EUR", "quote": "KRW", "rate": "1500.25", "as_of": TODAY,
            "source": "European Central Bank reference rate"}  # fmt: skip
    data.update(changes)
    return data


def test_staff_add_a_rate_and_see_it_in_use_and_in_the_history(client, login, world):
    login(world.staff)
    page = _text(client.get("/staff/rates/"))
    assert "used only to compare quotations in different currencies" in page
    assert "labelled with its date and source" in page
    assert 'href="/staff/rates/"' in page and "Exchange rates" in page  # the menu item
    assert f'value="{TODAY}"' in page  # the date defaults to today

    response = client.post("/staff/rates/", data=_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/rates/")
    rate = _rates()[-1]
    assert (rate.base, rate.quote, rate.rate, rate.as_of) == (
        "EUR", "KRW", Decimal("1500.25"), date.today(),
    )  # fmt: skip
    assert rate.source == "European Central Bank reference rate"
    assert rate.entered_by_id == world.staff.id

    page = _text(client.get("/staff/rates/"))
    assert "Rate saved: 1 EUR = 1,500.25 KRW" in page
    latest = page.split('id="latest-rates"')[1].split("</table>")[0]
    assert "1 EUR = 1,500.25 KRW" in latest and "1 USD = 1,400 KRW" in latest
    history = page.split('id="rate-history"')[1].split("</table>")[0]
    assert "European Central Bank reference rate" in history and world.staff.name in history


def test_a_newer_rate_of_a_pair_replaces_the_older_in_use_but_both_stay_listed(
    client, login, world
):
    login(world.staff)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    client.post("/staff/rates/", data=_form(base="USD", rate="1390", as_of=yesterday,
                                            source="Bank of Korea, yesterday"))  # fmt: skip
    page = _text(client.get("/staff/rates/"))
    latest = page.split('id="latest-rates"')[1].split("</table>")[0]
    history = page.split('id="rate-history"')[1].split("</table>")[0]
    assert "1 USD = 1,400 KRW" in latest and "1,390" not in latest  # the world's rate is today's
    assert "1 USD = 1,390 KRW" in history and "1 USD = 1,400 KRW" in history


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"base": "ZZZ"}, "base", "Not a valid choice."),
        ({"quote": "EUR"}, "quote", "Choose another ISO 4217 currency."),
        ({"rate": "0"}, "rate", "A rate must be above zero."),
        ({"rate": "-3"}, "rate", "Number must be at least 0."),
        ({"rate": "NaN"}, "rate", ""),
        ({"rate": "Infinity"}, "rate", "A rate must be above zero."),
        ({"rate": "lots"}, "rate", "Not a valid decimal value."),
        ({"rate": ""}, "rate", "This field is required."),
        ({"as_of": (date.today() + timedelta(days=1)).isoformat()}, "as_of",
         "Give the date the rate is from (not in the future)."),
        ({"as_of": "yesterday"}, "as_of", "Not a valid date value."),
        ({"source": ""}, "source", "This field is required."),
        ({"source": "   "}, "source", "This field is required."),
        ({"source": "x" * 301}, "source", "Field cannot be longer than 300 characters."),
    ],
)  # fmt: skip
def test_bad_rates_are_refused_beside_their_field_and_nothing_is_saved(
    client, login, world, changes, field, message
):
    login(world.staff)
    before = len(_rates())
    response = client.post("/staff/rates/", data=_form(**changes))
    assert response.status_code == 400
    error = re.search(rf'<div id="{field}-error"[^>]*>([^<]*)</div>', _text(response))
    assert error and message in error.group(1)
    assert len(_rates()) == before


@pytest.mark.parametrize("who", ["officer", "user_a"])
def test_officers_and_makers_cannot_reach_the_rates(client, login, world, who):
    login(getattr(world, who))
    assert client.get("/staff/rates/").status_code == 403
    assert client.post("/staff/rates/", data=_form()).status_code == 403
    assert len(_rates()) == 1


def test_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/staff/rates/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post("/staff/rates/", data=_form()).status_code == 302
    assert len(_rates()) == 1

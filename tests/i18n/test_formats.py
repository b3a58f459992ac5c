"""Dates, numbers, money and countries in the reader's locale; English keeps the house forms."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from catalogue.i18n.formats import (
    country_name,
    format_day,
    format_day_time,
    format_money,
    format_number,
    format_percent,
)

DAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1 March 2026"),
        ("fr", "1 mars 2026"),
        ("es", "1 de marzo de 2026"),
        ("ko", "2026년 3월 1일"),
        ("zh", "2026年3月1日"),
        ("ru", "1 марта 2026\u202fг."),
    ],
)
def test_dates_read_as_each_locale_writes_them(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert format_day(DAY) == expected


def test_a_time_of_day_follows_the_date(app):
    with app.test_request_context(), force_locale("fr"):
        assert format_day_time(datetime(2026, 3, 1, 14, 5)) == "1 mars 2026 14:05"


def test_numbers_and_percentages_use_the_locales_separators(app):
    with app.test_request_context():
        with force_locale("en"):
            assert format_number(12345) == "12,345"
            assert format_number(99.0) == "99"
            assert format_percent(95.3) == "95.3%"
            assert format_percent(100.0) == "100%"
            assert format_percent(96.666) == "96.7%"
        with force_locale("fr"):
            assert format_number(12345) == "12\u202f345"
            assert format_number(95.3) == "95,3"
            assert format_percent(95.3) == "95,3\u00a0%"
        with force_locale("es"):
            assert format_number(1234.5) == "1.234,5"


def test_money_keeps_its_iso_code_and_minor_unit(app):
    with app.test_request_context():
        with force_locale("en"):
            assert format_money(Decimal("1234.5"), "USD") == "1,234.50 USD"
            assert format_money(Decimal("1500"), "KRW") == "1,500 KRW"
            assert format_money(Decimal("0.125"), "USD", exact=True) == "0.125 USD"
        with force_locale("ru"):
            assert format_money(Decimal("1234.5"), "EUR") == "1\u00a0234,50 EUR"
        assert format_money(None, "USD") == "—"


def test_country_names_in_the_readers_language(app):
    with app.test_request_context():
        with force_locale("en"):
            assert country_name("KR") == "South Korea"
        with force_locale("fr"):
            assert country_name("DE") == "Allemagne"
        with force_locale("ko"):
            assert country_name("KR") == "대한민국"
        assert country_name(None) is None

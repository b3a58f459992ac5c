"""Dates, numbers, money and country names in the reader's locale (Babel's data).

English keeps the house forms ("1 December 2026", "1,234.50 USD"); the other languages get their
locale's own. Amounts always name their ISO currency: a symbol like "$" is ambiguous abroad.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date as babel_date
from babel.dates import format_skeleton
from babel.dates import format_time as babel_time
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent as babel_percent
from flask import Flask
from flask_babel import get_locale, gettext

from catalogue.lib.countries import country_name as english_country_name
from catalogue.lib.money import _EXPONENTS, quantize

# English patterns of the house style; other locales use their CLDR "long"/"medium" forms.
_ENGLISH_DATE = {"long": "d MMMM y", "medium": "d MMM y"}
_LOCALE_DATE = {"long": "long", "medium": "medium"}


def _locale():
    return get_locale() or "en"


def _is_english() -> bool:
    return str(_locale()) == "en"


def format_day(value: date | datetime | None, width: str = "long") -> str:
    """A date: "1 December 2026" in English, "1 décembre 2026" in French, "2026년 12월 1일"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if width == "month":  # "December 2026", "décembre 2026", "2026년 12월"
        return format_skeleton("yMMMM", value, locale=_locale())
    pattern = (_ENGLISH_DATE if _is_english() else _LOCALE_DATE)[width]
    return babel_date(value, pattern, locale=_locale())


def format_day_time(value: datetime | None, width: str = "long") -> str:
    """A date with its time of day (24-hour clock, as the stored UTC time)."""
    if value is None:
        return ""
    return f"{format_day(value, width)} {babel_time(value, 'HH:mm', locale=_locale())}"


def format_number(value) -> str:
    """12345 -> "12,345" ("12 345" in French); 99.0 -> "99"; 95.3 -> "95.3" ("95,3")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float | Decimal):
        return babel_decimal(value, locale=_locale(), decimal_quantization=False)
    return str(value)


def format_percent(value, digits: int = 1) -> str:
    """A percentage given in per cent (95.3 -> "95.3%", "95,3 %" in French), at most `digits`
    decimals, in the locale's own pattern."""
    if value is None:
        return ""
    rounded = round(Decimal(str(value)), digits).normalize()
    return babel_percent(rounded / 100, locale=_locale(), decimal_quantization=False)


def format_money(amount: Decimal | None, currency: str, *, exact: bool = False) -> str:
    """ "1,234.50 USD" ("1 234,50 USD"); `exact` keeps up to four decimals (unit prices)."""
    if amount is None:
        return "—"
    minimum = _EXPONENTS.get(currency, 2)
    if exact:
        fraction = "0" * minimum + "#" * max(0, 4 - minimum)
    else:
        amount, fraction = quantize(amount, currency), "0" * minimum
    pattern = "#,##0" + (f".{fraction}" if fraction else "")
    number = babel_decimal(amount, pattern, locale=_locale(), decimal_quantization=not exact)
    return f"{number} {currency}"


def country_name(code: str | None) -> str | None:
    """The country's name in the reader's language (ISO 3166 code in, as stored)."""
    if not code:
        return None
    if _is_english():
        return english_country_name(code)
    return _locale().territories.get(code.upper()) or english_country_name(code)


def date_hint() -> str:
    """What a date field expects, in the reader's language, with an example of the form."""
    return gettext("Format: YYYY-MM-DD, e.g. %(example)s", example="2026-03-31")


def register(app: Flask) -> None:
    app.add_template_filter(format_day, "day")
    app.add_template_filter(lambda v: format_day(v, "medium"), "day_short")
    app.add_template_filter(lambda v: format_day(v, "month"), "month")
    app.add_template_filter(format_day_time, "day_time")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_percent, "percent")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(country_name, "country_name")
    app.add_template_global(date_hint)

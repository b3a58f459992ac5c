"""Money in Decimal: ISO 4217 currency codes and their minor units."""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import pycountry

# ISO 4217 currencies whose minor unit is not 1/100 (the others have two decimals).
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
# Listed first in forms: the currencies buyers and Korean makers quote in most.
COMMON_CURRENCIES = ("USD", "EUR", "KRW", "JPY", "GBP", "CNY")


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def is_currency(code: str | None) -> bool:
    return bool(code) and code in currency_codes()


@cache
def currency_choices() -> list[tuple[str, str]]:
    names = {c.alpha_3: c.name for c in pycountry.currencies}
    rest = sorted(code for code in names if code not in COMMON_CURRENCIES)
    return [(code, f"{code} — {names[code]}") for code in (*COMMON_CURRENCIES, *rest)]


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit (half up, as invoices do)."""
    exponent = _EXPONENTS.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str, *, exact: bool = False) -> str:
    """ "1,234.50 USD"; `exact` keeps up to four decimals (unit prices), else the minor unit."""
    if amount is None:
        return "—"
    return f"{format_amount(amount, currency, exact=exact)} {currency}"


def format_amount(amount: Decimal, currency: str, *, exact: bool = False) -> str:
    """ "1,234.50" for USD: the number alone, as format_money writes it."""
    if exact:
        text = f"{amount:,.4f}".rstrip("0").rstrip(".")
        whole, _, fraction = text.partition(".")
        minimum = _EXPONENTS.get(currency, 2)
        fraction = fraction.ljust(minimum, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    else:
        exponent = _EXPONENTS.get(currency, 2)
        text = f"{quantize(amount, currency):,.{exponent}f}"
    return text

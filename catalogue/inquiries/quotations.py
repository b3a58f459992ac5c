"""Structured quotations: checking and saving a version, and comparing a basket's quotations.

Money is Decimal throughout. Currencies are never converted with invented rates: only with
reference rates that staff entered with their date and source, and the page says so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalogue.accounts.models import User  # upward on purpose: every feature names its users
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n.formats import format_number
from catalogue.inquiries import services
from catalogue.inquiries.models import (
    INCOTERMS,
    QUOTE_UNITS,
    Inquiry,
    Quotation,
    QuotationLine,
    QuotationTier,
    ReferenceRate,
)
from catalogue.lib import spreadsheet
from catalogue.lib.dates import utcnow
from catalogue.lib.money import is_currency, quantize

MAX_PRICE = Decimal(10) ** 9
MAX_RATE = Decimal(10) ** 10  # the column holds 18 digits, 8 of them decimals
MAX_TIERS = 5
MAX_LEAD_DAYS = 730
MAX_SHELF_MONTHS = 120


@dataclass
class LineOffer:
    unit: str
    unit_price: Decimal | None
    pack_size: int | None = None
    moq: int | None = None
    lead_time_days: int | None = None
    shelf_life_months: int | None = None
    tiers: list[tuple[int, Decimal]] = field(default_factory=list)  # (from quantity, price)


@dataclass
class Offer:
    currency: str
    valid_until: date | None
    lines: list[LineOffer]
    incoterm: str | None = None
    incoterm_place: str | None = None
    payment_terms: str | None = None
    note: str | None = None
    document_id: int | None = None


def _check_price(price: Decimal | None, where: str) -> None:
    if price is None:
        raise ServiceError(where, _("Give a price per unit."))
    if not price.is_finite() or price <= 0:
        raise ServiceError(where, _("A price must be above zero."))
    if price >= MAX_PRICE:
        raise ServiceError(where, _("That price is too large."))
    if price != price.quantize(Decimal("0.0001")):
        raise ServiceError(where, _("Give prices with at most four decimals."))


def check_offer(inquiry: Inquiry, offer: Offer) -> None:
    """Every rule a quotation must meet, reported on the field it concerns (lines-N-name)."""
    if not is_currency(offer.currency):
        raise ServiceError("currency", _("Choose a currency from the ISO 4217 list."))
    if offer.valid_until is None:
        raise ServiceError("valid_until", _("Give the date until which the prices hold."))
    if offer.valid_until <= utcnow().date():
        raise ServiceError("valid_until", _("A quotation must be valid until a future date."))
    if offer.incoterm and offer.incoterm not in INCOTERMS:
        raise ServiceError("incoterm", _("Choose an Incoterm 2020 rule."))
    if offer.incoterm and not (offer.incoterm_place or "").strip():
        raise ServiceError("incoterm_place", _("Name the place for the Incoterm (e.g. Incheon)."))
    if len(offer.lines) != len(inquiry.lines):
        raise ServiceError(None, _("Quote every product of the inquiry."))
    for n, line in enumerate(offer.lines):
        at = f"lines-{n}-"
        if line.unit not in QUOTE_UNITS:
            raise ServiceError(at + "unit", _("Choose what the price is per."))
        _check_price(line.unit_price, at + "unit_price")
        if line.pack_size is not None and not 1 <= line.pack_size <= 1_000_000:
            raise ServiceError(
                at + "pack_size",
                _("Tests per unit: from 1 to %(most)s.", most=format_number(1_000_000)),
            )
        if line.moq is not None and not 1 <= line.moq <= services.MAX_QUANTITY:
            raise ServiceError(
                at + "moq",
                _(
                    "The minimum order: from 1 to %(most)s.",
                    most=format_number(services.MAX_QUANTITY),
                ),
            )
        if line.lead_time_days is not None and not 0 <= line.lead_time_days <= MAX_LEAD_DAYS:
            raise ServiceError(
                at + "lead_time_days", _("Lead time: 0 to %(most)d days.", most=MAX_LEAD_DAYS)
            )
        if (
            line.shelf_life_months is not None
            and not 1 <= line.shelf_life_months <= MAX_SHELF_MONTHS
        ):
            raise ServiceError(
                at + "shelf_life_months",
                _("Shelf life: 1 to %(most)d months.", most=MAX_SHELF_MONTHS),
            )
        if len(line.tiers) > MAX_TIERS:
            raise ServiceError(at + "tiers", _("At most %(most)d price breaks.", most=MAX_TIERS))
        floor = line.moq or 1
        previous = floor
        for quantity, price in line.tiers:
            if quantity is None or quantity < 1:
                raise ServiceError(at + "tiers", _("Give each price break a quantity from 1."))
            _check_price(price, at + "tiers")
            if quantity < floor:
                raise ServiceError(
                    at + "tiers",
                    _(
                        "A price break from %(quantity)s is below the minimum order of %(floor)s.",
                        quantity=format_number(quantity),
                        floor=format_number(floor),
                    ),
                )
            if quantity <= previous:
                raise ServiceError(
                    at + "tiers",
                    _(
                        "Price breaks overlap: each must start at a larger quantity than the "
                        "one before (and above the minimum order)."
                    ),
                )
            previous = quantity


def submit_quotation(inquiry: Inquiry, offer: Offer, *, actor: User | None, via: str) -> Quotation:
    """Check and save a new version; the one before is kept, marked superseded."""
    services._check_open(inquiry)
    if inquiry.status == "accepted":
        raise ServiceError(None, _("The buyer has accepted a quotation already."))
    check_offer(inquiry, offer)
    for earlier in inquiry.quotations:
        if earlier.status == "current":
            earlier.status = "superseded"
    quotation = Quotation(
        inquiry=inquiry,
        version=len(inquiry.quotations) + 1,
        status="current",
        currency=offer.currency,
        incoterm=offer.incoterm or None,
        incoterm_place=((offer.incoterm_place or "").strip() or None) if offer.incoterm else None,
        valid_until=offer.valid_until,
        payment_terms=(offer.payment_terms or "").strip() or None,
        note=(offer.note or "").strip() or None,
        document_id=offer.document_id,
        created_by_id=actor.id if actor else None,
        created_via=via,
    )
    for asked, line in zip(inquiry.lines, offer.lines, strict=True):
        quotation.lines.append(
            QuotationLine(
                inquiry_line=asked,
                unit=line.unit,
                pack_size=None if line.unit == "test" else line.pack_size,
                unit_price=line.unit_price,
                moq=line.moq,
                lead_time_days=line.lead_time_days,
                shelf_life_months=line.shelf_life_months,
                tiers=[QuotationTier(min_quantity=q, unit_price=p) for q, p in line.tiers],
            )
        )
    db.session.add(quotation)
    db.session.flush()
    services.record_quotation(inquiry, quotation, actor)
    return quotation


# --- Reference rates ---------------------------------------------------------------------------


def add_reference_rate(
    actor: User, base: str, quote: str, rate: Decimal, as_of: date, source: str
) -> ReferenceRate:
    base, quote, source = (base or "").upper(), (quote or "").upper(), (source or "").strip()
    if not is_currency(base):
        raise ServiceError("base", _("Choose a currency from the ISO 4217 list."))
    if not is_currency(quote) or quote == base:
        raise ServiceError("quote", _("Choose another ISO 4217 currency."))
    if rate is None or not rate.is_finite() or rate <= 0:
        raise ServiceError("rate", "A rate must be above zero.")
    if rate >= MAX_RATE or rate != rate.quantize(Decimal("1e-8")):
        raise ServiceError(
            "rate",
            _(
                "Give a rate below %(most)s with at most %(places)d decimals.",
                most=format_number(10_000_000_000),
                places=8,
            ),
        )
    if as_of is None or as_of > utcnow().date():
        raise ServiceError("as_of", _("Give the date the rate is from (not in the future)."))
    if not source:
        raise ServiceError("source", _("Say where the rate comes from."))
    entry = ReferenceRate(
        base=base, quote=quote, rate=rate, as_of=as_of, source=source[:300], entered_by_id=actor.id
    )
    db.session.add(entry)
    return entry


def latest_rates() -> list[ReferenceRate]:
    """The newest rate of each currency pair."""
    rates = db.session.scalars(
        sa.select(ReferenceRate).order_by(ReferenceRate.as_of.desc(), ReferenceRate.id.desc())
    ).all()
    seen, latest = set(), []
    for rate in rates:
        if (rate.base, rate.quote) not in seen:
            seen.add((rate.base, rate.quote))
            latest.append(rate)
    return latest


@dataclass
class Conversion:
    rate: Decimal  # 1 unit of the source currency in the target currency
    entry: ReferenceRate


def _conversions(target: str, rates: list[ReferenceRate]) -> dict[str, Conversion]:
    found: dict[str, Conversion] = {}
    for entry in rates:
        if entry.quote == target and entry.base not in found:
            found[entry.base] = Conversion(Decimal(entry.rate), entry)
        elif entry.base == target and entry.quote not in found:
            found[entry.quote] = Conversion(Decimal(1) / Decimal(entry.rate), entry)
    return found


# --- Comparison --------------------------------------------------------------------------------

# The rows of the comparison, what they show and which value is best.
COMPARED = (
    ("price_per_test", _l("Price per test"), "low"),
    ("total", _l("Total for the quantity asked"), "low"),
    ("moq", _l("Minimum order"), "low"),
    ("lead_time_days", _l("Lead time"), "low"),
    ("incoterm", _l("Incoterm and place"), None),
    ("valid_until", _l("Valid until"), "high"),
    ("shelf_life_months", _l("Shelf life at delivery"), "high"),
)


@dataclass
class Column:
    """One quoted product line of one maker."""

    inquiry: Inquiry
    quotation: Quotation
    line: QuotationLine
    converted: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class Comparison:
    columns: list[Column]
    waiting: list[Inquiry]  # inquiries of the basket without a live quotation
    target: str | None  # the currency money rows are compared in, where comparable
    rates_used: list[ReferenceRate]
    best: dict[str, set[int]]  # row key → indexes of the best columns


def _money_values(columns, key, target, conversions) -> list[Decimal | None]:
    values: list[Decimal | None] = []
    for column in columns:
        amount = getattr(column.line, key)
        currency = column.quotation.currency
        if amount is None:
            values.append(None)
        elif currency == target:
            values.append(amount)
        elif target and currency in conversions:
            converted = amount * conversions[currency].rate
            converted = (
                converted.quantize(Decimal("0.0001"))
                if key == "price_per_test"
                else quantize(converted, target)
            )
            column.converted[key] = converted
            values.append(converted)
        else:
            values.append(None)
    return values


def compare_group(inquiries: list[Inquiry], *, target: str | None = None) -> Comparison:
    """Side by side: every live quotation line of a basket, with the best value per row."""
    columns: list[Column] = []
    waiting: list[Inquiry] = []
    for inquiry in inquiries:
        quotation = inquiry.current_quotation
        if quotation is None:
            waiting.append(inquiry)
            continue
        columns.extend(Column(inquiry, quotation, line) for line in quotation.lines)
    currencies = {c.quotation.currency for c in columns}
    rates = latest_rates() if len(currencies) > 1 else []
    if target is None:
        target = next(iter(currencies)) if len(currencies) == 1 else None
    conversions = _conversions(target, rates) if target else {}
    convertible = target is not None and all(c == target or c in conversions for c in currencies)
    rates_used = (
        sorted(
            {conversions[c].entry for c in currencies if c != target and c in conversions},
            key=lambda r: (r.base, r.quote),
        )
        if target
        else []
    )

    best: dict[str, set[int]] = {}
    values: list[Any]  # money, counts or dates, by row
    for key, _label, direction in COMPARED:
        if direction is None:
            continue
        if key in ("price_per_test", "total"):
            if not convertible:
                continue
            asked = {(c.line.inquiry_line.quantity, c.line.inquiry_line.unit) for c in columns}
            if key == "total" and len(asked) > 1:
                continue  # totals for different quantities are not comparable
            values = _money_values(columns, key, target, conversions)
        elif key == "moq":  # in tests, where the units allow
            values = [
                c.line.moq * c.line.tests_per_unit if c.line.moq and c.line.tests_per_unit else None
                for c in columns
            ]
        elif key == "valid_until":
            values = [c.quotation.valid_until for c in columns]
        else:
            values = [getattr(c.line, key) for c in columns]
        present = [v for v in values if v is not None]
        if len(present) < 2 or len(set(present)) == 1:
            continue  # nothing to choose between
        winner = min(present) if direction == "low" else max(present)
        best[key] = {n for n, v in enumerate(values) if v == winner}
    return Comparison(columns, waiting, target if convertible else None, rates_used, best)


def _plain(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount, "f")


def comparison_csv(comparison: Comparison) -> str:
    """One row per quoted line, every figure exact, texts made safe for spreadsheets."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    converted = comparison.target is not None
    header = [
        "reference",
        "manufacturer",
        "product",
        "quantity_asked",
        "unit_asked",
        "quotation",
        "currency",
        "price_per_unit",
        "priced_per",
        "tests_per_unit",
        "price_breaks",
        "price_per_test",
        "total",
        "moq",
        "lead_time_days",
        "incoterm",
        "incoterm_place",
        "valid_until",
        "shelf_life_months",
        "payment_terms",
        "status",
    ]
    if converted:
        header += [f"price_per_test_{comparison.target}", f"total_{comparison.target}"]
    writer.writerow(header)
    for column in comparison.columns:
        q, line, asked = column.quotation, column.line, column.line.inquiry_line
        row = [
            column.inquiry.reference,
            column.inquiry.manufacturer.name,
            asked.product.name,
            asked.quantity,
            asked.unit,
            q.label,
            q.currency,
            _plain(line.unit_price),
            line.unit,
            line.tests_per_unit or "",
            "; ".join(f"from {t.min_quantity}: {_plain(t.unit_price)}" for t in line.tiers),
            _plain(line.price_per_test),
            _plain(line.total),
            line.moq or "",
            "" if line.lead_time_days is None else line.lead_time_days,
            q.incoterm or "",
            q.incoterm_place or "",
            q.valid_until.isoformat(),
            line.shelf_life_months or "",
            q.payment_terms or "",
            q.status,
        ]
        if converted:
            # Converted where the quotation is in another currency; its own figure where not.
            row += [
                _plain(column.converted.get("price_per_test", line.price_per_test)),
                _plain(column.converted.get("total", line.total)),
            ]
        writer.writerow(row)
    for rate in comparison.rates_used:
        writer.writerow(
            [
                f"# reference rate: 1 {rate.base} = {rate.rate} {rate.quote}, "
                f"{rate.as_of.isoformat()}, {rate.source}"
            ]
        )
    return out.getvalue()


PDF_COLUMNS = 7  # columns that fit across a landscape A4 page


def column_chunks(comparison: Comparison, size: int | None = None) -> list[tuple[int, list]]:
    """The columns in groups of `size` (all at once when None), each with its first index."""
    columns = comparison.columns
    size = size or max(len(columns), 1)
    return [(start, columns[start : start + size]) for start in range(0, len(columns), size)]


def comparison_pdf(comparison: Comparison, group: list[Inquiry]) -> bytes:
    from catalogue.exports.pdf import render_pdf

    return render_pdf(
        "exports/quotation_comparison.html",
        comparison=comparison,
        column_chunks=column_chunks(comparison, PDF_COLUMNS),
        group=group,
        rows=COMPARED,
        generated_at=utcnow(),
    ).data

"""Purchase inquiries: one per manufacturer, grouped by the basket they came from.

An inquiry's route (how it reached the maker) is decided when it is filed and shown as it is;
its quotations are structured, versioned and priced line by line in Decimal.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import Model
from catalogue.i18n import N_
from catalogue.lib.dates import utcnow
from catalogue.lib.money import quantize
from catalogue.lib.timestamps import TimestampMixin

INQUIRY_STATES = ("new", "routed", "read", "quoted", "accepted", "declined", "closed")
# The same states in plain words, for buyers, makers and staff alike.
STATE_LABELS = {
    "new": _l("Waiting to be forwarded"),
    "routed": _l("With the manufacturer, not opened yet"),
    "read": _l("Opened by the manufacturer"),
    "quoted": _l("Quotation received"),
    "accepted": _l("Quotation accepted"),
    "declined": _l("Quotation declined"),
    "closed": _l("Closed"),
}
# Incoterms 2020: the code stays, the rule's name is in the reader's language (ICC's wording).
INCOTERMS = {
    "EXW": _l("EXW — Ex Works"),
    "FCA": _l("FCA — Free Carrier"),
    "CPT": _l("CPT — Carriage Paid To"),
    "CIP": _l("CIP — Carriage and Insurance Paid To"),
    "DAP": _l("DAP — Delivered at Place"),
    "DPU": _l("DPU — Delivered at Place Unloaded"),
    "DDP": _l("DDP — Delivered Duty Paid"),
    "FAS": _l("FAS — Free Alongside Ship"),
    "FOB": _l("FOB — Free on Board"),
    "CFR": _l("CFR — Cost and Freight"),
    "CIF": _l("CIF — Cost, Insurance and Freight"),
}
ORDER_UNITS = ("tests", "kits", "boxes", "units", "instruments")
# The order units in the reader's language (the stored value stays the English code).
ORDER_UNIT_LABELS = {
    "tests": _l("tests"),
    "kits": _l("kits"),
    "boxes": _l("boxes"),
    "units": _l("units"),
    "instruments": _l("instruments"),
}
# What a price can be quoted per; "test" needs no pack size.
QUOTE_UNITS = {
    "test": "test",
    "kit": "kit",
    "box": "box",
    "pack": "pack",
    "unit": "unit",
    "instrument": "instrument",
}
# An order unit and the quote unit of the same thing.
SAME_UNIT = {
    "tests": "test",
    "kits": "kit",
    "boxes": "box",
    "units": "unit",
    "instruments": "instrument",
}
CLOSED_REASONS = {
    "won": _l("Order placed"),
    "lost": _l("No order"),
    "withdrawn": _l("Withdrawn by the buyer"),
    "no_response": _l("No response from the manufacturer"),
}
QUOTATION_STATES = {
    "current": _l("Open for the buyer's decision"),
    "superseded": _l("Superseded by a later version"),
    "accepted": _l("Accepted by the buyer"),
    "declined": _l("Declined by the buyer"),
}
UNIT_PLURALS = {
    "test": "tests",
    "kit": "kits",
    "box": "boxes",
    "pack": "packs",
    "unit": "units",
    "instrument": "instruments",
}
# The quote units in the reader's language, one and many (the stored value stays the key).
QUOTE_UNIT_LABELS = {
    "test": _l("test"),
    "kit": _l("kit"),
    "box": _l("box"),
    "pack": _l("pack"),
    "unit": _l("unit"),
    "instrument": _l("instrument"),
}
QUOTE_UNIT_PLURAL_LABELS = {
    "test": _l("tests"),
    "kit": _l("kits"),
    "box": _l("boxes"),
    "pack": _l("packs"),
    "unit": _l("units"),
    "instrument": _l("instruments"),
}


# What staff heard when they reached a maker outside the portal (the stored value is the key).
OFFLINE_OUTCOMES = {
    "reached": _l("The manufacturer has the inquiry and will answer"),
    "not_reached": _l("Could not reach the manufacturer"),
    "declined": _l("The manufacturer cannot supply"),
}

# The timeline's sentences: stored in English in InquiryEvent.summary, and with their values in
# InquiryEvent.summary_values, so that each reader sees them again in their own language.
EVENT_FILED = N_("Inquiry sent through the portal.")
EVENT_IN_INBOX = N_("In %(maker)s's portal inbox.")
EVENT_IN_INBOX_JOINED = N_("In %(maker)s's portal inbox (the maker joined).")
EVENT_STAFF_DESK = N_(
    "%(maker)s is not on the portal yet: CAC staff will forward it within %(num)d business days."
)
EVENT_OPENED = N_("Opened by %(maker)s.")
EVENT_QUOTED = N_("Quotation %(label)s sent by %(maker)s.")
EVENT_CLOSED = N_("Closed: %(reason)s.")
EVENT_FORWARDED_BY_EMAIL = N_("Forwarded by CAC staff to %(maker)s by e-mail.")
EVENT_CONTACTED = {
    "phone": N_("CAC staff contacted %(maker)s by phone: %(outcome)s."),
    "fax": N_("CAC staff contacted %(maker)s by fax: %(outcome)s."),
    "visit": N_("CAC staff contacted %(maker)s in person: %(outcome)s."),
    "other": N_("CAC staff contacted %(maker)s outside the portal: %(outcome)s."),
}
EVENT_PASSED_ON = {
    "phone": N_("Passed on to %(maker)s by CAC staff by phone."),
    "fax": N_("Passed on to %(maker)s by CAC staff by fax."),
    "visit": N_("Passed on to %(maker)s by CAC staff in person."),
    "other": N_("Passed on to %(maker)s by CAC staff outside the portal."),
}
EVENT_NOTE = N_("Note: %(note)s")
EVENT_MAKER_DECLINED = N_("%(maker)s told CAC staff it cannot supply this.")
EVENT_REVISION_ASKED = N_("The buyer asked for a revised quotation.")
EVENT_ACCEPTED = N_("Quotation %(label)s accepted by the buyer.")
EVENT_DECLINED = N_("Quotation %(label)s declined by the buyer: %(reason)s")
EVENT_ESCALATED = N_("No first response after %(days)d business days: flagged to CAC staff.")
EVENT_REMINDED = N_("%(maker)s was reminded by e-mail.")
# The labels a sentence can name by key (`labels` of an event_part): said in the reader's language.
EVENT_LABELS = {"closed_reason": CLOSED_REASONS, "offline_outcome": OFFLINE_OUTCOMES}


def event_part(message: str, *, labels: dict[str, str] | None = None, **values) -> dict[str, Any]:
    """One sentence of a timeline entry: its English message, the values of its placeholders
    (names, references as entered; keys for values that are labels) and, in `labels`, which
    placeholder holds which kind of label key ({"reason": "closed_reason"})."""
    part: dict[str, Any] = {"message": message, "values": values}
    if labels:
        part["labels"] = labels
    return part


def event_text(parts: list[dict[str, Any]]) -> str:
    """The sentences in the current language (the English when the page is English)."""
    return " ".join(_say(part) for part in parts)


def _say(part: dict[str, Any]) -> str:
    message = get_translations().gettext(part["message"])
    values = dict(part.get("values") or {})
    for name, kind in (part.get("labels") or {}).items():
        label = EVENT_LABELS.get(kind, {}).get(str(values.get(name)))
        if label is not None:
            values[name] = str(label)
    for name, value in values.items():
        # Names like "Maker Inc." end a sentence already: no second full stop after them.
        if isinstance(value, str) and value.endswith("."):
            message = message.replace(f"%({name})s.", f"%({name})s")
    return message % values


class ReferenceCounter(Model):
    """The last inquiry number used in a year; incremented under a row lock."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Inquiry(TimestampMixin, Model):
    __tablename__ = "inquiries"
    # One inquiry per manufacturer per submitted form: a form sent twice files nothing new.
    __table_args__ = (sa.UniqueConstraint("form_token_hash", "manufacturer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    group_code: Mapped[str] = mapped_column(sa.String(32), index=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("manufacturers.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120))
    organisation: Mapped[str] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(2))
    destination: Mapped[str | None] = mapped_column(sa.String(200))
    incoterm: Mapped[str | None] = mapped_column(sa.String(3))
    required_by: Mapped[date | None] = mapped_column(sa.Date)
    message: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="new", index=True)
    closed_reason: Mapped[str | None] = mapped_column(sa.String(40))
    # The officer's private link: derived from this nonce with the secret key; only its hash is
    # kept for look-ups, so later e-mails can carry the link and a leaked table opens nothing.
    tracking_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    tracking_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # How it reaches the maker: portal | email | staff_desk | offline (staff by phone, fax, visit).
    route: Mapped[str] = mapped_column(sa.String(20), default="staff_desk", index=True)
    route_address: Mapped[str | None] = mapped_column(sa.String(254))
    routed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The notice that carried it (route "email"): whether it was sent is read from there.
    route_email_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbound_emails.id"))
    forwarded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The maker's link for answering without an account (route "email"), derived like the
    # officer's; a new nonce revokes the old link, and it expires.
    maker_token_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    maker_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    maker_token_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    first_response_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The hash of the inquiry form's one-time token, shared by the inquiries one form filed
    # (only the hash: with the address it shows the tracking links again). Empty for inquiries
    # filed without the form.
    form_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The officer's interface language when filing (catalogue.i18n.LANGUAGES): their mail goes
    # in it, and the maker and staff see it to know which language to answer in.
    language: Mapped[str | None] = mapped_column(sa.String(8))

    manufacturer = relationship("Manufacturer")
    officer = relationship("User", foreign_keys=[officer_id])
    forwarded_by = relationship("User", foreign_keys=[forwarded_by_id])
    lines: Mapped[list[InquiryLine]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryLine.id"
    )
    messages: Mapped[list[InquiryMessage]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryMessage.id"
    )
    quotations: Mapped[list[Quotation]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="Quotation.version"
    )
    events: Mapped[list[InquiryEvent]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryEvent.id"
    )

    @property
    def incoterm_label(self) -> str | None:
        return INCOTERMS.get(self.incoterm) if self.incoterm else None

    @property
    def closed_reason_label(self) -> str | None:
        return CLOSED_REASONS.get(self.closed_reason) if self.closed_reason else None

    @property
    def status_label(self) -> str:
        label = STATE_LABELS.get(self.status, self.status)
        if self.status == "closed" and self.closed_reason:
            label += f" — {self.closed_reason_label}"
        return label

    @property
    def current_quotation(self) -> Quotation | None:
        """The quotation the buyer can act on: the latest that is not superseded."""
        live = [q for q in self.quotations if q.status != "superseded"]
        return live[-1] if live else None

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


class InquiryLine(Model):
    __tablename__ = "inquiry_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(500))

    inquiry: Mapped[Inquiry] = relationship(back_populates="lines")
    product = relationship("Product")

    @property
    def unit_label(self) -> str:
        """The order unit in the reader's language ("tests", "pruebas", "테스트")."""
        return str(ORDER_UNIT_LABELS.get(self.unit, self.unit))


class InquiryMessage(Model):
    __tablename__ = "inquiry_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id"), index=True)
    author_kind: Mapped[str] = mapped_column(sa.String(20))  # officer | manufacturer | staff
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    asks_revised_quotation: Mapped[bool] = mapped_column(default=False)
    quotation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotations.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    inquiry: Mapped[Inquiry] = relationship(back_populates="messages")
    author = relationship("User")
    quotation = relationship("Quotation", foreign_keys=[quotation_id])


class InquiryEvent(Model):
    """One step of an inquiry's timeline, written in plain words when it happens."""

    __tablename__ = "inquiry_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    actor_kind: Mapped[str] = mapped_column(
        sa.String(20)
    )  # officer | manufacturer | staff | system
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(sa.String(1000))
    # The sentences of `summary` with their values (see event_part), to say it again in the
    # reader's language; None for events recorded before, which show their English.
    summary_values: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    # False for staff-only notes (the details of a phone call); the buyer sees the rest.
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    inquiry: Mapped[Inquiry] = relationship(back_populates="events")
    actor = relationship("User")

    @property
    def text(self) -> str:
        """The timeline line in the reader's language; the stored English if it cannot be
        said again (an older event, or a catalogue whose placeholders do not fit)."""
        if not self.summary_values:
            return self.summary
        try:
            return event_text(self.summary_values)
        except (KeyError, TypeError, ValueError):
            return self.summary

    def redact_values(self, redact) -> None:
        """Apply `redact` (text -> text) to the values as entered, not to label keys."""
        if not self.summary_values:
            return
        self.summary_values = [
            {
                **part,
                "values": {
                    name: redact(value)
                    if isinstance(value, str) and name not in part.get("labels", {})
                    else value
                    for name, value in part.get("values", {}).items()
                },
            }
            for part in self.summary_values
        ]


class Quotation(Model):
    """One version of a maker's offer for an inquiry; a new version supersedes the last."""

    __tablename__ = "quotations"
    __table_args__ = (sa.UniqueConstraint("inquiry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(20), default="current")
    currency: Mapped[str] = mapped_column(sa.String(3))
    incoterm: Mapped[str | None] = mapped_column(sa.String(3))
    incoterm_place: Mapped[str | None] = mapped_column(sa.String(120))
    valid_until: Mapped[date] = mapped_column(sa.Date)
    payment_terms: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_via: Mapped[str] = mapped_column(sa.String(20), default="portal")  # portal | link
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))

    inquiry: Mapped[Inquiry] = relationship(back_populates="quotations")
    document = relationship("Upload")
    lines: Mapped[list[QuotationLine]] = relationship(
        back_populates="quotation", cascade="all, delete-orphan", order_by="QuotationLine.id"
    )

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def status_label(self) -> str:
        return QUOTATION_STATES.get(self.status, self.status)

    @property
    def incoterm_text(self) -> str | None:
        if not self.incoterm:
            return None
        return f"{self.incoterm} {self.incoterm_place}" if self.incoterm_place else self.incoterm

    @property
    def total(self) -> Decimal | None:
        """The whole quotation for the quantities asked; None when a line cannot be priced."""
        totals = [line.total for line in self.lines]
        if not totals or any(t is None for t in totals):
            return None
        return quantize(sum(cast(list[Decimal], totals), Decimal(0)), self.currency)

    def is_expired(self, today: date | None = None) -> bool:
        return self.valid_until < (today or utcnow().date())


class QuotationLine(Model):
    """The price of one inquired product: per unit, with price breaks from larger quantities."""

    __tablename__ = "quotation_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_id: Mapped[int] = mapped_column(sa.ForeignKey("quotations.id"), index=True)
    inquiry_line_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiry_lines.id"))
    unit: Mapped[str] = mapped_column(sa.String(20))  # a QUOTE_UNITS key
    pack_size: Mapped[int | None]  # tests per unit; None when unknown (always 1 for "test")
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    moq: Mapped[int | None]  # in `unit`
    lead_time_days: Mapped[int | None]
    shelf_life_months: Mapped[int | None]  # remaining at delivery

    quotation: Mapped[Quotation] = relationship(back_populates="lines")
    inquiry_line: Mapped[InquiryLine] = relationship()
    tiers: Mapped[list[QuotationTier]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="QuotationTier.min_quantity"
    )

    @property
    def unit_plural(self) -> str:
        return UNIT_PLURALS.get(self.unit, self.unit)

    @property
    def unit_label(self) -> str:
        """The quote unit in the reader's language ("kit", "kit", "키트")."""
        return str(QUOTE_UNIT_LABELS.get(self.unit, self.unit))

    @property
    def unit_plural_label(self) -> str:
        """The quote unit, many of it, in the reader's language ("kits")."""
        return str(QUOTE_UNIT_PLURAL_LABELS.get(self.unit, self.unit))

    @property
    def tests_per_unit(self) -> int | None:
        return 1 if self.unit == "test" else self.pack_size

    @property
    def quantity_asked(self) -> int | None:
        """The buyer's quantity in this line's unit, rounded up to whole units; None if the
        units differ and no pack size links them."""
        asked = self.inquiry_line
        if SAME_UNIT.get(asked.unit) == self.unit:
            return asked.quantity
        if asked.unit == "tests" and self.tests_per_unit:
            return math.ceil(asked.quantity / self.tests_per_unit)
        return None

    @property
    def billed_quantity(self) -> int | None:
        """What the buyer would pay for: the quantity asked, raised to the MOQ if below it."""
        asked = self.quantity_asked
        if asked is None:
            return None
        return max(asked, self.moq or 0)

    @property
    def below_moq(self) -> bool:
        asked = self.quantity_asked
        return asked is not None and self.moq is not None and asked < self.moq

    def price_for(self, quantity: int) -> Decimal:
        """The unit price that applies at this quantity: the last price break reached."""
        price = self.unit_price
        for tier in self.tiers:
            if quantity >= tier.min_quantity:
                price = tier.unit_price
        return price

    @property
    def applied_price(self) -> Decimal | None:
        quantity = self.billed_quantity
        return None if quantity is None else self.price_for(quantity)

    @property
    def price_per_test(self) -> Decimal | None:
        price, tests = self.applied_price, self.tests_per_unit
        if price is None:
            price = self.unit_price
        return None if not tests else (price / tests).quantize(Decimal("0.0001"))

    @property
    def total(self) -> Decimal | None:
        quantity = self.billed_quantity
        if quantity is None:
            return None
        return quantize(self.price_for(quantity) * quantity, self.quotation.currency)


class QuotationTier(Model):
    """A price break: from this many units on, this price per unit."""

    __tablename__ = "quotation_tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_line_id: Mapped[int] = mapped_column(sa.ForeignKey("quotation_lines.id"), index=True)
    min_quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))

    line: Mapped[QuotationLine] = relationship(back_populates="tiers")


class ReferenceRate(Model):
    """An exchange rate entered by staff, with its date and source: 1 base = rate quote."""

    __tablename__ = "reference_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(sa.String(3))
    quote: Mapped[str] = mapped_column(sa.String(3))
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(18, 8))
    as_of: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(300))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    entered_by = relationship("User")


class JobRun(Model):
    """The last day a once-a-day job ran, claimed with a compare-and-set across processes."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    last_run_on: Mapped[date | None] = mapped_column(sa.Date)

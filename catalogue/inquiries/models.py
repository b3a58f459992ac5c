"""Purchase inquiries: one per manufacturer, grouped by the basket they came from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.timestamps import TimestampMixin

INQUIRY_STATES = ("new", "read", "answered", "quoted", "closed")
# Incoterms 2020.
INCOTERMS = {
    "EXW": "EXW — Ex Works",
    "FCA": "FCA — Free Carrier",
    "CPT": "CPT — Carriage Paid To",
    "CIP": "CIP — Carriage and Insurance Paid To",
    "DAP": "DAP — Delivered at Place",
    "DPU": "DPU — Delivered at Place Unloaded",
    "DDP": "DDP — Delivered Duty Paid",
    "FAS": "FAS — Free Alongside Ship",
    "FOB": "FOB — Free on Board",
    "CFR": "CFR — Cost and Freight",
    "CIF": "CIF — Cost, Insurance and Freight",
}
ORDER_UNITS = ("tests", "kits", "boxes", "units", "instruments")
CLOSED_REASONS = {
    "ordered": "Order placed",
    "declined_by_buyer": "Buyer decided not to order",
    "declined_by_maker": "Manufacturer cannot supply",
    "no_reply": "No reply",
    "other": "Other",
}


class ReferenceCounter(db.Model):
    """The last inquiry number used in a year; incremented under a row lock."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Inquiry(TimestampMixin, db.Model):
    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    group_code: Mapped[str] = mapped_column(sa.String(32), index=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("manufacturers.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120))
    organisation: Mapped[str] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(2))
    destination: Mapped[str | None] = mapped_column(sa.String(200))
    incoterm: Mapped[str | None] = mapped_column(sa.String(3))
    required_by: Mapped[date | None] = mapped_column(sa.Date)
    message: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="new", index=True)
    closed_reason: Mapped[str | None] = mapped_column(sa.String(40))
    tracking_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    manufacturer_notified: Mapped[bool] = mapped_column(default=True)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    first_response_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    manufacturer = relationship("Manufacturer")
    officer = relationship("User")
    lines: Mapped[list[InquiryLine]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryLine.id"
    )
    messages: Mapped[list[InquiryMessage]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryMessage.id"
    )
    quotations: Mapped[list[Quotation]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="Quotation.id"
    )

    @property
    def incoterm_label(self) -> str | None:
        return INCOTERMS.get(self.incoterm) if self.incoterm else None

    @property
    def closed_reason_label(self) -> str | None:
        return CLOSED_REASONS.get(self.closed_reason) if self.closed_reason else None


class InquiryLine(db.Model):
    __tablename__ = "inquiry_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(500))

    inquiry: Mapped[Inquiry] = relationship(back_populates="lines")
    product = relationship("Product")


class InquiryMessage(db.Model):
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


class Quotation(db.Model):
    __tablename__ = "quotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    currency: Mapped[str] = mapped_column(sa.String(3))
    price_per_test: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    moq: Mapped[int | None]
    lead_time: Mapped[str | None] = mapped_column(sa.String(80))
    valid_until: Mapped[date] = mapped_column(sa.Date)
    incoterm: Mapped[str | None] = mapped_column(sa.String(3))
    note: Mapped[str | None] = mapped_column(sa.Text)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    inquiry: Mapped[Inquiry] = relationship(back_populates="quotations")
    document = relationship("Document")

"""Catalogue tables: manufacturers, categories, products and what a buyer checks about them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import Model
from catalogue.lib.dates import utcnow
from catalogue.lib.timestamps import TimestampMixin

# Approval authorities, in the order a buyer usually weighs them.
AUTHORITIES = {
    "who_eul": "WHO Emergency Use Listing",
    "fda_eua": "US FDA Emergency Use Authorization",
    "ce_ivd": "CE marking (IVD)",
    "eu_hsc": "EU HSC common list of rapid antigen tests",
    "mfds_approval": "MFDS approval (Korea)",
    "mfds_eua": "MFDS emergency use authorisation (Korea)",
    "mfds_screening": "MFDS emergency-screening use approval (Korea)",
    "mfds_self_test": "MFDS self-test approval (Korea)",
    "mfds_export": "MFDS export permission (Korea)",
    "other": "Other authority",
}
AUTHORITY_SHORT = {
    "who_eul": "WHO EUL",
    "fda_eua": "FDA EUA",
    "ce_ivd": "CE-IVD",
    "eu_hsc": "EU HSC list",
    "mfds_approval": "MFDS approval",
    "mfds_eua": "MFDS EUA",
    "mfds_screening": "MFDS screening use",
    "mfds_self_test": "MFDS self-test",
    "mfds_export": "MFDS export permission",
    "other": "Other",
}
APPROVAL_STATES = ("claimed", "verified", "rejected")
PRODUCT_STATES = ("draft", "published", "archived")
CATEGORY_KINDS = {
    "diagnostic_reagent": "Diagnostic reagents",
    "specimen_collection": "Specimen collection",
    "equipment": "Instruments and equipment",
}
SPECIMEN_TYPES = (
    "nasopharyngeal swab",
    "oropharyngeal swab",
    "nasal swab",
    "saliva",
    "whole blood",
    "serum",
    "plasma",
    "blood",
)
TECHNOLOGIES = (
    "real-time RT-PCR",
    "RT-LAMP (isothermal)",
    "lateral flow immunoassay",
    "fluorescence immunoassay",
    "enzyme immunoassay",
    "point-of-care real-time PCR",
    "automated extraction and real-time PCR",
    "nucleic-acid extraction",
    "specimen collection and transport",
)
DATE_PRECISIONS = ("day", "month", "year")


class Manufacturer(TimestampMixin, Model):
    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_ko: Mapped[str | None] = mapped_column(sa.String(200))
    name_note: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    founded_year: Mapped[int | None]
    employees: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    province: Mapped[str | None] = mapped_column(sa.String(100))
    location_note: Mapped[str | None] = mapped_column(sa.String(200))
    website: Mapped[str | None] = mapped_column(sa.String(200))
    website_note: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    # Where the address comes from (a public page, a phone call, the maker itself): inquiries
    # are e-mailed to it, so staff record why it is the right one.
    contact_email_source: Mapped[str | None] = mapped_column(sa.String(300))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(50))
    export_permission_number: Mapped[str | None] = mapped_column(sa.String(100))
    quality_certifications: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    public_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    verification_status: Mapped[str] = mapped_column(sa.String(20), default="unverified")
    # use_alter: users and manufacturers refer to each other, so this key is added after both.
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", use_alter=True))
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    products: Mapped[list[Product]] = relationship(
        back_populates="manufacturer", order_by="Product.name"
    )

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.name_ko})" if self.name_ko else self.name

    @property
    def location(self) -> str | None:
        parts = [p for p in (self.city, self.province) if p]
        return ", ".join(parts) + ", Republic of Korea" if parts else None

    @property
    def website_url(self) -> str | None:
        """The site as a link; we store the domain as the sources give it."""
        if not self.website:
            return None
        if self.website.startswith(("http://", "https://")):
            return self.website
        return f"https://{self.website}"

    def __repr__(self) -> str:
        return f"<Manufacturer {self.slug}>"


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))

    parent: Mapped[Category | None] = relationship(remote_side=[id])
    products: Mapped[list[Product]] = relationship(back_populates="category")

    @property
    def kind_label(self) -> str:
        return CATEGORY_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Product(TimestampMixin, Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(160), unique=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("manufacturers.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # True when public sources give no product name and `name` describes the product line.
    name_is_descriptive: Mapped[bool] = mapped_column(default=False)
    model_number: Mapped[str | None] = mapped_column(sa.String(100))
    summary: Mapped[str | None] = mapped_column(sa.String(400))
    description: Mapped[str | None] = mapped_column(sa.Text)
    intended_use: Mapped[str | None] = mapped_column(sa.Text)
    technology: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    self_test: Mapped[bool] = mapped_column(default=False)
    targets: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    limit_of_detection: Mapped[str | None] = mapped_column(sa.String(200))
    limit_of_detection_basis: Mapped[str | None] = mapped_column(sa.String(200))
    time_to_result: Mapped[str | None] = mapped_column(sa.String(120))
    time_to_result_basis: Mapped[str | None] = mapped_column(sa.String(120))
    tests_per_kit: Mapped[int | None]
    storage_temperature: Mapped[str | None] = mapped_column(sa.String(80))
    shelf_life_months: Mapped[int | None]
    compatible_instruments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    production_capacity: Mapped[str | None] = mapped_column(sa.String(120))
    production_capacity_basis: Mapped[str | None] = mapped_column(sa.String(120))
    moq: Mapped[int | None]
    unit: Mapped[str | None] = mapped_column(sa.String(60))
    lead_time: Mapped[str | None] = mapped_column(sa.String(80))
    hs_code: Mapped[str | None] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    key_facts: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    not_approvals: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    public_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    manufacturer: Mapped[Manufacturer] = relationship(back_populates="products")
    category: Mapped[Category] = relationship(back_populates="products")
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Approval.id"
    )
    performance: Mapped[list[PerformanceResult]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="PerformanceResult.id"
    )
    specimens: Mapped[list[ProductSpecimen]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductSpecimen.id"
    )
    documents: Mapped[list[Upload]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Upload.id"
    )

    @property
    def specimen_types(self) -> list[str]:
        return [s.specimen_type for s in self.specimens]

    @property
    def public_approvals(self) -> list[Approval]:
        """Approvals a buyer may see: rejected claims are hidden."""
        return [a for a in self.approvals if a.status != "rejected"]

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class ProductSpecimen(Model):
    """One specimen type a product accepts (a row each, so it can be a facet)."""

    __tablename__ = "product_specimens"
    __table_args__ = (sa.UniqueConstraint("product_id", "specimen_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    specimen_type: Mapped[str] = mapped_column(sa.String(40), index=True)

    product: Mapped[Product] = relationship(back_populates="specimens")


class PerformanceResult(Model):
    """One stated performance figure set, with who reported it (manufacturer, regulator, ...)."""

    __tablename__ = "performance_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    study: Mapped[str] = mapped_column(sa.String(200))
    measure: Mapped[str] = mapped_column(sa.String(20), default="sens_spec")  # or ppa_npa
    sensitivity: Mapped[float | None]
    sensitivity_ci_low: Mapped[float | None]
    sensitivity_ci_high: Mapped[float | None]
    specificity: Mapped[float | None]
    specificity_ci_low: Mapped[float | None]
    specificity_ci_high: Mapped[float | None]
    sample_size: Mapped[int | None]
    reported_by: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(300))

    product: Mapped[Product] = relationship(back_populates="performance")

    @property
    def labels(self) -> tuple[str, str]:
        if self.measure == "ppa_npa":
            return ("Positive percent agreement (PPA)", "Negative percent agreement (NPA)")
        return ("Sensitivity", "Specificity")


class Approval(TimestampMixin, Model):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    authority: Mapped[str] = mapped_column(sa.String(30), index=True)
    authority_name: Mapped[str | None] = mapped_column(sa.String(120))
    reference_number: Mapped[str | None] = mapped_column(sa.String(120))
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    date_precision: Mapped[str | None] = mapped_column(sa.String(10))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    public_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="claimed", index=True)
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(500))

    product: Mapped[Product] = relationship(back_populates="approvals")
    document: Mapped[Upload | None] = relationship(foreign_keys=[document_id])

    @property
    def authority_label(self) -> str:
        if self.authority == "other" and self.authority_name:
            return self.authority_name
        return AUTHORITIES.get(self.authority, self.authority)

    @property
    def short_label(self) -> str:
        if self.authority == "other" and self.authority_name:
            return self.authority_name
        return AUTHORITY_SHORT.get(self.authority, self.authority)

    @property
    def date_label(self) -> str | None:
        """The date as precisely as the source gives it."""
        if self.approved_on is None:
            return None
        if self.date_precision == "year":
            return str(self.approved_on.year)
        if self.date_precision == "month":
            return self.approved_on.strftime("%B %Y")
        return self.approved_on.strftime("%-d %B %Y")

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"


class Upload(Model):
    """An uploaded file (certificate, IFU, image) owned by a product or a manufacturer."""

    __tablename__ = "documents"  # the table keeps the name it was created with
    __table_args__ = (
        sa.CheckConstraint("(product_id IS NULL) <> (manufacturer_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"), index=True)
    manufacturer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("manufacturers.id"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))  # certificate | ifu | image | other
    title: Mapped[str | None] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_path: Mapped[str] = mapped_column(sa.String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    product: Mapped[Product | None] = relationship(
        back_populates="documents", foreign_keys=[product_id]
    )

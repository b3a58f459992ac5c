"""Catalogue tables: manufacturers, categories, products and what a buyer checks about them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from catalogue.extensions import Model
from catalogue.i18n import N_
from catalogue.i18n.formats import format_day
from catalogue.lib.dates import today, utcnow
from catalogue.lib.money import format_amount
from catalogue.lib.timestamps import TimestampMixin

# Approval authorities, in the order a buyer usually weighs them. Their names are the regulators'
# own designations, written the same in every language; only "Other" is the portal's word.
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
    "other": _l("Other authority"),
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
    "other": _l("Other"),
}
# Where a fact stands, in the words a buyer reads. Stored states; "expired" is worked out from
# an approval's valid-until date, so it never needs a job to become true.
STATE_LABELS = {
    "public_source": _l("Stated in a public source"),
    "claimed": _l("Claimed by the manufacturer"),
    "verified": _l("Verified by CAC staff"),
    "rejected": _l("Rejected by CAC staff"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
}
APPROVAL_STATES = ("public_source", "claimed", "verified", "rejected", "revoked")
PERFORMANCE_STATES = ("public_source", "claimed", "verified", "rejected")
# The stored states that still count for a buyer, most trusted first (an approval also needs
# its valid-until date ahead).
CURRENT_STATES = ("verified", "public_source", "claimed")
# Who reported a performance figure. Anything but the manufacturer's own study is locked
# against the manufacturer's edits.
REPORTERS = {
    "manufacturer": _l("Manufacturer"),
    "regulator": _l("Regulator"),
    "independent": _l("Independent evaluation"),
    "field": _l("Field study"),
    "staff": _l("CAC staff"),
}
INDEPENDENT_REPORTERS = ("regulator", "independent", "field", "staff")
PRODUCT_STATES = ("draft", "published", "archived")
CATEGORY_KINDS = {
    "diagnostic_reagent": _l("Diagnostic reagents"),
    "specimen_collection": _l("Specimen collection"),
    "equipment": _l("Instruments and equipment"),
}
# The portal's own vocabularies (stored in English; shown in the reader's language).
SPECIMEN_TYPES = (
    N_("nasopharyngeal swab"),
    N_("oropharyngeal swab"),
    N_("nasal swab"),
    N_("saliva"),
    N_("whole blood"),
    N_("serum"),
    N_("plasma"),
    N_("blood"),
)
TECHNOLOGIES = (
    N_("real-time RT-PCR"),
    N_("RT-LAMP (isothermal)"),
    N_("lateral flow immunoassay"),
    N_("fluorescence immunoassay"),
    N_("enzyme immunoassay"),
    N_("point-of-care real-time PCR"),
    N_("automated extraction and real-time PCR"),
    N_("nucleic-acid extraction"),
    N_("specimen collection and transport"),
)
_VOCABULARY = frozenset((*SPECIMEN_TYPES, *TECHNOLOGIES))


def vocabulary_label(value: str | None) -> str | None:
    """A specimen type or technology from the lists above, in the reader's language; a value
    outside them (entered before the lists, or by a source) as stored."""
    if value in _VOCABULARY:
        return _(value)
    return value


DATE_PRECISIONS = ("day", "month", "year")
UPLOAD_KINDS = {
    "certificate": _l("Certificate (checked by CAC staff)"),
    "ifu": _l("Instructions for use (checked by CAC staff)"),
    "image": _l("Image"),
    "other": _l("Document (checked by CAC staff)"),
}


def _whole_months(start: date, end: date) -> int:
    """Whole months from `start` to `end` (14 Sep 2025 to 13 Nov 2026: 13)."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


class Evidence:
    """What a staff check recorded, shown to buyers beside "verified by CAC staff": the
    certificate or register number, or the official register's address, the day it was
    checked, by whom, and a note."""

    evidence_reference: Mapped[str | None] = mapped_column(sa.String(120))
    evidence_url: Mapped[str | None] = mapped_column(sa.String(300))
    checked_on: Mapped[date | None] = mapped_column(sa.Date)
    evidence_note: Mapped[str | None] = mapped_column(sa.String(500))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @declared_attr
    def verified_by(cls) -> Mapped[Any]:
        return relationship("User", foreign_keys=[cls.verified_by_id])  # type: ignore[list-item]

    @property
    def checked_by_label(self) -> str:
        user = self.verified_by
        return (user.name or _("CAC staff member")) if user else _("CAC staff")


class Provenance(Evidence):
    """A fact's state (see STATE_LABELS) with the evidence of the staff check behind it."""

    status: Mapped[str] = mapped_column(sa.String(20), default="claimed", index=True)
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def state(self) -> str:
        return self.status

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def is_verified(self) -> bool:
        return self.state == "verified"


class Manufacturer(TimestampMixin, Evidence, Model):
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
    # Permissions the sources give for the company, not for one product:
    # [{"label": as the source words it, "note": ..., "sources": [...]}].
    company_permissions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # use_alter: users and manufacturers refer to each other, so this key is added after both.
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", use_alter=True))
    # Optimistic locking: SQLAlchemy checks and bumps it on every UPDATE of the row, so a write
    # based on an older read fails (StaleDataError) instead of overwriting; the edit forms carry
    # the version they were loaded with (supplies.changes.check_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    products: Mapped[list[Product]] = relationship(
        back_populates="manufacturer", order_by="Product.name"
    )

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.name_ko})" if self.name_ko else self.name

    @property
    def location(self) -> str | None:
        parts = [p for p in (self.city, self.province) if p]
        return _("%(place)s, Republic of Korea", place=", ".join(parts)) if parts else None

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


# The seeded categories are the portal's own headings (not facts from a source): their names and
# descriptions are shown in the reader's language. A category staff add or rename shows as stored.
_CATEGORY_TEXT = frozenset(
    {
        N_("RT-PCR reagents"),
        N_(
            "Real-time reverse-transcription PCR kits that detect SARS-CoV-2 genes in "
            "laboratory instruments."
        ),
        N_("Isothermal nucleic-acid tests"),
        N_(
            "Molecular tests that amplify viral RNA at a constant temperature (for example "
            "RT-LAMP), without a thermal cycler."
        ),
        N_("Rapid antigen tests"),
        N_(
            "Tests that detect viral proteins in a swab or saliva sample within minutes, read"
            " by eye or by a reader."
        ),
        N_("Rapid antibody tests"),
        N_(
            "Tests that detect antibodies (IgM, IgG or total) to SARS-CoV-2 in blood, serum "
            "or plasma."
        ),
        N_("Other antibody tests"),
        N_(
            "Antibody tests that the public sources do not describe as rapid tests or as "
            "ELISA or CLIA laboratory assays, such as automated fluorescence immunoassays and"
            " kits whose format is not stated."
        ),
        N_("ELISA and CLIA immunoassays"),
        N_(
            "Laboratory enzyme or chemiluminescence immunoassays run on plate readers or analysers."
        ),
        N_("Nucleic-acid extraction"),
        N_("Reagents and systems that extract viral RNA from samples before PCR."),
        N_("Specimen collection kits and transport media"),
        N_(
            "Swabs, viral transport media (VTM/UTM) and collection kits for taking and "
            "shipping samples."
        ),
        N_("Diagnostic instruments and equipment"),
        N_("PCR instruments, readers and other equipment used with COVID-19 tests."),
    }
)


def category_label(text: str) -> str:
    """A seeded category's name or description in the reader's language; others as stored."""
    return _(text) if text in _CATEGORY_TEXT else text


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

    @property
    def label(self) -> str:
        """The name in the reader's language (see _CATEGORY_TEXT)."""
        return category_label(self.name)

    @property
    def description_label(self) -> str | None:
        if self.description is None:
            return None
        return category_label(self.description)

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
    # As the manufacturer words it ("25 tests per kit", "box of 20 kits").
    pack_size: Mapped[str | None] = mapped_column(sa.String(120))
    # An indicative price per test as the manufacturer gives it (never a quotation): its range,
    # currency (ISO 4217) and the day it was given, and who entered it ("manufacturer" or
    # "staff", taken from who saved it, never from a form).
    price_min: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    price_max: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    price_currency: Mapped[str | None] = mapped_column(sa.String(3))
    price_given_on: Mapped[date | None] = mapped_column(sa.Date)
    price_entered_by: Mapped[str | None] = mapped_column(sa.String(20))
    hs_code: Mapped[str | None] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    key_facts: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    not_approvals: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    public_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Optimistic locking: SQLAlchemy checks and bumps it on every UPDATE of the row, so a write
    # based on an older read fails (StaleDataError) instead of overwriting; the edit forms carry
    # the version they were loaded with (supplies.changes.check_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

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
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductPhoto.position"
    )

    @property
    def listed_name(self) -> str:
        """The name as the catalogue lists it, saying when it only describes the product (feeds,
        link previews: wherever the page's "product name on request" label is not beside it)."""
        if self.name_is_descriptive:
            return _("%(name)s (product name on request)", name=self.name)
        return self.name

    @property
    def specimen_types(self) -> list[str]:
        return [s.specimen_type for s in self.specimens]

    @property
    def specimen_labels(self) -> list[str]:
        return [vocabulary_label(s) or s for s in self.specimen_types]

    @property
    def technology_label(self) -> str | None:
        return vocabulary_label(self.technology)

    @property
    def public_approvals(self) -> list[Approval]:
        """Approvals a buyer may see: rejected claims are hidden."""
        return [a for a in self.approvals if a.status != "rejected"]

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def indicative_price(self) -> str | None:
        """ "USD 2.10–2.60 per test" ("from …", "up to …" with one end); None when not given."""
        low, high, currency = self.price_min, self.price_max, self.price_currency
        if currency is None or (low is None and high is None):
            return None
        if low is not None and high is not None:
            amount = format_amount(low, currency, exact=True)
            if high != low:
                amount += "–" + format_amount(high, currency, exact=True)
            return _("%(currency)s %(amount)s per test", currency=currency, amount=amount)
        if low is not None:
            amount = format_amount(low, currency, exact=True)
            return _("from %(currency)s %(amount)s per test", currency=currency, amount=amount)
        assert high is not None
        amount = format_amount(high, currency, exact=True)
        return _("up to %(currency)s %(amount)s per test", currency=currency, amount=amount)

    @property
    def indicative_price_source(self) -> str | None:
        """Who gave the price and when: "set by the manufacturer, 14 Nov 2026"."""
        if self.indicative_price is None or self.price_given_on is None:
            return None
        day = format_day(self.price_given_on, "medium")
        if self.price_entered_by == "staff":
            return _("entered by CAC staff, %(date)s", date=day)
        return _("set by the manufacturer, %(date)s", date=day)

    @property
    def indicative_price_note(self) -> str | None:
        """The source, with the price's age once it is more than a year old ("given 14 months
        ago"). Pages only: a stored PDF would keep an age that moves on."""
        source = self.indicative_price_source
        if source is None:
            return None
        assert self.price_given_on is not None
        months = _whole_months(self.price_given_on, today())
        if months > 12 or (months == 12 and today().day > self.price_given_on.day):
            if months < 24:
                return ngettext(
                    "%(source)s; given %(num)d months ago",
                    "%(source)s; given %(num)d months ago",
                    months,
                    source=source,
                )
            return ngettext(
                "%(source)s; given %(num)d years ago",
                "%(source)s; given %(num)d years ago",
                months // 12,
                source=source,
            )
        return source

    @property
    def studies_by_trust(self) -> list[PerformanceResult]:
        """Performance results a buyer may see, most trustworthy first: independent before the
        manufacturer's (a maker's unverified claim of independence does not count), verified
        before stated in a public source before claimed, then the larger sample. Rejected
        results are left out. (supplies.services._headline_value orders the same way in SQL.)"""

        def trust(r: PerformanceResult) -> tuple:
            state = CURRENT_STATES.index(r.status) if r.status in CURRENT_STATES else 3
            return (not r.ranks_as_independent, state, r.sample_size is None, -(r.sample_size or 0))

        shown = [r for r in self.performance if r.status != "rejected"]
        return sorted(shown, key=lambda r: (*trust(r), r.id or 0))

    @property
    def headline_performance(self) -> PerformanceResult | None:
        """The most trustworthy result that has a figure, shown on cards; None when none has."""
        for result in self.studies_by_trust:
            if result.sensitivity is not None or result.specificity is not None:
                return result
        return None

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


class PerformanceResult(Provenance, Model):
    """One stated performance figure set, with who reported it (manufacturer, regulator, ...)."""

    __tablename__ = "performance_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    study: Mapped[str] = mapped_column(sa.String(200))
    measure: Mapped[str] = mapped_column(sa.String(20), default="sens_spec")  # or ppa_npa
    # A qualifier the source puts before a figure ("up to", "~"), kept as written.
    sensitivity_qualifier: Mapped[str | None] = mapped_column(sa.String(20))
    specificity_qualifier: Mapped[str | None] = mapped_column(sa.String(20))
    sensitivity: Mapped[float | None]
    sensitivity_ci_low: Mapped[float | None]
    sensitivity_ci_high: Mapped[float | None]
    specificity: Mapped[float | None]
    specificity_ci_low: Mapped[float | None]
    specificity_ci_high: Mapped[float | None]
    sample_size: Mapped[int | None]
    reported_by: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    public_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Who put the row on the portal: "seed", "manufacturer" or "staff".
    entered_by: Mapped[str] = mapped_column(sa.String(20), default="manufacturer")
    # The manufacturer's say on a result it may not change.
    maker_comment: Mapped[str | None] = mapped_column(sa.String(500))

    product: Mapped[Product] = relationship(back_populates="performance")

    @property
    def reporter_label(self) -> str:
        return REPORTERS.get(self.reported_by, self.reported_by)

    @property
    def is_independent(self) -> bool:
        return self.reported_by in INDEPENDENT_REPORTERS

    @property
    def ranks_as_independent(self) -> bool:
        """Independent for ranking: a maker's own word that a study was independent counts only
        once staff have verified it (supplies.services._headline_value ranks alike in SQL)."""
        return self.is_independent and (self.entered_by != "manufacturer" or self.is_verified)

    @property
    def maker_may_change(self) -> bool:
        """Only the manufacturer's own, unchecked figures; independent evidence is locked."""
        return (
            not self.is_independent
            and self.entered_by == "manufacturer"
            and self.status in ("claimed", "rejected")
        )

    @property
    def labels(self) -> tuple[str, str]:
        if self.measure == "ppa_npa":
            return (_("Positive percent agreement (PPA)"), _("Negative percent agreement (NPA)"))
        return (_("Sensitivity"), _("Specificity"))


class Approval(TimestampMixin, Provenance, Model):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    authority: Mapped[str] = mapped_column(sa.String(30), index=True)
    authority_name: Mapped[str | None] = mapped_column(sa.String(120))
    # The authority's label exactly as the source gives it ("swabs CE-marked"), shown instead
    # of the generic label when the two differ.
    stated_as: Mapped[str | None] = mapped_column(sa.String(200))
    reference_number: Mapped[str | None] = mapped_column(sa.String(120))
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    date_precision: Mapped[str | None] = mapped_column(sa.String(10))
    # A date only as vague as the source gives it ("late 2020"), shown as written.
    date_as_stated: Mapped[str | None] = mapped_column(sa.String(60))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    public_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date, index=True)
    revoked_on: Mapped[date | None] = mapped_column(sa.Date)
    # Optimistic locking: SQLAlchemy checks and bumps it on every UPDATE of the row, so a write
    # based on an older read fails (StaleDataError) instead of overwriting; the edit forms carry
    # the version they were loaded with (supplies.changes.check_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    product: Mapped[Product] = relationship(back_populates="approvals")
    document: Mapped[Upload | None] = relationship(foreign_keys=[document_id])

    @property
    def authority_label(self) -> str:
        if self.stated_as:
            return self.stated_as
        if self.authority == "other" and self.authority_name:
            return self.authority_name
        return AUTHORITIES.get(self.authority, self.authority)

    @property
    def short_label(self) -> str:
        if self.stated_as:
            return self.stated_as
        if self.authority == "other" and self.authority_name:
            return self.authority_name
        return AUTHORITY_SHORT.get(self.authority, self.authority)

    @property
    def state(self) -> str:
        if self.status == "revoked":
            return "revoked"
        if self.valid_until is not None and self.valid_until < today():
            return "expired"
        return self.status

    @property
    def is_current(self) -> bool:
        """Counts for a buyer today: not rejected, revoked or expired."""
        return self.state in CURRENT_STATES

    @property
    def date_label(self) -> str | None:
        """The date as precisely as the source gives it."""
        if self.approved_on is None:
            return self.date_as_stated
        if self.date_precision == "year":
            return str(self.approved_on.year)
        if self.date_precision == "month":
            return format_day(self.approved_on, "month")
        return format_day(self.approved_on)


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
    # Set when staff have checked the file; until then a maker's upload is not a certificate.
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    product: Mapped[Product | None] = relationship(
        back_populates="documents", foreign_keys=[product_id]
    )

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    @property
    def public_label(self) -> str:
        """What a buyer may call the file: only a checked certificate is a certificate."""
        if not self.is_checked:
            return _("Uploaded by the manufacturer — not checked by CAC")
        return UPLOAD_KINDS.get(self.kind) or _("Document")


class ProductPhoto(Model):
    """A product photo, stored resized to a few widths (supplies/photos.py); the first by
    position is the one cards show."""

    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt_text: Mapped[str] = mapped_column(sa.String(300))
    # Names the stored files. A new one per upload, so a URL always means the same image and
    # browsers may keep it for a year.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # The stored widths, narrowest first, and the size of the widest file.
    widths: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    width: Mapped[int]
    height: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship(back_populates="photos")

    def height_at(self, width: int) -> int:
        """The height of the stored file `width` pixels wide."""
        return max(1, round(self.height * width / self.width))


class ExpiryReminder(Model):
    """One expiry reminder sent for an approval (days_before 0: its expiry noted, see
    supplies/tasks.py); the unique key makes each one happen once (a renewed approval, with a
    new valid-until date, gets its own)."""

    __tablename__ = "expiry_reminders"
    __table_args__ = (sa.UniqueConstraint("approval_id", "valid_until", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(sa.ForeignKey("approvals.id", ondelete="CASCADE"))
    valid_until: Mapped[date] = mapped_column(sa.Date)
    days_before: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


IDENTITY_CHANGE_STATES = ("pending", "approved", "refused", "replaced", "withdrawn")


class IdentityChange(Model):
    """A verified manufacturer's change of the facts that say who it is (IDENTITY_FIELDS in
    supplies/changes.py), waiting for staff review: the public profile keeps the old values
    until staff approve it. A row is never edited by the maker: a new request replaces it, so
    staff approve exactly what they read."""

    __tablename__ = "identity_changes"
    __table_args__ = (
        # At most one pending request per manufacturer.
        sa.Index(
            "uq_identity_changes_pending",
            "manufacturer_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("manufacturers.id"), index=True)
    # {field: requested value}, and what the profile said when it was requested.
    requested: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    previous: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Why staff refused it; the maker reads it.
    reason: Mapped[str | None] = mapped_column(sa.String(500))

    manufacturer: Mapped[Manufacturer] = relationship()
    requested_by: Mapped[Any] = relationship("User", foreign_keys=[requested_by_id])
    decided_by: Mapped[Any] = relationship("User", foreign_keys=[decided_by_id])


class ContentTranslation(Model):
    """One prose field of a product, manufacturer profile or article in another interface
    language, entered by the maker or staff. Facts (names, approvals, figures, sources) have no
    translations: only the fields `catalogue.supplies.translations.PROSE_FIELDS` names."""

    __tablename__ = "content_translations"
    __table_args__ = (
        sa.UniqueConstraint(
            "kind", "object_id", "language", "field", name="uq_content_translations_field"
        ),
        sa.Index("ix_content_translations_object", "kind", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # "product", "manufacturer", "article"
    object_id: Mapped[int]
    language: Mapped[str] = mapped_column(sa.String(8))
    field: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

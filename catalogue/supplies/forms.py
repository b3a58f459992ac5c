"""Forms for editing catalogue entries (used by the manufacturer portal and by staff)."""

import re
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from catalogue.lib.dates import today
from catalogue.lib.money import currency_choices, is_currency
from catalogue.supplies.models import AUTHORITIES, SPECIMEN_TYPES, TECHNOLOGIES
from catalogue.supplies.uploads import DOCUMENT_KINDS

# Each source is a line of the spec sheet's numbered list (issue 14: everything a PDF prints is
# bounded, see tests/exports/test_bounded_renders.py).
MAX_SOURCES = 20
HS_CODE = Regexp(
    r"^\d{4}(\.?\d{2}){0,3}$", message=_l("Use digits like 3822.19 or 382219 (4 to 10 digits).")
)


# Indicative prices per test: stored to four decimals, below a hundred million.
PRICE_STEP = Decimal("0.0001")
MAX_PRICE = Decimal(100_000_000)


def price_amount(form, field) -> None:
    """A positive amount ("NaN" and "Infinity" parse as decimals too)."""
    value = field.data
    if value is None:
        return
    if not value.is_finite() or value <= 0:
        raise ValidationError(_("Give a price above 0, e.g. 2.10."))
    if value >= MAX_PRICE:
        raise ValidationError(_("Give the price of one test."))
    if value != value.quantize(PRICE_STEP):
        raise ValidationError(_("Give at most four decimals."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def split_list(text: str | None) -> list[str]:
    """'E, RdRP; N' -> ['E', 'RdRP', 'N']"""
    return [part.strip() for part in re.split(r"[,;\n]", text or "") if part.strip()]


def split_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class VersionedForm(FlaskForm):
    """The edit form of a versioned entry (optimistic locking, see supplies/models.py): it
    carries the version it was loaded with, and after a refused save (EditConflict) it keeps
    the user's input and says how the current entry differs from it."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    # Set by the view after a refused save: (label, current entry, your input) rows.
    conflict: list[tuple[str, str, str]] | None = None

    def keep_input(self, current: "VersionedForm", version: int, skip=()) -> None:
        """After an EditConflict: note how `current` (this form filled from the current entry)
        differs from the posted input, which stays, and carry the current version from now on,
        so that saving the kept input again is a deliberate replacement."""
        self.conflict = self.differences(current, skip)
        self.version.raw_data = None
        self.version.data = version

    def differences(self, current: "VersionedForm", skip=()) -> list[tuple[str, str, str]]:
        """(label, current entry, your input) for each field where this form and `current`
        differ."""
        rows = []
        for field in self:
            if field.type in ("CSRFTokenField", "FileField") or field.name in ("version", *skip):
                continue
            theirs, mine = _shown(field, current[field.name].data), _shown(field, field.data)
            if " ".join(theirs.split()) != " ".join(mine.split()):
                rows.append((str(field.label.text), theirs, mine))
        return rows


def _shown(field, value) -> str:
    """A field's value as a person reads it (a choice's label, not its key)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    labels = {key: label for key, label in (getattr(field, "choices", None) or [])}
    values = value if isinstance(value, list) else [value]
    return ", ".join(str(labels.get(v, v)) for v in values)


class ProductForm(VersionedForm):
    name = StringField(_l("Product name"), validators=[DataRequired(), Length(max=200)])
    model_number = StringField(
        _l("Model / catalogue number"), validators=[Optional(), Length(max=100)]
    )
    category_id = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    technology = SelectField(
        _l("Technology"),
        choices=[("", _l("Not stated"))] + [(t, _l(t)) for t in TECHNOLOGIES],
        validators=[Optional()],
    )
    summary = StringField(_l("One-line summary"), validators=[Optional(), Length(max=400)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    intended_use = TextAreaField(_l("Intended use"), validators=[Optional(), Length(max=3000)])
    self_test = BooleanField(_l("For self-testing / home use"))
    targets = StringField(
        _l("Targets (genes or antigens, comma-separated)"), validators=[Optional(), Length(max=300)]
    )
    specimen_types = MultiCheckboxField(
        _l("Specimen types"), choices=[(s, _l(s)) for s in SPECIMEN_TYPES], validators=[Optional()]
    )
    limit_of_detection = StringField(
        _l("Limit of detection"), validators=[Optional(), Length(max=200)]
    )
    limit_of_detection_basis = StringField(
        _l("Limit of detection: source"), validators=[Optional(), Length(max=200)]
    )
    time_to_result = StringField(_l("Time to result"), validators=[Optional(), Length(max=120)])
    time_to_result_basis = StringField(
        _l("Time to result: source"), validators=[Optional(), Length(max=120)]
    )
    tests_per_kit = IntegerField(
        _l("Tests per kit"), validators=[Optional(), NumberRange(min=1, max=100_000)]
    )
    storage_temperature = StringField(
        _l("Storage temperature (e.g. 2–30 °C)"), validators=[Optional(), Length(max=80)]
    )
    shelf_life_months = IntegerField(
        _l("Shelf life (months)"), validators=[Optional(), NumberRange(min=1, max=120)]
    )
    compatible_instruments = StringField(
        _l("Compatible instruments (comma-separated)"), validators=[Optional(), Length(max=500)]
    )
    production_capacity = StringField(
        _l("Production capacity (e.g. 100,000 tests per week)"),
        validators=[Optional(), Length(max=120)],
    )
    production_capacity_basis = StringField(
        _l("Production capacity: source"), validators=[Optional(), Length(max=120)]
    )
    moq = IntegerField(
        _l("Minimum order quantity"), validators=[Optional(), NumberRange(min=1, max=100_000_000)]
    )
    unit = StringField(
        _l("Order unit (e.g. tests, kits of 96)"), validators=[Optional(), Length(max=60)]
    )
    lead_time = StringField(
        _l("Lead time (e.g. 2–3 weeks)"), validators=[Optional(), Length(max=80)]
    )
    pack_size = StringField(
        _l("Pack size (e.g. 25 tests per kit)"), validators=[Optional(), Length(max=120)]
    )
    price_min = DecimalField(
        _l("Lowest price per test"), places=None, validators=[Optional(), price_amount]
    )
    price_max = DecimalField(
        _l("Highest price per test"), places=None, validators=[Optional(), price_amount]
    )
    # Checked in validate(), with a clearer message than "Not a valid choice".
    price_currency = SelectField(_l("Currency (ISO 4217)"), validate_choice=False)
    price_given_on = DateField(_l("Date the price was given"), validators=[Optional()])
    hs_code = StringField(_l("HS code"), validators=[Optional(), HS_CODE])
    public_sources = TextAreaField(
        _l("Public sources (one address or reference per line)"),
        validators=[Optional(), Length(max=5000)],
    )

    def validate_public_sources(self, field):
        lines = split_lines(field.data)
        if len(lines) > MAX_SOURCES:
            raise ValidationError(_("List at most %(num)d sources.", num=MAX_SOURCES))
        for line in lines:
            if len(line) > 500:
                raise ValidationError(_("Each source must be at most 500 characters."))
            if line.lower().startswith(("javascript:", "data:", "file:")):
                raise ValidationError(_("Sources must be web addresses or plain references."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._validate_price() and valid

    def _validate_price(self) -> bool:
        """A price means nothing without its currency and the day it was given."""
        low, high = self.price_min.data, self.price_max.data
        currency = _blank_to_none(self.price_currency.data)
        errors: list[tuple[Field, str]] = []
        if currency and not is_currency(currency):
            errors.append((self.price_currency, _("Choose a currency from the list (ISO 4217).")))
        priced = low is not None or high is not None
        if priced and not (self.price_min.errors or self.price_max.errors):
            if low is not None and high is not None and high < low:
                errors.append(
                    (self.price_max, _("The highest price must not be below the lowest."))
                )
            if not currency:
                errors.append((self.price_currency, _("Choose the currency of the price.")))
            given_on = self.price_given_on.data
            if given_on is None and not self.price_given_on.errors:
                errors.append((self.price_given_on, _("Give the date this price was given.")))
            elif given_on is not None and given_on > today():
                errors.append((self.price_given_on, _("The date cannot be in the future.")))
        for field, message in errors:
            field.errors = [*field.errors, message]
        return not errors

    def values(self) -> dict:
        """The form's data as model values (lists split, blanks as None)."""
        data = {
            name: _blank_to_none(getattr(self, name).data)
            for name in (
                "name", "model_number", "category_id", "technology", "summary", "description",
                "intended_use", "limit_of_detection", "limit_of_detection_basis",
                "time_to_result", "time_to_result_basis", "tests_per_kit",
                "storage_temperature", "shelf_life_months", "production_capacity",
                "production_capacity_basis", "moq", "unit", "lead_time", "pack_size", "hs_code",
            )
        }  # fmt: skip
        data["self_test"] = bool(self.self_test.data)
        data["targets"] = split_list(self.targets.data)
        data["compatible_instruments"] = split_list(self.compatible_instruments.data)
        data["public_sources"] = split_lines(self.public_sources.data)
        data.update(self._price_values())
        return data

    def _price_values(self) -> dict:
        """Stored at four decimals, as the column keeps them (so an unchanged price is no
        change); without an amount, no currency or date is kept either."""
        amounts = {
            name: None if value is None else value.quantize(PRICE_STEP)
            for name in ("price_min", "price_max")
            for value in [getattr(self, name).data]
        }
        priced = any(value is not None for value in amounts.values())
        return {
            **amounts,
            "price_currency": _blank_to_none(self.price_currency.data) if priced else None,
            "price_given_on": self.price_given_on.data if priced else None,
        }

    def fill_from(self, product) -> None:
        for name in (
            "name", "model_number", "category_id", "technology", "summary", "description",
            "intended_use", "self_test", "limit_of_detection", "limit_of_detection_basis",
            "time_to_result", "time_to_result_basis", "tests_per_kit", "storage_temperature",
            "shelf_life_months", "production_capacity", "production_capacity_basis", "moq",
            "unit", "lead_time", "pack_size", "price_min", "price_max", "price_given_on",
            "hs_code",
        ):  # fmt: skip
            getattr(self, name).data = getattr(product, name)
        self.technology.data = product.technology or ""
        self.price_currency.data = product.price_currency or ""
        # "2.1", not the column's "2.1000"; "2500", not "2.5E+3".
        for field in (self.price_min, self.price_max):
            if field.data is not None:
                field.data = field.data.normalize()
                if field.data == field.data.to_integral():
                    field.data = field.data.quantize(Decimal(1))
        self.targets.data = ", ".join(product.targets or [])
        self.compatible_instruments.data = ", ".join(product.compatible_instruments or [])
        self.public_sources.data = "\n".join(product.public_sources or [])
        self.specimen_types.data = product.specimen_types
        self.version.data = product.version


class PerformanceForm(FlaskForm):
    """A performance figure set. Who entered it and its state are set by the service from who
    is signed in, so the form has no such fields (and a posted one is ignored)."""

    study = StringField(_l("Study or source"), validators=[DataRequired(), Length(max=200)])
    measure = SelectField(
        _l("Measure"),
        choices=[("sens_spec", _l("Sensitivity / specificity")), ("ppa_npa", _l("PPA / NPA"))],
        default="sens_spec",
    )
    reported_by = SelectField(
        _l("Reported by"),
        choices=[
            ("manufacturer", _l("The manufacturer (own study)")),
            ("regulator", _l("A regulator")),
            ("independent", _l("An independent evaluation (e.g. FIND)")),
            ("field", _l("A field study")),
        ],
        default="manufacturer",
        description=_l(
            "Figures reported by anyone but the manufacturer are locked once added: the "
            "manufacturer can comment on them but not change or remove them, and CAC staff check "
            "them against the source."
        ),
    )
    sensitivity = DecimalField(
        _l("Sensitivity or PPA (%)"), places=None, validators=[Optional(), NumberRange(0, 100)]
    )
    specificity = DecimalField(
        _l("Specificity or NPA (%)"), places=None, validators=[Optional(), NumberRange(0, 100)]
    )
    sample_size = IntegerField(
        _l("Samples (n)"), validators=[Optional(), NumberRange(1, 10_000_000)]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    public_source = URLField(
        _l("Public source (web address)"),
        validators=[Optional(), URL(require_tld=True), Length(max=500)],
        description=_l("Where these figures are published, if they are."),
    )

    def validate_specificity(self, field):
        if field.data is None and self.sensitivity.data is None:
            raise ValidationError(_("Give at least one figure."))

    def values(self) -> dict:
        assert self.study.data  # DataRequired: values() follows validation
        return {
            "study": self.study.data.strip(),
            "measure": self.measure.data,
            "reported_by": self.reported_by.data,
            "sensitivity": float(self.sensitivity.data)
            if self.sensitivity.data is not None
            else None,
            "specificity": float(self.specificity.data)
            if self.specificity.data is not None
            else None,
            "sample_size": self.sample_size.data,
            "note": _blank_to_none(self.note.data),
            "public_sources": [url] if (url := _blank_to_none(self.public_source.data)) else [],
        }

    def fill_from(self, result) -> None:
        for name in ("study", "measure", "reported_by", "sensitivity", "specificity",
                     "sample_size", "note"):  # fmt: skip
            getattr(self, name).data = getattr(result, name)
        self.public_source.data = (result.public_sources or [None])[0]


class StaffPerformanceForm(PerformanceForm):
    """Staff enter figures from a public source only: its address is required."""

    public_source = URLField(
        _l("Public source (web address)"),
        validators=[
            DataRequired(message=_l("Give the address of the public source of these figures.")),
            URL(require_tld=True),
            Length(max=500),
        ],
        description=_l(
            "Entering a figure is not a verification: buyers see it as stated in this source."
        ),
    )


class PerformanceCommentForm(FlaskForm):
    comment = TextAreaField(
        _l("Your comment on these figures"), validators=[Optional(), Length(max=500)]
    )


class ValidityForm(FlaskForm):
    """An approval's period of validity, as its certificate or register entry gives it."""

    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data <= self.valid_from.data:
            raise ValidationError(_("“Valid until” must be after “valid from”."))

    def validity(self) -> dict:
        return {"valid_from": self.valid_from.data, "valid_until": self.valid_until.data}


class RevokeApprovalForm(FlaskForm):
    revoked_on = DateField(
        _l("Revoked on"),
        validators=[DataRequired(message=_l("Give the date the approval was revoked."))],
    )


class ApprovalClaimForm(VersionedForm, ValidityForm):
    authority = SelectField(
        _l("Authority"),
        choices=[("", _l("Choose…"))] + list(AUTHORITIES.items()),
        validators=[DataRequired()],
    )
    authority_name = StringField(
        _l("Authority name (when “Other”)"), validators=[Optional(), Length(max=120)]
    )
    reference_number = StringField(
        _l("Reference / certificate number"), validators=[Optional(), Length(max=120)]
    )
    approved_on = DateField(_l("Date of approval"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    certificate = FileField(_l("Certificate (PDF, PNG or JPEG, at most 10 MB)"))

    def values(self) -> dict:
        return {
            "authority": self.authority.data,
            "authority_name": _blank_to_none(self.authority_name.data),
            "reference_number": _blank_to_none(self.reference_number.data),
            "approved_on": self.approved_on.data,
            "note": _blank_to_none(self.note.data),
            **self.validity(),
        }


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(DOCUMENT_KINDS.items()))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    file = FileField(_l("File (PDF, PNG or JPEG, at most 10 MB)"))

    def belong_to(self, form_id: str) -> "DocumentForm":
        """Render the fields as members of <form id=form_id> (HTML form= attribute), so they can
        sit outside that element and still be submitted with it."""
        for field in self:
            field.render_kw = {**(field.render_kw or {}), "form": form_id}
        return self


class ManufacturerForm(VersionedForm):
    name = StringField(_l("Company name (English)"), validators=[DataRequired(), Length(max=200)])
    name_ko = StringField(_l("Company name (Korean)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("About the company"), validators=[Optional(), Length(max=5000)])
    founded_year = IntegerField(
        _l("Founded (year)"), validators=[Optional(), NumberRange(1800, 2100)]
    )
    employees = IntegerField(_l("Employees"), validators=[Optional(), NumberRange(1, 1_000_000)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    province = StringField(_l("Province"), validators=[Optional(), Length(max=100)])
    website = StringField(
        _l("Website"), validators=[Optional(), URL(require_tld=True), Length(max=200)]
    )
    contact_email = EmailField(
        _l("Contact e-mail for buyers"), validators=[Optional(), Length(max=254), Email()]
    )
    contact_email_source = StringField(
        _l("Where the contact e-mail comes from (a public page, a phone call …)"),
        validators=[Optional(), Length(max=300)],
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[
            Optional(),
            Length(max=50),
            Regexp(r"^[+0-9 ()\-.]{6,50}$", message=_l("Use digits, spaces, + ( ) - .")),
        ],
    )
    export_permission_number = StringField(
        _l("MFDS export permission number"), validators=[Optional(), Length(max=100)]
    )
    quality_certifications = StringField(
        _l("Quality certifications (comma-separated, e.g. ISO 13485, GMP)"),
        validators=[Optional(), Length(max=300)],
    )

    def values(self) -> dict:
        data = {
            name: _blank_to_none(getattr(self, name).data)
            for name in (
                "name", "name_ko", "description", "founded_year", "employees", "address", "city",
                "province", "website", "contact_email", "contact_email_source", "contact_phone",
                "export_permission_number",
            )
        }  # fmt: skip
        data["quality_certifications"] = split_list(self.quality_certifications.data)
        return data

    def fill_from(self, maker) -> None:
        for name in (
            "name", "name_ko", "description", "founded_year", "employees", "address", "city",
            "province", "website", "contact_email", "contact_email_source", "contact_phone",
            "export_permission_number",
        ):  # fmt: skip
            getattr(self, name).data = getattr(maker, name)
        if maker.website and not maker.website.startswith("http"):
            self.website.data = maker.website_url
        self.quality_certifications.data = ", ".join(maker.quality_certifications or [])
        self.version.data = maker.version


def product_form(**kwargs) -> ProductForm:
    """A ProductForm with the categories as they are in the database."""
    import sqlalchemy as sa

    from catalogue.extensions import db
    from catalogue.supplies.models import Category

    form = ProductForm(**kwargs)
    categories = db.session.scalars(sa.select(Category).order_by(Category.position)).all()
    form.category_id.choices = [(c.id, c.label) for c in categories]
    form.price_currency.choices = [("", _("Choose…")), *currency_choices()]
    return form

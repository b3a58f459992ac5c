"""Inquiry forms."""

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from catalogue.i18n.formats import format_number
from catalogue.inquiries.models import (
    CLOSED_REASONS,
    INCOTERMS,
    ORDER_UNIT_LABELS,
    ORDER_UNITS,
    QUOTE_UNIT_LABELS,
)
from catalogue.inquiries.quotations import LineOffer, Offer
from catalogue.inquiries.services import CLOSE_REASONS_BY_SIDE, MAX_MESSAGE, MAX_QUANTITY
from catalogue.lib.countries import country_choices
from catalogue.lib.dates import utcnow
from catalogue.lib.money import currency_choices

# WTForms formats these with %(min)d/%(max)d itself: one message for every length limit.
AT_MOST = _l("At most %(max)d characters.")
# The largest quantity in the reader's number format ("100,000,000", "100 000 000").
FROM_1_TO_MOST = LazyString(
    lambda: _("From 1 to %(most)s.", most=format_number(MAX_QUANTITY)).replace("%", "%%")
)
CHOOSE = _l("Choose…")
# How staff reached a maker and what came of it, for the staff's choice (the timeline says the
# same under the same keys: models.EVENT_CONTACTED and OFFLINE_OUTCOMES).
OFFLINE_CHANNEL_CHOICES = [
    ("phone", _l("by phone")),
    ("fax", _l("by fax")),
    ("visit", _l("in person")),
    ("other", _l("outside the portal")),
]


class SubForm(Form):
    """A form inside a form (a line of an inquiry or a quotation): WTForms' own messages ("Not a
    valid integer value.") in the reader's language, as FlaskForm gives them."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations


OFFLINE_OUTCOME_CHOICES = [
    ("reached", _l("The manufacturer has the inquiry and will answer")),
    ("not_reached", _l("Could not reach the manufacturer")),
    ("declined", _l("The manufacturer cannot supply")),
]


class LineForm(SubForm):
    product = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(message=_l("Give a quantity.")),
            NumberRange(min=1, max=MAX_QUANTITY, message=FROM_1_TO_MOST),
        ],
    )
    unit = SelectField(_l("Unit"), choices=[(u, ORDER_UNIT_LABELS[u]) for u in ORDER_UNITS])
    note = StringField(_l("Note (packaging, version, …)"), validators=[Optional(), Length(max=500)])


class InquiryForm(FlaskForm):
    lines = FieldList(FormField(LineForm), min_entries=0, max_entries=20)
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(
        _l("Organisation (city government, agency)"), validators=[DataRequired(), Length(max=200)]
    )
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("Work e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=50),
            Regexp(r"^[+0-9 ()\-.]{6,50}$", message=_l("Use digits, spaces, + ( ) - .")),
        ],
    )
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    destination = StringField(
        _l("Delivery destination (port, airport or city)"), validators=[Optional(), Length(max=200)]
    )
    incoterm = SelectField(
        _l("Incoterm (Incoterms 2020)"),
        choices=[("", _l("Not decided"))] + list(INCOTERMS.items()),
        validators=[Optional()],
    )
    required_by = DateField(_l("Required by"), validators=[Optional()])
    message = TextAreaField(
        _l("Message to the manufacturer"),
        validators=[
            Optional(),
            Length(max=MAX_MESSAGE, message=AT_MOST),
        ],
    )
    consent = BooleanField(
        _l(
            "I agree that my contact details are sent to the manufacturers of these products "
            "and kept by the portal to follow the inquiry."
        ),
        validators=[DataRequired(message=_l("Please agree, so that we can send the inquiry."))],
    )
    # A field people never see (hidden by CSS); bots that fill every field reveal themselves.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])
    # Made when the form is shown: the same form sent twice files its inquiries once.
    form_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _("Choose a country"))] + country_choices()

    def validate_required_by(self, field):
        if field.data is not None and field.data <= utcnow().date():
            raise ValidationError(_("The date must be in the future."))


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(),
            Length(max=MAX_MESSAGE, message=AT_MOST),
        ],
    )
    revised_quotation = BooleanField(_l("Ask for a revised quotation"))


class TierForm(SubForm):
    min_quantity = IntegerField(
        _l("From quantity"), validators=[Optional(), NumberRange(1, MAX_QUANTITY)]
    )
    unit_price = DecimalField(_l("Price per unit"), places=None, validators=[Optional()])


class QuotationLineForm(SubForm):
    unit = SelectField(_l("Price per"), choices=list(QUOTE_UNIT_LABELS.items()), default="kit")
    pack_size = IntegerField(
        _l("Tests per unit"),
        validators=[Optional(), NumberRange(1, 1_000_000)],
        description=_l("Leave empty if the price is per test."),
    )
    unit_price = DecimalField(
        _l("Price per unit"), places=None, validators=[InputRequired(message=_l("Give a price."))]
    )
    moq = IntegerField(
        _l("Minimum order (in units)"), validators=[Optional(), NumberRange(1, MAX_QUANTITY)]
    )
    lead_time_days = IntegerField(
        _l("Lead time (days)"), validators=[Optional(), NumberRange(0, 730)]
    )
    shelf_life_months = IntegerField(
        _l("Shelf life at delivery (months)"), validators=[Optional(), NumberRange(1, 120)]
    )
    tiers = FieldList(FormField(TierForm), min_entries=3, max_entries=3)

    def offer(self) -> LineOffer:
        tiers = [
            (t.min_quantity.data, t.unit_price.data)
            for t in self.tiers
            if t.min_quantity.data is not None or t.unit_price.data is not None
        ]
        return LineOffer(
            unit=self.unit.data,
            unit_price=self.unit_price.data,
            pack_size=self.pack_size.data,
            moq=self.moq.data,
            lead_time_days=self.lead_time_days.data,
            shelf_life_months=self.shelf_life_months.data,
            tiers=tiers,
        )


class QuotationForm(FlaskForm):
    """A quotation for every line of an inquiry: build it with quotation_form(inquiry)."""

    lines = FieldList(FormField(QuotationLineForm), min_entries=0, max_entries=20)
    currency = SelectField(_l("Currency (ISO 4217)"), default="USD")
    incoterm = SelectField(
        _l("Incoterm 2020"), choices=[("", "—")] + list(INCOTERMS.items()), validators=[Optional()]
    )
    incoterm_place = StringField(
        _l("Named place (e.g. Incheon Airport)"), validators=[Optional(), Length(max=120)]
    )
    valid_until = DateField(
        _l("Valid until"), validators=[InputRequired(message=_l("Give a date."))]
    )
    payment_terms = StringField(
        _l("Payment terms (e.g. 30 % advance, 70 % before shipment)"),
        validators=[Optional(), Length(max=200)],
    )
    note = TextAreaField(_l("Note to the buyer"), validators=[Optional(), Length(max=MAX_MESSAGE)])
    attachment = FileField(_l("Quotation PDF (optional, at most 10 MB)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = currency_choices()

    def offer(self, document_id: int | None = None) -> Offer:
        return Offer(
            currency=self.currency.data,
            valid_until=self.valid_until.data,
            lines=[entry.form.offer() for entry in self.lines],
            incoterm=self.incoterm.data or None,
            incoterm_place=self.incoterm_place.data,
            payment_terms=self.payment_terms.data,
            note=self.note.data,
            document_id=document_id,
        )

    def attach_error(self, path: str | None, message: str) -> None:
        """Put a service's error beside its field: "currency", "lines-0-unit_price", …"""
        target = None
        if path and path.startswith("lines-"):
            _lines, number, name = path.split("-", 2)
            entries = self.lines.entries
            if number.isdigit() and int(number) < len(entries):
                line = entries[int(number)].form
                target = (
                    line.tiers.entries[0].form.min_quantity
                    if name == "tiers"
                    else (getattr(line, name, None))
                )
        elif path:
            target = getattr(self, path, None)
        if target is None:
            self.form_errors.append(message)
        else:
            target.errors = [*target.errors, message]


def quotation_form(inquiry, **kwargs) -> QuotationForm:
    """A quotation form with one line per product of the inquiry (kept from a POST)."""
    form = QuotationForm(prefix="q", **kwargs)
    while len(form.lines.entries) < len(inquiry.lines):
        form.lines.append_entry()
    del form.lines.entries[len(inquiry.lines) :]
    return form


class DecisionForm(FlaskForm):
    """The buyer's decision on a quotation."""

    quotation_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        _l("Why do you decline? (the manufacturer sees this)"),
        validators=[Optional(), Length(max=500)],
    )


class CloseForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(message=_l("Choose a reason."))])

    def __init__(self, side: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = CLOSE_REASONS_BY_SIDE[side]
        self.reason.choices = [("", CHOOSE)] + [(r, CLOSED_REASONS[r]) for r in allowed]


class ForwardToContactForm(FlaskForm):
    email = EmailField(
        _l("Manufacturer's e-mail address"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    source = StringField(
        _l("Where the address comes from (e.g. the maker's website contact page, a phone call)"),
        validators=[DataRequired(), Length(max=300)],
    )


class ForwardByEmailForm(FlaskForm):
    email = EmailField(_l("Send to"), validators=[DataRequired(), Email(), Length(max=254)])
    note = TextAreaField(
        _l("Note to the recipient"), validators=[Optional(), Length(max=MAX_MESSAGE)]
    )


class OfflineContactForm(FlaskForm):
    channel = SelectField(
        _l("How"),
        choices=[("", CHOOSE), *OFFLINE_CHANNEL_CHOICES],
        validators=[DataRequired(message=_l("Choose how."))],
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[("", CHOOSE), *OFFLINE_OUTCOME_CHOICES],
        validators=[DataRequired(message=_l("Choose the outcome."))],
    )
    note = TextAreaField(_l("Note (staff only)"), validators=[Optional(), Length(max=MAX_MESSAGE)])


class ReferenceRateForm(FlaskForm):
    base = SelectField(_l("1 unit of"), default="USD")
    quote = SelectField(_l("equals, in"), default="KRW")
    rate = DecimalField(_l("Rate"), places=None, validators=[InputRequired(), NumberRange(min=0)])
    as_of = DateField(_l("Rate of the day"), validators=[InputRequired()])
    source = StringField(
        _l("Source (e.g. Bank of Korea reference rate)"),
        validators=[DataRequired(), Length(max=300)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.base.choices = self.quote.choices = currency_choices()

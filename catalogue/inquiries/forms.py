"""Inquiry forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
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

from catalogue.inquiries.models import CLOSED_REASONS, INCOTERMS, ORDER_UNITS
from catalogue.inquiries.services import MAX_MESSAGE, MAX_QUANTITY
from catalogue.lib.countries import country_choices
from catalogue.lib.dates import utcnow

CURRENCIES = ("USD", "EUR", "KRW", "JPY", "GBP", "CNY", "AUD", "CAD", "CHF", "SGD")


class LineForm(Form):
    product = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(
        "Quantity",
        validators=[
            InputRequired(message="Give a quantity."),
            NumberRange(min=1, max=MAX_QUANTITY, message=f"From 1 to {MAX_QUANTITY:,}."),
        ],
    )
    unit = SelectField("Unit", choices=[(u, u) for u in ORDER_UNITS])
    note = StringField("Note (packaging, version, …)", validators=[Optional(), Length(max=500)])


class InquiryForm(FlaskForm):
    lines = FieldList(FormField(LineForm), min_entries=0, max_entries=20)
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    organisation = StringField(
        "Organisation (city government, agency)", validators=[DataRequired(), Length(max=200)]
    )
    job_title = StringField("Job title", validators=[Optional(), Length(max=120)])
    email = EmailField("Work e-mail", validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(
        "Phone",
        validators=[
            Optional(),
            Length(max=50),
            Regexp(r"^[+0-9 ()\-.]{6,50}$", message="Use digits, spaces, + ( ) - ."),
        ],
    )
    city = StringField("City", validators=[Optional(), Length(max=100)])
    country = SelectField("Country", validators=[DataRequired()])
    destination = StringField(
        "Delivery destination (port, airport or city)", validators=[Optional(), Length(max=200)]
    )
    incoterm = SelectField(
        "Incoterm (Incoterms 2020)",
        choices=[("", "Not decided")] + list(INCOTERMS.items()),
        validators=[Optional()],
    )
    required_by = DateField("Required by", validators=[Optional()])
    message = TextAreaField(
        "Message to the manufacturer",
        validators=[
            Optional(),
            Length(max=MAX_MESSAGE, message=f"At most {MAX_MESSAGE} characters."),
        ],
    )
    consent = BooleanField(
        "I agree that my contact details are sent to the manufacturers of these products "
        "and kept by the portal to follow the inquiry.",
        validators=[DataRequired(message="Please agree, so that we can send the inquiry.")],
    )
    # A field people never see (hidden by CSS); bots that fill every field reveal themselves.
    website = StringField("Leave this field empty", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", "Choose a country")] + country_choices()

    def validate_required_by(self, field):
        if field.data is not None and field.data <= utcnow().date():
            raise ValidationError("The date must be in the future.")


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Your message",
        validators=[
            DataRequired(),
            Length(max=MAX_MESSAGE, message=f"At most {MAX_MESSAGE} characters."),
        ],
    )
    revised_quotation = BooleanField("Ask for a revised quotation")


class QuotationForm(FlaskForm):
    unit_price = DecimalField(
        "Unit price", places=None, validators=[InputRequired(), NumberRange(min=0.0001, max=10**9)]
    )
    currency = SelectField("Currency", choices=[(c, c) for c in CURRENCIES])
    price_per_test = DecimalField(
        "Price per test", places=None, validators=[Optional(), NumberRange(min=0, max=10**9)]
    )
    moq = IntegerField(
        "Minimum order quantity", validators=[Optional(), NumberRange(1, MAX_QUANTITY)]
    )
    lead_time = StringField("Lead time", validators=[Optional(), Length(max=80)])
    valid_until = DateField("Valid until", validators=[DataRequired()])
    incoterm = SelectField(
        "Incoterm", choices=[("", "—")] + list(INCOTERMS.items()), validators=[Optional()]
    )
    note = TextAreaField("Note to the buyer", validators=[Optional(), Length(max=MAX_MESSAGE)])
    attachment = FileField("Quotation PDF (optional, at most 10 MB)")

    def values(self) -> dict:
        return {
            "unit_price": self.unit_price.data,
            "currency": self.currency.data,
            "price_per_test": self.price_per_test.data,
            "moq": self.moq.data,
            "lead_time": (self.lead_time.data or "").strip() or None,
            "valid_until": self.valid_until.data,
            "incoterm": self.incoterm.data or None,
            "note": (self.note.data or "").strip() or None,
        }


class CloseForm(FlaskForm):
    reason = SelectField("Reason", choices=[("", "Choose…")] + list(CLOSED_REASONS.items()),
                         validators=[DataRequired()])  # fmt: skip

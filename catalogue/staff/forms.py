from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional


class RejectClaimForm(FlaskForm):
    reason = TextAreaField(
        "Reason (sent to the manufacturer)", validators=[DataRequired(), Length(max=500)]
    )


class EvidenceForm(FlaskForm):
    """What a staff check found; buyers see all of it beside "verified by CAC staff"."""

    evidence_reference = StringField(
        "Certificate or register number",
        validators=[Optional(), Length(max=120)],
        description="As printed on the certificate or shown in the official register.",
    )
    evidence_url = URLField(
        "Official register entry (address)",
        validators=[Optional(), Length(max=300)],
        description="The authority's own register page you checked, if it has one.",
    )
    checked_on = DateField(
        "Date checked", validators=[DataRequired(message="Give the date you checked it.")]
    )
    evidence_note = TextAreaField(
        "Note (shown to buyers)",
        validators=[DataRequired(message="Add a note on what you checked."), Length(max=500)],
        description="E.g. “Listed in the MFDS export register under this number; checked "
        "against the certificate the maker uploaded.”",
    )

    def evidence(self) -> dict:
        return {
            name: self[name].data
            for name in ("evidence_reference", "evidence_url", "checked_on", "evidence_note")
        }


class InviteForm(FlaskForm):
    email = EmailField("E-mail of the person to invite", validators=[DataRequired(), Email()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter, changes nothing

    entity_type = SelectField(
        "Entry type",
        choices=[
            ("", "All"),
            ("products", "Products"),
            ("manufacturers", "Manufacturers"),
            ("approvals", "Approvals"),
            ("users", "Users"),
            ("inquiries", "Inquiries"),
            ("mail_suppressions", "Privacy requests"),
        ],
        validators=[Optional()],
    )


class PrivacyLookupForm(FlaskForm):
    # Posted, not a GET filter: the address stays out of URLs and access logs.
    email = EmailField(
        "E-mail address of the person",
        validators=[DataRequired(), Email(), Length(max=254)],
        description="The address they gave in their inquiries or their account.",
    )


class PrivacyEraseForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Email(), Length(max=254)])
    confirm = BooleanField(
        "This person asked for their personal data to be removed, and I checked that the "
        "request comes from the owner of this address.",
        validators=[DataRequired(message="Confirm the request before removing anything.")],
    )

from flask_babel import lazy_gettext as _l
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
        _l("Reason (sent to the manufacturer)"), validators=[DataRequired(), Length(max=500)]
    )


class EvidenceForm(FlaskForm):
    """What a staff check found; buyers see all of it beside "verified by CAC staff"."""

    evidence_reference = StringField(
        _l("Certificate or register number"),
        validators=[Optional(), Length(max=120)],
        description=_l("As printed on the certificate or shown in the official register."),
    )
    evidence_url = URLField(
        _l("Official register entry (address)"),
        validators=[Optional(), Length(max=300)],
        description=_l("The authority's own register page you checked, if it has one."),
    )
    checked_on = DateField(
        _l("Date checked"), validators=[DataRequired(message=_l("Give the date you checked it."))]
    )
    evidence_note = TextAreaField(
        _l("Note (shown to buyers)"),
        validators=[DataRequired(message=_l("Add a note on what you checked.")), Length(max=500)],
        description=_l(
            "E.g. “Listed in the MFDS export register under this number; checked "
            "against the certificate the maker uploaded.”"
        ),
    )

    def evidence(self) -> dict:
        return {
            name: self[name].data
            for name in ("evidence_reference", "evidence_url", "checked_on", "evidence_note")
        }


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail of the person to invite"), validators=[DataRequired(), Email()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter, changes nothing

    entity_type = SelectField(
        _l("Entry type"),
        choices=[
            ("", _l("All")),
            ("products", _l("Products")),
            ("manufacturers", _l("Manufacturers")),
            ("approvals", _l("Approvals")),
            ("users", _l("Users")),
            ("inquiries", _l("Inquiries")),
            ("mail_suppressions", _l("Privacy requests")),
        ],
        validators=[Optional()],
    )


class PrivacyLookupForm(FlaskForm):
    # Posted, not a GET filter: the address stays out of URLs and access logs.
    email = EmailField(
        _l("E-mail address of the person"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("The address they gave in their inquiries or their account."),
    )


class PrivacyEraseForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Email(), Length(max=254)])
    confirm = BooleanField(
        _l(
            "This person asked for their personal data to be removed, and I checked that the "
            "request comes from the owner of this address."
        ),
        validators=[DataRequired(message=_l("Confirm the request before removing anything."))],
    )

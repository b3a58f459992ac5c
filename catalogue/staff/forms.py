from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class RejectClaimForm(FlaskForm):
    reason = TextAreaField(
        "Reason (sent to the manufacturer)", validators=[DataRequired(), Length(max=500)]
    )


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
        ],
        validators=[Optional()],
    )

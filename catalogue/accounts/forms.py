"""Account forms: shape and format only; rules live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length, Optional

from catalogue.accounts.services import MIN_PASSWORD_LENGTH
from catalogue.i18n import LANGUAGES
from catalogue.lib.countries import country_choices


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class RegistrationForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Work e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    organisation = StringField(
        _l("Organisation (city government, agency)"),
        validators=[DataRequired(), Length(max=200)],
    )
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    country = SelectField(_l("Country"), validators=[DataRequired()], validate_choice=True)
    password = PasswordField(
        _l("Password (at least %(num)d characters)", num=MIN_PASSWORD_LENGTH),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create account"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("Choose a country"))] + country_choices()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password (at least %(num)d characters)", num=MIN_PASSWORD_LENGTH),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))


class InvitationAcceptForm(NewPasswordForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Create my account"))
    # Field order on the page: name first.
    field_order = ("name", "password", "confirm")


class RegistrationConfirmForm(FlaskForm):
    submit = SubmitField(_l("Create my account"))


class LanguageForm(FlaskForm):
    """The account's language: of its pages (on any device) and of the e-mails it is sent."""

    language = SelectField(
        _l("Language of pages and e-mails"),
        choices=list(LANGUAGES.items()),
        validators=[AnyOf(list(LANGUAGES), message=_l("Choose one of the languages offered."))],
        validate_choice=False,  # AnyOf says it more clearly than "Not a valid choice"
    )
    submit = SubmitField(_l("Save language"))

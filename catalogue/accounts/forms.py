"""Account forms: shape and format only; rules live in services."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from catalogue.accounts.services import MIN_PASSWORD_LENGTH
from catalogue.lib.countries import country_choices


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class RegistrationForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Work e-mail", validators=[DataRequired(), Email(), Length(max=254)])
    organisation = StringField(
        "Organisation (city government, agency)", validators=[DataRequired(), Length(max=200)]
    )
    job_title = StringField("Job title", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[Optional(), Length(max=100)])
    country = SelectField("Country", validators=[DataRequired()], validate_choice=True)
    password = PasswordField(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Create account")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", "Choose a country")] + country_choices()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Send reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        f"New password (at least {MIN_PASSWORD_LENGTH} characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Set password")


class InvitationAcceptForm(NewPasswordForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Create my account")
    # Field order on the page: name first.
    field_order = ("name", "password", "confirm")


class RegistrationConfirmForm(FlaskForm):
    submit = SubmitField("Create my account")

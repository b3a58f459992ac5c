"""The staff brochure form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BrochureForm(FlaskForm):
    title = StringField(
        _l("Title on the cover"), validators=[Optional(), Length(max=120)], filters=[_strip]
    )
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])
    authority = SelectField(_l("Approval held"), choices=[], validators=[Optional()])
    manufacturers = SelectMultipleField(
        _l("Manufacturers"), choices=[], validators=[Optional()], render_kw={"size": 10}
    )

    def set_choices(self, choices: dict) -> None:
        self.category.choices = [("", _l("All categories")), *choices["categories"]]
        self.authority.choices = [("", _l("Any approval or none")), *choices["authorities"]]
        self.manufacturers.choices = choices["manufacturers"]

    def parameters(self) -> dict:
        return {
            "title": self.title.data or None,
            "category": self.category.data or None,
            "authority": self.authority.data or None,
            "manufacturers": list(self.manufacturers.data or []),
        }

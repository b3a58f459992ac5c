"""Staff forms for the CAC sections: shape and format only; rules live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp

from catalogue.content.models import (
    LINK_KINDS,
    MEASURE_CATEGORIES,
    SECTIONS,
    WORLD_REGION_LABELS,
    WORLD_REGIONS,
)

SLUG_RULE = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and -.")
)


class ArticleForm(FlaskForm):
    section = SelectField(_l("Section"), choices=list(dict(SECTIONS).items()))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address (slug)"), validators=[DataRequired(), Length(max=120), SLUG_RULE]
    )
    category = SelectField(
        _l("Category (countermeasures only)"),
        choices=[("", "—"), *MEASURE_CATEGORIES.items()],
        validators=[Optional()],
    )
    published_on = DateField(_l("Public from"), validators=[Optional()])
    date_stated = DateField(_l("Date given by a source"), validators=[Optional()])
    date_source = StringField(_l("Source of that date"), validators=[Optional(), Length(max=300)])
    figures_as_of = DateField(_l("Figures as of"), validators=[Optional()])
    summary = TextAreaField(
        _l("Summary"), validators=[Optional(), Length(max=600)], render_kw={"rows": 2}
    )
    body = TextAreaField(
        _l("Body (Markdown)"),
        validators=[DataRequired(), Length(max=50_000)],
        render_kw={"rows": 18},
    )
    sources = TextAreaField(
        _l("Sources, one per line (address and a short note)"),
        validators=[Optional(), Length(max=5_000)],
        render_kw={"rows": 4},
    )
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def values(self) -> dict:
        assert self.title.data and self.slug.data  # DataRequired: values() follows validation
        lines = (self.sources.data or "").splitlines()
        return {
            "section": self.section.data,
            "title": self.title.data.strip(),
            "slug": self.slug.data.strip(),
            "category": self.category.data or None,
            "published_on": self.published_on.data,
            "date_stated": self.date_stated.data,
            "date_source": (self.date_source.data or "").strip() or None,
            "figures_as_of": self.figures_as_of.data,
            "summary": (self.summary.data or "").strip() or None,
            "body": self.body.data,
            "sources": [line.strip() for line in lines if line.strip()],
        }


class NetworkLinkForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(dict(LINK_KINDS).items()))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=80)])
    region = SelectField(_l("Region"), choices=[(r, WORLD_REGION_LABELS[r]) for r in WORLD_REGIONS])
    url = StringField(
        _l("Official address"), validators=[Optional(), Length(max=500), URL(require_tld=True)]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    source_url = StringField(
        _l("Source: address"),
        validators=[
            DataRequired(_l("Give the public source that connects it with CAC.")),
            Length(max=500),
            URL(require_tld=True),
        ],
    )
    source_name = StringField(
        _l("Source: publisher or title"), validators=[Optional(), Length(max=200)]
    )
    source_date = DateField(_l("Source: date"), validators=[Optional()])
    source_says = TextAreaField(
        _l("What the source says about it"),
        validators=[DataRequired(_l("Say what the source says about it.")), Length(max=600)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        assert self.name.data and self.source_url.data  # values() follows validation
        return {
            "kind": self.kind.data,
            "name": self.name.data.strip(),
            "country": (self.country.data or "").strip() or None,
            "region": self.region.data,
            "url": (self.url.data or "").strip() or None,
            "note": (self.note.data or "").strip() or None,
            "source_url": self.source_url.data.strip(),
            "source_name": (self.source_name.data or "").strip() or None,
            "source_date": self.source_date.data,
            "source_says": (self.source_says.data or "").strip(),
        }


class FiguresImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    submit = SubmitField(_l("Import"))


class ConfirmForm(FlaskForm):
    """An empty form: carries the CSRF token of a one-button action."""

"""The CAC sections: articles (Mayor's Note, Countermeasures, News), daily figures, network links
and the anonymous per-section page-view counters."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import Model
from catalogue.lib.dates import utcnow

# Keys are stored; the labels are the interface's (translated when shown).
SECTIONS = {
    "mayors-note": _l("Mayor's Note"),
    "countermeasures": _l("Countermeasures"),
    "news": _l("News"),
}
# The countermeasure categories, in the order the Countermeasures page shows them.
MEASURE_CATEGORIES = {
    "screening": _l("Screening: drive-through and walk-in centres"),
    "testing-tracing": _l("Testing and tracing"),
    "quarantine-disinfection": _l("Quarantine and disinfection"),
    "international-arrivals": _l("International arrivals"),
    "foreign-residents": _l("Foreign residents and students"),
    "travellers": _l("Travellers' guidelines"),
    "livelihoods": _l("Support for small businesses and livelihoods"),
}
ARTICLE_STATUSES = ("draft", "published")
REGIONS = ("Seoul", "Korea")
LINK_KINDS = {
    "city": _l("City"),
    "state": _l("State or province"),
    "organisation": _l("International organisation"),
}
WORLD_REGIONS = (
    "Asia",
    "Middle East",
    "Europe",
    "Africa",
    "North America",
    "Latin America",
    "Oceania",
    "Global",
)
# How the regions are named on pages (the stored value is the English name above).
WORLD_REGION_LABELS = {
    "Asia": _l("Asia"),
    "Middle East": _l("Middle East"),
    "Europe": _l("Europe"),
    "Africa": _l("Africa"),
    "North America": _l("North America"),
    "Latin America": _l("Latin America"),
    "Oceania": _l("Oceania"),
    "Global": _l("Global"),
}
# The Daily Updates regions as pages name them.
REGION_LABELS = {"Seoul": _l("Seoul"), "Korea": _l("Korea (national)")}
# Page-view counters: one row per section and day, never anything about the visitor.
VIEW_SECTIONS = (
    "home",
    "mayors-note",
    "daily-updates",
    "countermeasures",
    "cities-network",
    "news",
)


class Article(Model):
    __tablename__ = "articles"
    __table_args__ = (sa.UniqueConstraint("section", "slug", name="uq_articles_section_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section: Mapped[str] = mapped_column(sa.String(20), index=True)
    slug: Mapped[str] = mapped_column(sa.String(120))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    # When the article becomes public and where it sits in the lists; never shown as its date.
    published_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    # The date readers see: only a date a source gives (of the event or report), with that
    # source; without one the article is "Undated".
    date_stated: Mapped[date | None] = mapped_column(sa.Date)
    date_source: Mapped[str | None] = mapped_column(sa.String(300))
    # The as-of date of figures the article quotes, shown as such and never as its date.
    figures_as_of: Mapped[date | None] = mapped_column(sa.Date)
    sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def is_published(self) -> bool:
        return (
            self.status == "published"
            and self.published_on is not None
            and self.published_on <= date.today()
        )

    @property
    def date_label(self) -> str:
        """The date a source gives, in the reader's language, or "Undated"."""
        from catalogue.i18n.formats import format_day

        return format_day(self.date_stated) if self.date_stated else str(_l("Undated"))

    @property
    def endpoint(self) -> str:
        return {
            "mayors-note": "content.mayors_note_detail",
            "countermeasures": "content.countermeasures_detail",
            "news": "content.news_detail",
        }[self.section]

    @property
    def url(self) -> str:
        return url_for(self.endpoint, slug=self.slug)

    @property
    def section_label(self) -> str:
        return str(SECTIONS.get(self.section, self.section))

    @property
    def category_label(self) -> str | None:
        label = MEASURE_CATEGORIES.get(self.category) if self.category else None
        return str(label) if label is not None else None

    def __repr__(self) -> str:
        return f"<Article {self.section}/{self.slug}>"


class DailyFigure(Model):
    __tablename__ = "daily_figures"
    __table_args__ = (sa.UniqueConstraint("day", "region", name="uq_daily_figures_day_region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    region: Mapped[str] = mapped_column(sa.String(20))
    new_confirmed: Mapped[int]
    cumulative_confirmed: Mapped[int]
    released: Mapped[int]
    deaths: Mapped[int]
    tests: Mapped[int | None]
    source: Mapped[str | None] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<DailyFigure {self.day} {self.region}>"


class NetworkLink(Model):
    """A city or organisation that a public source connects with CAC, with that source.

    The source fields are nullable only for rows made before sources were required; such rows
    are never shown on the site, and staff forms and the seed require a source."""

    __tablename__ = "network_links"
    __table_args__ = (sa.UniqueConstraint("kind", "name", name="uq_network_links_kind_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(160))
    country: Mapped[str | None] = mapped_column(sa.String(80))
    region: Mapped[str] = mapped_column(sa.String(40))
    # The official home page, or None where no address has been checked.
    url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str | None] = mapped_column(sa.Text)
    source_url: Mapped[str | None] = mapped_column(sa.String(500))
    source_name: Mapped[str | None] = mapped_column(sa.String(200))
    source_date: Mapped[date | None] = mapped_column(sa.Date)
    # What the source says about this city or organisation, in the portal's words.
    source_says: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def kind_label(self) -> str:
        return str(LINK_KINDS.get(self.kind, self.kind))

    @property
    def has_source(self) -> bool:
        return bool(self.source_url and self.source_says)

    def __repr__(self) -> str:
        return f"<NetworkLink {self.kind} {self.name}>"


class SectionView(Model):
    """How many pages of one section were served on one day (no visitor data at all)."""

    __tablename__ = "section_views"

    section: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

"""The Atom feed of News: the published articles, in the order the News page lists them.

An entry's `updated` is when the article last changed on the portal. The date readers see is
only the one a source states (Article.date_label: otherwise "Undated"), given in the summary.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalogue.content.models import Article
from catalogue.content.services import published_articles
from catalogue.extensions import db
from catalogue.lib.atom import Entry, atom_feed
from catalogue.lib.urls import external_url, site_url

FEED_LENGTH = 30
SUBTITLE = _l(
    "Cities Against COVID-19 and Seoul's response. Items are dated only where their sources "
    "give a date."
)


def _summary(article: Article) -> str:
    dated = (
        _(
            "Dated %(date)s (source: %(source)s).",
            date=article.date_label,
            source=article.date_source,
        )
        if article.date_stated
        else _("Undated.")
    )
    return f"{dated} {article.summary}" if article.summary else dated


def news_feed() -> bytes:
    articles = db.session.scalars(published_articles("news").limit(FEED_LENGTH))
    entries = [
        Entry(
            key=f"article:{article.id}",
            title=article.title,
            link=external_url(article.endpoint, slug=article.slug),
            updated=article.updated_at,
            summary=_summary(article),
        )
        for article in articles
    ]
    return atom_feed(
        site=site_url(current_app.config),
        title=_("News · %(site)s", site=current_app.config["SITE_NAME"]),
        subtitle=str(SUBTITLE),
        author=current_app.config["SITE_NAME"],
        self_url=external_url("content.news_feed"),
        page_url=external_url("content.news_list"),
        entries=entries,
    )

"""The sitemap of the public pages and robots.txt, every address absolute from SITE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from xml.etree import ElementTree as ET

import sqlalchemy as sa

from catalogue.content.models import SECTIONS
from catalogue.content.services import published_articles
from catalogue.extensions import db
from catalogue.lib.dates import aware
from catalogue.lib.urls import external_url
from catalogue.supplies.models import Manufacturer, Product

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The public pages that take no argument: the sections and the catalogue's lists.
SECTION_PAGES = (
    "content.home",
    "content.mayors_note_list",
    "content.daily_updates",
    "content.countermeasures_list",
    "content.cities_network",
    "content.news_list",
    "content.glossary",
    "content.about",
    "content.contact",
    "content.privacy",
    "content.terms",
    "supplies.landing",
    "supplies.product_list",
    "supplies.manufacturer_list",
    "opendata.index",
)
# Never crawled: signed-in areas, one-visitor pages and what only works as a form.
DISALLOWED = ("/account/", "/portal/", "/staff/", "/inquiry/", "/search")


def sitemap_urls() -> Iterator[tuple[str, datetime | None]]:
    """(absolute address, last change or None) of every public page."""
    for endpoint in SECTION_PAGES:
        yield external_url(endpoint), None
    products = db.session.execute(
        sa.select(Product.slug, Product.updated_at)
        .where(Product.status == "published")
        .order_by(Product.slug)
    )
    for slug, changed in products:
        yield external_url("supplies.product_detail", slug=slug), changed
    makers = db.session.execute(
        sa.select(Manufacturer.slug, Manufacturer.updated_at).order_by(Manufacturer.slug)
    )
    for slug, changed in makers:
        yield external_url("supplies.manufacturer_detail", slug=slug), changed
    for section in SECTIONS:
        for article in db.session.scalars(published_articles(section)):
            yield external_url(article.endpoint, slug=article.slug), article.updated_at


def sitemap_xml() -> bytes:
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for loc, changed in sitemap_urls():
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = loc
        if changed is not None:
            ET.SubElement(url, "lastmod").text = aware(changed).date().isoformat()
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True)


def robots_txt() -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED)]
    lines += ["", f"Sitemap: {external_url('content.sitemap_xml')}", ""]
    return "\n".join(lines)

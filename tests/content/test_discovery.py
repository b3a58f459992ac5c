"""What lets the portal be followed and found: the Atom feeds, the sitemap, robots.txt and the
link previews (OpenGraph and schema.org JSON-LD) of product and manufacturer pages."""

import io
import json
import re
from datetime import UTC, date, datetime
from html import unescape
from urllib.parse import urlsplit

import feedparser
import pytest
from defusedxml import ElementTree as ET
from PIL import Image
from werkzeug.datastructures import FileStorage

from catalogue.extensions import db
from catalogue.supplies import photos

SITE = "https://supplies.example"
ALIAS = "http://localhost:8000"  # a host the site answers to, never copied into links
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def site(app):
    app.config.update(SITE_URL=SITE, EXTRA_TRUSTED_HOSTS=["localhost"])


def _get(client, url):
    response = client.get(url, base_url=ALIAS)
    assert response.status_code == 200, url
    return response


def _feed(client, url):
    response = _get(client, url)
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


# --- Feeds --------------------------------------------------------------------------------------


# Stored times come back naive from SQLite and aware from PostgreSQL.
@pytest.mark.postgresql
def test_news_feed_lists_published_news_with_stated_dates_and_site_links(
    client, site, make_article
):
    dated = make_article(
        slug="dated",
        title="Seoul opens walk-in booths",
        summary="Booths at <hospitals> & clinics.",
        date_stated=date(2020, 3, 16),
        date_source="Seoul Metropolitan Government press release",
    )
    make_article(slug="undated", title="An undated item")
    make_article(slug="draft", title="A draft", status="draft")
    make_article(section="mayors-note", slug="note", title="A Mayor's note")
    dated.updated_at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    db.session.commit()

    feed = _feed(client, "/news/feed.atom")

    assert feed.feed.link == f"{SITE}/news/"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        f"{SITE}/news/feed.atom"
    ]
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Seoul opens walk-in booths", "An undated item"]
    first, second = feed.entries
    assert first.link == f"{SITE}/news/dated"
    assert first.summary.startswith("Dated 16 March 2020 (source: Seoul Metropolitan Government")
    assert "Booths at <hospitals> & clinics." in first.summary
    assert second.summary.startswith("Undated.")
    assert first.updated == "2026-11-02T09:30:00Z"
    assert all(entry.id.startswith("urn:uuid:") for entry in feed.entries)
    assert len({entry.id for entry in feed.entries}) == 2
    # The feed changed when its newest entry did, not when it was fetched.
    assert feed.feed.updated == max(entry.updated for entry in feed.entries)


@pytest.mark.postgresql
def test_product_feed_lists_published_products_last_changed_first(client, site, make_product):
    older = make_product(slug="older", name="Older Test", summary="A PCR kit.")
    newer = make_product(slug="newer", name="Newer Test")
    make_product(slug="hidden", name="Draft Test", status="draft")
    older.updated_at = datetime(2026, 10, 1, tzinfo=UTC)
    newer.updated_at = datetime(2026, 11, 1, tzinfo=UTC)
    db.session.commit()

    feed = _feed(client, "/supplies/products/feed.atom")

    assert [entry.title for entry in feed.entries] == ["Newer Test", "Older Test"]
    assert feed.entries[0].link == f"{SITE}/supplies/products/newer"
    assert feed.entries[1].summary.startswith("A PCR kit. — Maker ")
    assert feed.entries[0].tags[0].term == newer.category.name
    assert feed.feed.updated == "2026-11-01T00:00:00Z"
    assert feed.feed.link.startswith(f"{SITE}/supplies/products/")


def test_an_edit_moves_a_product_up_the_feed_with_the_same_id(client, site, make_product):
    first = make_product(name="First")
    make_product(name="Second")
    before = _feed(client, "/supplies/products/feed.atom").entries
    first_id = next(e.id for e in before if e.title == "First")
    first.name = "First, renamed"
    first.updated_at = datetime(2030, 1, 1, tzinfo=UTC)
    db.session.commit()
    after = _feed(client, "/supplies/products/feed.atom").entries
    assert (after[0].title, after[0].id) == ("First, renamed", first_id)


def test_pages_link_the_feeds_in_the_head_and_visibly(client):
    for url in ("/news/", "/supplies/products/"):
        html = _get(client, url).get_data(as_text=True)
        head = html.split("</head>")[0]
        assert (
            'rel="alternate" type="application/atom+xml" title="News" href="/news/feed.atom"'
            in head
        )
        assert 'href="/supplies/products/feed.atom"' in head
    news = _get(client, "/news/").get_data(as_text=True).split("</head>")[1]
    assert "Follow News in a feed reader (Atom feed)" in news
    products = _get(client, "/supplies/products/").get_data(as_text=True).split("</head>")[1]
    assert "Feed of new and changed products</a> (Atom)" in products


def test_an_empty_feed_is_still_valid(client, site):
    feed = _feed(client, "/news/feed.atom")
    assert feed.entries == []


# --- Sitemap and robots.txt ---------------------------------------------------------------------


def _sitemap(client) -> dict[str, str | None]:
    response = _get(client, "/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    return {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.iter(f"{SITEMAP}url")
    }


def test_sitemap_lists_every_public_page_and_no_unpublished_one(
    client, site, make_product, make_article
):
    product = make_product(slug="listed", name="Listed Test")
    make_product(slug="unlisted", status="draft")
    product.updated_at = datetime(2026, 11, 30, 8, tzinfo=UTC)
    db.session.commit()
    make_article(section="countermeasures", slug="booths", category="screening")
    make_article(section="news", slug="hidden-news", status="draft")

    urls = _sitemap(client)

    assert urls[f"{SITE}/supplies/products/listed"] == "2026-11-30"
    assert f"{SITE}/supplies/products/unlisted" not in urls
    assert f"{SITE}/supplies/manufacturers/{product.manufacturer.slug}" in urls
    assert f"{SITE}/countermeasures/booths" in urls
    assert f"{SITE}/news/hidden-news" not in urls
    for section in ("/", "/daily-updates/", "/news/", "/supplies/products/", "/privacy"):
        assert SITE + section in urls
    assert all(url.startswith(SITE + "/") for url in urls)


def test_every_sitemap_address_answers(client, site, world, make_article):
    make_article(section="mayors-note", slug="a-note")
    make_article(section="countermeasures", slug="a-measure", category="screening")
    urls = _sitemap(client)
    assert len(urls) > 15
    for url in urls:
        parts = urlsplit(url)
        assert client.get(parts.path, base_url=ALIAS).status_code == 200, url


def test_robots_txt_points_to_the_sitemap(client, site):
    response = _get(client, "/robots.txt")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert f"Sitemap: {SITE}/sitemap.xml" in text
    assert "Disallow: /staff/" in text and "Disallow: /portal/" in text


# --- Link previews ------------------------------------------------------------------------------


def _og(html: str) -> dict[str, str]:
    return {
        key: unescape(value)
        for key, value in re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', html)
    }


def _json_ld(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_a_descriptive_name_is_never_passed_off_as_the_products_name(client, site, make_product):
    make_product(slug="kit", name="COVID-19 antigen rapid test", name_is_descriptive=True)
    html = _get(client, "/supplies/products/kit").get_data(as_text=True)
    listed = "COVID-19 antigen rapid test (product name on request)"
    assert _og(html)["title"].startswith(listed)
    assert _json_ld(html)["name"] == listed
    titles = [e.title for e in _feed(client, "/supplies/products/feed.atom").entries]
    assert titles == [listed]


def test_a_product_page_has_a_link_preview_and_product_data(client, site, make_product):
    product = make_product(
        slug="sq-ag",
        name="STANDARD Q COVID-19 Ag Test",
        summary="Rapid antigen test.",
        model_number="09COV30D",
    )
    html = _get(client, "/supplies/products/sq-ag").get_data(as_text=True)

    og = _og(html)
    assert og["title"] == f"STANDARD Q COVID-19 Ag Test — {product.manufacturer.name}"
    assert og["description"] == "Rapid antigen test."
    assert og["url"] == f"{SITE}/supplies/products/sq-ag"
    assert og["site_name"] == "CAC Medical Supplies Export Portal"
    assert og["type"] == "website"
    assert "image" not in og  # no photo: no picture is made up
    data = _json_ld(html)
    assert data == {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "STANDARD Q COVID-19 Ag Test",
        "url": f"{SITE}/supplies/products/sq-ag",
        "description": "Rapid antigen test.",
        "model": "09COV30D",
        "category": product.category.name,
        "manufacturer": {
            "@type": "Organization",
            "name": product.manufacturer.name,
            "url": f"{SITE}/supplies/manufacturers/{product.manufacturer.slug}",
        },
    }
    assert "offers" not in data and "price" not in json.dumps(data)


def test_a_manufacturer_page_has_organization_data_of_what_is_known(
    client, site, make_manufacturer
):
    make_manufacturer(
        slug="maker-known",
        name="Known Bio Inc.",
        name_ko="노운바이오",
        city="Yongin",
        province="Gyeonggi-do",
        founded_year=2010,
        website="knownbio.example",
    )
    make_manufacturer(slug="maker-bare", name="Bare Co.")

    known = _json_ld(_get(client, "/supplies/manufacturers/maker-known").get_data(as_text=True))
    assert known == {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Known Bio Inc.",
        "alternateName": "노운바이오",
        "url": "https://knownbio.example",
        "mainEntityOfPage": f"{SITE}/supplies/manufacturers/maker-known",
        "foundingDate": "2010",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Yongin",
            "addressRegion": "Gyeonggi-do",
            "addressCountry": "KR",
        },
    }
    bare = _json_ld(_get(client, "/supplies/manufacturers/maker-bare").get_data(as_text=True))
    assert set(bare) == {"@context", "@type", "name", "mainEntityOfPage"}


def test_markup_in_a_name_cannot_break_out_of_the_previews(client, site, make_product):
    make_product(
        slug="evil",
        name='Evil </script><script>alert(1)</script> "Test" & Co',
        summary="<b>bold</b> 'quoted'",
    )
    html = _get(client, "/supplies/products/evil").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    data = _json_ld(html)
    assert data["name"] == 'Evil </script><script>alert(1)</script> "Test" & Co'
    og = _og(html)
    assert og["title"].startswith('Evil </script><script>alert(1)</script> "Test" & Co — ')
    assert og["description"] == "<b>bold</b> 'quoted'"


def test_every_page_has_a_preview_title_from_its_own_title(client, site):
    html = _get(client, "/daily-updates/").get_data(as_text=True)
    og = _og(html)
    assert og["title"] == "Daily Updates — Seoul"
    assert og["url"] == f"{SITE}/daily-updates/"


def test_a_product_photo_becomes_the_preview_picture(client, site, make_product, make_user):
    product = make_product(slug="with-photo", name="Photographed Test")
    picture = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 90, 160)).save(picture, "PNG")
    picture.seek(0)
    photos.add_photo(
        make_user(role="staff"), product, FileStorage(picture, "kit.png"), "Kit box & swab"
    )
    db.session.commit()
    photo = product.photos[0]

    html = _get(client, "/supplies/products/with-photo").get_data(as_text=True)

    og = _og(html)
    widest = photo.widths[-1]
    assert og["image"] == f"{SITE}/supplies/photos/{photo.token}/{widest}.jpg"
    assert 'property="og:image:alt" content="Kit box &amp; swab"' in html
    assert _json_ld(html)["image"] == og["image"]
    assert client.get(urlsplit(og["image"]).path, base_url=ALIAS).status_code == 200

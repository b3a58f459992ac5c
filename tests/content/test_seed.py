"""The CAC content seed: complete, sourced, exact, and idempotent."""

import csv
import re
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
import yaml

from catalogue.content.models import MEASURE_CATEGORIES, Article, DailyFigure, NetworkLink
from catalogue.content.seed import load_content_seed
from catalogue.extensions import db
from catalogue.supplies.seed import SeedError
from tests.conftest import SEED_DIR

REFERENCE = SEED_DIR / "sources" / "korea-daily-2020.csv"


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_twice_adds_nothing_the_second_time(app):
    first = load_content_seed(SEED_DIR)
    db.session.commit()
    counts = (_count(Article), _count(DailyFigure), _count(NetworkLink))
    second = load_content_seed(SEED_DIR)
    db.session.commit()
    assert first.added and not second.added
    assert (_count(Article), _count(DailyFigure), _count(NetworkLink)) == counts


def test_seed_keeps_staff_edits(app):
    load_content_seed(SEED_DIR)
    article = db.session.scalar(sa.select(Article).where(Article.slug == "cac-platform-launch"))
    article.title = "Edited by staff"
    db.session.commit()
    load_content_seed(SEED_DIR)
    assert db.session.get(Article, article.id).title == "Edited by staff"


def test_seed_has_the_required_articles_each_with_sources(app):
    load_content_seed(SEED_DIR)
    articles = db.session.scalars(sa.select(Article)).all()
    by_section = Counter(a.section for a in articles)
    assert by_section["mayors-note"] >= 3
    assert by_section["countermeasures"] >= 12
    assert by_section["news"] >= 10
    categories = {a.category for a in articles if a.section == "countermeasures"}
    assert categories == set(MEASURE_CATEGORIES)
    assert all(a.sources and a.is_published for a in articles)
    news = {a.slug: a for a in articles if a.section == "news"}
    assert news["cac-platform-launch"].date_stated == date(2020, 4, 9)
    assert "2,349,782" in news["cac-two-million-views"].body
    assert news["post-coronavirus-policy-forum"].date_stated == date(2020, 5, 12)
    assert "1 to Friday 5 June 2020" in news["cac-global-summit-2020"].body


def test_mayors_notes_are_labelled_summaries_without_quotations(app):
    load_content_seed(SEED_DIR)
    notes = db.session.scalars(sa.select(Article).where(Article.section == "mayors-note")).all()
    for note in notes:
        assert not re.search(r"[\"“”]", note.body + note.title.strip('"') + (note.summary or ""))


def test_daily_figures_equal_the_reference_file(app):
    load_content_seed(SEED_DIR)
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        reference = [
            (
                date.fromisoformat(r["date"]),
                r["region"],
                int(r["new_confirmed"]),
                int(r["cumulative_confirmed"]),
                int(r["released"]),
                int(r["deaths"]),
                int(r["tests"]) if r["tests"] else None,
            )
            for r in csv.DictReader(handle)
        ]
    stored = [
        (f.day, f.region, f.new_confirmed, f.cumulative_confirmed, f.released, f.deaths, f.tests)
        for f in db.session.scalars(
            sa.select(DailyFigure).order_by(DailyFigure.day, DailyFigure.region)
        )
    ]
    assert len(reference) == 326
    assert sorted(reference) == stored
    first_day = {r[1] for r in reference if r[0] == date(2020, 1, 20)}
    assert first_day == {"Seoul", "Korea"} and max(r[0] for r in reference) >= date(2020, 5, 31)


# The pages of cac-network-leads.md, the only sources an entry may cite.
NETWORK_SOURCES = {
    "http://www.koreaherald.com/view.php?ud=20200602000912",
    "https://en.yna.co.kr/view/AEN20200602009000315",
    "https://www.finanzen.ch/nachrichten/aktien/seoul-hosts-cities-against-covid-19-global-summit-2020-1029235703",
    "https://prnewswire.co.uk/news-releases/seoul-suggests-creating-an-international-organization-among-world-cities-to-combat-the-pandemic-892131054.html",
    "https://english.seoul.go.kr/global-organization-for-joint-response-to-infectious-diseases/",
    "https://www.globalgovernmentforum.com/city-mayors-form-global-alliance-to-combat-infectious-disease/",
    "http://we-gov.org/wego-smart-health-responder/cities-against-covid-19-webpage-1/",
}  # fmt: skip


def test_every_network_entry_carries_the_source_that_names_it(app):
    load_content_seed(SEED_DIR)
    links = {link.name: link for link in db.session.scalars(sa.select(NetworkLink))}
    assert set(links) == {
        "Seoul", "London", "State of Maryland", "Jakarta", "Moscow", "Istanbul", "Budapest",
        "Tehran", "Tel Aviv-Yafo", "Buenos Aires", "Vancouver", "Chongqing", "Delhi",
        "World Smart Sustainable Cities Organization (WeGO)",
    }  # fmt: skip
    for link in links.values():
        assert link.has_source and link.source_url in NETWORK_SOURCES, link.name
        # What the source says names the entry as the source does.
        said_as = {"Tel Aviv-Yafo": "Tel Aviv", "State of Maryland": "Maryland"}
        assert said_as.get(link.name, link.name.split(" (")[-1].strip(")")) in link.source_says
    # Announced before the event is said as such, not as taking part.
    assert links["Delhi"].source_date == date(2020, 5, 27)
    assert links["Delhi"].source_says.startswith("Announced beforehand")
    assert links["London"].source_date == date(2020, 6, 2)
    assert links["World Smart Sustainable Cities Organization (WeGO)"].source_date is None
    # Official home pages only, and none invented: Maryland had no address, so it has none.
    assert links["State of Maryland"].url is None and links["State of Maryland"].kind == "state"
    assert all(
        link.url.startswith("https://") and link.url.rstrip("/").count("/") == 2
        for link in links.values()
        if link.url
    )


def test_seed_refuses_a_network_entry_without_a_source(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "articles.yaml").write_text("[]", encoding="utf-8")
    entry = {
        "kind": "city",
        "name": "Tokyo",
        "region": "Asia",
        "url": "https://www.metro.tokyo.lg.jp/",
    }
    for source in ({}, {"source_url": "https://news.example.org/1"}):
        (tmp_path / "content" / "network-links.yaml").write_text(
            yaml.safe_dump([{**entry, **source}]), encoding="utf-8"
        )
        with pytest.raises(SeedError, match="Tokyo"):
            load_content_seed(tmp_path)


def test_seed_gives_old_unsourced_links_their_source_and_keeps_others_off_the_page(
    client, make_link
):
    make_link(name="Seoul", url="https://english.seoul.go.kr/", source_url=None, source_says=None)
    make_link(name="Tokyo", url="https://www.metro.tokyo.lg.jp/", source_url=None, source_says=None)
    load_content_seed(SEED_DIR)
    db.session.commit()
    seoul = db.session.scalar(sa.select(NetworkLink).where(NetworkLink.name == "Seoul"))
    assert seoul.source_url == "https://en.yna.co.kr/view/AEN20200602009000315"
    page = client.get("/cities-network/").text
    assert "Seoul" in page and "Tokyo" not in page


def test_seed_files_name_a_source_for_every_article():
    data = yaml.safe_load((SEED_DIR / "content" / "articles.yaml").read_text(encoding="utf-8"))
    assert all(item["sources"] for item in data)
    assert all(str(s).startswith("http") for item in data for s in item["sources"])


def test_article_dates_come_only_from_their_sources(app):
    load_content_seed(SEED_DIR)
    articles = {a.slug: a for a in db.session.scalars(sa.select(Article))}
    # No source dates the Mayor's Notes (editorial summaries), nor the 2-million-views page.
    for slug in ("speed-and-transparency", "openness-in-daily-briefings", "cac-two-million-views"):
        assert articles[slug].date_stated is None and articles[slug].date_label == "Undated"
    # The figure's as-of date is kept as such, not as the item's date.
    assert articles["cac-two-million-views"].figures_as_of == date(2020, 5, 5)
    assert articles["supplementary-budget-march-2020"].date_stated == date(2020, 3, 19)
    dated = [a for a in articles.values() if a.date_stated]
    assert len(dated) >= 15
    for article in dated:
        # Each date is given in the words of the source named for it.
        assert f"{article.date_stated:%-d %B %Y}" in article.date_source, article.slug

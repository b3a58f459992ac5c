"""The CAC content seed: complete, sourced, exact, and idempotent."""

import csv
import re
from collections import Counter
from datetime import date

import sqlalchemy as sa
import yaml

from catalogue.content.models import MEASURE_CATEGORIES, Article, DailyFigure, NetworkLink
from catalogue.content.seed import load_content_seed
from catalogue.extensions import db
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
    assert news["cac-platform-launch"].published_on == date(2020, 4, 9)
    assert "2,349,782" in news["cac-two-million-views"].body
    assert news["post-coronavirus-policy-forum"].published_on == date(2020, 5, 12)
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


def test_network_links_cover_74_cities_and_12_organisations(app):
    load_content_seed(SEED_DIR)
    links = db.session.scalars(sa.select(NetworkLink)).all()
    kinds = Counter(link.kind for link in links)
    assert kinds["city"] >= 74 and kinds["organisation"] >= 12
    assert all(link.url.startswith("https://") and link.region for link in links)
    assert all(link.country for link in links if link.kind == "city")
    # Home pages only: no guessed deep links (WHO's regional page is the one path allowed).
    deep = [link.url for link in links if link.url.rstrip("/").count("/") > 2]
    assert deep == ["https://www.who.int/westernpacific"]


def test_seed_files_name_a_source_for_every_article():
    data = yaml.safe_load((SEED_DIR / "content" / "articles.yaml").read_text(encoding="utf-8"))
    assert all(item["sources"] for item in data)
    assert all(str(s).startswith("http") for item in data for s in item["sources"])

"""Loading the CAC content seed: articles, network links and the daily figures.

Insert-missing-only by natural key ((section, slug), (kind, name), (date, region)): running it
again changes nothing and never overwrites later edits by staff. The one exception fills in
what rows made before these fields existed lack: an article's source-given date while all its
date fields are empty, and a network link's source while it has none.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import yaml

from catalogue.content.models import (
    LINK_KINDS,
    MEASURE_CATEGORIES,
    REGIONS,
    SECTIONS,
    WORLD_REGIONS,
    Article,
    DailyFigure,
    NetworkLink,
)
from catalogue.extensions import db
from catalogue.supplies.seed import SeedError, SeedReport

FIGURES_FILE = Path("sources") / "korea-daily-2020.csv"
FIGURES_SOURCE = (
    "DS4C (Data Science for COVID-19), DSI-COVID/DS4C0701 commit 47559da, from KCDC releases; "
    "CC BY-NC-SA 4.0"
)


def _read_yaml(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def load_content_seed(seed_dir: Path, report: SeedReport | None = None) -> SeedReport:
    report = report or SeedReport()
    articles = _read_yaml(seed_dir / "content" / "articles.yaml")
    links = _read_yaml(seed_dir / "content" / "network-links.yaml")
    _validate(articles, links)

    stored_articles = {(a.section, a.slug): a for a in db.session.scalars(sa.select(Article))}
    for data in articles:
        dates = {name: _date(data.get(name)) for name in ("date_stated", "figures_as_of")}
        dates["date_source"] = data.get("date_source")
        article = stored_articles.get((data["section"], data["slug"]))
        if article is not None:
            if not any(getattr(article, name) for name in dates):
                for name, value in dates.items():
                    setattr(article, name, value)
            continue
        db.session.add(
            Article(
                section=data["section"],
                slug=data["slug"],
                title=data["title"],
                summary=data.get("summary"),
                body=data["body"],
                category=data.get("category"),
                status="published",
                published_on=date.fromisoformat(str(data["published_on"])),
                sources=list(data["sources"]),
                **dates,
            )
        )
        report.count("articles")

    stored_links = {(k.kind, k.name): k for k in db.session.scalars(sa.select(NetworkLink))}
    for data in links:
        values = {k: data.get(k) for k in _LINK_FIELDS}
        values["source_date"] = _date(values["source_date"])
        link = stored_links.get((data["kind"], data["name"]))
        if link is not None:
            if not link.has_source:
                for name in _SOURCE_FIELDS:
                    setattr(link, name, values[name])
            continue
        db.session.add(NetworkLink(**values))
        report.count("network links")

    existing = {
        tuple(row) for row in db.session.execute(sa.select(DailyFigure.day, DailyFigure.region))
    }
    for row in _read_figures(seed_dir / FIGURES_FILE):
        if (row["day"], row["region"]) in existing:
            continue
        db.session.add(DailyFigure(**row, source=FIGURES_SOURCE))
        report.count("daily figures")
    db.session.flush()
    return report


_SOURCE_FIELDS = ("source_url", "source_name", "source_date", "source_says")
_LINK_FIELDS = ("kind", "name", "country", "region", "url", "note", *_SOURCE_FIELDS)


def _date(value) -> date | None:
    # YAML reads 2020-05-27 as a date already; anything else must be an ISO date or empty.
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SeedError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _read_figures(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "day": date.fromisoformat(row["date"]),
                    "region": row["region"],
                    "new_confirmed": int(row["new_confirmed"]),
                    "cumulative_confirmed": int(row["cumulative_confirmed"]),
                    "released": int(row["released"]),
                    "deaths": int(row["deaths"]),
                    "tests": int(row["tests"]) if row["tests"] else None,
                }
            )
    if any(r["region"] not in REGIONS for r in rows):
        raise SeedError(f"{path}: unknown region")
    return rows


def _validate(articles: list[dict], links: list[dict]) -> None:
    seen = set()
    for data in articles:
        key = (data.get("section"), data.get("slug"))
        if data.get("section") not in SECTIONS:
            raise SeedError(f"Article {key}: unknown section")
        if key in seen:
            raise SeedError(f"Article {key} appears twice")
        seen.add(key)
        if not data.get("sources"):
            raise SeedError(f"Article {key} has no sources: every seeded fact keeps its source")
        if data["section"] == "countermeasures" and data.get("category") not in MEASURE_CATEGORIES:
            raise SeedError(f"Article {key}: unknown category {data.get('category')!r}")
        if bool(data.get("date_stated")) != bool(data.get("date_source")):
            raise SeedError(f"Article {key}: a stated date needs the source that gives it")
    seen = set()
    for data in links:
        key = (data.get("kind"), data.get("name"))
        if key in seen:
            raise SeedError(f"Network link {key} appears twice")
        seen.add(key)
        if data.get("kind") not in LINK_KINDS or data.get("region") not in WORLD_REGIONS:
            raise SeedError(f"Network link {key}: unknown kind or region")
        if data.get("url") is not None and not str(data["url"]).startswith("https://"):
            raise SeedError(f"Network link {key}: the address must start with https://")
        if not str(data.get("source_url") or "").startswith(("https://", "http://")):
            raise SeedError(f"Network link {key} has no source: every entry keeps its source")
        if not data.get("source_says"):
            raise SeedError(f"Network link {key}: say what its source says about it")

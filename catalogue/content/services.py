"""Services for the CAC sections: articles, daily figures (query, CSV out and in), network links,
page-view counters and the link checker."""

from __future__ import annotations

import atexit
import csv
import io
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.audit.services import apply_changes, record_change
from catalogue.content.models import (
    ARTICLE_STATUSES,
    LINK_KINDS,
    MEASURE_CATEGORIES,
    REGIONS,
    SECTIONS,
    VIEW_SECTIONS,
    WORLD_REGIONS,
    Article,
    DailyFigure,
    NetworkLink,
    SectionView,
)
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n import N_
from catalogue.lib import spreadsheet
from catalogue.lib.periodic import start_periodic_thread

logger = logging.getLogger(__name__)


# The DS4C licence and credit travel with the figures: on the page and in every CSV download.
DS4C_CREDIT = N_(
    'Source: DS4C "Data Science for COVID-19" (Jihoo Kim et al.), compiled from KCDC press '
    "releases; GitHub DSI-COVID/DS4C0701, commit 47559dad0a1c9f349e11b33622138090b1cb477f."
)
DS4C_LICENCE = "Licence: CC BY-NC-SA 4.0 (https://creativecommons.org/licenses/by-nc-sa/4.0/)."
DS4C_LICENCE_URL = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
# The credit a chart carries in its own file, so it stays with the chart wherever it is shown.
DS4C_CHART_CREDIT = N_(
    "Source: DS4C (Jihoo Kim et al.), from KCDC press releases · CC BY-NC-SA 4.0"
)
REPORTING_CHANGE_DAY = date(2020, 3, 2)
REPORTING_NOTE = N_(
    "Up to 2020-03-01 the figures are as of 16:00 on the date shown; from 2020-03-02 they are "
    "KCDC's 00:00 release, i.e. cases reported during the previous day. New cases on "
    "2020-03-02 therefore cover only 8 hours."
)
CSV_COLUMNS = (
    "date",
    "region",
    "new_confirmed",
    "cumulative_confirmed",
    "released",
    "deaths",
    "tests",
    "source",
    "as_of",
)
_REQUIRED_COLUMNS = CSV_COLUMNS[:-2]
_COUNT_COLUMNS = ("new_confirmed", "cumulative_confirmed", "released", "deaths")
MAX_IMPORT_ROWS = 20_000


# --- Articles -----------------------------------------------------------------------------


def published_articles(section: str):
    """A select of the published articles of one section: those with a date from a source
    newest first, then the undated ones (among themselves by when they became public)."""
    return (
        sa.select(Article)
        .where(
            Article.section == section,
            Article.status == "published",
            Article.published_on.is_not(None),
            Article.published_on <= date.today(),
        )
        .order_by(
            Article.date_stated.desc().nulls_last(),
            Article.published_on.desc(),
            Article.id.desc(),
        )
    )


def paginate_articles(section: str, page: int, per_page: int = 10):
    return db.paginate(published_articles(section), page=page, per_page=per_page, error_out=False)


def latest_articles(section: str, limit: int = 3) -> list[Article]:
    return list(db.session.scalars(published_articles(section).limit(limit)))


def measures_by_category() -> list[tuple[str, str, list[Article]]]:
    """(category key, label, articles) for every category that has a published measure."""
    articles = db.session.scalars(published_articles("countermeasures")).all()
    grouped: dict[str, list[Article]] = {key: [] for key in MEASURE_CATEGORIES}
    for article in articles:
        grouped.setdefault(article.category or "other", []).append(article)
    labels = {**MEASURE_CATEGORIES, "other": _("Other measures")}
    return [(key, labels[key], items) for key, items in grouped.items() if items]


def get_published_article(section: str, slug: str) -> Article | None:
    return db.session.scalar(published_articles(section).where(Article.slug == slug))


def list_all_articles(section: str | None = None) -> list[Article]:
    stmt = sa.select(Article).order_by(Article.section, Article.published_on.desc().nulls_first())
    if section:
        stmt = stmt.where(Article.section == section)
    return list(db.session.scalars(stmt))


def save_article(actor, article: Article | None, values: dict) -> Article:
    """Create or edit an article; every changed field goes to the audit trail."""
    section = values.get("section") or (article.section if article else None)
    if section not in SECTIONS:
        raise ServiceError("section", _("Choose a section."))
    if values.get("category") and values["category"] not in MEASURE_CATEGORIES:
        raise ServiceError("category", _("Choose one of the listed categories."))
    if section == "countermeasures" and not values.get("category"):
        raise ServiceError("category", _("A countermeasure needs a category."))
    if section != "countermeasures":
        values["category"] = None
    if values.get("date_stated") and not values.get("date_source"):
        raise ServiceError("date_source", _("Name the source that gives this date."))
    if values.get("date_source") and not values.get("date_stated"):
        raise ServiceError(
            "date_stated", _("Give the date the source states, or clear its source.")
        )
    clash = db.session.scalar(
        sa.select(Article.id).where(Article.section == section, Article.slug == values["slug"])
    )
    if clash is not None and (article is None or clash != article.id):
        raise ServiceError("slug", _("Another article of this section has this address already."))
    if article is None:
        article = Article(section=section, slug=values["slug"], title=values["title"], body="")
        article.status = "draft"
        article.sources = []
        db.session.add(article)
        db.session.flush()
        record_change(actor, article, "created", None, f"{section}/{values['slug']}")
    apply_changes(actor, article, values)
    return article


def set_article_status(actor, article: Article, status: str) -> None:
    if status not in ARTICLE_STATUSES:
        raise ServiceError("status", _("Unknown status."))
    values: dict[str, object] = {"status": status}
    if status == "published" and article.published_on is None:
        values["published_on"] = date.today()
    apply_changes(actor, article, values)


# --- Daily figures ------------------------------------------------------------------------


def figure_bounds(region: str) -> tuple[date | None, date | None]:
    first, last = db.session.execute(
        sa.select(sa.func.min(DailyFigure.day), sa.func.max(DailyFigure.day)).where(
            DailyFigure.region == region
        )
    ).one()
    return first, last


def list_figures(region: str, start: date | None = None, end: date | None = None):
    stmt = sa.select(DailyFigure).where(DailyFigure.region == region).order_by(DailyFigure.day)
    if start:
        stmt = stmt.where(DailyFigure.day >= start)
    if end:
        stmt = stmt.where(DailyFigure.day <= end)
    return list(db.session.scalars(stmt))


def latest_figures() -> dict[str, DailyFigure]:
    """The newest figure of each region."""
    latest = {}
    for region in REGIONS:
        figure = db.session.scalar(
            sa.select(DailyFigure)
            .where(DailyFigure.region == region)
            .order_by(DailyFigure.day.desc())
            .limit(1)
        )
        if figure is not None:
            latest[region] = figure
    return latest


def as_of(day: date) -> str:
    """When in the day a figure was taken (see REPORTING_NOTE)."""
    if day < REPORTING_CHANGE_DAY:
        return "16:00 on the date"
    return "00:00 release: cases reported the previous day"


def figures_csv(figures: Iterable[DailyFigure]) -> str:
    """The figures as plain CSV, the header on the first line: each row carries its source and
    the time of day it was taken; the licence goes in the response's Link header."""
    out = io.StringIO()
    writer = spreadsheet.writer(out, lineterminator="\n")  # the source is staff-entered text
    writer.writerow(CSV_COLUMNS)
    for f in figures:
        writer.writerow(
            [
                f.day.isoformat(),
                f.region,
                f.new_confirmed,
                f.cumulative_confirmed,
                f.released,
                f.deaths,
                "" if f.tests is None else f.tests,
                f.source or "",
                as_of(f.day),
            ]
        )
    return out.getvalue()


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rejected


def _parse_row(row: dict) -> tuple[dict | None, str | None]:
    try:
        day = date.fromisoformat((row.get("date") or "").strip())
    except ValueError:
        return None, f"date {row.get('date')!r} is not a date in the form YYYY-MM-DD"
    region = (row.get("region") or "").strip()
    if region not in REGIONS:
        return None, f"region {region!r} is not one of {', '.join(REGIONS)}"
    values: dict = {"day": day, "region": region}
    for name in (*_COUNT_COLUMNS, "tests"):
        raw = (row.get(name) or "").strip()
        if raw == "" and name == "tests":
            values[name] = None
            continue
        if not raw.isdigit():
            return None, f"{name} {raw!r} is not a whole number of 0 or more"
        values[name] = int(raw)
    if values["deaths"] > values["cumulative_confirmed"]:
        return None, "deaths exceed the cumulative confirmed cases"
    if values["released"] > values["cumulative_confirmed"]:
        return None, "released exceeds the cumulative confirmed cases"
    if "source" in row:
        values["source"] = (row.get("source") or "").strip() or None
    return values, None


def import_figures(actor, data: bytes) -> ImportReport:
    """Upsert figures by (date, region). Any bad row rejects the whole file: nothing changes."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.error = "The file is not UTF-8 text. Save it as CSV (UTF-8) and try again."
        return report
    # Keep each line's number in the file, so rejected rows are reported where staff can find them.
    kept = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    reader = csv.DictReader(line for _n, line in kept)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        report.error = "The header row lacks the column(s): " + ", ".join(missing) + "."
        return report
    reader.fieldnames = header
    parsed: list[tuple[int, dict]] = []
    seen: set[tuple[date, str]] = set()
    try:
        for row in reader:
            number = kept[reader.line_num - 1][0]
            if None in row:
                report.rejected.append((number, "the row has more cells than the header"))
                continue
            values, problem = _parse_row(row)
            if problem:
                report.rejected.append((number, problem))
                continue
            assert values is not None  # _parse_row gives values or a problem
            key = (values["day"], values["region"])
            if key in seen:
                report.rejected.append((number, f"{key[0]} {key[1]} appears twice in the file"))
                continue
            seen.add(key)
            parsed.append((number, values))
            if len(parsed) > MAX_IMPORT_ROWS:
                report.error = f"The file has more than {MAX_IMPORT_ROWS:,} rows."
                return report
    except csv.Error as error:
        report.error = f"The file is not valid CSV ({error})."
        return report
    if not parsed and not report.rejected:
        report.error = "The file holds no rows of figures."
    if not report.ok:
        return report

    existing = {(f.day, f.region): f for f in db.session.scalars(sa.select(DailyFigure))}
    for _number, values in parsed:
        figure = existing.get((values["day"], values["region"]))
        if figure is None:
            figure = DailyFigure(day=values["day"], region=values["region"])
            for name in (*_COUNT_COLUMNS, "tests", "source"):
                setattr(figure, name, values.get(name))
            db.session.add(figure)
            db.session.flush()
            record_change(actor, figure, "created", None, f"{figure.day} {figure.region}")
            report.added += 1
            continue
        changes = {k: v for k, v in values.items() if k not in ("day", "region")}
        if apply_changes(actor, figure, changes):
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report


# --- Cities Network -----------------------------------------------------------------------


# A link is shown only with the source of its inclusion (rows from before sources were
# required have none until staff add it).
_SOURCED = sa.and_(
    NetworkLink.source_url.is_not(None),
    NetworkLink.source_url != "",
    NetworkLink.source_says.is_not(None),
    NetworkLink.source_says != "",
)


def list_links(
    kind: str | None = None, region: str | None = None, *, unsourced: bool = False
) -> list[NetworkLink]:
    """The links with a source (and, for staff, with `unsourced`, those without one too)."""
    kind_order = sa.case({k: i for i, k in enumerate(LINK_KINDS)}, value=NetworkLink.kind, else_=99)
    stmt = sa.select(NetworkLink).order_by(kind_order, NetworkLink.region, NetworkLink.name)
    if not unsourced:
        stmt = stmt.where(_SOURCED)
    if kind:
        stmt = stmt.where(NetworkLink.kind == kind)
    if region:
        stmt = stmt.where(NetworkLink.region == region)
    return list(db.session.scalars(stmt))


def link_counts() -> dict[str, int]:
    """How many links of each kind the public page shows."""
    rows = db.session.execute(
        sa.select(NetworkLink.kind, sa.func.count()).where(_SOURCED).group_by(NetworkLink.kind)
    ).all()
    return {kind: n for kind, n in rows}


def _is_web_address(value) -> bool:
    return str(value or "").startswith(("https://", "http://"))


def save_link(actor, link: NetworkLink | None, values: dict) -> NetworkLink:
    if values.get("kind") not in LINK_KINDS:
        raise ServiceError("kind", _("Choose a city, a state or an international organisation."))
    if values.get("region") not in WORLD_REGIONS:
        raise ServiceError("region", _("Choose a region."))
    if values.get("url") and not _is_web_address(values["url"]):
        raise ServiceError("url", _("The address must start with https:// or http://."))
    if not _is_web_address(values.get("source_url")):
        raise ServiceError(
            "source_url", _("Give the address of the public source that connects it with CAC.")
        )
    if not (values.get("source_says") or "").strip():
        raise ServiceError("source_says", _("Say what the source says about it."))
    clash = db.session.scalar(
        sa.select(NetworkLink.id).where(
            NetworkLink.kind == values["kind"], NetworkLink.name == values["name"]
        )
    )
    if clash is not None and (link is None or clash != link.id):
        raise ServiceError("name", _("This name is in the network already."))
    if link is None:
        link = NetworkLink(kind=values["kind"], name=values["name"], region=values["region"])
        db.session.add(link)
        db.session.flush()
        record_change(actor, link, "created", None, values["name"])
    apply_changes(actor, link, values)
    return link


def delete_link(actor, link: NetworkLink) -> None:
    record_change(actor, link, "deleted", f"{link.name} <{link.url or 'no address'}>", None)
    db.session.delete(link)


@dataclass
class LinkCheck:
    link: NetworkLink
    ok: bool
    detail: str


def check_links(links: list[NetworkLink], timeout: float = 5.0, opener=None) -> list[LinkCheck]:
    """HEAD each address (GET when HEAD is refused), a few at a time; report, never raise."""
    opener = opener or urllib.request.build_opener()
    # Read the addresses here: the worker threads have no app context to load them in.
    jobs = [(link, link.url) for link in links if link.url]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda job: _check_one(opener, job[0], job[1], timeout), jobs))


def network_available(host: str = "www.who.int", timeout: float = 3.0) -> bool:
    try:
        socket.getaddrinfo(host, 443)
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _check_one(opener, link: NetworkLink, url: str, timeout: float) -> LinkCheck:
    headers = {"User-Agent": "CAC-portal-link-check/1.0"}
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310
        try:
            with opener.open(request, timeout=timeout) as response:
                return LinkCheck(link, True, f"HTTP {response.status}")
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in (403, 405, 501):
                continue
            return LinkCheck(link, False, f"HTTP {error.code}")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            return LinkCheck(link, False, f"unreachable ({reason})")
    return LinkCheck(link, False, "refused HEAD and GET")


# --- Page views per section ---------------------------------------------------------------


class _PendingViews:
    """Views counted by this process and not yet written. A page only adds to memory, so a
    database held by a long write never delays it; flush_views() writes the sums."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[tuple[str, date]] = Counter()


_pending_setup = threading.Lock()


def _pending_views() -> _PendingViews:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    pending = app.extensions.get("pending_views")
    if pending is None:
        with _pending_setup:
            pending = app.extensions.get("pending_views")
            if pending is None:
                pending = app.extensions["pending_views"] = _PendingViews()
                seconds = app.config.get("VIEW_COUNTS_FLUSH_SECONDS", 0)
                if seconds:  # started by the first view a process counts, so after a fork
                    start_periodic_thread(app, "view-counts", flush_views, seconds)
                    atexit.register(_flush_at_exit, app)
    return pending


def count_view(section: str, day: date | None = None) -> None:
    """Add one view to the section's counter for the day, in this process's memory."""
    if section not in VIEW_SECTIONS:
        raise ValueError(section)
    pending = _pending_views()
    with pending.lock:
        pending.counts[(section, day or date.today())] += 1


def flush_views() -> int:
    """Write the views this process counted since the last flush, and commit (a background
    task, like mail delivery). One atomic upsert per section and day, so processes flushing at
    once never lose a count nor collide on the primary key (SQLite and PostgreSQL); if the
    database fails, the counts stay for the next flush. Returns the number of views written."""
    pending = _pending_views()
    with pending.lock:
        counts, pending.counts = pending.counts, Counter()
    if not counts:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    try:
        for (section, day), n in sorted(counts.items()):
            stmt = insert(SectionView).values(section=section, day=day, count=n)
            stmt = stmt.on_conflict_do_update(
                index_elements=["section", "day"], set_={"count": SectionView.count + n}
            )
            db.session.execute(stmt)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        with pending.lock:
            pending.counts.update(counts)
        raise
    return sum(counts.values())


def _flush_at_exit(app) -> None:
    try:
        with app.app_context():
            flush_views()
            db.session.remove()
    except Exception:
        logger.exception("Could not write the last page-view counts")


def views_last_days(days: int = 30, today: date | None = None) -> tuple[list[date], dict]:
    """The last `days` days and, per section, the views of each day (0 where none)."""
    today = today or date.today()
    first = today - timedelta(days=days - 1)
    span = [first + timedelta(days=i) for i in range(days)]
    rows = db.session.execute(
        sa.select(SectionView.section, SectionView.day, SectionView.count).where(
            SectionView.day >= first, SectionView.day <= today
        )
    ).all()
    counts = {(s, d): c for s, d, c in rows}
    return span, {s: [counts.get((s, d), 0) for d in span] for s in VIEW_SECTIONS}

"""Article visibility, sanitising and the anonymous per-section view counters."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from catalogue.content import services
from catalogue.content.models import SectionView
from catalogue.extensions import db


def _count(section, day=None):
    row = db.session.get(SectionView, (section, day or date.today()))
    return row.count if row else 0


def test_script_in_a_body_is_neither_run_nor_shown_raw(client, make_article):
    make_article(
        slug="hostile",
        body='Hello <script>alert("x")</script> **bold** [link](javascript:alert(1))\n\n'
        '<img src=x onerror="alert(2)">',
    )
    page = client.get("/news/hostile").text
    body = page.split('<div class="markdown">')[1].split("</div>")[0]
    assert "<script" not in body and "alert" not in body and "onerror" not in body
    assert "&lt;script" not in body  # dropped, not shown as text
    assert "<strong>bold</strong>" in body and "javascript:" not in body


def test_drafts_and_future_articles_are_not_public(client, make_article):
    make_article(slug="draft", status="draft", title="Draft item")
    make_article(slug="future", published_on=date.today() + timedelta(days=3), title="Future")
    make_article(slug="live", title="Live item")
    listing = client.get("/news/").text
    assert "Live item" in listing and "Draft item" not in listing and "Future" not in listing
    assert client.get("/news/draft").status_code == 404
    assert client.get("/news/future").status_code == 404
    assert client.get("/news/live").status_code == 200


def test_article_url_and_published_flag(app, make_article):
    article = make_article(section="countermeasures", slug="x", category="screening")
    with app.test_request_context():
        assert article.url == "/countermeasures/x"
    assert article.is_published
    draft = make_article(status="draft")
    assert not draft.is_published


def test_each_page_view_counts_once_for_its_section_without_a_cookie(client, make_article):
    make_article(slug="counted")
    first = client.get("/news/counted")
    client.get("/news/")
    client.get("/cities-network/")
    assert "Set-Cookie" not in first.headers
    services.flush_views()  # counted in memory, written in batches
    assert _count("news") == 2
    assert _count("cities-network") == 1
    assert _count("mayors-note") == 0


def test_errors_charts_and_downloads_are_not_counted(client):
    client.get("/news/missing")  # 404
    client.get("/daily-updates/?start=nonsense")  # 400
    client.get("/daily-updates.csv")
    assert services.flush_views() == 0
    client.get("/daily-updates/")
    services.flush_views()
    assert _count("daily-updates") == 1


def test_count_view_upserts_one_row_per_section_and_day(app):
    day = date(2020, 4, 9)
    for _ in range(3):
        services.count_view("home", day)
    services.count_view("home", day + timedelta(days=1))
    services.flush_views()
    rows = db.session.execute(sa.select(SectionView.day, SectionView.count)).all()
    assert sorted(rows) == [(day, 3), (day + timedelta(days=1), 1)]


def test_views_last_days_fills_missing_days_with_zero(app):
    today = date(2020, 6, 30)
    services.count_view("news", today)
    services.count_view("news", today - timedelta(days=29))
    services.count_view("news", today - timedelta(days=30))  # outside the window
    services.flush_views()
    days, series = services.views_last_days(30, today=today)
    assert len(days) == 30 and days[-1] == today
    assert series["news"][0] == 1 and series["news"][-1] == 1 and sum(series["news"]) == 2
    assert sum(series["home"]) == 0


@pytest.mark.postgresql
def test_concurrent_views_are_all_counted(app_factory, backend, tmp_path):
    """Many workers counting and flushing the same section and day at once lose no view and
    raise nothing (each flush is an atomic upsert)."""
    from concurrent.futures import ThreadPoolExecutor

    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'views.sqlite3'}"
    app = app_factory("test_views_race", **overrides)
    with app.app_context():
        db.create_all()

    def worker(_):
        with app.app_context():
            for _ in range(20):
                services.count_view("news", date(2020, 4, 9))
                services.flush_views()
            db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(worker, range(6)))
    with app.app_context():
        assert db.session.get(SectionView, ("news", date(2020, 4, 9))).count == 120
        db.session.remove()

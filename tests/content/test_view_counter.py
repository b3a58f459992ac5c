"""Page-view counters never block a page (issue 14, item 14).

They used to write to the database in every home and news request: while another writer held
the database lock for 15 s, the home page took 10.1 s.
"""

import sqlite3
import time
from datetime import date

import pytest
import sqlalchemy as sa

from catalogue.content import services
from catalogue.content.models import SectionView
from catalogue.extensions import db


def _counts(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(sa.select(SectionView.section, SectionView.count)).all()
        db.session.remove()
    return dict(rows)


def test_a_held_database_lock_does_not_delay_the_home_page(app_factory, tmp_path):
    path = tmp_path / "views.sqlite3"
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", VIEW_COUNTS_FLUSH_SECONDS=0.2)
    with app.app_context():
        db.create_all()
        db.session.remove()
    client = app.test_client()

    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another writer holds the database lock
    try:
        started = time.monotonic()
        pages = [client.get("/"), client.get("/"), client.get("/news/")]
        elapsed = time.monotonic() - started
        time.sleep(0.5)  # the flush thread's turn comes while the lock is still held
        assert _counts(app) == {}
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert [p.status_code for p in pages] == [200, 200, 200]
    assert elapsed < 1.0, f"three pages took {elapsed:.1f} s behind a held lock"
    deadline = time.monotonic() + 15
    while _counts(app) != {"home": 2, "news": 1} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _counts(app) == {"home": 2, "news": 1}  # written once the lock was released


def test_counts_a_failed_flush_could_not_write_are_kept_for_the_next(app, monkeypatch):
    services.count_view("home", date(2020, 4, 9))
    services.count_view("home", date(2020, 4, 9))

    def locked(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    with monkeypatch.context() as patch:
        patch.setattr(db.session, "execute", locked)
        with pytest.raises(sa.exc.OperationalError):
            services.flush_views()
    services.count_view("home", date(2020, 4, 9))
    assert services.flush_views() == 3
    assert db.session.get(SectionView, ("home", date(2020, 4, 9))).count == 3
    assert services.flush_views() == 0  # nothing is written twice

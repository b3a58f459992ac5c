"""The catalogue version: a counter in the database that every transaction changing a catalogue
entry increments (the `before_flush` hook below).

While it is unchanged no public catalogue row has changed, on any machine: the page cache keys
its pages by it (handed over below) and the stored PDFs skip hashing their rows again.
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from catalogue.extensions import Model, db
from catalogue.lib import pagecache
from catalogue.supplies.models import (
    Approval,
    Category,
    ContentTranslation,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductPhoto,
    ProductSpecimen,
    Upload,
)

WATCHED = (
    Product, Manufacturer, Approval, Category, PerformanceResult, ProductSpecimen, Upload,
    ProductPhoto, ContentTranslation,
)  # fmt: skip


class CatalogueVersion(Model):
    """One row: the number of committed transactions that changed the catalogue."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=0)


@sa.event.listens_for(Session, "before_flush")
def _bump_on_catalogue_change(session, _flush_context, _instances):
    if session.info.get("catalogue_bumped"):
        return
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, WATCHED) for obj in changed):
        return
    table = CatalogueVersion.__table__
    bumped = session.execute(
        sa.update(table).where(table.c.id == 1).values(version=table.c.version + 1)
    )
    if bumped.rowcount == 0:  # a database made by create_all (tests) has no row yet
        session.execute(sa.insert(table).values(id=1, version=1))
    session.info["catalogue_bumped"] = True


@sa.event.listens_for(Session, "after_transaction_end")
def _reset_bump(session, transaction):
    if transaction.parent is None:
        session.info.pop("catalogue_bumped", None)


VERSION_SQL = "SELECT version FROM catalogue_versions WHERE id = 1"


class _VersionReader:
    """Reads the catalogue version on PostgreSQL over a connection of its own per thread.

    The connection is kept out of the pool and in autocommit mode, so a page served from the
    cache costs one round trip to the database instead of four (the pool's liveness ping, BEGIN,
    the query, and the ROLLBACK when the request ends).
    """

    def __init__(self):
        self.local = threading.local()

    def read(self, engine: sa.Engine) -> int:
        try:
            return self._read(engine)
        except engine.dialect.loaded_dbapi.Error:
            self._drop()  # a restarted server, say: reconnect once
            return self._read(engine)

    def _read(self, engine: sa.Engine) -> int:
        cursor = self._connection(engine).cursor()
        try:
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return row[0] if row else 0

    def _connection(self, engine: sa.Engine):
        held = getattr(self.local, "held", None)
        if held is not None and held[0] is engine:
            return held[1]
        self._drop()
        fairy = engine.raw_connection()
        fairy.detach()  # ours alone: closing it closes it, never hands it back to the pool
        dbapi_connection = fairy.dbapi_connection
        assert dbapi_connection is not None  # a connection just taken from the engine
        dbapi_connection.autocommit = True
        # Closed properly when its thread ends or the process exits, not left to the collector.
        weakref.finalize(fairy, dbapi_connection.close)
        self.local.held = (engine, fairy)
        return fairy

    def _drop(self) -> None:
        held = getattr(self.local, "held", None)
        self.local.held = None
        if held is not None:
            with contextlib.suppress(Exception):
                held[1].close()


_version_reader = _VersionReader()


def catalogue_version() -> int:
    """The number of committed catalogue changes so far (asked on every page served from cache)."""
    if db.engine.dialect.name == "postgresql":
        return _version_reader.read(db.engine)
    # SQLite: a read on the request's own connection costs next to nothing. Plain SQL, because
    # building an ORM query costs more than running it.
    return db.session.connection().exec_driver_sql(VERSION_SQL).scalar() or 0


# Cached catalogue pages are keyed by it, so none is older than the last committed change.
pagecache.add_version(catalogue_version)

"""A page cache for the public catalogue pages, for visitors who are not signed in.

Pages of the views marked `cached_page` are kept per app process, keyed by their full path and
the catalogue version: a counter in the database that every transaction changing a catalogue
entry increments (a `before_flush` hook below), so a cached page is never older than the last
committed change on any machine. A view may add to the key what else its page reads (search
pages: the version of the search index they were computed from). What
differs between visitors is kept out: only anonymous visitors with an empty inquiry basket and
no pending messages are served from the cache, and the CSRF token in forms is filled in for each
response. Entries also expire after PAGE_CACHE_SECONDS, which bounds how stale the manufacturer's
"typically replies within" line (computed from inquiries, which do not bump the version) can be.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

import sqlalchemy as sa
from flask import Flask, Response, current_app, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Mapped, Session, mapped_column

from catalogue.extensions import db
from catalogue.supplies.models import (
    Approval,
    Category,
    Document,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
)

WATCHED = (Product, Manufacturer, Approval, Category, PerformanceResult, ProductSpecimen, Document)
TOKEN_PLACEHOLDER = "\x1fcsrf-token\x1f"  # noqa: S105 (a marker, not a secret)


class CatalogueVersion(db.Model):
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
        fairy.dbapi_connection.autocommit = True
        # Closed properly when its thread ends or the process exits, not left to the collector.
        weakref.finalize(fairy, fairy.dbapi_connection.close)
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


class PageCache:
    def __init__(self, size: int, seconds: float):
        self.size, self.seconds = size, seconds
        self.pages: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key) -> str | None:
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or time.monotonic() - entry[0] > self.seconds:
                return None
            self.pages.move_to_end(key)
            return entry[1]

    def put(self, key, body: str) -> None:
        with self.lock:
            self.pages[key] = (time.monotonic(), body)
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not session.get("basket")
        and "_flashes" not in session
    )


def install(app: Flask) -> None:
    """Keep pages for the views marked `cached_page` (PAGE_CACHE_SIZE > 0)."""
    if app.config.get("PAGE_CACHE_SIZE", 0) > 0:
        app.extensions["page_cache"] = PageCache(
            app.config["PAGE_CACHE_SIZE"], app.config["PAGE_CACHE_SECONDS"]
        )


def cached_page(variant: Callable[[], Hashable | None] | None = None):
    """Serve the view's page from the cache when the visitor allows it.

    `variant` returns what else the page depends on besides the database's catalogue (the search
    index's version, say), or None when the page should not be kept just now.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            cache = current_app.extensions.get("page_cache")
            if cache is None or not _cacheable():
                return view(*args, **kwargs)
            extra = variant() if variant else ()
            if extra is None:
                return view(*args, **kwargs)
            key = (request.full_path, catalogue_version(), extra)
            body = cache.get(key)
            if body is not None:
                if TOKEN_PLACEHOLDER in body:
                    body = body.replace(TOKEN_PLACEHOLDER, generate_csrf())
                hit = Response(body, mimetype="text/html")
                hit.headers["X-Page-Cache"] = "hit"
                return hit
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200 and response.mimetype == "text/html":
                body = response.get_data(as_text=True)
                cache.put(key, body.replace(generate_csrf(), TOKEN_PLACEHOLDER))
            return response

        return wrapper

    return decorate

"""A page cache for the public catalogue pages, for visitors who are not signed in.

Pages are kept per app process, keyed by their full path and the catalogue version: a counter in
the database that every transaction changing a catalogue entry increments (a `before_flush` hook
below), so a cached page is never older than the last committed change on any machine. What
differs between visitors is kept out: only anonymous visitors with an empty inquiry basket and
no pending messages are served from the cache, and the CSRF token in forms is filled in for each
response. Entries also expire after PAGE_CACHE_SECONDS, which bounds how stale the manufacturer's
"typically replies within" line (computed from inquiries, which do not bump the version) can be.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
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


def catalogue_version() -> int:
    return (
        db.session.scalar(sa.select(CatalogueVersion.version).where(CatalogueVersion.id == 1)) or 0
    )


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
        and "page_cache" in current_app.extensions
        and not current_user.is_authenticated
        and not session.get("basket")
        and "_flashes" not in session
    )


def install(app: Flask, endpoints: set[str]) -> None:
    """Serve these endpoints from the cache when the visitor allows it (PAGE_CACHE_SIZE > 0)."""
    if app.config.get("PAGE_CACHE_SIZE", 0) <= 0:
        return
    app.extensions["page_cache"] = PageCache(
        app.config["PAGE_CACHE_SIZE"], app.config["PAGE_CACHE_SECONDS"]
    )

    @app.before_request
    def serve_cached():
        if request.endpoint not in endpoints or not _cacheable():
            return None
        g.page_cache_key = (request.full_path, catalogue_version())
        body = current_app.extensions["page_cache"].get(g.page_cache_key)
        if body is None:
            return None
        g.page_cache_hit = True
        response = Response(body.replace(TOKEN_PLACEHOLDER, generate_csrf()), mimetype="text/html")
        response.headers["X-Page-Cache"] = "hit"
        return response

    @app.after_request
    def store_page(response):
        key = g.get("page_cache_key")
        if key is None or g.get("page_cache_hit") or response.status_code != 200:
            return response
        if response.mimetype == "text/html" and not response.direct_passthrough:
            body = response.get_data(as_text=True)
            token = generate_csrf()
            current_app.extensions["page_cache"].put(key, body.replace(token, TOKEN_PLACEHOLDER))
        return response

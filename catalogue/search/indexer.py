"""Keeping the index in step with the database.

1. Every flush that touches a watched model (see `registry.REGISTRY`) writes search-change
   rows in the same transaction, so a change reaches the index if and only if it commits.
2. `apply_pending_changes()` reloads the documents named by rows newer than the index's
   watermark and writes them. One process per machine does it at a time (a non-blocking
   file lock on the index directory); the others skip the turn. Every app process runs it
   every SEARCH_INDEX_INTERVAL seconds in a background thread (unless SEARCH_INDEXER is off,
   when `flask search indexer` runs the same loop as a process of its own), so the work
   carries on if the process holding the lock dies, and an index that was down catches up
   from its watermark.
3. `rebuild_index()` builds a fresh generation aside and swaps it in; it also runs when the
   index is missing, unreadable, or older than the retained change rows.

Several app machines each keep their own index on local disk and read the same change rows,
so they converge independently; rows are pruned after SEARCH_CHANGE_RETENTION_DAYS.

Bulk `UPDATE`/`DELETE` statements bypass the ORM's flush events: follow them with
`flask search reindex`.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from catalogue.extensions import db
from catalogue.lib.dates import today
from catalogue.search.models import SearchChange
from catalogue.search.registry import REGISTRY, all_documents, documents
from catalogue.search.store import BrokenIndex, SearchIndex, get_index, schema_is_current
from catalogue.supplies.models import Approval

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# A change id missing below the watermark may belong to a transaction still committing
# (PostgreSQL hands out ids before commit); it is looked for again this long.
GAP_WAIT_SECONDS = 300
# A rebuild re-applies changes this recent, in case their transaction was still open.
REBUILD_OVERLAP = timedelta(seconds=60)


def current_index() -> SearchIndex:
    return get_index(current_app.config["SEARCH_INDEX_DIR"])


# --- 1. Recording changes ----------------------------------------------------------------------


def _record_changes(session: Session, _flush_context) -> None:
    touched: set[tuple[str, int]] = set()
    dirty = (obj for obj in session.dirty if session.is_modified(obj))
    for obj in chain(session.new, dirty, session.deleted):
        for doc_type in REGISTRY.values():
            affected = doc_type.watches.get(type(obj))
            if affected is None:
                continue
            for doc_id in affected(session.connection(), obj):
                if doc_id is not None:
                    touched.add((doc_type.name, doc_id))
    if touched:
        session.connection().execute(
            sa.insert(SearchChange),
            [{"doc_type": t, "doc_id": i} for t, i in sorted(touched)],
        )


def listen_for_changes() -> None:
    if not sa.event.contains(Session, "after_flush", _record_changes):
        sa.event.listen(Session, "after_flush", _record_changes)


# --- 2. Applying them --------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _latest_change_id(before: datetime | None = None) -> int:
    stmt = sa.select(sa.func.max(SearchChange.id))
    if before is not None:
        stmt = stmt.where(SearchChange.created_at < before)
    return db.session.scalar(stmt) or 0


def _too_old(state: dict) -> bool:
    days = current_app.config["SEARCH_CHANGE_RETENTION_DAYS"]
    applied = datetime.fromisoformat(state.get("applied_at", "1970-01-01T00:00:00+00:00"))
    return _now() - applied > timedelta(days=days) - timedelta(hours=1)


def _quiet_for_an_hour(state: dict) -> bool:
    """True when the state's "applied_at" is an hour old (it is refreshed for `_too_old`)."""
    applied = datetime.fromisoformat(state.get("applied_at", "1970-01-01T00:00:00+00:00"))
    return _now() - applied > timedelta(hours=1)


def apply_pending_changes(blocking: bool = False) -> int | None:
    """Applies committed changes not yet in this machine's index.

    Returns the number of change rows applied, or None when another process is writing.
    Rebuilds instead when the index is missing, broken or too far behind.
    """
    ix = current_index()
    with ix.writer_lock(blocking) as mine:
        if not mine:
            return None
        state = ix.read_state()
        if state is None or _too_old(state) or not schema_is_current(state):
            _rebuild_locked(ix)
            return 0
        try:
            return _apply_locked(ix, state)
        except BrokenIndex:
            logger.warning("Search index unreadable; rebuilding it")
            _rebuild_locked(ix)
            return 0
        finally:
            db.session.rollback()


def _apply_locked(ix: SearchIndex, state: dict) -> int:
    watermark = state.get("watermark", 0)
    now = time.time()
    gaps = {int(k): v for k, v in state.get("gaps", {}).items() if now - v < GAP_WAIT_SECONDS}
    condition = SearchChange.id > watermark
    if gaps:
        condition = sa.or_(condition, SearchChange.id.in_(list(gaps)))
    rows = db.session.execute(
        sa.select(SearchChange.id, SearchChange.doc_type, SearchChange.doc_id)
        .where(condition)
        .order_by(SearchChange.id)
        .limit(BATCH_SIZE)
    ).all()
    expired = _expired_since(state)
    if (
        not rows
        and not expired
        and len(gaps) == len(state.get("gaps", {}))
        and not _quiet_for_an_hour(state)
        and state.get("as_of") == today().isoformat()
    ):
        return 0  # nothing new: leave the state file alone
    seen = {row.id for row in rows}
    for found in seen & set(gaps):
        del gaps[found]
    new_watermark = max([watermark, *(r.id for r in rows if r.id > watermark)])
    for missing in range(watermark + 1, new_watermark):
        if missing not in seen and len(gaps) < 10_000:
            gaps[missing] = now

    wanted: dict[str, set[int]] = {}
    if expired:
        wanted["product"] = set(expired)
    for row in rows:
        wanted.setdefault(row.doc_type, set()).add(row.doc_id)
    upserts: list[dict] = []
    deletes: list[str] = []
    for type_name, ids in wanted.items():
        doc_type = REGISTRY.get(type_name)
        if doc_type is None:
            continue  # a type no longer indexed
        found = {doc["key"]: doc for doc in documents(doc_type, sorted(ids))}
        upserts += found.values()
        deletes += [key for key in (f"{type_name}:{i}" for i in ids) if key not in found]
    ix.apply(
        upserts,
        deletes,
        {
            **state,
            "watermark": new_watermark,
            "gaps": {str(k): v for k, v in gaps.items()},
            "applied_at": _now().isoformat(),
            "as_of": today().isoformat(),
        },
    )
    if rows:
        logger.info("Search index: applied %d changes (%d documents)", len(rows), len(upserts))
    return len(rows)


def _expired_since(state: dict) -> list[int]:
    """Products with an approval that expired since the index last looked at the date: no
    change row marks an expiry, yet it takes the approval out of the facets."""
    as_of = state.get("as_of")
    if as_of is None or as_of >= today().isoformat():
        return []
    stmt = sa.select(Approval.product_id).where(
        Approval.valid_until >= datetime.fromisoformat(as_of).date(),
        Approval.valid_until < today(),
    )
    return sorted(set(db.session.scalars(stmt)))


def rebuild_index() -> int:
    """Rebuilds the whole index from the database (waits for the writer lock)."""
    ix = current_index()
    with ix.writer_lock(blocking=True):
        try:
            return _rebuild_locked(ix)
        finally:
            db.session.rollback()


def _rebuild_locked(ix: SearchIndex) -> int:
    started = _now()
    watermark = _latest_change_id(before=started - REBUILD_OVERLAP)
    count = ix.rebuild(
        all_documents(),
        {
            "watermark": watermark,
            "gaps": {},
            "built_at": started.isoformat(),
            "applied_at": started.isoformat(),
            "as_of": today().isoformat(),
        },
    )
    return count


def prune_changes() -> int:
    """Deletes change rows older than the retention period; returns how many."""
    cutoff = _now() - timedelta(days=current_app.config["SEARCH_CHANGE_RETENTION_DAYS"])
    result = db.session.execute(sa.delete(SearchChange).where(SearchChange.created_at < cutoff))
    return cast(sa.CursorResult, result).rowcount or 0


def ensure_index() -> bool:
    """At start-up: rebuilds a missing or unreadable index. True if the index was fine."""
    ix = current_index()
    try:
        ix.check()
        return True
    except BrokenIndex as problem:
        logger.warning("Search index needs a rebuild (%s)", problem)
    with ix.writer_lock() as mine:
        if mine:
            try:
                _rebuild_locked(ix)
            finally:
                db.session.rollback()
    return False


# --- Status --------------------------------------------------------------------------------------


def index_status() -> dict:
    """Index document counts against the database's, for /healthz and the staff."""
    database = {name: t.count() for name, t in REGISTRY.items()}
    ix = current_index()
    try:
        ix.check()
        indexed = ix.counts_by_type()
    except BrokenIndex as problem:
        return {"status": "unavailable", "problem": str(problem), "database": database}
    state = ix.read_state() or {}
    pending = db.session.scalar(
        sa.select(sa.func.count(SearchChange.id)).where(SearchChange.id > state.get("watermark", 0))
    )
    documents_ = {name: indexed.get(name, 0) for name in REGISTRY}
    in_step = documents_ == database
    return {
        "status": "ok" if in_step else ("catching_up" if pending else "out_of_step"),
        "documents": documents_,
        "database": database,
        "pending_changes": pending,
        "built_at": state.get("built_at"),
    }


# --- The background indexer ----------------------------------------------------------------------


class _Indexer:
    """The indexing loop: a daemon thread of each app process, started by its first request
    (never by CLI commands), or `flask search indexer` in the foreground."""

    def __init__(self, app: Flask):
        self.app = app
        self.thread: threading.Thread | None = None
        self.started = threading.Lock()
        self.stopping = threading.Event()
        self.last_prune = 0.0

    def start(self) -> None:
        with self.started:
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="search-indexer", daemon=True)
                self.thread.start()

    def run(self) -> None:
        """Loop until `stopping` is set; a pass under way finishes first."""
        interval = self.app.config["SEARCH_INDEX_INTERVAL"]
        with self.app.app_context():
            self._step(ensure_index)
        while not self.stopping.wait(interval):
            with self.app.app_context():
                self._step(apply_pending_changes)
                if time.monotonic() - self.last_prune > 3600:
                    self.last_prune = time.monotonic()
                    self._step(self._prune)

    @staticmethod
    def _prune() -> None:
        prune_changes()
        db.session.commit()

    @staticmethod
    def _step(fn) -> None:
        try:
            fn()
        except Exception:  # the loop must outlive a database or disk hiccup
            logger.exception("Search indexer step failed; retrying shortly")
        finally:
            db.session.remove()


def run_indexer(app: Flask) -> None:
    """Run the indexing loop in this (main) thread until SIGINT or SIGTERM."""
    indexer = _Indexer(app)

    def stop(_signum, _frame) -> None:
        indexer.stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        indexer.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def init_app(app: Flask) -> None:
    listen_for_changes()
    if app.config.get("TESTING") or not app.config.get("SEARCH_INDEXER", True):
        return  # tests drive apply_pending_changes() themselves
    indexer = _Indexer(app)

    @app.before_request
    def _start_indexer() -> None:
        if indexer.thread is None:
            indexer.start()

"""The index on disk: generations, the writer lock, state, and one handle per directory.

It knows nothing about the database: it is given documents (plain dicts, see
`catalogue.search.registry`), writes them as `catalogue.search.schema` says, and hands its
searchers to `catalogue.search.query` to answer queries.

On disk, SEARCH_INDEX_DIR holds generations of the index and a `current` symlink:

    SEARCH_INDEX_DIR/current -> gen-20261125T170000-1a2b3c/   (Whoosh files + state.json)
    SEARCH_INDEX_DIR/writer.lock                                 (one writer per machine)

A rebuild writes a new generation beside the live one and swaps the symlink with one
atomic rename, so readers never see a half-built index. `state.json` records the last
search-change row applied to that generation (see `catalogue.search.indexer`).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import logging
import os
import shutil
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from whoosh import query, scoring
from whoosh.filedb.filestore import FileStorage

from catalogue.search.query import QueryEngine, Results
from catalogue.search.schema import SCHEMA_VERSION, build_schema, whoosh_doc

logger = logging.getLogger(__name__)

# How often a reader checks whether the writer committed (seconds).
REFRESH_INTERVAL = 0.5
# Left in a generation whose files failed to read: every process stops reading it (the
# database answers) and the indexer rebuilds it, as it does a missing index.
DAMAGED = "damaged"


@contextlib.contextmanager
def _quiet_leaks():
    """Whoosh leaves a file open when it fails to read a damaged index; close it quietly.

    Yields a list: append to it on failure. Only then is garbage collected (a full collection
    takes tens of milliseconds).
    """
    failures: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield failures
        if failures:
            gc.collect()


def _storage(gen: Path) -> FileStorage:
    # Plain reads, never mmap: a segment file truncated under a reader then raises an error
    # that search survives (falling back to the database) instead of a SIGBUS that kills the
    # whole worker and every request in it.
    return FileStorage(str(gen), supports_mmap=False)


class BrokenIndex(Exception):
    """The index is missing or unreadable; search falls back to the database meanwhile."""


class SearchIndex:
    """One index directory: generations, the writer lock, a cached searcher per thread."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.current = self.root / "current"
        self._local = threading.local()
        self._open_lock = threading.Lock()
        self._open: list = []  # every searcher opened, so close() can release their files
        self._queries = QueryEngine()
        self._writes = 0  # bumped by this process's writes, so its readers look at once

    # Locking -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer_lock(self, blocking: bool = False) -> Iterator[bool]:
        """Yields True if this process may write now; only one writer per machine at a time."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "writer.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # State -------------------------------------------------------------------------------

    def generation_dir(self) -> Path | None:
        try:
            return self.current.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            return None

    def read_state(self) -> dict | None:
        """The current generation's state; None when there is none or it is marked damaged
        (either way the indexer rebuilds)."""
        gen = self.generation_dir()
        if gen is None or (gen / DAMAGED).exists():
            return None
        try:
            return json.loads((gen / "state.json").read_text())
        except (OSError, ValueError):
            return None

    def write_state(self, state: dict, gen: Path | None = None) -> None:
        gen = gen or self.generation_dir()
        if gen is None:
            raise BrokenIndex("no index")
        tmp = gen / "state.json.tmp"
        tmp.write_text(json.dumps(state))
        os.replace(tmp, gen / "state.json")

    def check(self) -> int:
        """The number of documents; raises BrokenIndex if the index is missing or unreadable,
        or was built with other fields than this code's."""
        gen = self.generation_dir()
        if gen is not None and (gen / DAMAGED).exists():
            raise BrokenIndex(f"damaged ({(gen / DAMAGED).read_text()})")
        state = self.read_state()
        if gen is None or state is None:
            raise BrokenIndex("missing")
        if not schema_is_current(state):
            raise BrokenIndex("built with an older schema")
        with _quiet_leaks() as failures:
            try:
                ix = _storage(gen).open_index()
                with ix.searcher() as searcher:
                    count = searcher.doc_count()
                    # Touch the term index and stored fields so a damaged file shows up here.
                    list(searcher.lexicon("type"))
                    if count:
                        searcher.stored_fields(0)
            except Exception as exc:  # any failure to read means "rebuild it"
                failures.append(f"{exc.__class__.__name__}: {exc}")
        if failures:
            raise BrokenIndex(failures[0])
        return count

    def counts_by_type(self) -> dict[str, int]:
        with self._reading():
            searcher = self.searcher()
            counts = {}
            for term in searcher.lexicon("type"):
                name = term.decode() if isinstance(term, bytes) else term
                # Counts live documents only (postings keep deleted ones until a merge).
                counts[name] = sum(1 for _ in searcher.docs_for_query(query.Term("type", name)))
            return counts

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Turns a failure while reading the index into BrokenIndex, so the caller answers from
        the database. A file damaged under an open searcher (truncated in place, say) fails
        here, not when the searcher opened: this thread's searcher is dropped, and if the
        index no longer opens cleanly its generation is marked damaged for a rebuild."""
        try:
            yield
        except BrokenIndex:
            raise
        except Exception as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
            logger.warning("Search index read failed (%s)", problem)
            self._drop_searcher()
            gen = self.generation_dir()
            try:
                self.check()
            except BrokenIndex as damage:
                if gen is not None and not (gen / DAMAGED).exists():
                    with contextlib.suppress(OSError):
                        (gen / DAMAGED).write_text(str(damage))
                    logger.error("Search index %s is damaged (%s); rebuilding it", gen, damage)
            raise BrokenIndex(problem) from exc

    def _drop_searcher(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        self._local.searcher = None
        if searcher is not None:
            with self._open_lock, warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                self._open = [s for s in self._open if s is not searcher]
                with contextlib.suppress(Exception):
                    searcher.close()

    def close(self) -> None:
        """Closes every searcher this handle opened (used when an app or a test ends)."""
        with self._open_lock:
            for searcher in self._open:
                searcher.close()
            self._open = []
        self._queries.clear()
        self._local = threading.local()

    # Writing -----------------------------------------------------------------------------

    def rebuild(self, documents: Iterable[dict], state: dict) -> int:
        """Builds a new generation from all documents, then makes it current atomically.

        The caller holds `writer_lock`. Returns the number of documents written.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        gen = self.root / f"gen-{stamp}-{os.urandom(3).hex()}"
        gen.mkdir()
        try:
            state = {**state, "schema": SCHEMA_VERSION}
            ix = _storage(gen).create_index(build_schema())
            writer = ix.writer(limitmb=256, procs=1)
            count = 0
            # Best-documented first: a bounded search on a large index meets them first.
            for doc in sorted(documents, key=lambda d: -d.get("rank", 0)):
                writer.add_document(**whoosh_doc(doc))
                count += 1
            writer.commit(optimize=True)
            self.write_state(state, gen)
            link = self.root / f".current-{os.getpid()}"
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
            link.symlink_to(gen.name)
            os.replace(link, self.current)  # the atomic swap
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        self._writes += 1
        self._remove_old_generations(keep=gen)
        logger.info("Search index rebuilt: %d documents in %s", count, gen.name)
        return count

    def _remove_old_generations(self, keep: Path) -> None:
        # Readers that still have the old files open keep reading them (POSIX unlink semantics).
        for old in self.root.glob("gen-*"):
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)

    def apply(self, upserts: list[dict], deletes: list[str], state: dict) -> None:
        """Writes changed documents and removes gone ones in one commit (caller holds the lock)."""
        gen = self.generation_dir()
        if gen is None:
            raise BrokenIndex("missing")
        if upserts or deletes:
            ix = _storage(gen).open_index()
            writer = ix.writer(timeout=5.0)
            try:
                for key in deletes:
                    writer.delete_by_term("key", key)
                for doc in upserts:
                    writer.update_document(**whoosh_doc(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            self._writes += 1
        self.write_state(state, gen)

    # Reading -----------------------------------------------------------------------------

    def searcher(self):
        """A long-lived searcher for this thread, reopened only when the index changed."""
        local = self._local
        now = time.monotonic()
        cached = getattr(local, "searcher", None)
        if (
            cached is not None
            and now - local.checked < REFRESH_INTERVAL
            and local.writes == self._writes
        ):
            return cached
        gen = self.generation_dir()
        if gen is None:
            raise BrokenIndex("missing")
        with _quiet_leaks() as failures:
            try:
                self._open_searcher(local, cached, gen)
            except Exception as exc:
                failures.append(f"{exc.__class__.__name__}: {exc}")
        if failures:
            local.searcher = None
            raise BrokenIndex(failures[0])
        local.checked = now
        local.writes = self._writes
        return local.searcher

    def version(self) -> tuple[str, int]:
        """What this thread's searcher reads: the generation and Whoosh's commit number in it.

        Anything computed from the index stays right while this stays the same.
        """
        searcher = self.searcher()
        return self._local.gen.name, searcher.reader().generation()

    def _open_searcher(self, local, cached, gen) -> None:
        if (gen / DAMAGED).exists():
            raise BrokenIndex("damaged: being rebuilt")
        if cached is not None and local.gen == gen and cached.up_to_date():
            return
        if not schema_is_current(self.read_state()):
            # Its fields are not the ones queries use: the database answers until a rebuild.
            raise BrokenIndex("built with an older schema")
        # A fresh searcher, not Searcher.refresh(): refresh reuses segment readers whose
        # deletions changed, so updated documents would show twice.
        local.searcher = _storage(gen).open_index().searcher(weighting=scoring.BM25F())
        local.gen = gen
        with self._open_lock:
            if cached is not None:
                cached.close()
                self._open = [s for s in self._open if s is not cached]
            self._open.append(local.searcher)

    # Querying ----------------------------------------------------------------------------

    def search(
        self,
        text: str,
        filters: dict[str, list[str]] | None = None,
        doc_type: str | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        snippets: bool = True,
        minimums: dict[str, float] | None = None,
    ) -> Results:
        """One page of hits for a query (see `QueryEngine.search`)."""
        with self._reading():
            return self._queries.search(
                self.searcher(), text, filters, doc_type, sort, page, per_page, snippets, minimums
            )

    def suggest(self, prefix: str, limit: int = 8) -> list[dict]:
        """Documents whose title has words starting with each word typed (2+ characters)."""
        with self._reading():
            return self._queries.suggest(self.searcher(), prefix, limit)

    def facet_counts(
        self,
        text: str,
        filters: dict[str, list[str]],
        minimums: dict[str, float] | None = None,
    ) -> dict[str, Counter]:
        """Per facet, value → products matching the query and the *other* facets' filters."""
        with self._reading():
            searcher = self.searcher()
            return self._queries.facet_counts(
                searcher, str(self._local.gen), text, filters, minimums
            )


def schema_is_current(state: dict | None) -> bool:
    """True if an index with this state was built with the fields this code queries."""
    return state is not None and state.get("schema") == SCHEMA_VERSION


_indexes: dict[str, SearchIndex] = {}
_indexes_lock = threading.Lock()


def close_index(root: str) -> None:
    with _indexes_lock:
        ix = _indexes.pop(root, None)
    if ix is not None:
        ix.close()


def get_index(root: str) -> SearchIndex:
    """The process-wide handle on an index directory (keeps its searchers and caches)."""
    with _indexes_lock:
        ix = _indexes.get(root)
        if ix is None:
            ix = _indexes[root] = SearchIndex(root)
        return ix

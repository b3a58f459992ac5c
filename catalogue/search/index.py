"""The Whoosh index: schema, text analysis, building, updating and querying.

This is the only module that imports Whoosh. It knows nothing about the database: it is
given documents (plain dicts, see `catalogue.search.documents`) and answers queries with
document keys, stored fields and snippets.

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
import functools
import gc
import json
import logging
import os
import re
import shutil
import threading
import time
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup, escape
from whoosh import collectors, highlight, index, qparser, query, scoring
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    NgramWordAnalyzer,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

logger = logging.getLogger(__name__)

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")
FACET_FIELDS = ("category", "approval", "specimen", "technology", "manufacturer")
SORTS = ("relevance", "name", "newest")
# Below this many documents exact totals are cheap; above it a broad query reports "about N".
EXACT_COUNT_LIMIT = 10_000
# How often a reader checks whether the writer committed (seconds).
REFRESH_INTERVAL = 0.5
PARSED_CACHE_SIZE = 2048
# On an index larger than EXACT_COUNT_LIMIT, a relevance search scores at most this many matches.
MAX_SCORED = 1000
FILTER_BOOST = 1e-6
# ...and a word found in more than this share of documents stops being required: it narrows
# almost nothing, barely changes the ranking, and walking its postings is the slow part.
COMMON_TERM_SHARE = 0.2
SNIPPET_SOURCE_CHARS = 4000


# --- Text analysis -------------------------------------------------------------------------

# A word, or words joined by hyphens or slashes ("RT-PCR", "2019-nCoV", "SARS-CoV-2").
_WORD = re.compile(r"[^\W_]+(?:[-/‐][^\W_]+)*")
_JOINERS = re.compile(r"[-/‐]")
# In the combined `text` field, "\x1e4\x1e" starts a section whose words weigh 4.
_SECTION = re.compile(r"\x1e([0-9.]+)\x1e|[^\x1e]+")
SECTION_GAP = 100  # positions between sections, so a phrase never spans two of them


class CompoundTokenizer(Tokenizer):
    """Splits text into words; a joined word also yields its parts and its parts run together.

    "RT-PCR" gives "RT", "PCR" and "RTPCR", so `RT-PCR`, `rt pcr` and `rtpcr` all match it.
    """

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        boost = 1.0
        for section in _SECTION.finditer(value):
            if section.group(1) is not None:  # a section marker: new weight, position gap
                boost = float(section.group(1))
                pos += SECTION_GAP
                continue
            for token in self._words(t, section, pos, boost, chars, keeporiginal, start_char):
                pos = token.pos + 1 if positions else pos + 1
                yield token

    @staticmethod
    def _words(t, section, pos, boost, chars, keeporiginal, start_char):
        for match in _WORD.finditer(section.group(0)):
            offset = section.start()
            word = match.group(0)
            pieces = [(word, match.start(), match.end())]
            parts_or_word = pieces
            if _JOINERS.search(word):
                parts = [
                    (part.group(0), match.start() + part.start(), match.start() + part.end())
                    for part in re.finditer(r"[^\W_]+", word)
                ]
                pieces = parts_or_word = parts
                if t.mode != "query":  # the query's parts, ANDed, already match it
                    merged = "".join(p[0] for p in parts)
                    pieces = [*parts, (merged, match.start(), match.end())]
            first_pos = pos
            for i, (text, start, end) in enumerate(pieces):
                is_merged = len(pieces) > len(parts_or_word) and i == len(pieces) - 1
                t.text = text
                t.boost = boost
                t.stopped = False
                if keeporiginal:
                    t.original = text
                # The run-together form sits where the compound starts.
                t.pos = first_pos if is_merged else pos
                if chars:
                    t.startchar = start_char + offset + start
                    t.endchar = start_char + offset + end
                if not is_merged:
                    pos += 1
                yield t


def _read_synonyms(path: Path) -> list[list[str]]:
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append([p.strip().lower() for p in line.split(",") if p.strip()])
    return groups


class SynonymFilter(Filter):
    """Adds a group's canonical word beside any member ("Ag" also indexes "antigen").

    At query time a one-word member is replaced by the canonical word, which every document
    holding any member of the group carries. Multi-word members ("rapid test") are matched
    in documents here and rewritten in query text by `expand_phrases`.
    """

    is_morph = True  # spelling suggestions use the words as written

    def __init__(self, single: dict[str, str], phrases: dict[tuple[str, ...], str]):
        self.single = single
        self.phrases = phrases
        self.max_len = max((len(p) for p in phrases), default=1)

    def __call__(self, tokens):
        if not self.single and not self.phrases:
            yield from tokens
            return
        window: list[Token] = []
        for t in tokens:
            if t.mode == "query":
                canonical = self.single.get(t.text)
                if canonical:
                    t.text = canonical
                yield t
                continue
            window.append(t.copy())
            yield t
            canonical = self.single.get(t.text)
            if canonical and canonical != t.text:
                extra = t.copy()
                extra.text = canonical
                yield extra
            window = window[-self.max_len :]
            for n in range(2, len(window) + 1):
                canonical = self.phrases.get(tuple(x.text for x in window[-n:]))
                if canonical:
                    extra = window[-n].copy()
                    extra.text = canonical
                    if hasattr(t, "endchar") and hasattr(extra, "startchar"):
                        extra.endchar = t.endchar
                    yield extra


def _base_analyzer():
    return (
        CompoundTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=1, renumber=False)
        | StemFilter()
    )


def _synonym_tables(groups: list[list[str]]):
    """Member forms (as analysed) → the group's canonical word, for one- and multi-word members."""
    base = _base_analyzer()
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for group in groups:
        analysed = [tuple(t.text for t in base(member) if t.text) for member in group]
        # The canonical form is the group's first one-word member.
        canonical = next((a[0] for a in analysed if len(a) == 1), None)
        if canonical is None:
            continue
        for member, forms in zip(group, analysed, strict=True):
            if not forms:
                continue
            if len(forms) == 1 or " " not in member:
                single[forms[-1] if len(forms) > 1 else forms[0]] = canonical
            else:
                phrases[forms] = canonical
    return single, phrases


SYNONYM_GROUPS = _read_synonyms(SYNONYMS_FILE)
_SINGLE, _PHRASES = _synonym_tables(SYNONYM_GROUPS)


def _phrase_patterns() -> list[tuple[re.Pattern, str]]:
    """(pattern matching a multi-word member in query text, its group's canonical word)."""
    base = _base_analyzer()
    patterns = []
    for group in SYNONYM_GROUPS:
        for member in group:
            canonical = _PHRASES.get(tuple(t.text for t in base(member)))
            if " " in member and canonical:
                words = r"[\s-]+".join(map(re.escape, member.split()))
                patterns.append((re.compile(rf"(?<![\w\"]){words}(?![\w\"])", re.I), canonical))
    return patterns


_PHRASE_PATTERNS = _phrase_patterns()


def expand_phrases(text: str) -> str:
    """Rewrites a multi-word synonym in a query to "((phrase) OR canonical word)"."""
    for pattern, canonical in _PHRASE_PATTERNS:
        text = pattern.sub(lambda m, c=canonical: f"(({m.group(0)}) OR {c})", text)
    return text


def text_analyzer():
    return _base_analyzer() | SynonymFilter(_SINGLE, _PHRASES)


# --- Schema ----------------------------------------------------------------------------------

# Weights of each part of a document in the one searched field, `text`: product name and
# model number above manufacturer above category above the rest. Summing weighted term
# frequencies before BM25 saturation is what BM25F does, and one posting list per query word
# (instead of one per word and field) is what keeps broad queries fast.
BOOSTS = {"title": 4.0, "code": 4.0, "maker": 2.0, "category": 1.5, "body": 1.0}


def build_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        key=ID(stored=True, unique=True),
        type=ID(stored=True),
        slug=STORED,
        text=TEXT(analyzer=analyzer),
        # The whole name and model number, normalised: an exact match ranks first.
        exact=KEYWORD(commas=True, lowercase=False),
        # Indexed only for spelling suggestions of names ("did you mean").
        title=TEXT(analyzer=analyzer, stored=True, spelling=True),
        maker=TEXT(analyzer=analyzer, stored=True, spelling=True),
        code=STORED,
        category=STORED,
        body=STORED,
        complete=TEXT(analyzer=NgramWordAnalyzer(minsize=2, maxsize=15, at="start")),
        sort_name=ID(sortable=True),
        newest=NUMERIC(sortable=True, bits=64, signed=False),
        subtitle=STORED,
        **{
            f"f_{name}": KEYWORD(commas=True, stored=True, lowercase=False) for name in FACET_FIELDS
        },
    )


def _combined_text(doc: dict) -> str:
    return "".join(
        f"\x1e{boost:g}\x1e{doc.get(name) or ''}" for name, boost in BOOSTS.items() if doc.get(name)
    )


def exact_key(text: str | None) -> str:
    return " ".join(re.findall(r"[^\W_]+", (text or "").casefold()))


def _whoosh_doc(doc: dict) -> dict:
    """A registry document as the fields Whoosh stores."""
    out = {
        "key": doc["key"],
        "type": doc["type"],
        "slug": doc["slug"],
        "text": _combined_text(doc),
        "exact": ",".join(filter(None, (exact_key(doc["title"]), exact_key(doc.get("code"))))),
        "title": doc["title"],
        "code": doc.get("code") or "",
        "maker": doc.get("maker") or "",
        "category": doc.get("category") or "",
        "body": doc.get("body") or "",
        "complete": doc["title"],
        "sort_name": doc["title"].casefold(),
        "newest": int((doc.get("newest") or 0) * 1_000_000),  # microseconds: no ties
        "subtitle": doc.get("subtitle") or "",
    }
    for name in FACET_FIELDS:
        values = doc.get("facets", {}).get(name) or []
        if values:
            out[f"f_{name}"] = ",".join(v.replace(",", " ") for v in values)
    return out


# --- Results ---------------------------------------------------------------------------------


@dataclass
class Hit:
    key: str
    type: str
    slug: str
    title: str
    subtitle: str
    snippet: Markup
    score: float


@dataclass
class Results:
    hits: list[Hit]
    total: int
    exact: bool  # False: `total` is an estimate ("about N")
    page: int
    per_page: int
    corrected: str | None = None  # "did you mean"
    fuzzy: bool = False  # the hits are for `corrected` or a typo-tolerant match


class _MarkFormatter(highlight.Formatter):
    """Snippets as escaped text with <mark> around the matched words (nothing else unescaped)."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def _text(self, text):
        return str(escape(text))


_FRAGMENTER = highlight.ContextFragmenter(maxchars=160, surround=60)
_FORMATTER = _MarkFormatter()
_SCORER = highlight.BasicFragmentScorer()
_SNIPPET_ANALYZER = text_analyzer()


def _matched_words(q, searcher) -> set[str]:
    """The indexed words a query matched (fuzzy terms expanded), for highlighting."""
    with contextlib.suppress(Exception):
        return {
            text.decode() if isinstance(text, bytes) else text
            for fieldname, text in q.existing_terms(searcher.reader(), expand=True)
            if fieldname == "text"
        }
    return set()


@functools.lru_cache(maxsize=2048)
def _analysed(body: str) -> tuple[tuple[str, int, int], ...]:
    """The body's words as a query would read them, with their places in the body.

    Analysing is most of a snippet's cost, and the same bodies come back with every search for
    a popular word, so it is done once per body (per process, for the most recent bodies).
    """
    tokens = _SNIPPET_ANALYZER(body, chars=True, mode="query", removestops=False)
    return tuple((t.text, t.startchar, t.endchar) for t in tokens)


def _marked_tokens(body: str, words: set[str]) -> Iterator[Token]:
    token = Token(chars=True)  # one token, reused, as Whoosh's own tokenizers do
    for text, start, end in _analysed(body):
        token.text, token.startchar, token.endchar = text, start, end
        token.matched = text in words
        yield token


def _snippet(body: str, words: set[str]) -> Markup:
    """Up to two passages of the body around the matched words, the words in <mark>."""
    with contextlib.suppress(Exception):  # a snippet is a nicety, never an error
        body = body[:SNIPPET_SOURCE_CHARS]
        fragments = _FRAGMENTER.fragment_tokens(body, _marked_tokens(body, words))
        html = _FORMATTER(body, highlight.top_fragments(fragments, 2, _SCORER, highlight.FIRST))
        # _MarkFormatter escapes every piece of text; only its <mark> tags remain.
        return Markup(html)  # noqa: S704 (every piece escaped above)  # nosec B704
    return Markup("")


def _parser(schema, plain: bool = False) -> qparser.QueryParser:
    parser = qparser.QueryParser("text", schema=schema, group=qparser.AndGroup)
    # Users type words, phrases, AND/OR/NOT and brackets; no field, wildcard or range syntax.
    for plugin in (
        qparser.FieldsPlugin,
        qparser.WildcardPlugin,
        qparser.BoostPlugin,
        qparser.RangePlugin,
    ):
        parser.remove_plugin_class(plugin)
    if plain:
        for plugin in (qparser.OperatorsPlugin, qparser.PhrasePlugin, qparser.GroupPlugin):
            parser.remove_plugin_class(plugin)
    return parser


def _parse_text(schema, text: str):
    try:
        parsed = _parser(schema).parse(expand_phrases(text))
        if parsed is query.NullQuery:
            raise ValueError("nothing left to search")
        return parsed
    except Exception:
        # Broken syntax: search the words alone.
        words = " ".join(re.findall(r"[^\W_]+", text))
        return _parser(schema, plain=True).parse(words)


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


class _Enough(Exception):
    pass


class _BoundedCollector(collectors.WrappingCollector):
    """Stops a relevance search after `cap` matches: the best of the first matches."""

    def __init__(self, child, cap: int):
        self.child = child
        self.cap = cap
        self.seen = 0
        self.stopped = False

    def prepare(self, top_searcher, q, context):
        self.child.prepare(top_searcher, q, context)
        self.seen = 0
        self.stopped = False

    def collect(self, sub_docnum):
        result = self.child.collect(sub_docnum)
        self.seen += 1
        if self.seen >= self.cap:
            self.stopped = True
            raise _Enough
        return result


@dataclass
class _Run:
    query: object
    docs: list[tuple[int, float]]  # (docnum, score), best first, possibly repeated
    total: int
    exact: bool

    def page_docs(self, start: int, count: int) -> list[tuple[int, float]]:
        unique = list(dict.fromkeys(docnum for docnum, _score in self.docs))
        scores: dict[int, float] = {}
        for docnum, score in self.docs:
            scores.setdefault(docnum, score)
        return [(d, scores[d]) for d in unique[start : start + count]]


class BrokenIndex(Exception):
    """The index is missing or unreadable; search falls back to the database meanwhile."""


# --- The index on disk -------------------------------------------------------------------------


class SearchIndex:
    """One index directory: generations, the writer lock, a cached searcher per thread."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.current = self.root / "current"
        self._local = threading.local()
        self._facet_cache: OrderedDict = OrderedDict()
        self._facet_table: tuple[object, list] | None = None
        self._cache_lock = threading.Lock()
        self._open: list = []  # every searcher opened, so close() can release their files
        self._parsed: OrderedDict = OrderedDict()
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
        gen = self.generation_dir()
        if gen is None:
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
        """The number of documents; raises BrokenIndex if the index is missing or unreadable."""
        gen = self.generation_dir()
        if gen is None or self.read_state() is None:
            raise BrokenIndex("missing")
        with _quiet_leaks() as failures:
            try:
                ix = index.open_dir(str(gen))
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
        searcher = self.searcher()
        counts = {}
        for term in searcher.lexicon("type"):
            name = term.decode() if isinstance(term, bytes) else term
            # Counts live documents only (postings keep deleted ones until a merge).
            counts[name] = sum(1 for _ in searcher.docs_for_query(query.Term("type", name)))
        return counts

    def close(self) -> None:
        """Closes every searcher this handle opened (used when an app or a test ends)."""
        with self._cache_lock:
            for searcher in self._open:
                searcher.close()
            self._open = []
            self._facet_cache.clear()
            self._facet_table = None
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
            ix = index.create_in(str(gen), build_schema())
            writer = ix.writer(limitmb=256, procs=1)
            count = 0
            # Best-documented first: a bounded search on a large index meets them first.
            for doc in sorted(documents, key=lambda d: -d.get("rank", 0)):
                writer.add_document(**_whoosh_doc(doc))
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
            ix = index.open_dir(str(gen))
            writer = ix.writer(timeout=5.0)
            try:
                for key in deletes:
                    writer.delete_by_term("key", key)
                for doc in upserts:
                    writer.update_document(**_whoosh_doc(doc))
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
        if cached is not None and local.gen == gen and cached.up_to_date():
            return
        # A fresh searcher, not Searcher.refresh(): refresh reuses segment readers whose
        # deletions changed, so updated documents would show twice.
        local.searcher = index.open_dir(str(gen)).searcher(weighting=scoring.BM25F())
        local.gen = gen
        with self._cache_lock:
            if cached is not None:
                cached.close()
                self._open = [s for s in self._open if s is not cached]
            self._open.append(local.searcher)

    def _parse(self, searcher, text: str):
        """The query for a text, parsed once and kept (parsing costs as much as a search)."""
        if not text.strip():
            return query.Every()
        with self._cache_lock:
            parsed = self._parsed.get(text)
            if parsed is not None:
                self._parsed.move_to_end(text)
                return parsed
        parsed = _parse_text(searcher.schema, text)
        with self._cache_lock:
            self._parsed[text] = parsed
            while len(self._parsed) > PARSED_CACHE_SIZE:
                self._parsed.popitem(last=False)
        return parsed

    @staticmethod
    def _filter(filters: dict[str, list[str]], doc_type: str | None):
        # Near-zero boosts: filters select documents without changing their order (an exact
        # zero breaks Whoosh's block-quality skipping).
        # Only products carry facet values, so a facet filter needs no type clause.
        parts = []
        for name, values in filters.items():
            terms = [
                query.Term(f"f_{name}", v.replace(",", " "), boost=FILTER_BOOST) for v in values
            ]
            parts.append(query.Or(terms) if len(terms) > 1 else terms[0])
        if doc_type and not filters:
            parts.append(query.Term("type", doc_type, boost=FILTER_BOOST))
        return query.And(parts) if parts else None

    def search(
        self,
        text: str,
        filters: dict[str, list[str]] | None = None,
        doc_type: str | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        snippets: bool = True,
    ) -> Results:
        """One page of hits for a query, with a cheap total, typo fallback and "did you mean"."""
        filters = filters or {}
        searcher = self.searcher()
        parsed = self._parse(searcher, text)
        flt = self._filter(filters, doc_type)
        run = self._run(searcher, parsed, flt, sort, page, per_page, exact_key(text))
        corrected, fuzzy = None, False
        if run.total == 0 and text.strip():
            # Nothing matched: try the closest indexed spelling, then one-edit matching.
            corrected = self._correction(searcher, text)
            if corrected:
                retry = self._parse(searcher, corrected)
                run = self._run(searcher, retry, flt, sort, page, per_page, exact_key(corrected))
            if run.total == 0:
                fuzzy_q = _fuzzy(parsed)
                if fuzzy_q is not None:
                    run = self._run(searcher, fuzzy_q, flt, sort, page, per_page)
            fuzzy = run.total > 0
        words = _matched_words(run.query, searcher) if snippets else set()
        hits = []
        for docnum, score in run.page_docs((page - 1) * per_page, per_page):
            fields = searcher.stored_fields(docnum)
            hits.append(
                Hit(
                    key=fields["key"],
                    type=fields["type"],
                    slug=fields["slug"],
                    title=fields["title"],
                    subtitle=fields.get("subtitle", ""),
                    snippet=_snippet(fields.get("body") or "", words) if words else Markup(""),
                    score=score,
                )
            )
        return Results(hits, run.total, run.exact, page, per_page, corrected, fuzzy)

    def _run(self, searcher, q, flt, sort, page, per_page, key: str = "") -> _Run:
        """The top `page * per_page` matches and a total.

        Relevance order on a large index is bounded: at most MAX_SCORED matches are scored,
        taken in index order (a rebuild writes the best-documented entries first), and the
        total becomes an estimate. Documents whose whole name or model number equals the
        query are looked up separately and always come first.
        """
        limit = page * per_page
        large = searcher.doc_count() > EXACT_COUNT_LIMIT
        first: list[tuple[int, float]] = []
        if key and sort == "relevance":
            exact_q = query.Term("exact", key)
            found = searcher.search(query.And([exact_q, flt]) if flt else exact_q, limit=limit)
            first = [(hit.docnum, (hit.score or 0.0) + 1e6) for hit in found]
        if large:
            # Filters join the query as required clauses, so the matcher skips through their
            # postings instead of testing every match against a set.
            q = _without_common_terms(q, searcher)
            if flt is not None:
                q = flt if isinstance(q, query.Every) else query.And([q, flt])
                flt = None
        kwargs = {"filter": flt, "limit": limit}
        if sort == "name":
            kwargs["sortedby"] = "sort_name"
        elif sort == "newest":
            kwargs["sortedby"] = "newest"
            kwargs["reverse"] = True
        if sort == "relevance" and large:
            # The bound sits inside the filter, so it counts only matches that pass it.
            bounded = _BoundedCollector(collectors.TopCollector(limit=limit), MAX_SCORED)
            collector = collectors.FilterCollector(bounded, flt) if flt else bounded
            with contextlib.suppress(_Enough):
                searcher.search_with_collector(q, collector)
            results = collector.results()
        else:
            results = searcher.search(q, **kwargs)
        scored = results.scored_length()
        stopped = sort == "relevance" and large and bounded.stopped
        if scored < limit and not stopped:
            total, exact = scored, True
        elif not large:
            total, exact = len(results), True
        else:
            # A broad query on a large index: the estimate avoids visiting every match.
            total, exact = max(scored, results.estimated_length()), False
        docs = first + [(hit.docnum, hit.score or 0.0) for hit in results]
        return _Run(q, docs, total, exact)

    def _correction(self, searcher, text: str) -> str | None:
        """The query with each unknown word replaced by the closest indexed word, if any."""
        changed = False

        def replace(match: re.Match) -> str:
            nonlocal changed
            word = match.group(0)
            lower = word.lower()
            if (
                len(lower) < 3
                or lower.isdigit()
                or word in _OPERATORS
                or not list(_base_analyzer()(lower))  # a stop word
                or _known(searcher, lower)
            ):
                return word
            best = _closest(searcher, lower)
            if best is None:
                return word
            changed = True
            return best

        corrected = re.sub(r"[^\W_]+", replace, text)
        return corrected if changed else None

    def suggest(self, prefix: str, limit: int = 8) -> list[dict]:
        """Documents whose title has words starting with each word typed (2+ characters)."""
        searcher = self.searcher()
        words = [w.lower()[:15] for w in re.findall(r"[^\W_]+", prefix)][:6]
        if not words:
            return []
        q = query.And([query.Term("complete", w) for w in words])
        results = searcher.search(q, limit=limit, sortedby=["type", "sort_name"])
        return [
            {k: hit[k] for k in ("key", "type", "slug", "title", "subtitle")} for hit in results
        ]

    def facet_counts(self, text: str, filters: dict[str, list[str]]) -> dict[str, Counter]:
        """Per facet, value → products matching the query and the *other* facets' filters."""
        searcher = self.searcher()
        filter_key = tuple(sorted((k, tuple(v)) for k, v in filters.items()))
        cache_key = (str(self._local.gen), searcher.reader().generation(), text, filter_key)
        with self._cache_lock:
            if cache_key in self._facet_cache:
                self._facet_cache.move_to_end(cache_key)
                return self._facet_cache[cache_key]
        table = self._facet_values(searcher)
        products = query.And([self._parse(searcher, text), query.Term("type", "product")])
        docnums = searcher.docs_for_query(products)
        selected = {name: set(values) for name, values in filters.items()}
        counts = {name: Counter() for name in FACET_FIELDS}
        for docnum in docnums:
            values = table[docnum]
            if values is None:
                continue
            misses = [name for name, wanted in selected.items() if wanted.isdisjoint(values[name])]
            if len(misses) > 1:
                continue
            for name in FACET_FIELDS:
                if not misses or misses == [name]:
                    counts[name].update(values[name])
        with self._cache_lock:
            self._facet_cache[cache_key] = counts
            while len(self._facet_cache) > 256:
                self._facet_cache.popitem(last=False)
        return counts

    def _facet_values(self, searcher) -> list:
        """Per document number, its facet values (read once per index generation)."""
        key = (searcher.reader().generation(), searcher.doc_count_all(), str(self.generation_dir()))
        cached = self._facet_table
        if cached is not None and cached[0] == key:
            return cached[1]
        table: list = []
        shared: dict[tuple, dict] = {}
        for docnum in range(searcher.doc_count_all()):
            if searcher.reader().is_deleted(docnum):
                table.append(None)
                continue
            stored = searcher.stored_fields(docnum)
            if stored.get("type") != "product":
                table.append(None)
                continue
            # One shared dict per distinct combination: few objects for the collector to walk.
            values = {
                name: frozenset(filter(None, (stored.get(f"f_{name}") or "").split(",")))
                for name in FACET_FIELDS
            }
            signature = tuple(values[name] for name in FACET_FIELDS)
            table.append(shared.setdefault(signature, values))
        self._facet_table = (key, table)
        return table


_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
SPELLING_FIELDS = ("spell_title", "spell_maker")


def _closest(searcher, word: str) -> str | None:
    """The most frequent indexed word at the least edit distance (1, then 2), same first letter."""
    reader = searcher.reader()
    for distance in (1, 2):
        candidates: Counter = Counter()
        for fieldname in SPELLING_FIELDS:
            with contextlib.suppress(Exception):
                for term in reader.terms_within(fieldname, word, distance, prefix=1):
                    candidates[term] += reader.frequency(fieldname, term)
        if candidates:
            return max(candidates.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return None


def _known(searcher, word: str) -> bool:
    for fieldname in (*SPELLING_FIELDS, "body"):
        with contextlib.suppress(Exception):
            if searcher.reader().frequency(fieldname, word):
                return True
    return False


def _without_common_terms(q, searcher):
    """An AND of words without those most documents contain (when rarer words remain)."""
    if not isinstance(q, query.And):
        return q
    limit = COMMON_TERM_SHARE * searcher.doc_count()

    def common(sub) -> bool:
        return (
            isinstance(sub, query.Term)
            and sub.fieldname == "text"
            and searcher.doc_frequency("text", sub.text) > limit
        )

    kept = [sub for sub in q.subqueries if not common(sub)]
    if not kept:
        return q

    def frequency(sub) -> int:
        if isinstance(sub, query.Term):
            return searcher.doc_frequency(sub.fieldname, sub.text)
        return searcher.doc_count()

    # Rarest first: the intersection then skips through the longer lists.
    kept.sort(key=frequency)
    return query.And(kept) if len(kept) > 1 else kept[0]


def _fuzzy(q):
    """The query with every word made typo-tolerant (one edit, first letter kept)."""
    terms = list(q.iter_all_terms()) if hasattr(q, "iter_all_terms") else []
    if not terms:
        return None

    def convert(node):
        if isinstance(node, query.Term) and node.fieldname == "text":
            if len(node.text) < 4:
                return node
            return query.FuzzyTerm(
                node.fieldname, node.text, boost=node.boost, maxdist=1, prefixlength=1
            )
        return node.apply(convert) if hasattr(node, "apply") else node

    return convert(q)


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

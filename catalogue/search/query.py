"""Running queries: parsing, filters, bounded collection, totals, spelling, facets, suggestions.

`QueryEngine` answers from a Whoosh searcher that `catalogue.search.store` opens; it keeps parsed
queries and facet tables between calls. Results are document keys, stored fields and snippets.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

from markupsafe import Markup
from whoosh import collectors, qparser, query, sorting

from catalogue.search.analysis import base_analyzer, expand_phrases, text_analyzer
from catalogue.search.schema import (
    FACET_FIELDS,
    FILTER_FIELDS,
    HEADLINE_FIELDS,
    complete_words,
    exact_key,
    percent_key,
)
from catalogue.search.snippets import matched_words, snippet

SORTS = ("relevance", "name", "newest", "sensitivity", "specificity")
# An approval filter and an evidence filter together ask for one approval that is both.
LINKED = {"approval": "evidence", "evidence": "approval"}
# Below this many documents exact totals are cheap; above it a broad query reports "about N".
EXACT_COUNT_LIMIT = 10_000
PARSED_CACHE_SIZE = 2048
# On an index larger than EXACT_COUNT_LIMIT, a relevance search scores at most this many matches.
MAX_SCORED = 1000
FILTER_BOOST = 1e-6
# ...and a word found in more than this share of documents stops being required: it narrows
# almost nothing, barely changes the ranking, and walking its postings is the slow part.
COMMON_TERM_SHARE = 0.2


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


class QueryEngine:
    """Answers queries from the searchers of one index, keeping what is costly to recompute."""

    def __init__(self):
        self._lock = threading.Lock()
        self._parsed: OrderedDict = OrderedDict()
        self._facet_cache: OrderedDict = OrderedDict()
        self._facet_table: tuple[object, list] | None = None

    def clear(self) -> None:
        """Forgets facet counts and values (their index is closing)."""
        with self._lock:
            self._facet_cache.clear()
            self._facet_table = None

    def _parse(self, searcher, text: str):
        """The query for a text, parsed once and kept (parsing costs as much as a search)."""
        if not text.strip():
            return query.Every()
        with self._lock:
            parsed = self._parsed.get(text)
            if parsed is not None:
                self._parsed.move_to_end(text)
                return parsed
        parsed = _parse_text(searcher.schema, text)
        with self._lock:
            self._parsed[text] = parsed
            while len(self._parsed) > PARSED_CACHE_SIZE:
                self._parsed.popitem(last=False)
        return parsed

    @staticmethod
    def _filter(
        filters: dict[str, list[str]],
        doc_type: str | None,
        minimums: dict[str, float] | None = None,
    ):
        # Near-zero boosts: filters select documents without changing their order (an exact
        # zero breaks Whoosh's block-quality skipping).
        # Only products carry facet values and figures, so those filters need no type clause.
        parts = []
        for name, values in _filter_terms(filters).items():
            terms = [
                query.Term(f"f_{name}", v.replace(",", " "), boost=FILTER_BOOST) for v in values
            ]
            parts.append(query.Or(terms) if len(terms) > 1 else terms[0])
        parts += _minimum_ranges(minimums)
        if doc_type and not parts:
            parts.append(query.Term("type", doc_type, boost=FILTER_BOOST))
        return query.And(parts) if parts else None

    def search(
        self,
        searcher,
        text: str,
        filters: dict[str, list[str]] | None = None,
        doc_type: str | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        snippets: bool = True,
        minimums: dict[str, float] | None = None,
    ) -> Results:
        """One page of hits for a query, with a cheap total, typo fallback and "did you mean"."""
        filters = filters or {}
        parsed = self._parse(searcher, text)
        flt = self._filter(filters, doc_type, minimums)
        run = self._run(searcher, parsed, flt, sort, page, per_page, exact_key(text))
        corrected, fuzzy = None, False
        if run.total == 0 and text.strip():
            # Nothing matched: try the closest indexed spelling, then one-edit matching.
            corrected = self._correction(searcher, text)
            if corrected:
                retry = self._parse(searcher, corrected)
                run = self._run(searcher, retry, flt, sort, page, per_page, exact_key(corrected))
                if run.total == 0:
                    corrected = None  # a spelling that finds nothing either is no suggestion
            if run.total == 0:
                fuzzy_q = _fuzzy(parsed)
                if fuzzy_q is not None:
                    run = self._run(searcher, fuzzy_q, flt, sort, page, per_page)
            fuzzy = run.total > 0
        words = matched_words(run.query, searcher) if snippets else set()
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
                    snippet=snippet(fields.get("body") or "", words) if words else Markup(""),
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
        elif sort in HEADLINE_FIELDS:
            # Highest figure first; documents without one hold 0 and come last, by name.
            kwargs["sortedby"] = sorting.MultiFacet(
                [
                    sorting.FieldFacet(HEADLINE_FIELDS[sort], reverse=True),
                    sorting.FieldFacet("sort_name"),
                ]
            )
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
                or not lower.isascii()  # another script, or accents: not an English typo
                or word in _OPERATORS
                or not list(base_analyzer()(lower))  # a stop word
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

    def suggest(self, searcher, prefix: str, limit: int = 8) -> list[dict]:
        """Documents whose title or model number has a word starting with each word typed."""
        words = complete_words(prefix)
        if not words:
            return []
        q = query.And([query.Term("complete", w) for w in words])
        results = searcher.search(q, limit=limit, sortedby=["type", "sort_name"])
        return [
            {k: hit[k] for k in ("key", "type", "slug", "title", "subtitle")} for hit in results
        ]

    def facet_counts(
        self,
        searcher,
        generation: str,
        text: str,
        filters: dict[str, list[str]],
        minimums: dict[str, float] | None = None,
    ) -> dict[str, Counter]:
        """Per facet, value → products matching the query, the minimums and the *other*
        facets' filters.

        `generation` names the index generation the searcher reads (part of the cache keys).
        """
        filter_key = tuple(sorted((k, tuple(v)) for k, v in filters.items()))
        minimum_key = tuple(sorted((minimums or {}).items()))
        cache_key = (generation, searcher.reader().generation(), text, filter_key, minimum_key)
        with self._lock:
            if cache_key in self._facet_cache:
                self._facet_cache.move_to_end(cache_key)
                return self._facet_cache[cache_key]
        table = self._facet_values(searcher, generation)
        base = [self._parse(searcher, text), query.Term("type", "product")]
        docnums = searcher.docs_for_query(query.And(base + _minimum_ranges(minimums)))
        selected = {name: set(values) for name, values in filters.items()}
        # Documents share one dict per distinct combination of values: count each once.
        combinations: Counter[int] = Counter()
        by_id = {}
        for docnum in docnums:
            values = table[docnum]
            if values is not None:
                combinations[id(values)] += 1
                by_id[id(values)] = values
        counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
        for key, times in combinations.items():
            values = by_id[key]
            for name in FACET_FIELDS:
                # Counted as if this facet's own selection were cleared.
                others = {k: v for k, v in selected.items() if k != name}
                if all(_values(values, f, others) & wanted for f, wanted in others.items()):
                    counts[name].update(dict.fromkeys(_values(values, name, others), times))
        with self._lock:
            self._facet_cache[cache_key] = counts
            while len(self._facet_cache) > 256:
                self._facet_cache.popitem(last=False)
        return counts

    def _facet_values(self, searcher, generation: str) -> list:
        """Per document number, its facet values (read once per index generation)."""
        key = (searcher.reader().generation(), searcher.doc_count_all(), generation)
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
                for name in FILTER_FIELDS
            }
            signature = tuple(values[name] for name in FILTER_FIELDS)
            table.append(shared.setdefault(signature, values))
        self._facet_table = (key, table)
        return table


def _filter_terms(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """The filters as indexed field values; an approval filter and an evidence filter become
    one filter on the pairs, so that a single approval must match both."""
    if not all(filters.get(name) for name in LINKED):
        return filters
    out = {k: v for k, v in filters.items() if k not in LINKED}
    out["approval_evidence"] = [
        f"{a}:{e}" for a in filters["approval"] for e in filters["evidence"]
    ]
    return out


def _values(values: dict[str, frozenset], facet: str, selected: dict[str, set]) -> frozenset:
    """A document's values of a facet, given the selection of the facet linked to it: with
    "evidence: verified" chosen, only its verified approvals' authorities count."""
    other = LINKED.get(facet)
    if other is None or not selected.get(other):
        return values[facet]
    pairs = (pair.split(":", 1) for pair in values["approval_evidence"])
    mine = 0 if facet == "approval" else 1
    return frozenset(pair[mine] for pair in pairs if pair[1 - mine] in selected[other])


def _minimum_ranges(minimums: dict[str, float] | None) -> list:
    return [
        query.NumericRange(HEADLINE_FIELDS[figure], percent_key(low), None, boost=FILTER_BOOST)
        for figure, low in (minimums or {}).items()
    ]


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
    # A word the index holds in any language, as analysed ("rapida", "antigeno" -> "antigen").
    analysed = [t.text for t in text_analyzer()(word, mode="query") if t.text]
    with contextlib.suppress(Exception):
        return bool(analysed) and all(searcher.reader().frequency("text", a) for a in analysed)
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

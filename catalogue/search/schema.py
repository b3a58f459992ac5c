"""The index schema: the fields of an index entry, their weights, and a document as those fields.

Documents come from `catalogue.search.registry`; `whoosh_doc` turns one into what Whoosh stores.
"""

from __future__ import annotations

import re

from whoosh.analysis import NgramWordAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from catalogue.search.analysis import text_analyzer

FACET_FIELDS = (
    "category",
    "approval",
    "evidence",
    "reporter",
    "specimen",
    "technology",
    "manufacturer",
)
# Fields filtered on besides the facets: "approval_evidence" holds "authority:state" of each
# current approval, as an approval filter combined with an evidence filter needs one approval
# that is both.
FILTER_FIELDS = (*FACET_FIELDS, "approval_evidence")
# The headline figures of a product (see Product.headline_performance), for minimums and sorting.
HEADLINE_FIELDS = {"sensitivity": "headline_sensitivity", "specificity": "headline_specificity"}
# Bumped whenever the fields change: an index built with another version is rebuilt.
SCHEMA_VERSION = 4  # 4: translated prose; Chinese/Korean pairs, Arabic, Russian
# Typeahead: every word of a name or model number is indexed by each of its beginnings, from one
# character ("STANDARD Q" is "standard" and "q"), and a typed text matches when each of its
# words begins a word of the same entry. Words are split as the analyzer's tokenizer splits them.
_COMPLETE = NgramWordAnalyzer(minsize=1, maxsize=15, at="start")
_COMPLETE_WORD = re.compile(r"\w+(?:\.?\w+)*")

# Weights of each part of a document in the one searched field, `text`: product name and
# model number above manufacturer above category above the rest. Summing weighted term
# frequencies before BM25 saturation is what BM25F does, and one posting list per query word
# (instead of one per word and field) is what keeps broad queries fast.
# "translated": the prose of a document in the other interface languages (searched, not shown).
BOOSTS = {
    "title": 4.0,
    "code": 4.0,
    "maker": 2.0,
    "category": 1.5,
    "body": 1.0,
    "translated": 1.0,
}


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
        complete=TEXT(analyzer=_COMPLETE),
        sort_name=ID(sortable=True),
        newest=NUMERIC(sortable=True, bits=64, signed=False),
        subtitle=STORED,
        **{
            f"f_{name}": KEYWORD(commas=True, stored=True, lowercase=False)
            for name in FILTER_FIELDS
        },
        **{
            field: NUMERIC(int, bits=32, signed=False, sortable=True)
            for field in HEADLINE_FIELDS.values()
        },
    )


def _combined_text(doc: dict) -> str:
    return "".join(
        f"\x1e{boost:g}\x1e{doc.get(name) or ''}" for name, boost in BOOSTS.items() if doc.get(name)
    )


def percent_key(value: float | None) -> int:
    """A percentage as an indexed whole number: hundredths plus one, 0 for "no figure" (so a
    figure of 0 % still sorts above a product without one)."""
    return 0 if value is None else round(value * 100) + 1


def complete_words(text: str, limit: int = 6) -> list[str]:
    """The words of a typed text as the typeahead looks them up (at most `limit`)."""
    return [w.lower()[:15] for w in _COMPLETE_WORD.findall(text)][:limit]


def exact_key(text: str | None) -> str:
    return " ".join(re.findall(r"[^\W_]+", (text or "").casefold()))


def whoosh_doc(doc: dict) -> dict:
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
        "complete": f"{doc['title']} {doc.get('code') or ''}",
        "sort_name": doc["title"].casefold(),
        "newest": int((doc.get("newest") or 0) * 1_000_000),  # microseconds: no ties
        "subtitle": doc.get("subtitle") or "",
    }
    for name in FILTER_FIELDS:
        values = doc.get("facets", {}).get(name) or []
        if values:
            out[f"f_{name}"] = ",".join(v.replace(",", " ") for v in values)
    headline = doc.get("headline") or {}
    for figure, field in HEADLINE_FIELDS.items():
        out[field] = percent_key(headline.get(figure))
    return out

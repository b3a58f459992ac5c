"""Snippets: the passages of a result's body around the words a query matched, marked up."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh.analysis import Token

from catalogue.search.analysis import text_analyzer

SNIPPET_SOURCE_CHARS = 4000


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


def matched_words(q, searcher) -> set[str]:
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


def snippet(body: str, words: set[str]) -> Markup:
    """Up to two passages of the body around the matched words, the words in <mark>."""
    with contextlib.suppress(Exception):  # a snippet is a nicety, never an error
        body = body[:SNIPPET_SOURCE_CHARS]
        fragments = _FRAGMENTER.fragment_tokens(body, _marked_tokens(body, words))
        html = _FORMATTER(body, highlight.top_fragments(fragments, 2, _SCORER, highlight.FIRST))
        # _MarkFormatter escapes every piece of text; only its <mark> tags remain.
        return Markup(html)  # noqa: S704 (every piece escaped above)  # nosec B704
    return Markup("")

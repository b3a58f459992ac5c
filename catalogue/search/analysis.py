"""Text analysis: how names, model numbers and bodies become index words, and synonyms.

The same analyzer reads documents and queries, so "RT-PCR", "rt pcr" and "rtpcr" meet, and a
synonym group (synonyms.txt) makes any member find the others.
"""

from __future__ import annotations

import re
from pathlib import Path

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.support.charset import accent_map

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")

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


def base_analyzer():
    return (
        CompoundTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=1, renumber=False)
        | StemFilter()
    )


def _synonym_tables(groups: list[list[str]]):
    """Member forms (as analysed) → the group's canonical word, for one- and multi-word members."""
    base = base_analyzer()
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
    base = base_analyzer()
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
        # mypy cannot infer a lambda with a default argument (python/mypy#15459)
        text = pattern.sub(lambda m, c=canonical: f"(({m.group(0)}) OR {c})", text)  # type: ignore[misc]
    return text


def text_analyzer():
    return base_analyzer() | SynonymFilter(_SINGLE, _PHRASES)

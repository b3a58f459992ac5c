"""Text analysis: how names, model numbers and bodies become index words, and synonyms.

The same analyzer reads documents and queries, so "RT-PCR", "rt pcr" and "rtpcr" meet, and a
synonym group (synonyms.txt) makes any member find the others.

Content comes in the interface languages too (translations of descriptions): Chinese and Korean
text is indexed as overlapping pairs of characters (no spaces to split words at), and every
word is folded: case, accents, Russian ё, Arabic vowel marks and letter variants, and the
Arabic article "ال".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from whoosh.analysis import (
    STOP_WORDS,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.lang.porter import stem as _porter
from whoosh.lang.snowball.russian import RussianStemmer
from whoosh.support.charset import accent_map

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")

# A word, or words joined by hyphens or slashes ("RT-PCR", "2019-nCoV", "SARS-CoV-2").
_WORD = re.compile(r"[^\W_]+(?:[-/‐][^\W_]+)*")
_JOINERS = re.compile(r"[-/‐]")
# In the combined `text` field, "\x1e4\x1e" starts a section whose words weigh 4.
_SECTION = re.compile(r"\x1e([0-9.]+)\x1e|[^\x1e]+")
SECTION_GAP = 100  # positions between sections, so a phrase never spans two of them
# Scripts written without spaces between words (Han, kana, Hangul): indexed as character pairs.
_CJK_CHARS = (
    "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)
_CJK = re.compile(f"[{_CJK_CHARS}]")
_CJK_OR_OTHER = re.compile(f"[{_CJK_CHARS}]+|[^\\W_{_CJK_CHARS}]+")
# Arabic: vowel marks and the tatweel go; alef, yeh and teh marbuta variants become one letter.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_ARABIC_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# Besides English stop words, the commonest function words of the Latin and Cyrillic interface
# languages ("kit de PCR", "набор для ПЦР"): a query must not require them.
STOP_WORDS_ALL = STOP_WORDS | {
    "de", "del", "la", "las", "el", "los", "le", "les", "des", "du", "d", "l", "para", "pour",
    "por", "par", "y", "et", "en", "un", "una", "une", "и", "в", "на", "для", "с",
}  # fmt: skip


def _cjk_pieces(word: str, offset: int) -> list[tuple[str, int, int]]:
    """(text, start, end) of a word holding Chinese or Korean: each run of those characters as
    overlapping pairs ("抗原检测": "抗原", "原检", "检测"), other letters and digits as words."""
    pieces = []
    for run in _CJK_OR_OTHER.finditer(word):
        text, start = run.group(0), offset + run.start()
        if not _CJK.match(text) or len(text) == 1:
            pieces.append((text, start, start + len(text)))
            continue
        pieces += [(text[i : i + 2], start + i, start + i + 2) for i in range(len(text) - 1)]
    return pieces


def fold_text(text: str) -> str:
    """Text as every script's words are compared: compatibility forms, Russian ё as е, Arabic
    without vowel marks and with one form of alef, yeh and teh marbuta (case and Latin accents
    are folded by the analyzer's other filters)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("ё", "е").replace("Ё", "Е")
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)


class FoldFilter(Filter):
    """`fold_text` on each word, and the Arabic article taken off ("المستضد" -> "مستضد")."""

    def __call__(self, tokens):
        for t in tokens:
            text = fold_text(t.text)
            for article in _ARABIC_ARTICLES:
                if text.startswith(article) and len(text) - len(article) >= 3:
                    text = text[len(article) :]
                    break
            t.text = text
            yield t


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
            if _CJK.search(word):
                pieces = parts_or_word = _cjk_pieces(word, match.start())
            elif _JOINERS.search(word):
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


@functools.lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    if _CYRILLIC.search(word):
        return _russian.stem(word)
    return _porter(word)


_russian = RussianStemmer()


class ScriptStemFilter(Filter):
    """Stems Russian words as Russian ("антигена" -> "антиг") and the others as English."""

    is_morph = True

    def __call__(self, tokens):
        for t in tokens:
            if not t.stopped:
                t.text = _stem(t.text)
            yield t


def base_analyzer():
    return (
        CompoundTokenizer()
        | LowercaseFilter()
        | FoldFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS_ALL, minsize=1, renumber=False)
        | ScriptStemFilter()
    )


def _is_compound(member: str) -> bool:
    """A member written as one joined word ("covid-19"), matched by its run-together form."""
    return " " not in member and not _CJK.search(member)


def _synonym_tables(groups: list[list[str]]):
    """Member forms (as analysed) → the group's canonical word, for one- and multi-word members.

    The canonical word is the group's first one-word member; a group of phrases only ("rapid
    antigen, prueba rápida de antígeno, 抗原快速检测") is indexed under its first member run
    together ("rapidantigen")."""
    base = base_analyzer()
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for group in groups:
        analysed = [tuple(t.text for t in base(member) if t.text) for member in group]
        canonical = next((a[0] for a in analysed if len(a) == 1), None)
        if canonical is None and analysed and analysed[0]:
            joined = [t.text for t in base("".join(analysed[0])) if t.text]
            canonical = joined[0] if len(joined) == 1 else None
        if canonical is None:
            continue
        # Query text names the canonical word as written ("... OR rapidantigen"): it must
        # analyse to itself.
        again = [t.text for t in base(canonical) if t.text]
        if len(again) == 1 and again[0] != canonical:
            single.setdefault(again[0], canonical)
        for member, forms in zip(group, analysed, strict=True):
            if not forms:
                continue
            if len(forms) == 1:
                single[forms[0]] = canonical
            elif _is_compound(member):
                single[forms[-1]] = canonical
            else:
                phrases[forms] = canonical
    return single, phrases


SYNONYM_GROUPS = _read_synonyms(SYNONYMS_FILE)
_SINGLE, _PHRASES = _synonym_tables(SYNONYM_GROUPS)


def fold_query(text: str) -> str:
    """Query text with the folds the analyzer applies to words, but not case (AND, OR and NOT
    are operators): "test antigenique rapide" meets "test antigénique rapide". Marks come off
    Latin letters only ("й" stays a letter of its own)."""
    kept = []
    base = ""
    for char in unicodedata.normalize("NFD", fold_text(text)):
        if unicodedata.combining(char):
            if base < "\u0250":  # Latin (and ASCII): drop the accent
                continue
        else:
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _member_pattern(member: str) -> str:
    words = r"[\s-]+".join(map(re.escape, fold_query(member).split()))
    # Chinese and Korean words run into the next ones ("抗原快速检测试剂"): no boundary there.
    before = "" if _CJK.match(member) else r"(?<![\w\"])"
    after = "" if _CJK.match(member[-1]) else r"(?![\w\"])"
    return f"{before}{words}{after}"


def _phrase_pattern() -> tuple[re.Pattern | None, list[str]]:
    """One pattern matching any multi-word member in query text (longest first), and the
    canonical word of each of its groups, in order."""
    base = base_analyzer()
    members = []
    for group in SYNONYM_GROUPS:
        for member in group:
            forms = tuple(t.text for t in base(member) if t.text)
            canonical = _PHRASES.get(forms) or (len(forms) > 1 and _SINGLE.get(forms[-1]))
            # Joined words of other scripts too: "ОТ-ПЦР" asks for "от" and "пцр", and English
            # documents hold neither.
            if canonical and (not _is_compound(member) or not member.isascii()):
                members.append((member, canonical))
    members.sort(key=lambda mc: -len(mc[0]))
    if not members:
        return None, []
    alternatives = "|".join(f"({_member_pattern(m)})" for m, _c in members)
    return re.compile(alternatives, re.I), [c for _m, c in members]


_PHRASE_PATTERN, _PHRASE_CANONICAL = _phrase_pattern()


def expand_phrases(text: str) -> str:
    """Rewrites a multi-word synonym in a query to "((phrase) OR canonical word)"."""
    if _PHRASE_PATTERN is None:
        return text

    def expand(match: re.Match) -> str:
        canonical = _PHRASE_CANONICAL[(match.lastindex or 1) - 1]
        return f"(({match.group(0)}) OR {canonical})"

    return _PHRASE_PATTERN.sub(expand, fold_query(text))


def text_analyzer():
    return base_analyzer() | SynonymFilter(_SINGLE, _PHRASES)

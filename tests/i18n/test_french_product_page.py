"""No untranslated English on the French product page: every visible text (and every label a
screen reader reads) is either French from the catalogue or a fact as entered (a product or
company name, an approval's wording, a source), or English shown on purpose and marked lang="en"
(a description with its "available in English only" note)."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from catalogue.extensions import db
from catalogue.i18n.check import TRANSLATIONS
from catalogue.supplies.models import AUTHORITIES, AUTHORITY_SHORT

PRODUCT = "standard-q-covid-19-ag-test"
# Proper names of the site itself, the same in every language.
NAMES = {"Cities Against COVID-19", "CAC", "Seoul", "OK"}
READ_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
SKIPPED_ELEMENTS = {"script", "style", "head", "template"}
VOID_ELEMENTS = {"br", "hr", "img", "input", "link", "meta", "source", "wbr"}


class VisibleText(HTMLParser):
    """Texts of the page and of its read-out attributes, outside elements in another language."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.texts: list[str] = []

    def _skipped(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        other_language = attributes.get("lang") not in (None, "fr")
        skipped = tag in SKIPPED_ELEMENTS or other_language
        if not self._skipped() and not skipped:
            self.texts.extend(attributes[a] for a in READ_ATTRIBUTES if attributes.get(a))
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.texts.append(data)


def _facts() -> list[str]:
    """Every text the database holds (facts as entered), but the portal's own headings."""
    found: set[str] = set()
    for table in db.metadata.sorted_tables:
        if table.name in ("categories", "users"):
            continue
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for value in row:
                found.update(v for v in _strings_in(value) if len(v) > 1)
    # The regulators' own designations ("WHO Emergency Use Listing") are names too.
    found.update(str(name) for name in (*AUTHORITIES.values(), *AUTHORITY_SHORT.values()))
    return sorted(found, key=len, reverse=True)


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings_in(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings_in(v)]
    return []


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ]{3,}", text)}


@pytest.fixture(scope="module")
def vocabularies():
    """Words of the English messages that no French message uses (so never French)."""
    french_words: set[str] = set()
    english_only: dict[str, str] = {}
    catalogue = _catalogue("fr")
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            french_words |= _words(re.sub(r"%\(\w+\)[sd]|<[^>]+>", " ", text or ""))
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            for word in _words(re.sub(r"%\(\w+\)[sd]|<[^>]+>", " ", text or "")):
                if word not in french_words:
                    english_only.setdefault(word, text)
    return english_only


def _leftover(text: str, facts: list[str]) -> str:
    text = re.sub(r"https?://\S+|\S+@\S+|[\w.-]+\.(com|org|net|kr|int)\b", " ", text)
    for fact in facts:
        if fact in text:
            text = text.replace(fact, " ")
    for name in NAMES:
        text = text.replace(name, " ")
    return text


def test_the_french_product_page_has_no_english_left(seeded_client, seeded_app, vocabularies):
    response = seeded_client.get(f"/supplies/products/{PRODUCT}", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page
    parser = VisibleText()
    parser.feed(page)
    assert len(parser.texts) > 100
    facts = _facts()
    english = []
    for text in parser.texts:
        if any(text.strip() in fact for fact in facts):
            continue  # a piece of a fact (a glossary link splits a source's wording)
        rest = _leftover(text, facts)
        words = sorted(w for w in _words(rest) if w in vocabularies)
        if words:
            english.append(f"{text.strip()[:80]!r}: {', '.join(words)}")
    assert english == [], "\n".join(english)


def test_the_check_would_see_an_english_label(seeded_client, vocabularies):
    """The test above can fail: the English page is full of words it looks for."""
    page = seeded_client.get(f"/supplies/products/{PRODUCT}?lang=en").get_data(as_text=True)
    parser = VisibleText()
    parser.feed(page.replace('lang="en"', 'lang="fr"'))
    facts = _facts()
    flagged = [t for t in parser.texts if _words(_leftover(t, facts)) & set(vocabularies)]
    assert len(flagged) > 30

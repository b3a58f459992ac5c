"""The translation catalogues: complete in every language (the same check as `make check`), and
the check itself notices what a translator can get wrong."""

import re
import shutil
from pathlib import Path

from catalogue.i18n import LANGUAGES
from catalogue.i18n.check import TRANSLATIONS, problems


def test_every_language_translates_every_message_with_its_placeholders():
    assert problems() == []


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def _replace_in_po(folder: Path, language: str, old: str, new: str) -> None:
    po = folder / language / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert old in text
    po.write_text(text.replace(old, new, 1), encoding="utf-8")


def _blank_in_po(folder: Path, language: str, msgid: str) -> None:
    po = folder / language / "LC_MESSAGES" / "messages.po"
    text, count = re.subn(
        rf'(msgid "{re.escape(msgid)}"\nmsgstr )"[^\n]*"', r'\1""', po.read_text(encoding="utf-8")
    )
    assert count == 1
    po.write_text(text, encoding="utf-8")


def test_the_check_finds_a_fuzzy_an_empty_and_a_mangled_message(tmp_path):
    folder = _copy(tmp_path)
    _replace_in_po(folder, "fr", 'msgid "Home"', '#, fuzzy\nmsgid "Home"')
    _blank_in_po(folder, "es", "News")
    _replace_in_po(
        folder, "ru", 'msgid "Format: YYYY-MM-DD, e.g. %(example)s"\nmsgstr "', 'msgid "Format: '
        'YYYY-MM-DD, e.g. %(example)s"\nmsgstr "%(sample)s ',
    )  # fmt: skip
    (folder / "zh" / "glossary.yaml").unlink()
    found = problems(folder, check_extraction=False)
    assert "fr: fuzzy 'Home'" in found
    assert "es: untranslated 'News'" in found
    assert any(f.startswith("ru: placeholders") and "Format" in f for f in found)
    assert "zh: no glossary.yaml of the trade's fixed terms" in found


def test_every_language_but_english_has_a_catalogue_and_a_glossary():
    for language in LANGUAGES:
        if language == "en":
            continue
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").exists()
        assert (TRANSLATIONS / language / "glossary.yaml").exists()

"""Are the interface's translations complete? `python -m catalogue.i18n.check` (in `make check`).

Fails when a message of the code or templates is missing from messages.pot (run `make
translations-update`), or when a language's catalogue lacks a message, leaves one empty or fuzzy,
or changes its placeholders (%(name)s) from the English ones. Each language also keeps a glossary
of the trade's fixed terms (glossary.yaml) that its translations follow.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from catalogue.i18n import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "catalogue" / "translations"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text) or [])


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def extracted_messages() -> set[str]:
    """The messages the code and templates hold now (first msgid of each)."""
    with tempfile.TemporaryDirectory() as folder:
        pot = Path(folder) / "messages.pot"
        CommandLineInterface().run(
            [
                "pybabel",
                "--quiet",
                "extract",
                "-F",
                str(ROOT / "babel.cfg"),
                "--ignore-dirs=.* __pycache__ static",
                "-k",
                "_l",
                "-k",
                "lazy_gettext",
                "-k",
                "lazy_ngettext:1,2",
                "-o",
                str(pot),
                str(ROOT),
            ]
        )
        with pot.open("rb") as f:
            return {_ids(m)[0] for m in read_po(f) if m.id}


def problems(translations: Path = TRANSLATIONS, check_extraction: bool = True) -> list[str]:
    found: list[str] = []
    with (translations / "messages.pot").open("rb") as f:
        template = {(_ids(m)[0]): m for m in read_po(f) if m.id}
    if check_extraction:
        missing = extracted_messages() - set(template)
        for text in sorted(missing)[:20]:
            found.append(f"messages.pot lacks {text!r} (run `make translations-update`)")
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        po_path = translations / language / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            found.append(f"{language}: no catalogue at {language}/LC_MESSAGES/messages.po")
            continue
        if not (translations / language / "glossary.yaml").exists():
            found.append(f"{language}: no glossary.yaml of the trade's fixed terms")
        with po_path.open("rb") as f:
            catalogue = {(_ids(m)[0]): m for m in read_po(f, locale=language) if m.id}
        for key, english in template.items():
            message = catalogue.get(key)
            if message is None:
                found.append(f"{language}: missing {key!r}")
                continue
            if message.fuzzy:
                found.append(f"{language}: fuzzy {key!r}")
            strings = _strings(message)
            if not all(strings):
                found.append(f"{language}: untranslated {key!r}")
                continue
            wanted = placeholders(_ids(english)[-1])
            for text in strings:
                have = placeholders(text)
                # A plural form may leave out the count (Arabic "one" is a word of its own).
                if have != wanted and sorted(set(have) | {"num"}) != sorted(set(wanted) | {"num"}):
                    found.append(f"{language}: placeholders {have} instead of {wanted} in {key!r}")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} translation problems")
        return 1
    print(f"Translations complete in {len(LANGUAGES) - 1} languages.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

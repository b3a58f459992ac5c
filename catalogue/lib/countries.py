"""ISO 3166-1 countries for select fields, named and sorted in the reader's language."""

import unicodedata
from functools import cache

import pycountry
from babel import Locale
from flask_babel import get_locale


@cache
def _english_choices() -> tuple[tuple[str, str], ...]:
    countries = sorted(pycountry.countries, key=lambda c: getattr(c, "common_name", c.name))
    return tuple((c.alpha_2, getattr(c, "common_name", c.name)) for c in countries)


def _sort_key(name: str) -> str:
    # Accents do not move a name to the end of the list ("Bélgica" before "Bután").
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@cache
def _choices_in(language: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(language).territories
    named = [(code, territories.get(code, name)) for code, name in _english_choices()]
    return tuple(sorted(named, key=lambda choice: _sort_key(choice[1])))


def country_choices() -> list[tuple[str, str]]:
    language = str(get_locale() or "en")
    if language == "en":
        return list(_english_choices())
    return list(_choices_in(language))


def country_name(code: str | None) -> str | None:
    """The English name (what records and CSV files keep); pages use i18n.formats.country_name."""
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", country.name) if country else code

"""ISO 3166-1 countries for select fields."""

from functools import cache

import pycountry


@cache
def country_choices() -> list[tuple[str, str]]:
    countries = sorted(pycountry.countries, key=lambda c: getattr(c, "common_name", c.name))
    return [(c.alpha_2, getattr(c, "common_name", c.name)) for c in countries]


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", country.name) if country else code

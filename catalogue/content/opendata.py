"""The Frictionless data package that describes the Daily Updates CSV (/daily-updates.csv):
its licence, its sources as seed/sources/korea-daily-2020.md gives them, and a table schema."""

from __future__ import annotations

from catalogue.content.models import REGIONS
from catalogue.content.services import (
    CSV_COLUMNS,
    DS4C_LICENCE_URL,
    REPORTING_CHANGE_DAY,
    REPORTING_NOTE,
    as_of,
)

DS4C_COMMIT = "47559dad0a1c9f349e11b33622138090b1cb477f"
ORIGINAL_COMMIT = "0101b8e8fa5ce6534e952dbfd3207744dbde4779"
SOURCES = [
    {
        "title": 'DS4C "Data Science for COVID-19" (Jihoo Kim et al.), compiled from KCDC press '
        f"releases: GitHub DSI-COVID/DS4C0701, Time.csv and TimeProvince.csv, commit {DS4C_COMMIT}",
        "path": f"https://github.com/DSI-COVID/DS4C0701/tree/{DS4C_COMMIT}",
    },
    {
        "title": "The DS4C snapshot up to 2020-07-01, published with Mettler, Kim & Maathuis, "
        "IJID 2020, doi:10.1016/j.ijid.2020.07.068",
        "path": "https://doi.org/10.1016/j.ijid.2020.07.068",
    },
    {
        "title": "The original DS4C repository, jihoo-kim/Data-Science-for-COVID-19 "
        f"(dataset/Time/Time.csv and TimeProvince.csv, commit {ORIGINAL_COMMIT}): the same "
        "figures for every date up to 2020-04-30",
        "path": f"https://github.com/jihoo-kim/Data-Science-for-COVID-19/tree/{ORIGINAL_COMMIT}",
    },
    {"title": "KCDC (Korea Centers for Disease Control and Prevention) press releases"},
]
LICENCE = {
    "name": "CC-BY-NC-SA-4.0",
    "title": "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
    "path": DS4C_LICENCE_URL,
}
DESCRIPTION = (
    "Daily COVID-19 figures for Seoul and for Korea as a whole, from the DS4C dataset, which "
    "compiles KCDC press releases; the values are copied from the source, not edited. "
    f"{REPORTING_NOTE} "
    "“Seoul” is KCDC's count by reporting region, not the city government's own tally. Known "
    "source quirks: Korea's cumulative count on 15 March 2020 is 8,126 in the source (KCDC "
    "announced 8,162); Seoul's released count falls by one on 30 March 2020, a correction in the "
    "source. Licensed under CC BY-NC-SA 4.0 (attribution, non-commercial, share-alike): credit "
    "DS4C (Jihoo Kim et al.) and KCDC."
)
COUNT = {"minimum": 0}
FIELDS = {
    "date": ("date", "The day of the figures (see as_of for the time of day)", {"required": True}),
    "region": (
        "string",
        "Seoul (KCDC's count by reporting region) or Korea (national)",
        {"required": True, "enum": list(REGIONS)},
    ),
    "new_confirmed": (
        "integer",
        "New confirmed cases: the cumulative count minus the previous day's (on the first day, "
        "the cumulative count itself)",
        COUNT,
    ),
    "cumulative_confirmed": ("integer", "Confirmed cases, cumulative", COUNT),
    "released": ("integer", "People released from isolation, cumulative", COUNT),
    "deaths": ("integer", "Deaths, cumulative", COUNT),
    "tests": (
        "integer",
        "People tested nationally since 2020-01-03, cumulative (positive, negative and "
        "pending); empty for Seoul, which the source does not give",
        COUNT,
    ),
    "source": ("string", "Where the row's figures come from, with their licence", {}),
    "as_of": (
        "string",
        f"When in the day the figures were taken (the reporting time changed on "
        f"{REPORTING_CHANGE_DAY.isoformat()})",
        {"enum": sorted({as_of(REPORTING_CHANGE_DAY.replace(day=1)), as_of(REPORTING_CHANGE_DAY)})},
    ),
}


def daily_datapackage(csv_urls: dict[str, str], homepage: str) -> dict:
    """The data package; `csv_urls` gives the CSV's absolute address for each region."""
    schema = {
        # A KeyError here means a CSV column was added without its description.
        "fields": [
            {"name": name, "type": FIELDS[name][0], "description": FIELDS[name][1]}
            | ({"constraints": FIELDS[name][2]} if FIELDS[name][2] else {})
            for name in CSV_COLUMNS
        ],
        "missingValues": [""],
        "primaryKey": ["date", "region"],
    }
    return {
        "profile": "tabular-data-package",
        "name": "cac-daily-updates",
        "title": "CAC Daily Updates: COVID-19 figures for Seoul and Korea",
        "description": DESCRIPTION,
        "homepage": homepage,
        "licenses": [LICENCE],
        "sources": SOURCES,
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": f"daily-{region.lower()}",
                "title": f"Daily figures, {region if region == 'Seoul' else 'Korea (national)'}",
                "path": csv_urls[region],
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "licenses": [LICENCE],
                "schema": schema,
            }
            for region in REGIONS
        ],
    }

"""CSV cells that are safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable
from typing import Any

# Spreadsheets run a cell that starts with one of these as a formula (tab and carriage return
# too, which some of them drop before looking).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula, with a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class SafeWriter:
    """A csv.writer whose every text cell goes through csv_safe, so that no column can be
    forgotten; numbers, dates written by the caller as ISO text and empty cells are unchanged."""

    def __init__(self, out, **options: Any):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_safe(c) if isinstance(c, str) else c for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **options: Any) -> SafeWriter:
    """Use this, never csv.writer, for every CSV the portal hands out."""
    return SafeWriter(out, **options)

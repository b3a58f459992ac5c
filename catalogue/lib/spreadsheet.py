"""CSV cells that are safe to open in a spreadsheet."""

# Spreadsheets run a cell that starts with one of these as a formula (tab and carriage return
# too, which some of them drop before looking).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula, with a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value

"""Text that goes into a mail header: one line, no control characters, bounded.

Subjects carry what buyers and makers type (an organisation, a maker's name). A line break in
them (CR, LF, NEL, U+2028, U+2029, a vertical tab…) would either make the message unbuildable or
start a header of the sender's choosing; an RFC 2047 encoded word ("=?utf-8?q?…?=") is decoded by
Python's email package *after* its line-break check, so it could smuggle one in too.
"""

from __future__ import annotations

import unicodedata

MAX_SUBJECT = 200
MAX_ADDRESS = 320  # an address (254) with a display name

# Control characters, lone surrogates, and the line and paragraph separators.
_BREAKING = {"Cc", "Cs", "Zl", "Zp"}


def header_text(value: str | None, limit: int = MAX_SUBJECT) -> str:
    """One line of plain text: breaking characters become spaces, runs of spaces one space,
    encoded words are defused, and a value over `limit` characters is cut with "…"."""
    text = "".join(" " if unicodedata.category(c) in _BREAKING else c for c in value or "")
    text = " ".join(text.split()).replace("=?", "= ?")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text

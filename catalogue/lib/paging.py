"""Reading page numbers and other integers from query arguments without 500s."""

from flask import abort, request
from flask_babel import gettext as _


def page_arg(name: str = "page") -> int:
    """The 1-based page number asked for; a malformed or absurd value is a 400."""
    raw = request.args.get(name, "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        abort(400, description=_("The page number must be a whole number from 1."))
    return int(raw)

"""Jinja filters and globals shared by every template."""

import re
from urllib.parse import urlencode

from flask import Flask, request, url_for
from markupsafe import Markup

from catalogue.lib.money import format_money

ON_REQUEST = Markup('<span class="on-request">on request</span>')

# Header navigation: (label, endpoint).
NAV_ITEMS = (
    ("Home", "content.home"),
    ("Mayor's Note", "content.mayors_note_list"),
    ("Daily Updates", "content.daily_updates"),
    ("Countermeasures", "content.countermeasures_list"),
    ("Cities Network", "content.cities_network"),
    ("News", "content.news_list"),
    ("Medical Supplies", "supplies.landing"),
)

_URL_RE = re.compile(r"https?://\S+")


def or_on_request(value):
    """Render an unknown fact as "on request", never as a blank or an invented value."""
    if value is None or value == "" or value == []:
        return ON_REQUEST
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def number(value) -> str:
    """12345 -> '12,345'; 99.0 -> '99'; 95.3 -> '95.3'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def source_link(source: str) -> Markup:
    """A public source as a safe external link where it holds a URL, as text otherwise."""
    match = _URL_RE.search(source)
    if not match:
        return Markup('<span class="source-ref">{}</span>').format(source)
    url = match.group(0)
    label = source.replace(url, "").strip(" ()") or None
    link = Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(url)
    if label:
        return link + Markup(' <span class="source-note">({})</span>').format(label)
    return link


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    query = urlencode(args, doseq=True)
    endpoint, view_args = request.endpoint, request.view_args
    assert endpoint is not None and view_args is not None  # pages of a matched route only
    return url_for(endpoint, **view_args) + (f"?{query}" if query else "")


def register(app: Flask) -> None:
    app.add_template_filter(or_on_request, "or_on_request")
    app.add_template_filter(number, "number")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(source_link, "source_link")
    app.jinja_env.globals["nav_items"] = NAV_ITEMS
    app.add_template_global(url_with)
    app.jinja_env.globals["on_request"] = ON_REQUEST

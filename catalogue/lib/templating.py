"""Jinja filters and globals shared by every template."""

import re
from urllib.parse import urlencode

from flask import Flask, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup


class _OnRequest:
    """The mark of an unknown fact, in the reader's language."""

    def __html__(self) -> str:
        return Markup('<span class="on-request">{}</span>').format(gettext("on request"))

    def __str__(self) -> str:
        return self.__html__()


ON_REQUEST = _OnRequest()

# Header navigation: (label, endpoint).
NAV_ITEMS = (
    (_l("Home"), "content.home"),
    (_l("Mayor's Note"), "content.mayors_note_list"),
    (_l("Daily Updates"), "content.daily_updates"),
    (_l("Countermeasures"), "content.countermeasures_list"),
    (_l("Cities Network"), "content.cities_network"),
    (_l("News"), "content.news_list"),
    (_l("Medical Supplies"), "supplies.landing"),
)

_URL_RE = re.compile(r"https?://\S+")


def or_on_request(value):
    """Render an unknown fact as "on request", never as a blank or an invented value."""
    if value is None or value == "" or value == []:
        return ON_REQUEST
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


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
    app.add_template_filter(source_link, "source_link")
    app.jinja_env.globals["nav_items"] = NAV_ITEMS
    app.add_template_global(url_with)
    app.jinja_env.globals["on_request"] = ON_REQUEST

"""Atom feeds (RFC 4287) written with ElementTree, which escapes every value.

Callers give absolute links (from SITE_URL, see lib/urls.py) and honest times: an entry's
`updated` is when the portal last changed it, and the feed's is the newest of its entries'.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from catalogue.lib.dates import aware, utcnow

ATOM_NS = "http://www.w3.org/2005/Atom"
MIMETYPE = "application/atom+xml"
# Characters XML 1.0 does not allow, even escaped: dropped so a stray one cannot break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Entry:
    key: str  # stable within the site ("product:12"), made into the entry's permanent id
    title: str
    link: str
    updated: datetime
    summary: str = ""
    categories: Sequence[str] = field(default_factory=tuple)


def entry_id(site: str, key: str) -> str:
    """A permanent id that survives a change of slug: a name-based UUID of the site and key."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{site}/{key}").urn


def _time(value: datetime) -> str:
    return aware(value).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def atom_feed(
    *, site: str, title: str, subtitle: str, author: str, self_url: str, page_url: str, entries
) -> bytes:
    """The feed document. With no entries, `updated` is the time it is written."""
    entries = list(entries)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    _add(feed, "subtitle", subtitle)
    newest = max((aware(e.updated) for e in entries), default=utcnow())
    _add(feed, "updated", _time(newest))
    _add(_add(feed, "author"), "name", author)
    _add(feed, "link", rel="self", type=MIMETYPE, href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    for item in entries:
        entry = _add(feed, "entry")
        _add(entry, "id", entry_id(site, item.key))
        _add(entry, "title", item.title)
        _add(entry, "link", rel="alternate", type="text/html", href=item.link)
        _add(entry, "updated", _time(item.updated))
        for term in item.categories:
            _add(entry, "category", term=term)
        if item.summary:
            _add(entry, "summary", item.summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

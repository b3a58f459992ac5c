"""A page cache for the public pages, for visitors who are not signed in.

Pages of the views marked `cached_page` are kept per app process (or in Redis, below), keyed by
their full path and the versions that features hand in with `add_version`: values that change with
every committed change to what the pages show (supplies hands in the catalogue version, a counter
in the database), so a cached page is never older than the last committed change on any machine. A
view may add to the key what else its page reads (search pages: the version of the search index
they were computed from). What differs between visitors is kept out: only anonymous visitors with
an empty inquiry basket and no pending messages are served from the cache, and the CSRF token in
forms is filled in for each response. A kept page holds a random marker of this process as the
value of its hidden token inputs, and only there is it replaced: no text of the page (a maker's
website, say) can make the cache write a visitor's token into it. Entries also expire after
PAGE_CACHE_SECONDS, which bounds how stale the manufacturer's "typically replies within" line
(computed from inquiries, which no version covers) can be.

With REDIS_URL set, pages are kept in Redis instead, under REDIS_KEY_PREFIX: one cache for
every process and machine of the site (each kept page carries the marker of the process that kept
it). Pages keyed by the search index's version stay per machine in effect, since each machine's
index generations have names of their own. When Redis cannot be reached, pages are rendered
uncached and the cache is tried again a few seconds later.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

import redis
from flask import Flask, Response, current_app, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

logger = logging.getLogger(__name__)

# Stands for the visitor's token in kept pages; random, so content cannot know or forge it.
_marker = secrets.token_hex(16)

# By name, so that every process keys its pages alike whatever order features registered in.
_versions: dict[str, Callable[[], Hashable]] = {}
# Session keys that make a visitor's pages their own (flashed messages; features add theirs).
_personal_keys: set[str] = {"_flashes"}


def add_version(version: Callable[[], Hashable]) -> None:
    """Key every cached page by version() too, asked on each request the cache serves (once,
    however many apps the process makes)."""
    _versions[f"{version.__module__}.{version.__qualname__}"] = version


def add_personal_session_key(key: str) -> None:
    """A visitor whose session holds a value under `key` is always served a fresh page."""
    _personal_keys.add(key)


class PageCache:
    """Pages kept in this process's memory, the least recently used dropped first."""

    def __init__(self, size: int, seconds: float):
        self.size, self.seconds = size, seconds
        self.pages: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key) -> tuple[str, str] | None:
        """The kept page's (marker, body), or None."""
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or time.monotonic() - entry[0] > self.seconds:
                return None
            self.pages.move_to_end(key)
            return _marker, entry[1]

    def put(self, key, body: str) -> None:
        with self.lock:
            self.pages[key] = (time.monotonic(), body)
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


class RedisPageCache:
    """Pages kept in Redis for PAGE_CACHE_SECONDS, shared by every process that uses it."""

    RETRY_SECONDS = 5.0  # after a failure, pages go uncached this long before Redis is tried again

    def __init__(self, url: str, prefix: str, seconds: float):
        # Short timeouts: an unreachable Redis must cost a page little more than no cache.
        self.redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix, self.seconds = f"{prefix}pagecache:", seconds
        self.retry_at = 0.0

    def get(self, key) -> tuple[str, str] | None:
        stored = self._call("get", self._name(key))
        if not stored:
            return None
        # The marker of the process that kept the page, then the page.
        text = stored.decode()
        return text[: len(_marker)], text[len(_marker) :]

    def put(self, key, body: str) -> None:
        ttl = max(1, round(self.seconds * 1000))
        self._call("set", self._name(key), (_marker + body).encode(), px=ttl)

    def _name(self, key) -> str:
        # A key holds the path, numbers and strings, whose repr is the same in every process.
        return self.prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    def _call(self, command: str, *args, **kwargs):
        if time.monotonic() < self.retry_at:
            return None
        try:
            return getattr(self.redis, command)(*args, **kwargs)
        except redis.RedisError as error:
            self.retry_at = time.monotonic() + self.RETRY_SECONDS
            logger.warning("Page cache unavailable, serving pages uncached (%s)", error)
            return None


def _swap_token(body: str, old: str, new: str) -> str:
    """`old` replaced by `new` as the value of the page's hidden CSRF token inputs, nowhere else.

    Text a user wrote cannot open or sit inside such a tag: templates escape it.
    """
    name = re.escape(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    inputs = re.compile(rf'<input\b[^<>]*\bname="{name}"[^<>]*>')
    return inputs.sub(lambda tag: tag.group(0).replace(f'value="{old}"', f'value="{new}"'), body)


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not any(session.get(key) for key in _personal_keys)
    )


def init_app(app: Flask) -> None:
    """Keep pages for the views marked `cached_page` (PAGE_CACHE_SIZE > 0): in Redis when
    REDIS_URL is set, otherwise in this process."""
    app.extensions.pop("page_cache", None)
    if app.config.get("PAGE_CACHE_SIZE", 0) <= 0:
        return
    seconds = app.config["PAGE_CACHE_SECONDS"]
    if app.config.get("REDIS_URL"):
        prefix = app.config["REDIS_KEY_PREFIX"]
        app.extensions["page_cache"] = RedisPageCache(app.config["REDIS_URL"], prefix, seconds)
    else:
        app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_SIZE"], seconds)


def cached_page(variant: Callable[[], Hashable | None] | None = None):
    """Serve the view's page from the cache when the visitor allows it.

    `variant` returns what else the page depends on besides the versions handed in (the search
    index's version, say), or None when the page should not be kept just now.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            cache = current_app.extensions.get("page_cache")
            if cache is None or not _cacheable():
                return view(*args, **kwargs)
            extra = variant() if variant else ()
            if extra is None:
                return view(*args, **kwargs)
            key = (request.full_path, *(_versions[name]() for name in sorted(_versions)), extra)
            kept = cache.get(key)
            if kept is not None:
                marker, body = kept
                if marker in body:
                    body = _swap_token(body, marker, generate_csrf())
                hit = Response(body, mimetype="text/html")
                hit.headers["X-Page-Cache"] = "hit"
                return hit
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200 and response.mimetype == "text/html":
                body = response.get_data(as_text=True)
                cache.put(key, _swap_token(body, generate_csrf(), _marker))
            return response

        return wrapper

    return decorate

"""HTML to PDF through WeasyPrint: the one module that imports it.

Print templates may only pull in the portal's own static files. Anything else a document names
(a `file://` path, a remote image, a data URL typed into a description) is refused without any
file or network access, so a PDF never leaks local files or calls out to the internet.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, SupportsInt, cast
from urllib.parse import unquote, urlsplit

import weasyprint
from flask import current_app, render_template
from weasyprint.text import ffi as weasyprint_libraries
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs in print templates resolve against this origin; the fetcher maps its /static/ paths
# to files under the app's static folder. The .invalid domain can never resolve to a real host.
BASE_URL = "https://portal.invalid/"
_STATIC_PREFIX = "/static/"


class RefusedURL(ValueError):
    """A document asked for something outside our static files."""


class StaticOnlyFetcher(URLFetcher):
    """Serves /static/... from the static folder and refuses every other URL."""

    def __init__(self, static_folder: str | Path):
        super().__init__(allowed_protocols=())
        self.static_root = Path(static_folder).resolve()

    def fetch(self, url, headers=None):
        path = self.static_path(url)
        if path is None:
            logger.warning("PDF export refused to fetch %.200s", url)
            raise RefusedURL(f"Only the portal's own static files may be used: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def static_path(self, url: str) -> Path | None:
        """The file a URL stands for, or None when it is not one of our static files."""
        parts = urlsplit(url)
        origin = urlsplit(BASE_URL)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            return None
        if not parts.path.startswith(_STATIC_PREFIX):
            return None
        path = (self.static_root / unquote(parts.path[len(_STATIC_PREFIX) :])).resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            return None
        return path


class Rendered(NamedTuple):
    data: bytes
    page_count: int


def html_to_pdf(html: str, on_page: Callable[[int], None] | None = None) -> Rendered:
    """Render an HTML string (from a print template) to PDF bytes, in this process.

    on_page, when given, is called with each page number as WeasyPrint lays the pages out.
    """
    static_folder = current_app.static_folder
    assert static_folder is not None  # create_app sets it
    return render_html(html, static_folder, on_page)


def render_html(
    html: str, static_folder: str | Path, on_page: Callable[[int], None] | None = None
) -> Rendered:
    """html_to_pdf without an app: what a render process (exports/renderer.py) runs."""
    fetcher = StaticOnlyFetcher(static_folder)
    source = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    handler = _PageProgress(on_page) if on_page else None
    if handler:
        _progress_logger.addHandler(handler)
    try:
        document = source.render(font_config=_font_config())
    finally:
        if handler:
            _progress_logger.removeHandler(handler)
    return Rendered(document.write_pdf(), len(document.pages))


# WeasyPrint makes a new font configuration (Fontconfig's font list and a Pango font map) for
# every document unless it is given one, and not all of it is freed: a long-lived render process
# grew by 0.3 to 1 MB a render. Each thread keeps one (Pango's font map is not thread-safe); the
# print templates use system fonts only (no @font-face), so it never changes.
_font_configs = threading.local()


def _font_config() -> FontConfiguration:
    config = getattr(_font_configs, "config", None)
    if config is None:
        config = _font_configs.config = FontConfiguration()
    return config


def fast_font_subsetting() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz. Without libharfbuzz-subset it falls back
    to fontTools, which takes 4 to 9 s to subset the Noto Sans CJK fonts of each document."""
    # The same test as WeasyPrint's own (weasyprint/pdf/fonts.py): the library and its version.
    return bool(
        weasyprint_libraries.harfbuzz_subset is not None
        and weasyprint_libraries.harfbuzz.hb_version_atleast(4, 1, 0)
    )


def render_pdf(template: str, **context) -> Rendered:
    return html_to_pdf(render_template(template, **context))


# WeasyPrint reports each laid-out page at INFO; keep that out of the app's log and hand it
# only to the progress handlers of the jobs that ask for it.
_progress_logger = logging.getLogger("weasyprint.progress")
_progress_logger.setLevel(logging.INFO)
_progress_logger.propagate = False


class _PageProgress(logging.Handler):
    """Turns WeasyPrint's "Creating layout - Page N" messages into on_page(N) calls."""

    def __init__(self, on_page: Callable[[int], None]):
        super().__init__(level=logging.INFO)
        self.on_page = on_page
        self.thread = threading.get_ident()  # other threads may be rendering at the same time

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        args = record.args
        if record.msg == "Step 5 - Creating layout - Page %d" and isinstance(args, tuple) and args:
            self.on_page(int(cast(SupportsInt, args[0])))

"""Stored PDFs: product spec sheets and company profiles, rendered once per content version.

A spec sheet or profile is stored (lib/storage.py: "exports/<kind>/<slug>/<version>.<lang>.pdf")
by the version of its content and its language. The version is a hash over every column of the
rows it shows, the site's address (SITE_URL, printed on it), the print templates and the
translation catalogues, never anything of the request. Any edit to the product, its approvals,
performance rows, specimens, documents, category or manufacturer, or to the translations of its
prose (a product's summary, description and intended use, a profile's description: printed in the
reader's language where there is one) gives a new version, so the next request renders afresh;
until then the stored file is served as it is. The language is the reader's (an interface
language: labels translated, facts as entered); each language is a file of its own, rendered on
its first request (pre-rendering makes the English ones only).

A render never holds a request past PDF_RENDER_WAIT seconds: it runs in a background thread that
hands the HTML to a render process (exports/renderer.py), killed after PDF_RENDER_TIMEOUT. A
request that is not answered in time gets NotReady (a 503 with Retry-After) while the render goes
on, and the next request finds the stored file. Each document version is rendered once at a time:
a second request in this process joins the first, and a file lock (under STORAGE_DIR/locks, so per
machine) keeps this machine's other processes waiting for it rather than rendering it again.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from catalogue.exports import pdf
from catalogue.exports.renderer import RenderProcess
from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE
from catalogue.lib.dates import utcnow
from catalogue.lib.storage import Storage, storage
from catalogue.lib.urls import external_url
from catalogue.supplies import services as supplies
from catalogue.supplies.models import ContentTranslation, Manufacturer, Product
from catalogue.supplies.version import catalogue_version

logger = logging.getLogger(__name__)


@functools.cache
def _format_version() -> str:
    """A hash of the print templates, print.css and the translation catalogues: a new release
    of them renders PDFs afresh."""
    root = Path(current_app.root_path).parent
    files = sorted((root / "templates" / "exports").glob("*.html"))
    files.append(root / "static" / "css" / "print.css")
    files += sorted(Path(current_app.root_path, "translations").glob("*/LC_MESSAGES/messages.po"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class StoredPdf:
    key: str  # in the app's storage
    version: str  # of the content, the same in every language
    language: str
    download_name: str

    @property
    def etag(self) -> str:
        return f"{self.version}-{self.language}"


def _row_values(obj) -> list:
    mapper = sa.inspect(obj).mapper
    return [getattr(obj, attr.key) for attr in mapper.column_attrs]


def content_version(*rows, extra: tuple = ()) -> str:
    """A short hash over every column of the given rows (and any extra values)."""
    payload = [_format_version(), *extra]
    payload += [(type(row).__name__, _row_values(row)) for row in rows]
    raw = json.dumps(payload, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _translations(kind: str, object_id: int) -> list[ContentTranslation]:
    """The object's prose in the other languages (printed in place of the English): in every
    language, so that the version stays one for all of them."""
    stmt = (
        sa.select(ContentTranslation)
        .where(ContentTranslation.kind == kind, ContentTranslation.object_id == object_id)
        .order_by(ContentTranslation.id)
    )
    return list(db.session.scalars(stmt))


def _product_rows(product: Product) -> list:
    return [
        product,
        product.category,
        product.manufacturer,
        *product.approvals,
        *product.performance,
        *product.specimens,
        *product.documents,
        *_translations("product", product.id),
    ]


def _folder(kind: str, slug: str) -> str:
    return f"exports/{kind}/{slug}/"


# Other versions of a document are deleted once they are this old: a render of an older version
# that finishes after a newer one (another process read the rows before an edit) must not delete
# the newer file that requests are being served from.
OLD_VERSIONS_KEPT_FOR = timedelta(minutes=10)


def _key(kind: str, slug: str, version: str, language: str) -> str:
    return _folder(kind, slug) + f"{version}.{language}.pdf"


def _store(store: Storage, kind: str, slug: str, version: str, language: str, data: bytes) -> str:
    """Store the version in this language (each write whole, so several workers may store the
    same one) and drop the other versions, in any language, stored long enough ago."""
    key = _key(kind, slug, version, language)
    store.put(key, data, "application/pdf")
    this_version = _folder(kind, slug) + f"{version}."
    for other in store.list(_folder(kind, slug)):
        info = store.stat(other) if not other.startswith(this_version) else None
        if info is not None and info.modified < utcnow() - OLD_VERSIONS_KEPT_FOR:
            store.delete(other)
    return key


def _read_stored(
    store: Storage, kind: str, slug: str, version: str, language: str, download_name: str
) -> StoredPdf | None:
    key = _key(kind, slug, version, language)
    if store.stat(key) is None:  # not made yet, or replaced by another worker just now
        return None
    return StoredPdf(key, version, language, download_name)


class NotReady(Exception):
    """The PDF is not there yet (or cannot be made now): answer 503 with Retry-After."""

    def __init__(self, message, retry_after: int):
        super().__init__(str(message))
        self.message = message
        self.retry_after = retry_after


# In the reader's language when the 503 page shows them (lazy: made at import time).
PREPARING = _l("The PDF is being prepared. Please try again in a few seconds.")
BUSY = _l("Many PDFs are being prepared just now. Please try again in a minute.")
FAILED = _l("This PDF cannot be made just now. The problem is logged; please try again later.")
MAX_QUEUED = 16  # renders waiting or running in this process; more are refused (BUSY)
FAILED_FOR = 600  # seconds a version whose render failed is not tried again


class _Renders:
    """The renders of this process: run by a few background threads (PDF_RENDER_PROCESSES),
    each with a render process of its own; one render per document version at a time."""

    FORGET_AFTER = 2000  # failed versions remembered; forgotten all at once beyond this

    def __init__(self):
        self.lock = threading.Lock()
        self.running: dict[tuple[str, ...], Future] = {}
        self.failed: dict[tuple[str, ...], float] = {}
        self.executor: ThreadPoolExecutor | None = None
        self.processes: list[RenderProcess] = []
        self.local = threading.local()
        self.size, self.static_folder = 1, ""  # from the app's configuration (configure)

    def start(self, key: tuple[str, ...], job: Callable[[RenderProcess], StoredPdf]):
        """The render of `key` under way (a second request joins the first), started if none."""
        with self.lock:
            future = self.running.get(key)
            if future is not None:
                return future
            failed_at = self.failed.get(key)
            if failed_at is not None and time.monotonic() - failed_at < FAILED_FOR:
                raise NotReady(FAILED, FAILED_FOR)
            if len(self.running) >= MAX_QUEUED:
                raise NotReady(BUSY, 60)
            future = self._executor().submit(self._run, key, job)
            self.running[key] = future
            return future

    def _run(self, key, job) -> StoredPdf:
        try:
            return job(self._process())
        except Exception:
            logger.exception("Rendering %s failed", "/".join(key))
            with self.lock:
                if len(self.failed) >= self.FORGET_AFTER:
                    self.failed.clear()
                self.failed[key] = time.monotonic()
            raise
        finally:
            with self.lock:
                self.running.pop(key, None)

    def configure(self, size: int, static_folder: str) -> None:
        self.size, self.static_folder = size, static_folder

    def warm_up(self) -> None:
        with self.lock:
            executor = self._executor()
        for _ in range(self.size):
            executor.submit(lambda: self._process().start())

    def _executor(self) -> ThreadPoolExecutor:
        if self.executor is None:
            self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="pdf-render")
        return self.executor

    def _process(self) -> RenderProcess:
        """This thread's render process."""
        process = getattr(self.local, "process", None)
        if process is None:
            process = self.local.process = RenderProcess(self.static_folder)
            with self.lock:
                self.processes.append(process)
        return process

    def shutdown(self) -> None:
        """Stop the threads and their render processes (tests; a process's exit does it too)."""
        with self.lock:
            executor, self.executor = self.executor, None
            processes, self.processes = self.processes, []
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        for process in processes:
            process.close()
        with self.lock:
            self.running.clear()
            self.failed.clear()


_renders = _Renders()


def _lock_path(kind: str, slug: str) -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "locks" / kind / f"{slug}.lock"


@contextmanager
def _document_lock(path: Path) -> Iterator[None]:
    """Held while a document is rendered, so another process of this machine waits for the
    stored file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _render_and_store(
    store: Storage, lock: Path, kind: str, slug: str, version: str, language: str, html: str,
    download_name: str, timeout: float, process: RenderProcess,
) -> StoredPdf:  # fmt: skip
    with _document_lock(lock):
        stored = _read_stored(store, kind, slug, version, language, download_name)
        if stored is not None:  # rendered by another process while this one waited
            return stored
        started = time.monotonic()
        data = process.render(html, timeout).data
        key = _store(store, kind, slug, version, language, data)
    logger.info(
        "Rendered %s for %s (version %s, %s) in %.2f s", kind, slug, version, language,
        time.monotonic() - started,
    )  # fmt: skip
    return StoredPdf(key, version, language, download_name)


def _render_in_thread(
    store: Storage, kind: str, slug: str, version: str, language: str, html: str,
    download_name: str,
) -> StoredPdf:  # fmt: skip
    key = _store(store, kind, slug, version, language, pdf.html_to_pdf(html).data)
    logger.info("Rendered %s for %s (version %s, %s)", kind, slug, version, language)
    return StoredPdf(key, version, language, download_name)


def _render(
    kind: str, slug: str, version: str, language: str, html: str, download_name: str
) -> StoredPdf:
    """Render and store now, waiting at most PDF_RENDER_WAIT seconds for it (see NotReady)."""
    config = current_app.config
    store = storage()
    if not config["PDF_RENDER_PROCESSES"]:  # in this thread, as long as it takes (tests)
        return _render_in_thread(store, kind, slug, version, language, html, download_name)
    _renders.configure(config["PDF_RENDER_PROCESSES"], str(current_app.static_folder))
    # The render thread has no app context: it gets the storage and lock it works with.
    job = functools.partial(
        _render_and_store, store, _lock_path(kind, slug), kind, slug, version, language, html,
        download_name, config["PDF_RENDER_TIMEOUT"],
    )  # fmt: skip
    future = _renders.start((kind, slug, version, language), job)
    try:
        return future.result(timeout=config["PDF_RENDER_WAIT"])
    except WaitedTooLong:
        raise NotReady(PREPARING, 5) from None
    except Exception:  # logged by the render thread
        raise NotReady(FAILED, FAILED_FOR) from None


def warm_up() -> None:
    """Start the render processes now (in the background), not with the first PDF asked for."""
    size = current_app.config["PDF_RENDER_PROCESSES"]
    if size:
        _renders.configure(size, str(current_app.static_folder))
        _renders.warm_up()


def shutdown_renders() -> None:
    _renders.shutdown()


class _KnownVersions:
    """Content versions already worked out, each with the catalogue version it was found at.

    While the catalogue version is unchanged, no row a PDF shows has changed (every such row
    bumps it), so the stored file is served without loading and hashing the rows again.
    """

    LIMIT = 2000  # (kind, slug) pairs; forgotten all at once beyond this

    def __init__(self):
        self.versions: dict[tuple[str, str], tuple[int, str]] = {}

    def lookup(self, key: tuple[str, str], at_catalogue: int) -> str | None:
        known = self.versions.get(key)
        return known[1] if known and known[0] == at_catalogue else None

    def remember(self, key: tuple[str, str], at_catalogue: int, version: str) -> None:
        if len(self.versions) >= self.LIMIT:
            self.versions.clear()
        self.versions[key] = (at_catalogue, version)


_known_versions = _KnownVersions()


def _download_name(slug: str, kind_name: str, language: str) -> str:
    """ "<slug>-spec-sheet.pdf" in English, "<slug>-spec-sheet-fr.pdf" in French."""
    suffix = "" if language == DEFAULT_LANGUAGE else f"-{language}"
    return f"{slug}-{kind_name}{suffix}.pdf"


def _pdf_for(
    kind: str, slug: str, language: str, download_name: str, load, rows_of, html_of, render=None
):
    """The stored PDF for this entry in `language`, rendered first if its content changed.

    `load` gives the entry (None: not public, so no PDF), `rows_of` the rows the PDF shows and
    `html_of` its HTML (made in `language`). `render` makes and stores a missing version: by
    default `_render`, which raises NotReady when the render takes longer than a request waits.
    """
    key = (kind, slug)
    at_catalogue = catalogue_version()  # read before the rows: a later change gives a newer one
    known = _known_versions.lookup(key, at_catalogue)
    store = storage()
    if known is not None:
        stored = _read_stored(store, kind, slug, known, language, download_name)
        if stored is not None:
            return stored
    entry = load()
    if entry is None:
        return None
    # The site's address is printed on the PDF (its links and QR code): part of its version.
    site = current_app.config.get("SITE_URL") or ""
    version = content_version(*rows_of(entry), extra=(site,))
    _known_versions.remember(key, at_catalogue, version)
    stored = _read_stored(store, kind, slug, version, language, download_name)
    if stored is None:
        # The labels in the document's language, whatever the request's (a job has none).
        with force_locale(language):
            html = html_of(entry)
        stored = (render or _render)(kind, slug, version, language, html, download_name)
    return stored


def qr_svg(url: str) -> Markup:
    """The URL as an inline SVG QR code (no image file, nothing to fetch)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=2, dark="#0b3d6e", omitsize=True)
    return Markup(svg)  # noqa: S704 (segno's own markup: modules as path data, no user text)  # nosec B704


def spec_sheet_html(product: Product, product_url: str) -> str:
    return render_template(
        "exports/spec_sheet.html",
        product=product,
        product_url=product_url,
        qr_svg=qr_svg(product_url),
        generated_at=utcnow(),
    )


def spec_sheet(slug: str, render=None, language: str = DEFAULT_LANGUAGE) -> StoredPdf | None:
    """The published product's spec sheet in `language` (None if there is none), rendered after
    a change."""
    product_url = external_url("supplies.product_detail", slug=slug)
    return _pdf_for(
        "spec-sheets",
        slug,
        language,
        _download_name(slug, "spec-sheet", language),
        load=lambda: supplies.get_published_product(slug),
        rows_of=_product_rows,
        html_of=lambda product: spec_sheet_html(product, product_url),
        render=render,
    )


def manufacturer_profile_html(
    manufacturer: Manufacturer, products: list[Product], manufacturer_url: str
) -> str:
    return render_template(
        "exports/manufacturer_profile.html",
        manufacturer=manufacturer,
        products=products,
        manufacturer_url=manufacturer_url,
        qr_svg=qr_svg(manufacturer_url),
        generated_at=utcnow(),
    )


def manufacturer_profile(
    slug: str, render=None, language: str = DEFAULT_LANGUAGE
) -> StoredPdf | None:
    """The company profile in `language`, with a row per published product (None: no such
    company)."""
    manufacturer_url = external_url("supplies.manufacturer_detail", slug=slug)

    def load():
        manufacturer = supplies.get_manufacturer(slug)
        if manufacturer is None:
            return None
        return manufacturer, supplies.published_products_of(manufacturer)

    def rows_of(entry):
        manufacturer, products = entry
        rows = [manufacturer, *_translations("manufacturer", manufacturer.id)]
        for product in products:
            rows += [product, product.category, *product.approvals, *product.specimens]
        return rows

    return _pdf_for(
        "profiles",
        slug,
        language,
        _download_name(slug, "company-profile", language),
        load=load,
        rows_of=rows_of,
        html_of=lambda entry: manufacturer_profile_html(entry[0], entry[1], manufacturer_url),
        render=render,
    )


# --- Rendering ahead of visitors ----------------------------------------------------------------


# Seconds of rendering per pass, so that the worker's other jobs (mail) wait at most this long
# behind a pass after a large change (a new release of the templates re-renders them all).
PRERENDER_BUDGET = 10


class Prerendered(NamedTuple):
    rendered: int  # documents rendered and stored
    finished: bool  # False: out of time, the next pass goes on


def prerender() -> Prerendered:
    """Render every spec sheet and profile whose content changed since it was stored, so that
    visitors find them stored. Background work (exports/tasks.py), time-boxed by PRERENDER_BUDGET:
    each render runs in a render process of its own pass, killed after PDF_RENDER_TIMEOUT (in
    this thread when PDF_RENDER_PROCESSES is 0: tests)."""
    # While the catalogue version is the one of this process's last pass, no PDF's content has
    # changed (every row a PDF shows bumps it): nothing to do.
    at_catalogue = catalogue_version()
    if current_app.extensions.get("pdfs_prerendered_at") == at_catalogue:
        return Prerendered(0, True)
    config, store = current_app.config, storage()
    # Versions whose render failed in this process: not tried again (an edit gives a new one).
    failed: set[tuple[str, ...]] = current_app.extensions.setdefault("pdfs_failed", set())
    processes: list[RenderProcess] = []
    attempted = rendered = 0

    def render_now(
        kind: str, slug: str, version: str, language: str, html: str, download_name: str
    ):
        nonlocal attempted, rendered
        if (kind, slug, version, language) in failed:
            return None
        attempted += 1
        try:
            if not config["PDF_RENDER_PROCESSES"]:
                stored = _render_in_thread(
                    store, kind, slug, version, language, html, download_name
                )
            else:
                if not processes:
                    processes.append(RenderProcess(str(current_app.static_folder)))
                stored = _render_and_store(
                    store, _lock_path(kind, slug), kind, slug, version, language, html,
                    download_name, config["PDF_RENDER_TIMEOUT"], processes[0],
                )  # fmt: skip
        except Exception:  # one broken document must not hold up the others
            logger.exception("Pre-rendering %s for %s failed", kind, slug)
            failed.add((kind, slug, version, language))
            return None
        rendered += 1
        return stored

    documents = [(spec_sheet, slug) for slug in supplies.published_product_slugs()]
    documents += [(manufacturer_profile, m.slug) for m, _count in supplies.list_manufacturers()]
    started = time.monotonic()
    try:
        for document, slug in documents:
            if attempted and time.monotonic() - started > PRERENDER_BUDGET:
                logger.info("Pre-rendered %d PDFs; the rest in the next pass", rendered)
                return Prerendered(rendered, False)
            # English only: other languages are rendered when a reader first asks for them.
            document(slug, render=render_now, language=DEFAULT_LANGUAGE)
    finally:
        for process in processes:
            process.close()
    current_app.extensions["pdfs_prerendered_at"] = at_catalogue
    if rendered:
        logger.info("Pre-rendered %d PDFs", rendered)
    return Prerendered(rendered, True)

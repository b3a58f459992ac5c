"""PDF exports: cached spec sheets and company profiles, and brochure jobs.

A spec sheet or profile is stored under EXPORT_DIR by the version of its content: a hash over every
column of the rows it shows. Any edit to the product, its approvals, performance rows, specimens,
documents, category or manufacturer gives a new version, so the next request renders afresh; until
then the stored file is served as it is.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from catalogue.errors import ServiceError
from catalogue.exports import pdf
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.supplies import services as supplies
from catalogue.supplies.models import (
    AUTHORITIES,
    AUTHORITY_SHORT,
    Approval,
    Category,
    Manufacturer,
    Product,
)
from catalogue.supplies.pagecache import catalogue_version

logger = logging.getLogger(__name__)


@functools.cache
def _format_version() -> str:
    """A hash of the print templates and print.css: a new release of them renders PDFs afresh."""
    root = Path(current_app.root_path).parent
    files = sorted((root / "templates" / "exports").glob("*.html"))
    files.append(root / "static" / "css" / "print.css")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class StoredPdf:
    data: bytes
    version: str
    modified: datetime
    download_name: str


def _row_values(obj) -> list:
    mapper = sa.inspect(obj).mapper
    return [getattr(obj, attr.key) for attr in mapper.column_attrs]


def content_version(*rows, extra: tuple = ()) -> str:
    """A short hash over every column of the given rows (and any extra values)."""
    payload = [_format_version(), *extra]
    payload += [(type(row).__name__, _row_values(row)) for row in rows]
    raw = json.dumps(payload, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _product_rows(product: Product) -> list:
    return [
        product,
        product.category,
        product.manufacturer,
        *product.approvals,
        *product.performance,
        *product.specimens,
        *product.documents,
    ]


def _cache_dir(kind: str, slug: str) -> Path:
    return Path(current_app.config["EXPORT_DIR"]) / kind / slug


def _store(directory: Path, version: str, data: bytes, modified: datetime) -> Path:
    """Write atomically (several workers may render the same version) and drop older versions."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{version}.pdf"
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    # The file's time is the Last-Modified of every later response: make it the one sent now.
    os.utime(tmp, (modified.timestamp(), modified.timestamp()))
    os.replace(tmp, target)
    for old in directory.glob("*.pdf"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _read_stored(kind: str, slug: str, version: str, download_name: str) -> StoredPdf | None:
    path = _cache_dir(kind, slug) / f"{version}.pdf"
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        data = path.read_bytes()
    except FileNotFoundError:  # not made yet, or replaced by another worker just now
        return None
    return StoredPdf(data, version, modified, download_name)


def _cached(kind: str, slug: str, version: str, render, download_name: str) -> StoredPdf:
    stored = _read_stored(kind, slug, version, download_name)
    if stored is None:
        data = render()
        modified = utcnow()
        _store(_cache_dir(kind, slug), version, data, modified)
        logger.info("Rendered %s for %s (version %s)", kind, slug, version)
        stored = StoredPdf(data, version, modified, download_name)
    return stored


class _KnownVersions:
    """Content versions already worked out, each with the catalogue version it was found at.

    While the catalogue version is unchanged, no row a PDF shows has changed (every such row
    bumps it), so the stored file is served without loading and hashing the rows again.
    """

    LIMIT = 2000  # (kind, slug, address) triples; forgotten all at once beyond this

    def __init__(self):
        self.versions: dict[tuple[str, str, str], tuple[int, str]] = {}

    def lookup(self, key: tuple[str, str, str], at_catalogue: int) -> str | None:
        known = self.versions.get(key)
        return known[1] if known and known[0] == at_catalogue else None

    def remember(self, key: tuple[str, str, str], at_catalogue: int, version: str) -> None:
        if len(self.versions) >= self.LIMIT:
            self.versions.clear()
        self.versions[key] = (at_catalogue, version)


_known_versions = _KnownVersions()


def _pdf_for(kind: str, slug: str, url: str, download_name: str, load, rows_of, html_of):
    """The stored PDF for this entry and address, rendered first if its content changed.

    `load` gives the entry (None: not public, so no PDF), `rows_of` the rows the PDF shows and
    `html_of` its HTML.
    """
    key = (kind, slug, url)
    at_catalogue = catalogue_version()  # read before the rows: a later change gives a newer one
    known = _known_versions.lookup(key, at_catalogue)
    if known is not None:
        stored = _read_stored(kind, slug, known, download_name)
        if stored is not None:
            return stored
    entry = load()
    if entry is None:
        return None
    version = content_version(*rows_of(entry), extra=(url,))
    _known_versions.remember(key, at_catalogue, version)
    return _cached(kind, slug, version, lambda: pdf.html_to_pdf(html_of(entry)).data, download_name)


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


def spec_sheet(slug: str, product_url: str) -> StoredPdf | None:
    """The published product's spec sheet (None if there is none), rendered after a change."""
    return _pdf_for(
        "spec-sheets",
        slug,
        product_url,
        f"{slug}-spec-sheet.pdf",
        load=lambda: supplies.get_published_product(slug),
        rows_of=_product_rows,
        html_of=lambda product: spec_sheet_html(product, product_url),
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


def manufacturer_profile(slug: str, manufacturer_url: str) -> StoredPdf | None:
    """The company profile with a row per published product (None: no such company)."""

    def load():
        manufacturer = supplies.get_manufacturer(slug)
        if manufacturer is None:
            return None
        return manufacturer, supplies.published_products_of(manufacturer)

    def rows_of(entry):
        manufacturer, products = entry
        rows = [manufacturer]
        for product in products:
            rows += [product, product.category, *product.approvals, *product.specimens]
        return rows

    return _pdf_for(
        "profiles",
        slug,
        manufacturer_url,
        f"{slug}-company-profile.pdf",
        load=load,
        rows_of=rows_of,
        html_of=lambda entry: manufacturer_profile_html(*entry, manufacturer_url),
    )


# --- Brochures ----------------------------------------------------------------------------------

BROCHURE_DIR = "brochures"
DEFAULT_BROCHURE_TITLE = "Korean COVID-19 diagnostics and specimen collection"
# A running job that has not written progress for this long lost its worker (e.g. a restart).
STALLED_AFTER = timedelta(minutes=15)


def brochure_choices() -> dict:
    """What the brochure form offers: categories, authorities and makers with published products."""
    return {
        "categories": [(c.slug, c.name) for c, n in supplies.categories_with_counts() if n],
        "authorities": list(AUTHORITIES.items()),
        "manufacturers": [(m.slug, m.name) for m, n in supplies.list_manufacturers() if n],
    }


def _brochure_conditions(params: dict) -> list:
    conditions = [Product.status == "published"]
    if params.get("category"):
        conditions.append(
            Product.category_id.in_(
                sa.select(Category.id).where(Category.slug == params["category"])
            )
        )
    if params.get("authority"):
        conditions.append(
            sa.exists().where(
                Approval.product_id == Product.id,
                Approval.authority == params["authority"],
                Approval.status != "rejected",
            )
        )
    if params.get("manufacturers"):
        conditions.append(
            Product.manufacturer_id.in_(
                sa.select(Manufacturer.id).where(Manufacturer.slug.in_(params["manufacturers"]))
            )
        )
    return conditions


def brochure_manufacturers(params: dict) -> list[Manufacturer]:
    """The manufacturers with at least one product the brochure's filters select, by name."""
    stmt = (
        sa.select(Manufacturer)
        .where(
            Manufacturer.id.in_(
                sa.select(Product.manufacturer_id).where(*_brochure_conditions(params))
            )
        )
        .order_by(sa.func.lower(Manufacturer.name), Manufacturer.id)
    )
    return list(db.session.scalars(stmt))


def brochure_products_of(manufacturer: Manufacturer, params: dict) -> list[Product]:
    stmt = (
        sa.select(Product)
        .where(Product.manufacturer_id == manufacturer.id, *_brochure_conditions(params))
        .order_by(Product.name)
        .options(
            selectinload(Product.category),
            selectinload(Product.approvals),
            selectinload(Product.specimens),
            selectinload(Product.performance),
        )
    )
    return list(db.session.scalars(stmt))


def describe_brochure(params: dict) -> str:
    """The brochure's scope in words, for its cover and the job list."""
    parts = []
    if params.get("category"):
        name = db.session.scalar(
            sa.select(Category.name).where(Category.slug == params["category"])
        )
        parts.append(f"Category: {name or params['category']}")
    if params.get("authority"):
        parts.append(f"Approval: {AUTHORITY_SHORT.get(params['authority'], params['authority'])}")
    if params.get("manufacturers"):
        count = len(params["manufacturers"])
        parts.append(f"{count} chosen manufacturer{'s' if count != 1 else ''}")
    return " · ".join(parts) if parts else "Whole catalogue"


def create_brochure_job(actor, params: dict) -> ExportJob:
    """A queued brochure job; refuses a selection that contains no published product."""
    counts = list(
        db.session.scalars(
            sa.select(sa.func.count(Product.id))
            .where(*_brochure_conditions(params))
            .group_by(Product.manufacturer_id)
        )
    )
    if not counts:
        raise ServiceError(None, "No published product matches these filters; widen them.")
    job = ExportJob(
        kind="brochure",
        parameters=params,
        status="queued",
        stage="Waiting for a worker",
        progress_done=0,
        progress_total=_brochure_steps(counts),
        requested_by_id=actor.id if actor is not None else None,
    )
    db.session.add(job)
    db.session.flush()
    logger.info("%s queued brochure job %s (%s)", actor, job.id, describe_brochure(params))
    return job


def _estimated_pages(counts: list[int]) -> int:
    """About how long a brochure is (cover, contents, sections of about three products a page,
    index), so that the progress bar moves through the layout, which takes most of the time."""
    sections = sum(math.ceil((n + 1) / 3) for n in counts)
    return 1 + math.ceil(len(counts) / 40) + sections + math.ceil(sum(counts) / 90)


def _brochure_steps(counts: list[int]) -> int:
    # A step per manufacturer section prepared, one per page laid out, one for writing the file.
    return len(counts) + _estimated_pages(counts) + 1


def retry_job(actor, job: ExportJob) -> None:
    if job.status != "failed":
        raise ServiceError(None, "Only a failed export can be retried.")
    job.status = "queued"
    job.stage = "Waiting for a worker"
    job.progress_done = 0
    job.error = None
    job.started_at = job.finished_at = None
    logger.info("%s retried export job %s", actor, job.id)


def recent_jobs(limit: int = 30) -> list[ExportJob]:
    stmt = sa.select(ExportJob).order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


def job_file(job: ExportJob) -> Path | None:
    if job.status != "done" or not job.file_name:
        return None
    path = Path(current_app.config["EXPORT_DIR"]) / BROCHURE_DIR / job.file_name
    return path if path.is_file() else None


@dataclass
class IndexEntry:
    product: str
    manufacturer: str
    anchor: str


def build_brochure(job: ExportJob, report) -> pdf.Rendered:
    """Render the job's brochure; report(done, stage) is called as the work advances.

    Each manufacturer's section is rendered to HTML as soon as its products are loaded, because
    saving progress commits and so expires the loaded rows.
    """
    params = job.parameters
    sections, toc, index = [], [], []
    for manufacturer in brochure_manufacturers(params):
        products = brochure_products_of(manufacturer, params)
        if not products:
            continue
        anchor = f"m-{manufacturer.slug}"
        html = render_template(
            "exports/_brochure_section.html", maker=manufacturer, products=products, anchor=anchor
        )
        sections.append(Markup(html))  # noqa: S704 (an autoescaped template's output)  # nosec B704
        toc.append((anchor, manufacturer.name, manufacturer.name_ko, len(products)))
        index += [IndexEntry(p.name, manufacturer.name, f"p-{p.slug}") for p in products]
        report(len(sections), f"Prepared {manufacturer.name}")
    counts = [count for _anchor, _name, _ko, count in toc]
    job.progress_total = _brochure_steps(counts)  # the selection may have changed since queued
    prepared, estimate = len(sections), _estimated_pages(counts)
    report(prepared, "Laying out pages")
    html = render_template(
        "exports/brochure.html",
        title=params.get("title") or DEFAULT_BROCHURE_TITLE,
        scope=describe_brochure(params),
        sections=sections,
        toc=toc,
        index=sorted(index, key=lambda e: (e.product.casefold(), e.manufacturer.casefold())),
        generated_at=utcnow(),
    )
    laid_out = 0

    def on_page(page: int) -> None:
        # WeasyPrint lays the pages out once, then again to fill in the page numbers of the
        # contents: the furthest page reached so far is the progress.
        nonlocal laid_out
        laid_out = max(laid_out, page)
        report(prepared + min(laid_out, estimate), f"Laying out pages (page {page})")

    rendered = pdf.html_to_pdf(html, on_page=on_page)
    report(prepared + estimate, f"Writing the PDF ({rendered.page_count} pages)")
    return rendered


def store_brochure(job: ExportJob, rendered: pdf.Rendered) -> None:
    directory = Path(current_app.config["EXPORT_DIR"]) / BROCHURE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    name = f"brochure-{job.id}-{secrets.token_hex(8)}.pdf"
    (directory / name).write_bytes(rendered.data)
    now = utcnow()
    job.status = "done"
    job.stage = "Finished"
    job.progress_done = job.progress_total
    job.file_name = name
    job.file_size = len(rendered.data)
    job.page_count = rendered.page_count
    job.finished_at = now
    job.expires_at = now + timedelta(days=current_app.config["EXPORT_RETENTION_DAYS"])


def cleanup_exports(now: datetime | None = None) -> int:
    """Delete brochure files past their retention and mark their jobs expired; fail stalled jobs."""
    now = now or utcnow()
    expired = db.session.scalars(
        sa.select(ExportJob).where(ExportJob.status == "done", ExportJob.expires_at <= now)
    ).all()
    directory = Path(current_app.config["EXPORT_DIR"]) / BROCHURE_DIR
    for job in expired:
        if job.file_name:
            (directory / job.file_name).unlink(missing_ok=True)
        job.status = "expired"
        job.stage = "File deleted after the retention period"
        job.file_name = None
    stalled = db.session.scalars(
        sa.select(ExportJob).where(
            ExportJob.status == "running", ExportJob.updated_at <= now - STALLED_AFTER
        )
    ).all()
    for job in stalled:
        job.status = "failed"
        job.error = "The worker stopped before finishing (no progress for 15 minutes)."
        job.finished_at = now
    if expired or stalled:
        logger.info("Export clean-up: %d expired, %d stalled", len(expired), len(stalled))
    return len(expired)

"""Stored PDFs: product spec sheets and company profiles, rendered once per content version.

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
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from markupsafe import Markup

from catalogue.exports import pdf
from catalogue.lib.dates import utcnow
from catalogue.supplies import services as supplies
from catalogue.supplies.models import Manufacturer, Product
from catalogue.supplies.version import catalogue_version

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
        html_of=lambda entry: manufacturer_profile_html(entry[0], entry[1], manufacturer_url),
    )

"""PDF exports: cached spec sheets and company profiles, and brochure jobs.

A spec sheet or profile is stored under EXPORT_DIR by the version of its content: a hash over every
column of the rows it shows. Any edit to the product, its approvals, performance rows, specimens,
documents, category or manufacturer gives a new version, so the next request renders afresh; until
then the stored file is served as it is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from markupsafe import Markup

from catalogue.exports import pdf
from catalogue.lib.dates import utcnow
from catalogue.supplies import services as supplies
from catalogue.supplies.models import Manufacturer, Product

logger = logging.getLogger(__name__)

# Bump when a print template or print.css changes, so stored PDFs are rendered again.
FORMAT_VERSION = "1"


@dataclass
class StoredPdf:
    path: Path
    version: str
    modified: datetime
    download_name: str


def _row_values(obj) -> list:
    mapper = sa.inspect(obj).mapper
    return [getattr(obj, attr.key) for attr in mapper.column_attrs]


def content_version(*rows, extra: tuple = ()) -> str:
    """A short hash over every column of the given rows (and any extra values)."""
    payload = [FORMAT_VERSION, *extra]
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


def _store(directory: Path, version: str, data: bytes) -> Path:
    """Write atomically (several workers may render the same version) and drop older versions."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{version}.pdf"
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    for old in directory.glob("*.pdf"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _cached(kind: str, slug: str, version: str, render, download_name: str) -> StoredPdf:
    directory = _cache_dir(kind, slug)
    path = directory / f"{version}.pdf"
    if not path.is_file():
        path = _store(directory, version, render())
        logger.info("Rendered %s for %s (version %s)", kind, slug, version)
    modified = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return StoredPdf(path, version, modified, download_name)


def qr_svg(url: str) -> Markup:
    """The URL as an inline SVG QR code (no image file, nothing to fetch)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=2, dark="#0b3d6e", omitsize=True)
    return Markup(svg)  # noqa: S704 (segno's own markup: modules as path data, no user text)


def spec_sheet_html(product: Product, product_url: str) -> str:
    return render_template(
        "exports/spec_sheet.html",
        product=product,
        product_url=product_url,
        qr_svg=qr_svg(product_url),
        generated_at=utcnow(),
    )


def spec_sheet(product: Product, product_url: str) -> StoredPdf:
    """The product's spec sheet, rendered only when its content has changed."""
    version = content_version(*_product_rows(product), extra=(product_url,))
    return _cached(
        "spec-sheets",
        product.slug,
        version,
        lambda: pdf.html_to_pdf(spec_sheet_html(product, product_url)).data,
        f"{product.slug}-spec-sheet.pdf",
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


def manufacturer_profile(manufacturer: Manufacturer, manufacturer_url: str) -> StoredPdf:
    """The company profile with a row per published product, rendered only after a change."""
    products = supplies.published_products_of(manufacturer)
    rows = [manufacturer]
    for product in products:
        rows += [product, product.category, *product.approvals, *product.specimens]
    version = content_version(*rows, extra=(manufacturer_url,))
    return _cached(
        "profiles",
        manufacturer.slug,
        version,
        lambda: (
            pdf.html_to_pdf(
                manufacturer_profile_html(manufacturer, products, manufacturer_url)
            ).data
        ),
        f"{manufacturer.slug}-company-profile.pdf",
    )

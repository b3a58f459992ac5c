"""Brochure jobs: a PDF of the published catalogue, or of the part staff choose.

A job is queued as an ExportJob (never rendered inside a request), built by a worker
(exports/tasks.py) with progress saved on the job, stored as "exports/brochures/<file name>"
(lib/storage.py) and deleted after EXPORT_RETENTION_DAYS. The choice uses the catalogue listing's
facet conditions. A brochure is in the language of the staff member who asked for it (kept in its
parameters); its stages are saved in that language too.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from catalogue.errors import ServiceError
from catalogue.exports import pdf
from catalogue.exports.models import ExportJob
from catalogue.exports.renderer import RenderProcess, RenderTimeout
from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE, current_language
from catalogue.lib.dates import aware, utcnow
from catalogue.lib.storage import storage
from catalogue.supplies import services as supplies
from catalogue.supplies.models import AUTHORITIES, AUTHORITY_SHORT, Category, Manufacturer, Product

logger = logging.getLogger(__name__)

BROCHURE_DIR = "exports/brochures"
DEFAULT_BROCHURE_TITLE = _l("Korean COVID-19 diagnostics and specimen collection")
# A running job that has not written progress for this long lost its worker (e.g. a restart).
STALLED_AFTER = timedelta(minutes=15)
# A brochure is bounded by its products (at most MAX_PRODUCTS a manufacturer, each printing a
# bounded part of its rows); its layout runs in a render process killed after this many seconds.
# The full seed catalogue takes about 10 s.
RENDER_TIMEOUT = 20 * 60


def brochure_choices() -> dict:
    """What the brochure form offers: categories, authorities and makers with published products."""
    return {
        "categories": [(c.slug, c.label) for c, n in supplies.categories_with_counts() if n],
        "authorities": list(AUTHORITIES.items()),
        "manufacturers": [(m.slug, m.name) for m, n in supplies.list_manufacturers() if n],
    }


def _brochure_conditions(params: dict) -> list:
    # The form's choices in the product list's facet terms, so both select products alike.
    filters = {}
    if params.get("category"):
        filters["category"] = [params["category"]]
    if params.get("authority"):
        filters["approval"] = [params["authority"]]
    if params.get("manufacturers"):
        filters["manufacturer"] = list(params["manufacturers"])
    return supplies.facet_conditions(filters)


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
    """The brochure's scope in words, for its cover and the job list (in the current language)."""
    parts = []
    if params.get("category"):
        name = db.session.scalar(
            sa.select(Category.name).where(Category.slug == params["category"])
        )
        parts.append(_("Category: %(name)s", name=name or params["category"]))
    if params.get("authority"):
        authority = AUTHORITY_SHORT.get(params["authority"], params["authority"])
        parts.append(_("Approval: %(authority)s", authority=authority))
    if params.get("manufacturers"):
        count = len(params["manufacturers"])
        parts.append(ngettext("%(num)d chosen manufacturer", "%(num)d chosen manufacturers", count))
    return " · ".join(parts) if parts else _("Whole catalogue")


def create_brochure_job(actor, params: dict, language: str | None = None) -> ExportJob:
    """A queued brochure job in `language` (by default the current request's); refuses a
    selection that contains no published product."""
    params = {**params, "language": language or params.get("language") or current_language()}
    counts = list(
        db.session.scalars(
            sa.select(sa.func.count(Product.id))
            .where(*_brochure_conditions(params))
            .group_by(Product.manufacturer_id)
        )
    )
    if not counts:
        raise ServiceError(None, _("No published product matches these filters; widen them."))
    job = ExportJob(
        kind="brochure",
        parameters=params,
        status="queued",
        stage=_("Waiting for a worker"),
        progress_done=0,
        progress_total=_brochure_steps(counts),
        requested_by_id=actor.id if actor is not None else None,
    )
    db.session.add(job)
    db.session.flush()
    logger.info(
        "User %s queued brochure job %s (%s)",
        getattr(actor, "id", None),
        job.id,
        describe_brochure(params),
    )
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
        raise ServiceError(None, _("Only a failed export can be retried."))
    job.status = "queued"
    # In the job's language (its requester's), whoever retries it.
    with force_locale(_language_of(job)):
        job.stage = _("Waiting for a worker")
    job.progress_done = 0
    job.error = None
    job.started_at = job.finished_at = None
    logger.info("User %s retried export job %s", getattr(actor, "id", None), job.id)


def recent_jobs(limit: int = 30) -> list[ExportJob]:
    stmt = sa.select(ExportJob).order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


def brochure_key(file_name: str) -> str:
    return f"{BROCHURE_DIR}/{file_name}"


def job_file(job: ExportJob) -> str | None:
    """The storage key of the job's brochure, if it is finished, not past its retention (the
    clean-up that deletes it runs only every few minutes) and its file is still there."""
    if job.status != "done" or not job.file_name:
        return None
    if job.expires_at is not None and aware(job.expires_at) <= utcnow():
        return None
    key = brochure_key(job.file_name)
    return key if storage().stat(key) is not None else None


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
        report(len(sections), _("Prepared %(name)s", name=manufacturer.name))
    counts = [count for _anchor, _name, _ko, count in toc]
    job.progress_total = _brochure_steps(counts)  # the selection may have changed since queued
    prepared, estimate = len(sections), _estimated_pages(counts)
    report(prepared, _("Laying out pages"))
    html = render_template(
        "exports/brochure.html",
        title=params.get("title") or str(DEFAULT_BROCHURE_TITLE),
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
        report(prepared + min(laid_out, estimate), _("Laying out pages (page %(page)d)", page=page))

    rendered = _render(html, on_page)
    report(
        prepared + estimate,
        ngettext(
            "Writing the PDF (%(num)d page)", "Writing the PDF (%(num)d pages)", rendered.page_count
        ),
    )
    return rendered


def _render(html: str, on_page) -> pdf.Rendered:
    """Lay the brochure out in a render process of its own, with a time limit (exports/renderer.py);
    in this process when PDF_RENDER_PROCESSES is 0 (tests)."""
    if not current_app.config["PDF_RENDER_PROCESSES"]:
        return pdf.html_to_pdf(html, on_page=on_page)
    process = RenderProcess(str(current_app.static_folder))
    try:
        return process.render(html, RENDER_TIMEOUT, on_page=on_page)
    except RenderTimeout:
        minutes = round(RENDER_TIMEOUT / 60)
        raise RenderTimeout(
            _(
                "The brochure took longer than %(minutes)d minutes to lay out and was stopped; "
                "choose fewer manufacturers or a category.",
                minutes=minutes,
            )
        ) from None
    finally:
        process.close()


def store_brochure(job: ExportJob, rendered: pdf.Rendered) -> None:
    name = f"brochure-{job.id}-{secrets.token_hex(8)}.pdf"
    storage().put(brochure_key(name), rendered.data, "application/pdf")
    now = utcnow()
    job.status = "done"
    job.stage = _("Finished")
    job.progress_done = job.progress_total
    job.file_name = name
    job.file_size = len(rendered.data)
    job.page_count = rendered.page_count
    job.finished_at = now
    job.expires_at = now + timedelta(days=current_app.config["EXPORT_RETENTION_DAYS"])


def _language_of(job: ExportJob) -> str:
    """The language the job's brochure and stages are in: its requester's, when it was asked."""
    return (job.parameters or {}).get("language") or DEFAULT_LANGUAGE


def cleanup_exports(now: datetime | None = None) -> int:
    """Delete brochure files past their retention and mark their jobs expired; fail stalled jobs."""
    now = now or utcnow()
    expired = db.session.scalars(
        sa.select(ExportJob).where(ExportJob.status == "done", ExportJob.expires_at <= now)
    ).all()
    store = storage()
    for job in expired:
        if job.file_name:
            store.delete(brochure_key(job.file_name))
        job.status = "expired"
        with force_locale(_language_of(job)):
            job.stage = _("File deleted after the retention period")
        job.file_name = None
    stalled = db.session.scalars(
        sa.select(ExportJob).where(
            ExportJob.status == "running", ExportJob.updated_at <= now - STALLED_AFTER
        )
    ).all()
    for job in stalled:
        job.status = "failed"
        with force_locale(_language_of(job)):
            job.error = _("The worker stopped before finishing (no progress for 15 minutes).")
        job.finished_at = now
    if expired or stalled:
        logger.info("Export clean-up: %d expired, %d stalled", len(expired), len(stalled))
    return len(expired)

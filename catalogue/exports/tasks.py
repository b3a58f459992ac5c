"""The exports' background work: building a brochure (a one-off job); rendering the spec sheets
and profiles whose content changed ahead of visitors; and a periodic clean-up that deletes
brochure files past their retention and fails jobs whose worker stopped.

A brochure job is started by `submit` after its ExportJob row is committed, and runs the way
lib/jobs.py decides: on the RQ queue with REDIS_URL (any machine's `flask worker`), in a thread of
this process otherwise, or before the request returns in tests (JOBS_SYNC).
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

from catalogue.exports import brochures, pdfcache
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE
from catalogue.lib import jobs
from catalogue.lib.dates import utcnow

logger = logging.getLogger(__name__)

CLEANUP_SECONDS = 600  # a stalled job is noticed within STALLED_AFTER plus this


def submit(job: ExportJob) -> None:
    """Start a committed job."""
    jobs.enqueue(run_brochure_job, job.id)


def run_brochure_job(job_id: int) -> None:
    """The job's entry point, inside an app context."""
    if has_request_context():  # run at once, inside the request (tests)
        run_job(job_id)
        return
    job = db.session.get(ExportJob, job_id)
    base_url = job.parameters.get("base_url", "http://localhost/") if job else "http://localhost/"
    # A request context gives the templates url_for(); links still come from SITE_URL.
    with current_app.test_request_context(base_url=base_url):
        run_job(job_id)


def run_job(job_id: int) -> None:
    """Render the job's brochure in the language of the staff member who asked for it, saving
    progress as it goes; failures are kept on the job."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status != "queued":
        return
    with force_locale((job.parameters or {}).get("language") or DEFAULT_LANGUAGE):
        _run_job(job, job_id)


def _run_job(job: ExportJob, job_id: int) -> None:
    job.status = "running"
    job.started_at = utcnow()
    job.stage = _("Starting")
    save_progress(job, 0, job.stage)
    try:
        rendered = brochures.build_brochure(
            job, lambda done, stage: save_progress(job, done, stage)
        )
        brochures.store_brochure(job, rendered)
        db.session.commit()
        logger.info("Export job %s done: %d pages", job.id, rendered.page_count)
    except Exception as error:
        db.session.rollback()
        logger.exception("Export job %s failed", job_id)
        failed = db.session.get(ExportJob, job_id)
        assert failed is not None  # committed before it was submitted
        failed.status = "failed"
        failed.stage = _("Stopped by an error")
        failed.error = f"{type(error).__name__}: {error}"[:2000]
        failed.finished_at = utcnow()
        db.session.commit()


def save_progress(job: ExportJob, done: int, stage: str) -> None:
    job.progress_done = done
    job.stage = stage[:200]
    db.session.commit()


def clean_up_exports() -> int:
    """The periodic clean-up; returns how many brochure files were deleted."""
    removed = brochures.cleanup_exports()
    db.session.commit()
    return removed


def prerender_pdfs() -> pdfcache.Prerendered:
    """Render the spec sheets and profiles whose content changed, before a visitor asks."""
    # A request context gives the print templates url_for(); links still come from SITE_URL.
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        return pdfcache.prerender()


PERIODIC = [
    jobs.PeriodicJob(
        "pdf-prerender", "PDF_PRERENDER_INTERVAL", prerender_pdfs, switch="PDF_PRERENDER_THREAD"
    ),
    jobs.PeriodicJob(
        "exports-cleanup", CLEANUP_SECONDS, clean_up_exports, switch="EXPORT_CLEANUP_THREAD"
    ),
]

"""Running export jobs outside the request that asked for them.

By default a background thread of the app process runs each job. With REDIS_URL set, jobs go to an
RQ queue instead, so any app machine can take them (`flask exports worker` serves the queue). In
tests (EXPORT_JOBS_SYNC) a job runs before the request returns, so nothing outlives the test.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from catalogue.exports import brochures
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.dates import utcnow

logger = logging.getLogger(__name__)

QUEUE_NAME = "exports"
JOB_TIMEOUT = 30 * 60  # seconds; a full-catalogue brochure takes well under a minute


def submit(job: ExportJob) -> None:
    """Start a committed job the configured way."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    base_url = job.parameters.get("base_url", "http://localhost/")
    if app.config["EXPORT_JOBS_SYNC"]:
        run_job(job.id)
    elif app.config.get("REDIS_URL"):
        queue(app).enqueue(run_queued_job, job.id, job_timeout=JOB_TIMEOUT)
    else:
        thread = threading.Thread(
            target=_run_in_thread, args=(app, job.id, base_url), name=f"export-job-{job.id}"
        )
        thread.daemon = True  # a shutdown does not wait for it; the job then shows as stalled
        thread.start()


def queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))


def _run_in_thread(app: Flask, job_id: int, base_url: str) -> None:
    # A request context gives the templates url_for() with the portal's own host name.
    with app.test_request_context(base_url=base_url):
        run_job(job_id)
        db.session.remove()


def run_queued_job(job_id: int) -> None:
    """The RQ entry point; the worker (`flask exports worker`) provides the app context."""
    job = db.session.get(ExportJob, job_id)
    base_url = job.parameters.get("base_url", "http://localhost/") if job else "http://localhost/"
    with current_app.test_request_context(base_url=base_url):
        run_job(job_id)
    db.session.remove()


def run_job(job_id: int) -> None:
    """Render the job's brochure, saving progress as it goes; failures are kept on the job."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status != "queued":
        return
    job.status = "running"
    job.started_at = utcnow()
    job.stage = "Starting"
    save_progress(job, 0, "Starting")
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
        job = db.session.get(ExportJob, job_id)
        assert job is not None  # committed before it was submitted
        job.status = "failed"
        job.stage = "Stopped by an error"
        job.error = f"{type(error).__name__}: {error}"[:2000]
        job.finished_at = utcnow()
        db.session.commit()
    brochures.cleanup_exports()
    db.session.commit()


def save_progress(job: ExportJob, done: int, stage: str) -> None:
    job.progress_done = done
    job.stage = stage[:200]
    db.session.commit()

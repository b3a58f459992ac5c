"""Background work, one way with or without Redis.

One-off jobs (`enqueue`) go to an RQ queue when REDIS_URL is set, so the `flask worker` of any
machine runs them; otherwise a thread of this process runs them, or the caller at once when
JOBS_SYNC is set (tests), so nothing outlives a test.

Periodic jobs are declared by each feature's tasks.py as `PeriodicJob`s and listed once, by the
factory (`register_background_work`). Without REDIS_URL each runs in a thread of every app
process (lib/periodic.py), started with the first request and switched off by its own setting.
With REDIS_URL no web process runs them: `flask worker` enqueues each one when it is due (a
Redis key set with NX and an expiry of the interval, so of several workers only one enqueues a
run) and runs it like any other job. A run is skipped while the previous one still waits or
runs, so a slow job never piles up copies of itself.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app

from catalogue.extensions import db
from catalogue.lib.periodic import start_periodic_thread

logger = logging.getLogger(__name__)

ONE_OFF_TIMEOUT = 30 * 60  # seconds; a full-catalogue brochure takes well under a minute
PERIODIC_TIMEOUT = 5 * 60  # shorter than the mail claim's time-out (mail/delivery.py)
SCHEDULER_TICK = 1.0  # seconds between the worker's looks at what is due


@dataclass(frozen=True)
class PeriodicJob:
    """`func()` every `every` seconds (a number, or the name of the setting that holds it).
    Without REDIS_URL it runs in a thread of each app process while the setting `switch` is on."""

    name: str
    every: float | str
    func: Callable[[], object]
    switch: str

    def seconds(self, config) -> float:
        return float(config[self.every] if isinstance(self.every, str) else self.every)


def init_app(app: Flask, periodic: list[PeriodicJob]) -> None:
    """Keep the app's periodic jobs; without REDIS_URL, start their threads with the first
    request this process serves (never in CLI runs)."""
    app.extensions["periodic_jobs"] = periodic
    started = threading.Event()
    lock = threading.Lock()

    @app.before_request
    def start_periodic_threads() -> None:
        if started.is_set():
            return
        with lock:
            if started.is_set():
                return
            started.set()
            if app.config.get("REDIS_URL"):
                return  # `flask worker` runs them
            for job in periodic:
                if app.config.get(job.switch):
                    start_periodic_thread(app, job.name, job.func, job.seconds(app.config))


def periodic_jobs(app: Flask) -> list[PeriodicJob]:
    return app.extensions.get("periodic_jobs", [])


# --- One-off jobs --------------------------------------------------------------------------------


def enqueue(func: Callable[..., object], *args) -> None:
    """Run func(*args) in the background, inside an app context. func must be a module-level
    function and args plain values (the queue stores them by name and pickles them)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    if app.config["JOBS_SYNC"]:
        func(*args)
    elif app.config.get("REDIS_URL"):
        queue(app, "jobs").enqueue(func, *args, job_timeout=ONE_OFF_TIMEOUT)
    else:
        name = "-".join(["job", func.__name__, *map(str, args)])
        # A daemon: a shutdown does not wait for it (a job that keeps state notices it stalled).
        threading.Thread(
            target=_run_in_thread, args=(app, func, args), name=name, daemon=True
        ).start()


def _run_in_thread(app: Flask, func: Callable[..., object], args: tuple) -> None:
    with app.app_context():
        try:
            func(*args)
        except Exception:
            logger.exception("Background job %s failed", func.__name__)
        finally:
            db.session.remove()


# --- Redis: queues, the scheduler, the worker ----------------------------------------------------


def redis(app: Flask):
    from redis import Redis

    url = app.config["REDIS_URL"]
    connections = app.extensions.setdefault("jobs_redis", {})
    if url not in connections:
        connections[url] = Redis.from_url(url)
    return connections[url]


def queue(app: Flask, kind: str):
    """The "periodic" queue (short jobs, served first) or the "jobs" queue of one-off jobs."""
    from rq import Queue

    return Queue(f"{app.config['REDIS_KEY_PREFIX']}:{kind}", connection=redis(app))


def enqueue_due(app: Flask) -> list[str]:
    """Enqueue the periodic jobs that are due; returns their names."""
    connection, prefix = redis(app), app.config["REDIS_KEY_PREFIX"]
    periodic = queue(app, "periodic")
    enqueued = []
    for job in periodic_jobs(app):
        job_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}-periodic-{job.name}")
        if _still_pending(periodic.fetch_job(job_id)):
            continue
        due_key = f"{prefix}:periodic-due:{job.name}"
        if not connection.set(due_key, "1", nx=True, px=int(job.seconds(app.config) * 1000)):
            continue  # run already this interval, by this worker or another
        periodic.enqueue(
            job.func,
            job_id=job_id,
            description=job.name,
            job_timeout=PERIODIC_TIMEOUT,
            result_ttl=0,
            failure_ttl=24 * 3600,
        )
        enqueued.append(job.name)
    return enqueued


def _still_pending(previous) -> bool:
    """The previous run waits in the queue, or runs and is not past its time-out (a run that is
    was lost with its worker: RQ would have stopped it by then)."""
    from rq.job import JobStatus

    if previous is None:
        return False
    status = previous.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return True
    started = previous.started_at
    return (
        status == JobStatus.STARTED
        and started is not None
        and (datetime.now(UTC) - started).total_seconds() < PERIODIC_TIMEOUT
    )


def run_worker(app: Flask, burst: bool = False) -> None:
    """Serve both queues in this process, with RQ's scheduler (delayed jobs and retries) and the
    periodic jobs; with `burst`, enqueue what is due, run every queued job and return."""
    from rq import SimpleWorker

    class AppWorker(SimpleWorker):
        # Jobs run in this process (no fork: the database pool stays this process's), each
        # in an app context of its own.
        def perform_job(self, job, queue, execution) -> bool:
            with app.app_context():
                try:
                    return super().perform_job(job, queue, execution)
                finally:
                    db.session.remove()

    queues = [queue(app, "periodic"), queue(app, "jobs")]
    worker = AppWorker(queues, connection=redis(app))
    stop = threading.Event()
    if burst:
        enqueue_due(app)
    else:
        threading.Thread(
            target=_schedule, args=(app, stop), name="periodic-scheduler", daemon=True
        ).start()
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()


def _schedule(app: Flask, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            enqueue_due(app)
        except Exception:  # Redis away for a moment: the worker loop reports it too
            logger.exception("Could not enqueue the periodic jobs; retrying")
        stop.wait(SCHEDULER_TICK)

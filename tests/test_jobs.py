"""One job system: with REDIS_URL, `flask worker` runs the queued and the periodic jobs and web
processes run none; the search indexer runs as a process of its own. Without REDIS_URL the
same work runs in-process (the feature tests cover that path)."""

import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq.job import JobStatus

from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib import jobs
from catalogue.mail.models import OutboundEmail
from catalogue.mail.services import queue_email

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parent.parent
PERIODIC_NAMES = {
    "mail-delivery",
    "mail-prune",
    "inquiry-jobs",
    "approval-reminders",
    "exports-cleanup",
    "pdf-prerender",
}


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the local Redis, so parallel runs never meet."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        reason = f"Redis is not reachable at {REDIS_URL}"
        print(reason)
        pytest.skip(reason)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    for queue_key in client.smembers("rq:queues"):
        if prefix.encode() in queue_key:
            client.srem("rq:queues", queue_key)
    client.close()


@pytest.fixture
def redis_app(app, redis_prefix):
    app.config.update(REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=redis_prefix, JOBS_SYNC=False)
    return app


def _periodic_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name in PERIODIC_NAMES}


def test_every_feature_registers_its_periodic_jobs(app):
    assert {job.name for job in jobs.periodic_jobs(app)} == PERIODIC_NAMES


@pytest.mark.postgresql
def test_a_brochure_asked_for_on_the_web_is_built_by_the_worker(
    redis_app, client, runner, make_user, login, make_product
):
    make_product(name="Queued Antigen Test")
    login(make_user(role="staff"))
    client.post("/staff/exports/", data={})
    job = db.session.scalar(sa.select(ExportJob))
    assert job.status == "queued"
    job_id = job.id
    assert "Waiting for a worker" in client.get("/staff/exports/").get_data(as_text=True)

    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job.status == "done", job.error
    assert job.page_count >= 4  # cover, contents, the maker's section, the index
    with client.get(f"/staff/exports/{job_id}/download") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF-")


@pytest.mark.postgresql
def test_the_worker_delivers_the_outbox_not_the_web_process(redis_app, client, runner):
    queue_email("buyer@city.example", "Reset", "password_reset", user=None, link="x", hours=2)
    db.session.commit()
    assert client.get("/").status_code == 200
    assert db.session.scalar(sa.select(OutboundEmail.status)) == "pending"

    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboundEmail.status)) == "sent"
    assert len(list(Path(redis_app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))) == 1


def test_each_periodic_run_is_enqueued_by_one_worker_only(redis_app):
    # Two workers looking at once: the first enqueues every job, the second finds none due.
    assert set(jobs.enqueue_due(redis_app)) == PERIODIC_NAMES
    assert jobs.enqueue_due(redis_app) == []
    # Nor is a run added while the previous one still waits in the queue.
    connection = jobs.redis(redis_app)
    due_key = f"{redis_app.config['REDIS_KEY_PREFIX']}:periodic-due:mail-delivery"
    connection.delete(due_key)
    assert jobs.enqueue_due(redis_app) == []
    periodic = jobs.queue(redis_app, "periodic")
    assert periodic.count == len(PERIODIC_NAMES)
    # A run whose worker died (started, and past its time-out) no longer holds the next one back.
    (mail_job,) = [job for job in periodic.jobs if job.description == "mail-delivery"]
    periodic.remove(mail_job)
    mail_job.set_status(JobStatus.STARTED)
    mail_job.started_at = datetime.now(UTC) - timedelta(seconds=jobs.PERIODIC_TIMEOUT + 1)
    mail_job.save()
    connection.delete(due_key)
    assert jobs.enqueue_due(redis_app) == ["mail-delivery"]


def test_web_processes_with_redis_start_no_periodic_thread(app_factory, redis_prefix):
    switches = dict.fromkeys(
        ("MAIL_DELIVERY_THREAD", "INQUIRY_JOBS_THREAD", "APPROVAL_REMINDERS_THREAD"), True
    )
    web = app_factory(
        REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=redis_prefix, EXPORT_CLEANUP_THREAD=True, **switches
    )
    before = _periodic_threads()
    web.test_client().get("/no-such-page")
    assert _periodic_threads() == before

    # Without Redis the same request starts the in-process threads that are switched on.
    local = app_factory(EXPORT_CLEANUP_THREAD=True)
    with local.app_context():
        db.create_all()
    local.test_client().get("/no-such-page")
    started = _periodic_threads() - before
    assert [thread.name for thread in started] == ["exports-cleanup"]


def test_worker_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "Set REDIS_URL" in result.output


def test_the_search_indexer_runs_as_its_own_process_and_stops_on_sigterm(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")},
        "FLASK_APP": "wsgi",
        "FLASK_CONFIG": "development",
        "INSTANCE_DIR": str(tmp_path),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SEARCH_INDEX_INTERVAL": "0.2",
    }
    flask = [sys.executable, "-m", "flask"]
    upgrade = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [*flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert upgrade.returncode == 0, upgrade.stderr.decode()
    indexer = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [*flask, "search", "indexer"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert indexer.stdout is not None
        assert "Search indexer for" in indexer.stdout.readline()
        # The missing index is built at once.
        for _ in range(300):
            if (tmp_path / "index").is_dir() and any((tmp_path / "index").iterdir()):
                break
            threading.Event().wait(0.1)
        else:
            pytest.fail("the indexer built no index")
        indexer.send_signal(signal.SIGTERM)
        out, _ = indexer.communicate(timeout=30)
    finally:
        if indexer.poll() is None:
            indexer.kill()
    assert indexer.returncode == 0
    assert "Search indexer stopped." in out

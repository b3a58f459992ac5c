"""With REDIS_URL set, brochure jobs go to an RQ queue that `flask exports worker` serves."""

import shutil
import socket
import subprocess
import time

import pytest
import sqlalchemy as sa

from catalogue.exports.models import ExportJob
from catalogue.extensions import db

pytestmark = pytest.mark.postgresql

REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path):
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 (the local redis-server binary, fixed arguments)
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_job_waits_in_the_queue_until_a_worker_runs_it(
    app, client, runner, make_user, login, make_product, redis_url
):
    app.config.update(REDIS_URL=redis_url, EXPORT_JOBS_SYNC=False)
    make_product(name="Queued Antigen Test")
    login(make_user(role="staff"))
    client.post("/staff/exports/", data={})
    job = db.session.scalar(sa.select(ExportJob))
    assert job.status == "queued"
    job_id = job.id
    assert "Waiting for a worker" in client.get("/staff/exports/").get_data(as_text=True)

    result = runner.invoke(args=["exports", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    job = db.session.get(ExportJob, job_id)
    assert job.status == "done", job.error
    assert job.page_count >= 4  # cover, contents, the maker's section, the index

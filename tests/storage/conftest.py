"""Storage tests: every test here runs twice, on the local folder and on S3-compatible storage.

The S3 side talks HTTP to a real S3-protocol server, the standalone `moto_server`, started once
per session on a free port of 127.0.0.1 and stopped at the end; each test gets a prefix of its
own in one bucket.
"""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.server.conftest import free_port

BIN = Path(sys.executable).parent
BUCKET = "catalogue-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """The address of a running moto_server with the test bucket."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_answering(url, process, log_path)
        client = boto3.session.Session().client(
            "s3", endpoint_url=url, region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )  # fmt: skip
        client.create_bucket(Bucket=BUCKET)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (the test's own server)
                return
        except urllib.error.HTTPError:  # it answers, if only with an error page
            return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    pytest.fail("moto_server did not start:\n" + log_path.read_text())


@pytest.fixture(params=["local", "s3"])
def app(request, app, tmp_path, monkeypatch):
    """The test's app, storing its files in a folder of the test or under a prefix of its own
    in the S3 server's bucket."""
    if request.param == "s3":
        for name, value in CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        app.config.update(
            STORAGE_URL=f"s3://{BUCKET}/{tmp_path.name}",
            S3_ENDPOINT_URL=request.getfixturevalue("s3_server"),
        )
    yield app
    built = app.extensions.pop("storage", None)
    if built is not None:
        built[1].close()

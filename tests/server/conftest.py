"""Server tests: gunicorn started the way `make run` starts it (the production configuration,
gunicorn.conf.py, a SITE_URL of http://HOST:PORT), in a temporary instance folder on SQLite.

Like the browser tests (tests/browser/conftest.py) each server runs on a free port of 127.0.0.1;
the migrated database is made once per session and copied for each instance folder.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    """The Makefile's `run` command line (test_make_run_uses_this_command checks they agree)."""
    return [
        str(BIN / "gunicorn"), "--config", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "wsgi:app",
    ]  # fmt: skip


class Server:
    """One gunicorn master with its workers; stop() and start() again is a restart."""

    def __init__(self, instance: Path, env: dict[str, str], extra_args: tuple[str, ...] = ()):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "SITE_URL": self.url}
        self.extra_args = list(extra_args)
        self.log_path = instance / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            gunicorn_command(self.port) + self.extra_args,
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 (our own server)
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        pytest.fail("gunicorn did not start:\n" + self.log_path.read_text())

    def stop(self, quick: bool = False) -> None:
        """A graceful stop (SIGTERM, as a restart does), or a quick one when the test is over."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT if quick else signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A SQLite file with every migration applied, made once (`make run` does the same)."""
    folder = tmp_path_factory.mktemp("server-template")
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "FLASK_CONFIG": "production",
        "SECRET_KEY": "template",
        "SITE_URL": "http://127.0.0.1",
        "INSTANCE_DIR": str(folder),
    }
    subprocess.run(
        [BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return folder / "catalogue.sqlite3"


def start_server(
    instance: Path, database: Path, extra_args: tuple[str, ...] = (), **extra_env: str
) -> Server:
    instance.mkdir()
    shutil.copy(database, instance / "catalogue.sqlite3")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "DATABASE_URL", "SITE_URL")
    }
    env.update(
        FLASK_APP="wsgi",
        FLASK_CONFIG="production",
        SECRET_KEY=secrets.token_hex(16),
        INSTANCE_DIR=str(instance),
        # The server's own threads are not under test; they would only add noise.
        SEARCH_INDEXER="0",
        INQUIRY_JOBS_THREAD="0",
        APPROVAL_REMINDERS_THREAD="0",
        EXPORT_CLEANUP_THREAD="0",
        PDF_PRERENDER_THREAD="0",
        **extra_env,
    )
    server = Server(instance, env, extra_args)
    server.start()
    return server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, migrated_database):
    """One `make run` server for the tests of a module that only read."""
    server = start_server(tmp_path_factory.mktemp("server") / "instance", migrated_database)
    yield server
    server.stop(quick=True)


@pytest.fixture
def make_server(tmp_path, migrated_database):
    """make_server(extra_args, **env) starts a `make run` server in a fresh instance folder."""
    servers: list[Server] = []

    def make(extra_args: tuple[str, ...] = (), **extra_env: str) -> Server:
        instance = tmp_path / f"instance-{len(servers)}"
        servers.append(start_server(instance, migrated_database, extra_args, **extra_env))
        return servers[-1]

    yield make
    for server in servers:
        server.stop(quick=True)

"""Rate limits on sign-in and registration, and the storage that makes them hold exactly across
the workers of a machine and its restarts (issue 14, item 4; the real two-worker server is in
tests/server/test_make_run_server.py)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from catalogue.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limited_client(app_factory):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
        yield app.test_client()


def test_fourth_sign_in_attempt_in_a_minute_gets_429(limited_client):
    data = {"email": "someone@city.example", "password": "wrong password here"}
    codes = [limited_client.post("/account/login", data=data).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    page = limited_client.post("/account/login", data=data)
    assert page.status_code == 429
    assert "Too many requests" in page.get_data(as_text=True)
    # Reading the form is not limited.
    assert limited_client.get("/account/login").status_code == 200


def test_registration_is_rate_limited(app_factory):
    app = app_factory("test_limits", RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [client.post("/account/register", data={}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


# --- Shared storage -----------------------------------------------------------------------------


def _limiter(path: Path) -> FixedWindowRateLimiter:
    """What one worker process holds: its own storage object on the machine's file."""
    return FixedWindowRateLimiter(storage_from_string(f"sqlite://{path}"))


def test_limits_are_shared_by_the_workers_of_a_machine_and_survive_a_restart(tmp_path):
    path = tmp_path / "ratelimits.sqlite3"
    worker_a, worker_b = _limiter(path), _limiter(path)
    ten = parse("10/minute")
    hits = [(worker_a, worker_b)[n % 2].hit(ten, "login", "203.0.113.9") for n in range(11)]
    assert hits == [True] * 10 + [False]
    restarted = _limiter(path)
    assert not restarted.hit(ten, "login", "203.0.113.9")
    assert restarted.get_window_stats(ten, "login", "203.0.113.9").remaining == 0
    assert restarted.hit(ten, "login", "198.51.100.7")  # another address has its own count


def test_a_window_starts_again_when_it_ends(tmp_path):
    # In a folder that does not exist yet (a fresh instance folder).
    limiter, one = _limiter(tmp_path / "instance" / "ratelimits.sqlite3"), parse("1/second")
    assert limiter.hit(one, "k") and not limiter.hit(one, "k")
    time.sleep(1.05)
    assert limiter.hit(one, "k")
    limiter.clear(one, "k")
    assert limiter.get_window_stats(one, "k").remaining == 1


HITS = """
import sys
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
import catalogue.lib.ratelimits
limiter = FixedWindowRateLimiter(storage_from_string("sqlite://" + sys.argv[1]))
print(sum(limiter.hit(parse("25/minute"), "inquiry", "203.0.113.9") for _ in range(15)))
"""


def test_concurrent_processes_never_exceed_a_limit(tmp_path):
    path = str(tmp_path / "ratelimits.sqlite3")
    processes = [
        subprocess.Popen([sys.executable, "-c", HITS, path], cwd=ROOT, stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    allowed = [int(p.communicate(timeout=60)[0]) for p in processes]
    assert sum(allowed) == 25  # of 60 attempts at once, exactly the limit got through


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "sqlite://{instance}/ratelimits.sqlite3"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "redis://127.0.0.1:6379/3"),
        ({"RATELIMIT_STORAGE_URI": "memcached://m:11211"}, "memcached://m:11211"),
    ],
)
def test_limits_are_never_kept_per_process_by_default(tmp_path, env, expected):
    names = ("REDIS_URL", "RATELIMIT_STORAGE_URI", "INSTANCE_DIR")
    clean = {k: v for k, v in os.environ.items() if k not in names}
    printed = subprocess.run(
        [sys.executable, "-c", "import config; print(config.Config.RATELIMIT_STORAGE_URI)"],
        cwd=ROOT, env={**clean, "INSTANCE_DIR": str(tmp_path), **env},
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert printed == expected.format(instance=tmp_path)


def test_a_restarted_app_keeps_the_count(app_factory, tmp_path):
    uri = f"sqlite://{tmp_path / 'ratelimits.sqlite3'}"
    data = {"email": "someone@city.example", "password": "wrong password here"}
    codes = []
    for _ in range(2):  # the same app started twice on the machine's storage
        app = app_factory(
            "test_limits",
            RATELIMIT_ENABLED=True,
            LOGIN_RATE_LIMIT="3 per minute",
            RATELIMIT_STORAGE_URI=uri,
        )
        with app.app_context():
            db.create_all()
            client = app.test_client()
            codes += [client.post("/account/login", data=data).status_code for _ in range(2)]
    assert codes == [400, 400, 400, 429]

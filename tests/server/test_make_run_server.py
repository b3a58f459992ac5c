"""The `make run` server under attack (issue 14, items 4 and 17): half-sent requests, limits
across workers and restarts, and what the production configuration sends at plain http."""

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest

from tests.server.conftest import ROOT, gunicorn_command

REDIS_URL = "redis://127.0.0.1:6379/0"


def _get(url: str, opener=None, headers: dict | None = None, data: bytes | None = None):
    """(status, headers, body) of one request, 4xx and 5xx included."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (ours)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_make_run_uses_this_command():
    # The server tests start gunicorn exactly as the Makefile's `run` target does.
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(
        ["make", "-n", "run", "HOST=127.0.0.1", "PORT=5999"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (line,) = [line for line in printed.splitlines() if "gunicorn" in line]
    assert "FLASK_CONFIG=production" in line
    assert 'SITE_URL="http://127.0.0.1:5999"' in line
    command = gunicorn_command(5999)
    assert line.endswith(" ".join(command[1:]))
    assert line.split()[-len(command)].endswith("/gunicorn")


def test_the_production_configuration_works_at_plain_http(live_server):
    server = live_server
    status, headers, body = _get(f"{server.url}/account/login")
    assert status == 200 and 'name="csrf_token"' in body
    # http://127.0.0.1: the cookie must not be Secure, or the browser would drop it.
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "Secure" not in cookie
    assert headers["Cache-Control"] == "no-store"
    status, headers, _ = _get(f"{server.url}/supplies/products/")
    assert status == 200 and "no-store" not in headers.get("Cache-Control", "")
    # A foreign Host gets no page.
    status, _, body = _get(f"{server.url}/", headers={"Host": "evil.example"})
    assert status == 400 and "CAC" not in body


def test_half_sent_requests_do_not_delay_the_site(live_server):
    server = live_server
    held = []
    try:
        for _ in range(10):  # the request line and part of the headers, then nothing
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(sock)
        for _ in range(10):  # the whole head of a form, and a few bytes of its body
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(
                b"POST /account/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
                b"email=a"
            )
            held.append(sock)
        time.sleep(0.5)  # every connection has been accepted by a worker
        for _ in range(6):  # new connections, so both workers get some
            started = time.monotonic()
            status, _, body = _get(f"{server.url}/healthz")
            assert status == 200 and '"status":"ok"' in body.replace(" ", "")
            assert time.monotonic() - started < 1.0
    finally:
        for sock in held:
            sock.close()
    # A request completed after a pause is served normally.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.3)
        sock.sendall(b"Connection: close\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")


class LoginAttempts:
    """Failed sign-ins from one address, each on a new connection (any worker may answer)."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        _, _, page = _get(f"{url}/account/login", self.opener)
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def one(self) -> int:
        form = {"csrf_token": self.token, "email": "someone@city.example", "password": "x" * 14}
        data = urlencode(form).encode()
        status, _, body = _get(f"{self.url}/account/login", self.opener, data=data)
        assert status == 429 or "do not match an active account" in body, body  # not a CSRF error
        return status

    def many(self, count: int) -> list[int]:
        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda _: self.one(), range(count)))


def _workers_that_answered(server) -> set[str]:
    # Access-log lines "<worker pid> POST /account/login ..." (see extra_args below).
    return set(re.findall(r"^<(\d+)> POST /account/login", server.log(), re.M))


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    return client


@pytest.mark.parametrize("storage", ["machine", "redis"])
def test_sign_in_limit_holds_exactly_across_workers_and_a_restart(make_server, storage):
    env = {}
    if storage == "redis":
        client = _redis_or_skip()
        env = {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    server = make_server(("--access-logformat", "%(p)s %(r)s %(s)s"), **env)
    try:
        attempts = LoginAttempts(server.url)
        codes = attempts.many(25)
        while len(_workers_that_answered(server)) < 2 and len(codes) < 60:
            codes += attempts.many(5)  # until both workers have answered some
        # 10 a minute, whichever of the 2 workers answered: exactly 10 got through.
        assert len(_workers_that_answered(server)) == 2, server.log()[-3000:]
        assert codes.count(429) == len(codes) - 10, codes
        if storage == "machine":
            assert (server.instance / "ratelimits.sqlite3").exists()

        server.stop()
        server.start()
        # The restart forgot nothing: the next attempt is refused at once.
        assert LoginAttempts(server.url).one() == 429
    finally:
        if storage == "redis":
            for key in client.scan_iter(f"*{env['REDIS_KEY_PREFIX']}*"):
                client.delete(key)

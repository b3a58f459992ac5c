"""Behind proxies (TRUSTED_PROXIES): rate limits and log lines see the real client, taken from
the right-most entries of X-Forwarded-For, which a client cannot forge; without the setting the
header is ignored. Links keep coming from SITE_URL whatever the forwarded headers say."""

import io
import logging
import os
import subprocess
import urllib.request

import pytest

from catalogue.extensions import db
from catalogue.lib.logs import log_handler
from catalogue.supplies.models import Category, Manufacturer, Product
from tests.server.conftest import BIN, ROOT, start_server

PROXY = "10.0.0.1"  # nginx, as the app's socket sees it
LOGIN = {"email": "someone@city.example", "password": "wrong password here"}


@pytest.fixture
def proxied(app_factory):
    """proxied(n, **config): an app behind n proxies, with its tables and one product."""

    def make(proxies: int, **overrides):
        limits = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute"}
        app = app_factory("test_proxy", TRUSTED_PROXIES=proxies, **{**limits, **overrides})
        with app.app_context():
            db.create_all()
            maker = Manufacturer(slug="m", name="Maker M")
            product = Product(slug="p", name="P", status="published", manufacturer=maker)
            product.category = Category(slug="c", name="C", kind="diagnostic_reagent")
            db.session.add(product)
            db.session.commit()
        return app

    return make


def _sign_in_codes(app, peer: str, forwarded_for: list[str | None]) -> list[int]:
    """The status of a failed sign-in from socket address `peer` with each X-Forwarded-For."""
    client = app.test_client()
    codes = []
    for value in forwarded_for:
        headers = {"X-Forwarded-For": value} if value else {}
        response = client.post(
            "/account/login", data=LOGIN, headers=headers, environ_base={"REMOTE_ADDR": peer}
        )
        codes.append(response.status_code)
    return codes


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(proxied):
    app = proxied(0)
    forged = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    assert _sign_in_codes(app, "192.0.2.10", forged) == [400, 400, 429]


def test_two_clients_behind_one_proxy_have_limits_of_their_own(proxied):
    app = proxied(1)
    first, second = "203.0.113.21", "203.0.113.22"
    assert _sign_in_codes(app, PROXY, [first, first, first]) == [400, 400, 429]
    assert _sign_in_codes(app, PROXY, [second, second]) == [400, 400]
    # The proxy's own requests (a health check on the machine) are limited as the proxy.
    assert _sign_in_codes(app, PROXY, [None, None, None]) == [400, 400, 429]


def test_a_client_cannot_pick_its_address_by_prepending_to_the_header(proxied):
    app = proxied(1)
    # nginx appends the address it was connected from to what the client sent.
    forged = [f"198.51.100.{n}, 203.0.113.31" for n in range(3)]
    assert _sign_in_codes(app, PROXY, forged) == [400, 400, 429]
    # While another client behind the same proxy has its own limit.
    assert _sign_in_codes(app, PROXY, ["198.51.100.1, 203.0.113.32"]) == [400]


@pytest.mark.parametrize(
    ("proxies", "peer", "forwarded_for", "client"),
    [
        (0, "192.0.2.10", "203.0.113.41", "192.0.2.10"),
        (1, PROXY, "198.51.100.9, 203.0.113.42", "203.0.113.42"),
        # A load balancer, then nginx: the second entry from the right is the client.
        (2, "10.0.0.2", "198.51.100.9, 203.0.113.43, 10.0.0.1", "203.0.113.43"),
    ],
)
def test_log_lines_name_the_real_client(proxied, caplog, proxies, peer, forwarded_for, client):
    app = proxied(proxies, LOGIN_RATE_LIMIT="1 per minute")
    stream = io.StringIO()
    handler = log_handler(stream)  # what wsgi.py's configure_logging installs
    caplog.set_level(logging.INFO)
    logging.getLogger().addHandler(handler)
    try:
        assert _sign_in_codes(app, peer, [forwarded_for] * 2) == [400, 429]
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = [line for line in stream.getvalue().splitlines() if "exceeded" in line]
    # The limit was counted for the client, and the line says who it was.
    assert f"({client})" in line and line.endswith(f"[client {client}]")
    assert "198.51.100.9" not in stream.getvalue()


def test_lines_logged_outside_a_request_name_no_client():
    stream = io.StringIO()
    logger = logging.getLogger("catalogue.test_proxy")
    logger.addHandler(handler := log_handler(stream))
    try:
        logger.warning("Background pass failed")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "WARNING:catalogue.test_proxy:Background pass failed\n"


@pytest.mark.parametrize("site", ["https://supplies.example", "http://supplies.example"])
def test_forwarded_scheme_and_host_never_change_the_sites_links(proxied, site):
    app = proxied(1, SITE_URL=site)
    client = app.test_client()
    headers = {
        "X-Forwarded-For": "203.0.113.51",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
    }
    # nginx speaks plain http to the app; the Host is the site's.
    response = client.get(
        "/api/v1/products/p",
        base_url="http://supplies.example",
        headers=headers,
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 200
    assert response.json["url"] == f"{site}/api/v1/products/p"
    assert response.json["page_url"] == f"{site}/supplies/products/p"
    # The trusted-host check reads the real Host, never X-Forwarded-Host.
    foreign = client.get(
        "/api/v1/products/p",
        base_url="http://evil.example",
        headers={**headers, "X-Forwarded-Host": "supplies.example"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert foreign.status_code == 400


@pytest.fixture
def migrated_database(tmp_path):
    (tmp_path / "template").mkdir()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "FLASK_CONFIG": "production",
        "SECRET_KEY": "template",
        "SITE_URL": "http://127.0.0.1",
        "INSTANCE_DIR": str(tmp_path / "template"),
    }
    subprocess.run(
        [BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return tmp_path / "template" / "catalogue.sqlite3"


@pytest.mark.server
def test_gunicorns_access_log_names_the_client_the_app_sees(tmp_path, migrated_database):
    server = start_server(tmp_path / "instance", migrated_database, TRUSTED_PROXIES="1")
    try:
        request = urllib.request.Request(  # noqa: S310 (our own server)
            f"{server.url}/healthz?proxied", headers={"X-Forwarded-For": "203.0.113.61"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 200
    finally:
        server.stop()
    (line,) = [line for line in server.log().splitlines() if "/healthz?proxied" in line]
    assert line.startswith("203.0.113.61 ")

"""Browser tests: Debian's Chromium driven by Playwright against a real gunicorn server.

The server runs the development configuration on a SQLite file with the full seed, in a
temporary instance folder, and sends its mail to a real SMTP test server on loopback. On a
failure the page's screenshot and HTML are kept under tests/browser/artifacts/.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser tests passphrase"

SETUP_USERS = """
import sqlalchemy as sa
from catalogue import create_app
from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.supplies.models import Manufacturer

app = create_app()
with app.app_context():
    maker = db.session.scalar(sa.select(Manufacturer).where(Manufacturer.slug == "sd-biosensor"))
    for email, role, maker_id in (
        ("staff@browser.example", "staff", None),
        ("qa@sd-biosensor.example", "manufacturer", maker.id),
    ):
        # Both chose English (makers and staff read Korean by default): the journeys read
        # their e-mails in English.
        name = email.split("@")[0]
        user = User(email=email, role=role, manufacturer_id=maker_id, name=name, language="en")
        user.set_password({password!r})
        db.session.add(user)
    db.session.commit()
"""


@dataclass
class LiveServer:
    url: str
    mail: object  # the SMTP test server's inbox: every e-mail the site sends
    staff_email: str = "staff@browser.example"
    maker_email: str = "qa@sd-biosensor.example"
    password: str = PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    instance = tmp_path_factory.mktemp("live")
    smtp = SmtpServer()
    smtp.start()
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "FLASK_CONFIG": "development",
        # Links in the site's e-mails point at this server (never at the request's Host).
        "SITE_URL": f"http://127.0.0.1:{port}",
        "INSTANCE_DIR": str(instance),  # the rate limits' file too
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": f"sqlite:///{instance / 'catalogue.sqlite3'}",
        "SEARCH_INDEX_DIR": str(instance / "index"),
        "STORAGE_DIR": str(instance),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        # The journeys render the PDFs they open; a pass over the whole catalogue would only
        # compete with the browser for the two cores.
        "PDF_PRERENDER_THREAD": "0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_USE_TLS": "0",
    }
    for command in (["db", "upgrade"], ["seed"], ["search", "reindex"]):
        subprocess.run(
            [BIN / "flask", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    subprocess.run(
        [sys.executable, "-c", SETUP_USERS.format(password=PASSWORD)],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    log = (instance / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [BIN / "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (our own server)
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        pytest.fail("gunicorn did not start: " + (instance / "gunicorn.log").read_text())
    yield LiveServer(url=url, mail=smtp.inbox)
    server.terminate()
    server.wait(timeout=20)
    log.close()
    smtp.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def new_page(browser, request):
    """new_page() opens a page in a fresh browser context (its own cookies: one person each);
    new_page(width=360) on a phone's screen, new_page(javascript=False) without scripts."""
    pages = []

    def make(width=1280, height=900, javascript=True):
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        pages.append(page)
        return page

    yield make
    failed = getattr(request.node, "report_call", None) and request.node.report_call.failed
    for n, page in enumerate(pages):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = f"{request.node.name}-{n}"
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
        page.context.close()


def sign_in(page, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/account/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

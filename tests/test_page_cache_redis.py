"""The page cache in Redis (REDIS_URL): one cache for every node of the site, never older than
the last committed change, and an unreachable Redis costs the cache only, never a page.

Runs against the Redis server at 127.0.0.1:6379, under a key prefix of its own per test."""

import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import redis

from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.supplies.models import Category, Manufacturer, Product

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
PAGE = "/supplies/products/p"


@pytest.fixture
def shared_redis():
    """The Redis server and a key prefix for this test alone; its keys are removed after it."""
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        server.ping()
    except redis.RedisError as error:
        reason = f"Redis page cache tests skipped: no Redis at {REDIS_URL} ({error})"
        print(reason)
        pytest.skip(reason)
    prefix = f"test-{uuid.uuid4().hex}:"
    yield server, prefix
    for key in server.scan_iter(match=f"{prefix}*"):
        server.delete(key)
    server.close()


@pytest.fixture
def nodes(app_factory, tmp_path, shared_redis):
    """Two apps, as two machines: one database, one Redis, folders of their own."""
    _server, prefix = shared_redis
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    apps = []
    for name in ("a", "b"):
        folder = tmp_path / name
        apps.append(
            app_factory(
                SQLALCHEMY_DATABASE_URI=database,
                REDIS_URL=REDIS_URL,
                REDIS_KEY_PREFIX=prefix,
                SEARCH_INDEX_DIR=str(folder / "index"),
                STORAGE_DIR=str(folder / "storage"),
                MAIL_OUTBOX_DIR=str(folder / "outbox"),
            )
        )
    with apps[0].app_context():
        db.create_all()
        maker = Manufacturer(slug="m", name="Maker M")
        product = Product(slug="p", name="Rapid test P", status="published", manufacturer=maker)
        product.category = Category(slug="c", name="C", kind="diagnostic_reagent")
        user = User(email="qa@maker.example", name="QA", role="manufacturer", manufacturer=maker)
        user.set_password(PASSWORD)
        db.session.add_all([product, user])
        db.session.commit()
    return apps


def _get(app, url=PAGE):
    response = app.test_client().get(url)
    assert response.status_code == 200
    return response


def test_a_page_kept_by_one_node_is_served_by_the_other(nodes, shared_redis):
    node_a, node_b = nodes
    server, prefix = shared_redis
    assert "X-Page-Cache" not in _get(node_a).headers
    served = _get(node_b)
    assert served.headers["X-Page-Cache"] == "hit"
    assert "Rapid test P" in served.get_data(as_text=True)
    # Kept under the site's prefix, for PAGE_CACHE_SECONDS at most.
    keys = list(server.scan_iter(match=f"{prefix}pagecache:*"))
    assert len(keys) == 1
    assert 0 < server.pttl(keys[0]) <= node_a.config["PAGE_CACHE_SECONDS"] * 1000


def test_an_edit_through_one_node_shows_at_once_on_the_other(nodes):
    node_a, node_b = nodes
    _get(node_a)
    assert _get(node_b).headers["X-Page-Cache"] == "hit"
    maker = node_a.test_client()
    signed_in = maker.post(
        "/account/login", data={"email": "qa@maker.example", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    with node_a.app_context():
        product = db.session.scalar(db.select(Product))
        form = {"name": "Rapid test P2", "category_id": str(product.category_id)}
    edited = maker.post(f"/portal/products/{product.id}/edit", data=form)
    assert edited.status_code == 302
    page = _get(node_b)
    assert "X-Page-Cache" not in page.headers
    assert "Rapid test P2" in page.get_data(as_text=True)
    # The new page is kept in turn, for both nodes.
    assert "Rapid test P2" in _get(node_a).get_data(as_text=True)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_pages_are_served_uncached_while_redis_is_down(app_factory, caplog):
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    with app.app_context():
        db.create_all()
        maker = Manufacturer(slug="m", name="Maker M")
        product = Product(slug="p", name="Rapid test P", status="published", manufacturer=maker)
        product.category = Category(slug="c", name="C", kind="diagnostic_reagent")
        db.session.add(product)
        db.session.commit()
    for _ in range(3):
        page = _get(app)
        assert "X-Page-Cache" not in page.headers
        assert "Rapid test P" in page.get_data(as_text=True)
    # Said once, not on every page: Redis is tried again only after a pause.
    warnings = [r for r in caplog.records if "Page cache unavailable" in r.getMessage()]
    assert len(warnings) == 1


NODE_B = """
import re, sys
from catalogue import create_app

app = create_app("testing", {
    "SQLALCHEMY_DATABASE_URI": sys.argv[1], "REDIS_URL": sys.argv[2],
    "REDIS_KEY_PREFIX": sys.argv[3], "WTF_CSRF_ENABLED": True,
    "SEARCH_INDEX_DIR": sys.argv[4] + "/index", "STORAGE_DIR": sys.argv[4] + "/storage",
    "MAIL_OUTBOX_DIR": sys.argv[4] + "/outbox",
})
visitor = app.test_client()
page = visitor.get("/supplies/products/p")
token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
added = visitor.post("/inquiry/basket/add", data={"product": "p", "csrf_token": token})
print(page.headers.get("X-Page-Cache"), added.status_code)
"""


def test_a_page_kept_by_another_process_carries_this_visitors_working_token(
    nodes, shared_redis, tmp_path
):
    """Node B runs in a process of its own, as on another machine."""
    node_a, _node_b = nodes
    _server, prefix = shared_redis
    node_a.config["WTF_CSRF_ENABLED"] = True
    _get(node_a)
    database = node_a.config["SQLALCHEMY_DATABASE_URI"]
    args = [database, REDIS_URL, prefix, str(tmp_path / "b")]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(NODE_B), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Served from what node A kept, with a token of node B's visitor that node B accepts.
    assert result.stdout.split() == ["hit", "302"]

"""Test fixtures: an app per test, its database copied from a schema built once per session.

Every test runs on SQLite. The tests marked `postgresql` — those that depend on what PostgreSQL
does differently (concurrency, locking, counters, migrations, the indexer, the version reader) —
run on PostgreSQL as well when TEST_DATABASE_URL is set.

Isolation without rebuilding the app or the schema for each test: one app per backend serves the
session's tests; on SQLite each test gets a fresh in-memory database copied (sqlite3 backup) from
a template made once per session; on PostgreSQL the schema is made once per session and emptied
(TRUNCATE) after each test. Both let a test commit, run threads and open connections of its own,
as the app does in production. Each test gets its own folders and page cache, and whatever it
changes in the configuration is undone after it.
"""

import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from catalogue import create_app
from catalogue.extensions import db, limiter

pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.content",
    "tests.fixtures.inquiries",
    "tests.fixtures.search",
    "tests.fixtures.smtp",
    "tests.fixtures.supplies",
    "tests.fixtures.world",
]

PG_SKIP_REASON = (
    "PostgreSQL run skipped: TEST_DATABASE_URL is not set (.ci/run sets it to the local server)"
)
SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
BROWSER_DIR = Path(__file__).resolve().parent / "browser"
SERVER_DIR = Path(__file__).resolve().parent / "server"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "postgresql: depends on database behaviour; runs on PostgreSQL too"
    )
    config.addinivalue_line("markers", "browser: drives Chromium against a live server")
    config.addinivalue_line("markers", "server: starts gunicorn as `make run` does")


def pytest_report_header(config):
    if os.environ.get("TEST_DATABASE_URL"):
        return "databases: SQLite; PostgreSQL (TEST_DATABASE_URL) for tests marked postgresql"
    return f"databases: SQLite only; {PG_SKIP_REASON}"


def pytest_collection_modifyitems(items):
    for item in items:
        if BROWSER_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
        if SERVER_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.server)


def pytest_generate_tests(metafunc):
    """SQLite for every test; PostgreSQL as well for those marked postgresql."""
    backends = ["sqlite"]
    if metafunc.definition.get_closest_marker("postgresql"):
        backends.append("postgresql")
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends, indirect=True)
    if "seeded_backend" in metafunc.fixturenames:
        metafunc.parametrize("seeded_backend", backends, indirect=True, scope="module")


def _schema(name: str) -> str:
    # The prefix lets two checkouts run their suites against one server at the same time.
    return os.environ.get("TEST_SCHEMA_PREFIX", "") + name


def _pg_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(PG_SKIP_REASON)
    return url


def _pg_options(schema: str) -> dict:
    return {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}


def _recreate_pg_schema(schema: str) -> None:
    engine = sa.create_engine(_pg_url())
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _drop_pg_schema(schema: str) -> None:
    engine = sa.create_engine(_pg_url())
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _folders(tmp_path: Path) -> dict[str, str]:
    return {
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "STORAGE_DIR": str(tmp_path / "storage"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


class BufferedClient(FlaskClient):
    """Reads each response whole and closes it, as a server does: a streamed download's file or
    S3 stream is closed with it (pass buffered=False to look at the stream itself)."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


def _make_app(url: str, engine_options: dict, tmp_path: Path, **overrides):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            **_folders(tmp_path),
            **overrides,
        },
    )
    app.test_client_class = BufferedClient
    return app


def _close(app) -> None:
    from catalogue.search.store import close_index

    close_index(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template():
    """An in-memory SQLite database holding every table, made once per session."""
    import catalogue.models  # noqa: F401  (every feature's tables)

    template = sqlite3.connect(":memory:", check_same_thread=False)
    engine = sa.create_engine("sqlite://", creator=lambda: template, poolclass=sa.pool.StaticPool)
    db.metadata.create_all(engine)
    yield template
    template.close()


@pytest.fixture(scope="session")
def pg_schema():
    """A PostgreSQL schema holding every table, made once per session."""
    import catalogue.models  # noqa: F401  (every feature's tables)

    schema = _schema("test_session")
    _recreate_pg_schema(schema)
    engine = sa.create_engine(_pg_url(), **_pg_options(schema))
    db.metadata.create_all(engine)
    yield schema, engine
    engine.dispose()
    _drop_pg_schema(schema)


def _empty_pg_tables(engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _sqlite_copy(template: sqlite3.Connection):
    """A creator for the app's engine: a new in-memory database with the template's tables."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        template.backup(connection)
        return connection

    return connect


def _sqlite_app(request, tmp_path: Path):
    """An app on a fresh copy of the session's SQLite template (a new one after each dispose)."""
    template = request.getfixturevalue("sqlite_template")
    options = {"creator": _sqlite_copy(template), "poolclass": sa.pool.StaticPool}
    return _make_app("sqlite://", options, tmp_path)


@pytest.fixture
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def shared_apps(tmp_path_factory):
    """One app per backend for the whole session: building an app (mostly compiling its URL
    rules) takes longer than most tests."""
    apps: dict[str, object] = {}

    def get(backend: str, request):
        if backend not in apps:
            folder = tmp_path_factory.mktemp(f"app-{backend}")
            if backend == "sqlite":
                apps[backend] = _sqlite_app(request, folder)
            else:
                schema, _engine = request.getfixturevalue("pg_schema")
                apps[backend] = _make_app(_pg_url(), _pg_options(schema), folder)
        return apps[backend]

    yield get
    for app in apps.values():
        _close(app)


@pytest.fixture
def app(request, backend, tmp_path, shared_apps):
    """The app on this test's backend, with every table empty, its own folders, an empty page
    cache and its configuration as the test leaves it undone afterwards."""
    from catalogue.lib import pagecache

    app = shared_apps(backend, request)
    pg_engine = request.getfixturevalue("pg_schema")[1] if backend == "postgresql" else None
    saved = app.config.copy()
    app.config.update(_folders(tmp_path))
    pagecache.init_app(app)
    app.extensions.pop("pending_views", None)  # page views counted in earlier tests
    app.extensions.pop("pdfs_prerendered_at", None)  # a pass over an earlier test's catalogue
    # The limiter is one object for the whole process: an app_factory app may have switched it on.
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    with app.app_context():
        yield app
    # Disposing of the engine drops the SQLite copy: the next test connects to a fresh one.
    _close(app)
    app.config.clear()
    app.config.update(saved)
    if pg_engine is not None:
        _empty_pg_tables(pg_engine)


@pytest.fixture
def app_factory(backend, tmp_path):
    """Builds an app on this test's backend without tables (for migration and race tests);
    on PostgreSQL each name gets a schema of its own."""
    apps, made = [], []

    def make(schema="test_bare", **overrides):
        if backend == "sqlite" or "SQLALCHEMY_DATABASE_URI" in overrides:
            url, options = "sqlite://", {}
        else:
            schema = _schema(schema)
            _recreate_pg_schema(schema)
            url, options = _pg_url(), _pg_options(schema)
            made.append(schema)
        app = _make_app(url, options, tmp_path, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        _close(app)
    for schema in made:
        _drop_pg_schema(schema)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def seeded_backend(request):
    return request.param


@pytest.fixture(scope="module")
def seeded_app(request, seeded_backend, tmp_path_factory):
    """The full seed catalogue, shared by the read-only tests of one module."""
    from catalogue.content.seed import load_content_seed
    from catalogue.supplies.seed import load_seed

    tmp_path = tmp_path_factory.mktemp("seeded")
    schema = _schema("test_seeded")
    if seeded_backend == "sqlite":
        app = _sqlite_app(request, tmp_path)
    else:
        _recreate_pg_schema(schema)
        app = _make_app(_pg_url(), _pg_options(schema), tmp_path)
    with app.app_context():
        db.create_all()
        load_seed(SEED_DIR)
        load_content_seed(SEED_DIR)
        db.session.commit()
        yield app
    _close(app)
    if seeded_backend == "postgresql":
        _drop_pg_schema(schema)


@pytest.fixture(scope="module")
def seeded_client(seeded_app):
    return seeded_app.test_client()

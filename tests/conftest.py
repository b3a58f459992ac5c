"""Test fixtures: an app per test on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalogue import create_app
from catalogue.extensions import db

pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.content",
    "tests.fixtures.inquiries",
    "tests.fixtures.search",
    "tests.fixtures.smtp",
    "tests.fixtures.supplies",
    "tests.fixtures.world",
]

BACKENDS = ["sqlite", "postgresql"]
PG_SKIP_REASON = (
    "PostgreSQL run skipped: TEST_DATABASE_URL is not set (.ci/run sets it to the local server)"
)
SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def pytest_report_header(config):
    if os.environ.get("TEST_DATABASE_URL"):
        return "databases: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return f"databases: SQLite only; {PG_SKIP_REASON}"


def _database(backend: str, schema: str) -> tuple[str, dict]:
    """The URL and engine options for one backend; PostgreSQL fixtures get a schema each."""
    if backend == "sqlite":
        return "sqlite://", {}
    # Lets two checkouts run their suites against one server at the same time.
    schema = os.environ.get("TEST_SCHEMA_PREFIX", "") + schema
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(PG_SKIP_REASON)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return url, {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}


def _make_app(backend: str, schema: str, tmp_path: Path, **overrides):
    url, engine_options = _database(backend, schema)
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "EXPORT_DIR": str(tmp_path / "exports"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            **overrides,
        },
    )
    return app


def _teardown(app, backend: str, schema: str) -> None:
    from catalogue.search.store import close_index

    close_index(app.config["SEARCH_INDEX_DIR"])
    schema = os.environ.get("TEST_SCHEMA_PREFIX", "") + schema
    with app.app_context():
        db.session.remove()
        db.drop_all()
        if backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app_factory(backend, tmp_path):
    """Builds an app on this test's backend without creating tables (for migration tests)."""
    made = []

    def make(schema="test_bare", **overrides):
        app = _make_app(backend, schema, tmp_path, **overrides)
        made.append((app, schema))
        return app

    yield make
    for app, schema in made:
        _teardown(app, backend, schema)


@pytest.fixture
def app(request, backend, tmp_path):
    """A fresh, empty database for one test."""
    app = _make_app(backend, "test_fn", tmp_path)
    with app.app_context():
        db.create_all()
        yield app
    _teardown(app, backend, "test_fn")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_app(request, tmp_path_factory):
    """The full seed catalogue, shared by the read-only tests of one module."""
    from catalogue.content.seed import load_content_seed
    from catalogue.supplies.seed import load_seed

    app = _make_app(request.param, "test_seeded", tmp_path_factory.mktemp("seeded"))
    with app.app_context():
        db.create_all()
        load_seed(SEED_DIR)
        load_content_seed(SEED_DIR)
        db.session.commit()
        yield app
    _teardown(app, request.param, "test_seeded")


@pytest.fixture(scope="module")
def seeded_client(seeded_app):
    return seeded_app.test_client()

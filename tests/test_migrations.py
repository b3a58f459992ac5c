"""The migrations build exactly the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from catalogue.extensions import db


def _schema_diff():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        return compare_metadata(context, db.metadata)


def test_upgrade_on_empty_database_matches_models(app_factory, tmp_path, backend):
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = app_factory("test_migrations", **overrides)
    with app.app_context():
        upgrade()
        assert _schema_diff() == []


def test_downgrade_to_base_and_back(app_factory, tmp_path, backend):
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'round.sqlite3'}"
    app = app_factory("test_migrations", **overrides)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        assert _schema_diff() == []

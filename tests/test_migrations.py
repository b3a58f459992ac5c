"""The migrations build exactly the schema the models describe, on every backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from catalogue.extensions import db

pytestmark = pytest.mark.postgresql


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


def _insert(table: str, **values) -> None:
    import sqlalchemy as sa

    target = sa.table(table, *(sa.column(name) for name in values))
    db.session.execute(sa.insert(target).values(**values))


def test_existing_inquiries_and_quotations_are_carried_over(app_factory, tmp_path, backend):
    """Rows filed before structured quotations keep their meaning after the upgrade."""
    from datetime import date, datetime
    from decimal import Decimal

    import sqlalchemy as sa

    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'carry.sqlite3'}"
    app = app_factory("test_migrations", **overrides)
    with app.app_context():
        upgrade(revision="41ba1763bc98")
        now = datetime(2026, 11, 1, 10, 0)
        stamps = {"created_at": now, "updated_at": now}
        _insert("categories", id=1, slug="c", name="C", kind="diagnostic_reagent", position=0)
        _insert("manufacturers", id=1, slug="m", name="M", quality_certifications="[]",
                public_sources="[]", verification_status="unverified", **stamps)  # fmt: skip
        _insert("products", id=1, slug="p", name="P", manufacturer_id=1, category_id=1,
                status="published", public_sources="[]", name_is_descriptive=False,
                self_test=False, targets="[]", compatible_instruments="[]", key_facts="[]",
                not_approvals="[]", **stamps)  # fmt: skip
        legacy = [("answered", True, None), ("new", False, None), ("closed", True, "ordered"),
                  ("quoted", True, None)]  # fmt: skip
        for n, (status, notified, reason) in enumerate(legacy, 1):
            _insert("inquiries", id=n, reference=f"CAC-2026-0000{n}", group_code="g",
                    manufacturer_id=1, contact_name="A", organisation="O", email="a@b.example",
                    country="BR", status=status, closed_reason=reason,
                    tracking_token_hash=f"h{n}", manufacturer_notified=notified,
                    **stamps)  # fmt: skip
            _insert("inquiry_lines", id=n, inquiry_id=n, product_id=1, quantity=100, unit="tests")
        valid = date(2027, 1, 1)
        _insert("quotations", inquiry_id=4, unit_price=2.5, currency="USD", moq=1000,
                lead_time="2 weeks", valid_until=valid, created_at=now)  # fmt: skip
        _insert("quotations", inquiry_id=4, unit_price=2.4, currency="USD",
                valid_until=valid, note="Better", created_at=now)  # fmt: skip
        db.session.commit()
        upgrade()

        def rows(query):
            return [tuple(row) for row in db.session.execute(sa.text(query))]

        assert rows("SELECT status, route, closed_reason FROM inquiries ORDER BY id") == [
            ("read", "portal", None),
            ("new", "staff_desk", None),
            ("closed", "portal", "won"),
            ("quoted", "portal", None),
        ]
        assert rows("SELECT version, status, note FROM quotations ORDER BY id") == [
            (1, "superseded", "Lead time: 2 weeks"),
            (2, "current", "Better"),
        ]
        lines = rows("SELECT unit, unit_price, moq FROM quotation_lines ORDER BY id")
        assert [(unit, Decimal(str(price)), moq) for unit, price, moq in lines] == [
            ("unit", Decimal("2.5"), 1000),
            ("unit", Decimal("2.4"), None),
        ]
        db.session.remove()

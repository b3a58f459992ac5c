"""Two processes filing 200 inquiries each at the same moment: nothing lost, nothing shared."""

import multiprocessing

import pytest
import sqlalchemy as sa

from catalogue import create_app
from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.mail.models import OutboundEmail
from tests.inquiries.test_journey import inquiry_form

pytestmark = pytest.mark.postgresql

PER_PROCESS = 200


def _submit_many(overrides: dict, slug: str, start, results) -> None:
    app = create_app("testing", overrides)
    client = app.test_client()
    start.wait()
    codes = [
        client.post("/inquiry/new", data=inquiry_form([(slug, 10 + n)])).status_code
        for n in range(PER_PROCESS)
    ]
    results.put(codes)


def test_concurrent_submissions_are_all_saved_with_unique_references(
    app_factory, backend, tmp_path
):
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"
    app = app_factory("test_concurrency", **overrides)
    with app.app_context():
        db.create_all()
        from catalogue.supplies.models import Category, Manufacturer, Product

        maker = Manufacturer(slug="m", name="M", contact_email="sales@m.example")
        product = Product(
            slug="p", name="P", status="published", manufacturer=maker,
            category=Category(slug="c", name="C", kind="diagnostic_reagent"),
        )  # fmt: skip
        db.session.add(product)
        db.session.commit()
        config = {
            key: app.config[key]
            for key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "MAIL_OUTBOX_DIR")
        }

    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_submit_many, args=(config, "p", start, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    codes = [code for _ in workers for code in results.get(timeout=300)]
    for worker in workers:
        worker.join(timeout=60)

    assert codes.count(302) == 2 * PER_PROCESS
    with app.app_context():
        references = db.session.scalars(sa.select(Inquiry.reference)).all()
        assert len(references) == len(set(references)) == 2 * PER_PROCESS
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
        assert numbers == list(range(1, 2 * PER_PROCESS + 1))
        mail = db.session.scalars(sa.select(OutboundEmail.to_address)).all()
        # Each inquiry: a confirmation to the officer and a notice to the maker's contact
        # (no portal user, so the address on file is its route).
        assert mail.count("sales@m.example") == 2 * PER_PROCESS
        assert mail.count("ana.souza@recife.example") == 2 * PER_PROCESS
        db.session.remove()

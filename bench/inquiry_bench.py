"""Speed of the procurement loop (printed figures; run with `make bench`).

Builds a throw-away SQLite database with the full seed and times, through the WSGI app in-process:
- filing a two-maker inquiry (the POST of the inquiry form: routing, references, mail outbox);
  target p95 ≤ 50 ms;
- the quotation comparison page of one basket of 10 makers × 5 product lines; target ≤ 30 ms.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalogue import create_app  # noqa: E402
from catalogue.extensions import db  # noqa: E402
from catalogue.inquiries import links, quotations  # noqa: E402
from catalogue.inquiries import services as inquiries  # noqa: E402
from catalogue.supplies.models import Manufacturer, Product  # noqa: E402
from catalogue.supplies.seed import load_seed  # noqa: E402

ROUNDS = 60
FUTURE = (date.today() + timedelta(days=60)).isoformat()


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[max(int(len(times) * 0.95) - 1, 0)]


def _form(slugs: list[str], n: int) -> dict:
    data = {"name": "Bench Officer", "organisation": "Bench City", "email": f"o{n}@bench.example",
            "country": "BR", "consent": "y", "message": "Please quote."}  # fmt: skip
    for i, slug in enumerate(slugs):
        data |= {
            f"lines-{i}-product": slug,
            f"lines-{i}-quantity": "1000",
            f"lines-{i}-unit": "tests",
        }
    return data


def _two_makers() -> list[str]:
    """One published product of each of two makers."""
    slugs, makers = [], set()
    for product in db.session.scalars(sa.select(Product).where(Product.status == "published")):
        if product.manufacturer_id not in makers:
            makers.add(product.manufacturer_id)
            slugs.append(product.slug)
        if len(slugs) == 2:
            return slugs
    raise SystemExit("the seed has fewer than two makers with published products")


def bench_filing(client, slugs) -> None:
    times = []
    for n in range(ROUNDS + 5):
        start = time.perf_counter()
        response = client.post("/inquiry/new", data=_form(slugs, n))
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 302, response.status_code
        if n >= 5:  # the first few warm caches up
            times.append(elapsed)
    print(f"file a two-maker inquiry:     p50 {statistics.median(times):6.1f} ms   "
          f"p95 {_p95(times):6.1f} ms   (target p95 ≤ 50 ms)")  # fmt: skip


def _basket_of_ten() -> str:
    """10 makers × 5 lines, each quoted, as one basket; returns a tracking token of it."""
    lines = []
    for m in range(10):
        maker = Manufacturer(slug=f"bench-maker-{m}", name=f"Bench Maker {m}",
                             contact_email=f"sales@maker{m}.example")  # fmt: skip
        for p in range(5):
            product = Product(slug=f"bench-{m}-{p}", name=f"Bench product {m}-{p}",
                              status="published", manufacturer=maker, category_id=1)  # fmt: skip
            db.session.add(product)
            lines.append(inquiries.LineRequest(product, 1000 * (p + 1), "tests"))
    db.session.flush()
    contact = inquiries.Contact(name="B", organisation="City", email="b@b.example", country="BR")
    # A form basket holds at most 20 products: file in three parts, then join them as one basket.
    filed = []
    for start in range(0, len(lines), inquiries.MAX_BASKET):
        part = inquiries.file_inquiries(
            lines[start : start + inquiries.MAX_BASKET], contact,
            destination=None, incoterm=None, required_by=None, message=None,
        )  # fmt: skip
        filed += [inquiry for inquiry, _token in part.inquiries]
    for n, inquiry in enumerate(filed):
        inquiry.group_code = filed[0].group_code
        offer = quotations.Offer(
            currency="USD" if n % 3 else "EUR",
            valid_until=date.today() + timedelta(days=30),
            incoterm="FCA", incoterm_place="Incheon",
            lines=[quotations.LineOffer(unit="kit", pack_size=25, unit_price=Decimal(40 + n),
                                        moq=10, lead_time_days=7 + n, shelf_life_months=12,
                                        tiers=[(100, Decimal(35 + n))]) for _ in inquiry.lines],
        )  # fmt: skip
        quotations.submit_quotation(inquiry, offer, actor=None, via="link")
    db.session.commit()
    return links.tracking_token(filed[0])


def bench_comparison(client, token: str) -> None:
    url = f"/inquiry/track/{token}/compare"
    response = client.get(url)
    assert response.status_code == 200
    columns = response.get_data(as_text=True).count('<th scope="col">Bench Maker')
    assert columns == 50, columns  # one column per quoted line
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    print(f"compare 10 makers × 5 lines:  p50 {statistics.median(times):6.1f} ms   "
          f"p95 {_p95(times):6.1f} ms   (target ≤ 30 ms; {len(response.data) / 1024:.0f} KB, "
          f"{columns} columns)")  # fmt: skip


def main() -> None:
    logging.disable(logging.INFO)  # filing logs every inquiry
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SEARCH_INDEX_DIR": tmp,
             "MAIL_OUTBOX_DIR": tmp},
        )  # fmt: skip
        with app.app_context():
            db.create_all()
            load_seed(ROOT / "seed")
            db.session.commit()
            slugs = _two_makers()
            token = _basket_of_ten()
        client = app.test_client()
        print(f"Inquiries: {ROUNDS} requests each, SQLite file, WSGI test client, full seed")
        bench_filing(client, slugs)
        bench_comparison(client, token)


if __name__ == "__main__":
    main()

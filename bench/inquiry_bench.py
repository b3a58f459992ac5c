"""Speed of the procurement loop (printed figures; run with `make bench`).

Builds a throw-away SQLite database with the full seed and times
- filing a two-maker inquiry (the POST of the inquiry form: routing, references, mail outbox);
  target p95 ≤ 50 ms in-process;
- the quotation comparison page of one basket of 10 makers × 5 product lines; target ≤ 30 ms;
first through the WSGI app in-process, then as a visitor gets them: over HTTP from gunicorn
(2 workers, development configuration, its mail and inquiry-job threads running) after a warm-up.
"""

from __future__ import annotations

import logging
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
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


def _seeded_app(database: str, tmp: str, **overrides):
    """An app on a fresh database with the full seed and the quoted basket of ten makers;
    returns it with two makers' product slugs and the basket's tracking token."""
    config = {"SQLALCHEMY_DATABASE_URI": database, "SEARCH_INDEX_DIR": tmp,
              "MAIL_OUTBOX_DIR": tmp, **overrides}  # fmt: skip
    app = create_app("testing", config)
    with app.app_context():
        db.create_all()
        load_seed(ROOT / "seed")
        db.session.commit()
        slugs, token = _two_makers(), _basket_of_ten()
        db.session.remove()
    return app, slugs, token


def bench_over_http() -> None:
    """The same two figures from a gunicorn server that has been running a while."""
    import http.cookiejar
    import os
    import secrets
    import urllib.parse
    import urllib.request

    from load import free_port, serve, wait_until_up

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        database = f"sqlite:///{work / 'http.sqlite3'}"
        env = {
            **os.environ, "FLASK_APP": "wsgi", "FLASK_CONFIG": "development",
            "SECRET_KEY": secrets.token_hex(16), "DATABASE_URL": database,
            "SEARCH_INDEX_DIR": str(work / "index"), "STORAGE_DIR": str(work / "storage"),
            "MAIL_OUTBOX_DIR": str(work / "outbox"),
            "RATELIMIT_ENABLED": "0",  # one client files far more inquiries than it may
        }  # fmt: skip
        env.pop("MAIL_SERVER", None)
        # The server's own key, so that the basket's tracking token opens it there.
        app, slugs, token = _seeded_app(database, tmp, SECRET_KEY=env["SECRET_KEY"])
        with app.app_context():
            db.engine.dispose()  # the server opens the file on its own
        port = free_port()
        server = serve("wsgi:app", env, port, work / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base + "/healthz")
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                _NoRedirect,
            )
            form = opener.open(f"{base}/inquiry/new?product={slugs[0]}").read().decode()
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

            def file_one(n: int) -> float:
                data = urllib.parse.urlencode({**_form(slugs, n), "csrf_token": csrf}).encode()
                start = time.perf_counter()
                try:
                    opener.open(f"{base}/inquiry/new", data=data)
                except urllib.error.HTTPError as redirect:  # 302 to the confirmation page
                    assert redirect.code == 302, redirect.code
                return (time.perf_counter() - start) * 1000

            def compare() -> float:
                start = time.perf_counter()
                with opener.open(f"{base}/inquiry/track/{token}/compare") as response:
                    response.read()
                return (time.perf_counter() - start) * 1000

            for n in range(40):  # warm-up: both workers, caches, connections
                file_one(n)
                compare()
            filing = [file_one(100 + n) for n in range(ROUNDS)]
            comparing = [compare() for _ in range(ROUNDS)]
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"Over HTTP: gunicorn, 2 workers, SQLite file, after 40 warm-up rounds; {ROUNDS} each")
    print(f"file a two-maker inquiry:     p50 {statistics.median(filing):6.1f} ms   "
          f"p95 {_p95(filing):6.1f} ms")  # fmt: skip
    print(f"compare 10 makers × 5 lines:  p50 {statistics.median(comparing):6.1f} ms   "
          f"p95 {_p95(comparing):6.1f} ms")  # fmt: skip


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # time the POST itself, not the confirmation page it leads to


def main() -> None:
    logging.disable(logging.INFO)  # filing logs every inquiry
    with tempfile.TemporaryDirectory() as tmp:
        app, slugs, token = _seeded_app(f"sqlite:///{tmp}/bench.sqlite3", tmp)
        client = app.test_client()
        print(f"Inquiries: {ROUNDS} requests each, SQLite file, WSGI test client, full seed")
        bench_filing(client, slugs)
        bench_comparison(client, token)
    bench_over_http()


if __name__ == "__main__":
    main()

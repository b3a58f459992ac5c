"""Speed of the CAC section pages and charts (printed figures; run with `make bench`).

Builds a throw-away SQLite database with the full seed, then times each URL through the WSGI app
(no network, no gunicorn): median and 95th percentile over repeated requests.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalogue import create_app  # noqa: E402
from catalogue.content.seed import load_content_seed  # noqa: E402
from catalogue.extensions import db  # noqa: E402
from catalogue.supplies.seed import load_seed  # noqa: E402

URLS = [
    "/",
    "/daily-updates/",
    "/daily-updates/?region=Korea&start=2020-03-01&end=2020-03-31",
    "/daily-updates/chart-totals.svg?region=Korea",
    "/daily-updates/chart-new.svg",
    "/daily-updates/trend-Seoul.svg",
    "/daily-updates.csv?region=Korea",
    "/cities-network/",
    "/countermeasures/",
    "/news/",
    "/news/cac-platform-launch",
]
ROUNDS = 30


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SEARCH_INDEX_DIR": tmp},
        )
        with app.app_context():
            db.create_all()
            load_seed(ROOT / "seed")
            load_content_seed(ROOT / "seed")
            db.session.commit()
        client = app.test_client()
        print(f"CAC sections: {ROUNDS} requests per URL, SQLite file, WSGI test client")
        print(f"{'URL':62} {'p50 ms':>8} {'p95 ms':>8} {'KB':>7}")
        for url in URLS:
            client.get(url)  # warm-up
            times = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            size = len(response.data) / 1024
            print(f"{url:62} {statistics.median(times):8.1f} {p95:8.1f} {size:7.1f}")


if __name__ == "__main__":
    main()

"""Rendering speed per interface language: the product and list pages in each language against
English (target: within 10 %). Run with `make bench` or `.venv/bin/python bench/languages.py`.

Seeds a fresh SQLite database, serves it with gunicorn (2 workers) with the page cache off, so
every request renders its page, lets the server warm up, then requests each page in each
language in turn (interleaved, so a slow moment of the machine hits every language alike) over
HTTP: median and 95th percentile per language, and the median's difference from English.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import BIN, _slugs, free_port, serve, wait_until_up  # noqa: E402
from catalogue.i18n import LANGUAGES  # noqa: E402

ROUNDS = int(os.environ.get("LANGUAGE_ROUNDS", "60"))
# A product page with much on it (approvals, a performance table, sources, a maker card).
PRODUCT = "standard-q-covid-19-ag-test"
TARGET = 0.10


def _get(url: str, language: str) -> float:
    request = urllib.request.Request(url, headers={"Accept-Language": language})  # noqa: S310
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own server)
        response.read()
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "FLASK_CONFIG": "development",
            "SECRET_KEY": secrets.token_hex(16),
            "DATABASE_URL": database_url,
            "SEARCH_INDEX_DIR": str(workdir / "index"),
            "STORAGE_DIR": str(workdir / "storage"),
            "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
            "PAGE_CACHE_SIZE": "0",  # every request renders its page
            "PDF_PRERENDER_THREAD": "0",
        }
        flask = [str(BIN / "flask")]
        for command in (["db", "upgrade"], ["seed"], ["search", "reindex"]):
            subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
        products, _makers = _slugs(database_url)
        port = free_port()
        server = serve("wsgi:app", env, port, workdir / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        product = PRODUCT if PRODUCT in products else products[0]
        pages = {
            "product page": f"{base}/supplies/products/{product}",
            "product list": f"{base}/supplies/products/",
        }
        try:
            wait_until_up(f"{base}/healthz")
            for url in pages.values():  # warm-up: every language's catalogue and templates
                for language in LANGUAGES:
                    for _ in range(5):
                        _get(url, language)
            print(f"Rendering per language: {ROUNDS} requests each, 2 workers, no page cache")
            print(f"{'page':14} {'lang':5} {'p50 ms':>8} {'p95 ms':>8} {'vs en':>8}")
            worst = 0.0
            for label, url in pages.items():
                times: dict[str, list[float]] = {language: [] for language in LANGUAGES}
                for _ in range(ROUNDS):
                    for language in LANGUAGES:
                        times[language].append(_get(url, language))
                english = statistics.median(times["en"])
                for language, values in times.items():
                    values.sort()
                    median = statistics.median(values)
                    p95 = values[int(len(values) * 0.95) - 1]
                    change = median / english - 1
                    worst = max(worst, change)
                    print(f"{label:14} {language:5} {median:8.1f} {p95:8.1f} {change:+8.1%}")
            verdict = "within" if worst <= TARGET else "OVER"
            print(f"Slowest language vs English: {worst:+.1%} ({verdict} the {TARGET:.0%} target)")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()

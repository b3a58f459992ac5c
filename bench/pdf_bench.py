"""PDF export benchmark: spec sheets (cold, WeasyPrint floor, cached) and the full-seed brochure.

Run with `make bench` (or `.venv/bin/python bench/pdf_bench.py`). Builds a temporary SQLite
catalogue from the seed, so it touches nothing in instance/. Targets (issue "PDF exports"):
cold spec sheet <= 1.3 x its own WeasyPrint floor, cached <= 20 ms through the test client,
full-seed brochure <= 60 s and <= 1 GiB peak memory.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_RUNS = 15
CACHED_RUNS = 50
PRODUCTS = 4  # the published products with the most approvals: the longest sheets


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _app(database: Path, workdir: Path, render_processes: int = 0):
    from catalogue import create_app

    workdir.mkdir(parents=True, exist_ok=True)
    return create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "STORAGE_DIR": str(workdir / "storage"),
            # Spec sheets as a server renders them: in a render process (exports/renderer.py).
            "PDF_RENDER_PROCESSES": render_processes,
            "PDF_RENDER_WAIT": 60,
        },
    )


def _seeded_app(workdir: Path):
    from catalogue.extensions import db
    from catalogue.supplies.seed import load_seed

    app = _app(workdir / "bench.sqlite3", workdir)
    with app.app_context():
        db.create_all()
        load_seed(ROOT / "seed")
        db.session.commit()
    return app


def _pick_products(app) -> list[str]:
    import sqlalchemy as sa

    from catalogue.extensions import db
    from catalogue.supplies.models import Approval, Product

    with app.app_context():
        count = sa.func.count(Approval.id)
        stmt = (
            sa.select(Product.slug)
            .join(Approval, Approval.product_id == Product.id)
            .where(Product.status == "published")
            .group_by(Product.slug)
            .order_by(count.desc(), Product.slug)
            .limit(PRODUCTS)
        )
        return list(db.session.scalars(stmt))


def spec_sheets(app, workdir: Path) -> list[dict]:
    import weasyprint

    from catalogue.exports import pdf, pdfcache
    from catalogue.supplies import services as supplies

    client = app.test_client()
    results = []
    for slug in _pick_products(app):
        url = f"/supplies/products/{slug}/spec-sheet.pdf"
        cache = workdir / "exports" / "spec-sheets" / slug
        with app.test_request_context(base_url="http://localhost/"):
            product = supplies.get_published_product(slug)
            html = pdfcache.spec_sheet_html(product, f"http://localhost/supplies/products/{slug}")

        def floor(html=html):
            fetcher = pdf.StaticOnlyFetcher(app.static_folder)
            source = weasyprint.HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=fetcher)
            return source.write_pdf()

        with app.app_context():
            pages = pdf.html_to_pdf(html).page_count
        client.get(url)  # warm-up: templates compiled, fonts loaded
        floor()
        cold, floors = [], []
        for _ in range(COLD_RUNS):  # interleaved, so machine noise hits both alike
            shutil.rmtree(cache, ignore_errors=True)
            start = time.perf_counter()
            response = client.get(url)
            cold.append(time.perf_counter() - start)
            assert response.status_code == 200 and response.data.startswith(b"%PDF-")
            start = time.perf_counter()
            floor()
            floors.append(time.perf_counter() - start)
        cached = []
        for _ in range(CACHED_RUNS):
            start = time.perf_counter()
            response = client.get(url)
            cached.append(time.perf_counter() - start)
            assert response.status_code == 200
        etag = response.headers["ETag"]
        not_modified = []
        for _ in range(CACHED_RUNS):
            start = time.perf_counter()
            response = client.get(url, headers={"If-None-Match": etag})
            not_modified.append(time.perf_counter() - start)
            assert response.status_code == 304
        results.append(
            {
                "slug": slug,
                "pages": pages,
                "cold_ms": _ms(statistics.median(cold)),
                "floor_ms": _ms(statistics.median(floors)),
                # Each cold run is paired with the floor run right after it, so slow spells of a
                # shared machine cancel out; the median of those ratios is the figure.
                "ratio": round(
                    statistics.median(c / f for c, f in zip(cold, floors, strict=True)), 2
                ),
                "cached_ms": _ms(statistics.median(cached)),
                "cached_p95_ms": _ms(_p95(cached)),
                "not_modified_ms": _ms(statistics.median(not_modified)),
            }
        )
    return results


def _overhead(sheets: list[dict]) -> str:
    return ", ".join(f"{round(r['cold_ms'] - r['floor_ms'])} ms" for r in sheets)


def brochure_child() -> None:
    """Runs in a fresh process so that its peak memory is the brochure's own."""
    database, workdir = Path(sys.argv[2]), Path(sys.argv[3])
    # The catalogue seeded by the parent process. The brochure is laid out in this process
    # (render_processes=0), so that its peak memory is measured here; a server lays it out in
    # a render process of its own.
    app = _app(database, workdir)

    from catalogue.exports import brochures, tasks
    from catalogue.exports.models import ExportJob
    from catalogue.extensions import db

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with app.test_request_context(base_url="http://localhost/"):
        job = brochures.create_brochure_job(None, {})
        db.session.commit()
        start = time.perf_counter()
        tasks.run_job(job.id)
        seconds = time.perf_counter() - start
        job = db.session.get(ExportJob, job.id)
        print(
            json.dumps(
                {
                    "status": job.status,
                    "error": job.error,
                    "seconds": round(seconds, 2),
                    "pages": job.page_count,
                    "manufacturers": len(brochures.brochure_manufacturers({})),
                    "size_mb": round((job.file_size or 0) / 1048576, 2),
                    "rss_before_mb": round(rss_before / 1024),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }
            )
        )


def _child(*args) -> str:
    child = subprocess.run(  # noqa: S603 (this very script, with paths it made)
        [sys.executable, __file__, *map(str, args)], capture_output=True, text=True
    )
    if child.returncode:
        sys.exit(f"{args[0]} failed:\n{child.stderr}")
    return child.stdout


def brochure(database: Path, workdir: Path) -> dict:
    return json.loads(_child("--brochure-child", database, workdir).strip().splitlines()[-1])


def main() -> int:
    import logging

    logging.disable(logging.INFO)  # the app logs each render; keep the figures readable
    with tempfile.TemporaryDirectory(prefix="pdf-bench-") as tmp:
        workdir = Path(tmp)
        database = workdir / "sheets" / "bench.sqlite3"
        # Seeding and the brochure each run in a child process started while this one is still
        # small: Linux children inherit the parent's peak RSS figure, which would hide theirs.
        _child("--seed-child", workdir / "sheets")
        book = brochure(database, workdir / "brochure")
        try:
            sheets = spec_sheets(_app(database, workdir / "sheets", 1), workdir / "sheets")
        finally:
            from catalogue.exports.pdfcache import shutdown_renders

            shutdown_renders()

    print(f"Spec sheets: median of {COLD_RUNS} cold runs, {CACHED_RUNS} cached runs")
    header = f"{'product':44} {'pages':>5} {'cold ms':>8} {'floor ms':>8} {'ratio':>6}"
    print(header + f" {'cached ms':>9} {'p95':>6} {'304 ms':>7}")
    for r in sheets:
        print(
            f"{r['slug'][:44]:44} {r['pages']:>5} {r['cold_ms']:>8} {r['floor_ms']:>8} "
            f"{r['ratio']:>6} {r['cached_ms']:>9} {r['cached_p95_ms']:>6} {r['not_modified_ms']:>7}"
        )
    worst_ratio = max(r["ratio"] for r in sheets)
    worst_cached = max(r["cached_ms"] for r in sheets)
    print(f"worst cold/floor ratio {worst_ratio} (target <= 1.3)")
    print(f"cold overhead over the floor: {_overhead(sheets)}")
    print(f"worst cached median {worst_cached} ms (target <= 20 ms)")
    print(
        f"Full-seed brochure: {book['status']}, {book['seconds']} s (target <= 60 s), "
        f"{book['pages']} pages, {book['manufacturers']} manufacturers, {book['size_mb']} MB; "
        f"peak RSS {book['peak_rss_mb']} MB (target <= 1024 MB; "
        f"{book['rss_before_mb']} MB before it: Python, the app and its imports)"
    )
    if book["error"]:
        print(f"brochure error: {book['error']}")
    ok = (
        worst_ratio <= 1.3
        and worst_cached <= 20
        and book["status"] == "done"
        and book["seconds"] <= 60
        and book["peak_rss_mb"] <= 1024
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].endswith("-child"):
        import logging

        logging.disable(logging.INFO)
        if sys.argv[1] == "--seed-child":
            _seeded_app(Path(sys.argv[2]))
        else:
            brochure_child()
    else:
        sys.exit(main())

"""Load test: gunicorn (2 workers) under a mixed workload, against a bare Flask route's ceiling.

Run with `make bench` (or `.venv/bin/python bench/load.py`). On SQLite always and, when
TEST_DATABASE_URL is set, on PostgreSQL too, it:
1. seeds a fresh database and serves the app with `gunicorn --workers 2`;
2. measures the throughput ceiling: wrk on a bare Flask route in the same gunicorn set-up, then
   wrk on the catalogue pages, and prints the ratio;
3. warms up: requests every product page, spec sheet and manufacturer page once, so that the
   mix measures the steady state (a spec sheet is rendered once per content change, ~0.3 s,
   then served from its stored file), and prints how long the first visits took;
4. runs the mixed workload from a second process with Locust in headless mode (16 users:
   70 % catalogue pages, 20 % search, 5 % spec sheet PDFs, 5 % inquiry submissions) and prints
   requests/s, p50/p95/p99 per kind, the errors and the CPU time Locust itself used (it shares
   the two cores with the server);
5. checks that every inquiry Locust saw accepted is in the database with a unique reference.
Then it runs the same mix through nginx in front of two nodes on PostgreSQL (the cluster of
`make test-cluster`, tests/cluster/cluster.py: deploy/'s units, a worker, Redis, an S3 server),
and prints its throughput and p95 beside the single-node figures of this run.
Targets: 0 errors, 0 lost inquiries; catalogue pages >= 30 % of the ceiling's throughput;
catalogue p95 <= 50 ms at 16 concurrent clients.
"""

from __future__ import annotations

import csv
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USERS = 16
MIX_SECONDS = int(os.environ.get("LOAD_SECONDS", "30"))
WRK_SECONDS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str) -> None:
    for _ in range(150):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own server)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


def serve(app_path: str, env: dict, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [BIN / "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", app_path],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def wrk(url: str, script: Path | None = None) -> dict:
    """Throughput and latency with wrk (2 threads, 16 connections), after a 3 s warm-up."""
    args = ["wrk", "-t2", f"-c{USERS}", "--latency"]
    if script:
        args += ["-s", str(script)]
    subprocess.run([*args, "-d3s", url], capture_output=True, check=True)
    out = subprocess.run(
        [*args, f"-d{WRK_SECONDS}s", url], capture_output=True, text=True, check=True
    )
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))

    def latency(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"),
            "errors": int(errors.group(1)) if errors else 0}  # fmt: skip


def catalogue_wrk_script(folder: Path, paths: list[str]) -> Path:
    script = folder / "catalogue.lua"
    listed = ", ".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{{listed}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format('GET', paths[(n % #paths) + 1])\n"
        "end\n"
    )
    return script


def warm_up(base: str, products: list[str], makers: list[str]) -> None:
    """Visit each product page, spec sheet and manufacturer page once (first renders)."""
    started = time.perf_counter()
    paths = [f"/supplies/products/{s}" for s in products]
    paths += [f"/supplies/products/{s}/spec-sheet.pdf" for s in products]
    paths += [f"/supplies/manufacturers/{s}" for s in makers]
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=30):  # noqa: S310 (our own server)
            pass
    print(f"warm-up: {len(paths)} first visits in {time.perf_counter() - started:.1f} s")


def run_backend(label: str, database_url: str, workdir: Path) -> dict:
    print(f"\n=== {label} ===")
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "FLASK_CONFIG": "development",  # production cookies are https-only; this is plain http
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(workdir / "index"),
        "STORAGE_DIR": str(workdir / "storage"),
        "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
        "RATELIMIT_ENABLED": "0",  # the load submits far more inquiries than one client may
    }
    env.pop("MAIL_SERVER", None)
    flask = [str(BIN / "flask")]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    reindex = subprocess.run([*flask, "search", "reindex"], cwd=ROOT, env=env, capture_output=True)
    search_path = "/search" if reindex.returncode == 0 else "/supplies/products/"

    products, makers = _slugs(database_url)
    app_port, bare_port = free_port(), free_port()
    app_server = serve("wsgi:app", env, app_port, workdir / f"{label}-app.log")
    bare_server = serve("bench.bare_app:app", env, bare_port, workdir / f"{label}-bare.log")
    try:
        base = f"http://127.0.0.1:{app_port}"
        wait_until_up(base + "/healthz")
        wait_until_up(f"http://127.0.0.1:{bare_port}/bare")

        ceiling = wrk(f"http://127.0.0.1:{bare_port}/bare")
        pages = [f"/supplies/products/{s}" for s in products[:20]]
        pages += ["/supplies/products/", "/supplies/products/?category=rapid-antigen"]
        pages += [f"/supplies/manufacturers/{s}" for s in makers[:10]]
        catalogue = wrk(base + "/", catalogue_wrk_script(workdir, pages))
        print(
            f"ceiling (bare Flask route): {ceiling['rps']:.0f} req/s, p50 {ceiling['p50']:.1f} ms"
        )
        print(
            f"catalogue pages (wrk):      {catalogue['rps']:.0f} req/s, "
            f"p50 {catalogue['p50']:.1f} ms, p99 {catalogue['p99']:.1f} ms, "
            f"errors {catalogue['errors']}"
        )
        ratio = catalogue["rps"] / ceiling["rps"]
        print(f"catalogue / ceiling: {ratio:.0%} (target >= 30 %)")

        warm_up(base, products, makers)
        before = _inquiry_count(database_url)
        stats = _locust(base, env, workdir, label, products, makers, search_path)
        after_refs = _inquiry_references(database_url)
        accepted = stats.get("inquiry", {}).get("count", 0) - stats.get("inquiry", {}).get(
            "failures", 0
        )
        new = len(after_refs) - before
        print(f"\nmixed workload, {USERS} users, {MIX_SECONDS} s (Locust, headless):")
        print(
            f"{'kind':<14}{'requests':>9}{'req/s':>8}{'p50 ms':>8}"
            f"{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}"
        )
        for kind in ("catalogue", "search", "pdf", "inquiry form", "inquiry", "Aggregated"):
            row = stats.get(kind)
            if row:
                print(f"{kind:<14}{row['count']:>9}{row['rps']:>8.1f}{row['p50']:>8.0f}"
                      f"{row['p95']:>8.0f}{row['p99']:>8.0f}{row['failures']:>8}")  # fmt: skip
        unique = len(set(after_refs)) == len(after_refs)
        print(
            f"inquiries accepted: {accepted}, new in the database: {new}, "
            f"references unique: {unique}, lost: {max(accepted - new, 0)}"
        )
        p95 = stats.get("catalogue", {}).get("p95")
        print(f"catalogue p95 under the mix: {p95} ms (target <= 50 ms)")
        return stats
    finally:
        app_server.terminate()
        bare_server.terminate()
        app_server.wait(timeout=30)
        bare_server.wait(timeout=30)


def run_cluster(workdir: Path) -> dict | None:
    """The same mix through nginx in front of two nodes (PostgreSQL, Redis, S3, a worker)."""
    print("\n=== two nodes behind nginx (PostgreSQL) ===")
    missing = [tool for tool in ("nginx", "redis-server") if not shutil.which(tool)]
    missing += [] if (BIN / "moto_server").exists() else ["moto_server"]
    if missing:
        print(f"skipped: {', '.join(missing)} missing (`make test-cluster` installs them)")
        return None
    from tests.cluster.cluster import Cluster

    folder = workdir / "cluster"
    folder.mkdir()
    started = time.perf_counter()
    # The load submits far more inquiries than one client may.
    with Cluster(folder, extra_env={"RATELIMIT_ENABLED": "0"}) as cluster:
        print(f"cluster up in {time.perf_counter() - started:.1f} s")
        products = [s for (s,) in cluster.sql(
            "SELECT slug FROM products WHERE status = 'published' ORDER BY id")]  # fmt: skip
        makers = [s for (s,) in cluster.sql("SELECT slug FROM manufacturers ORDER BY id")]
        warm_up(cluster.url, products, makers)
        before = len(cluster.sql("SELECT reference FROM inquiries"))
        stats = _locust(
            cluster.url, dict(os.environ), folder, "cluster", products, makers, "/search"
        )
        references = [r for (r,) in cluster.sql("SELECT reference FROM inquiries")]
    row = stats.get("inquiry", {})
    accepted = row.get("count", 0) - row.get("failures", 0)
    new = len(references) - before
    print(
        f"inquiries accepted: {accepted}, new in the database: {new}, references unique: "
        f"{len(set(references)) == len(references)}, lost: {max(accepted - new, 0)}"
    )
    return stats


def compare(runs: dict[str, dict]) -> None:
    """Throughput and p95 of the mix, one node beside two behind nginx (this run's figures)."""
    print(f"\nmixed workload, {USERS} users, {MIX_SECONDS} s, same machine and run:")
    print(f"{'set-up':<34}{'req/s':>8}{'p95 ms':>8}{'catalogue p95':>15}{'errors':>8}")
    for label, stats in runs.items():
        total, pages = stats.get("Aggregated", {}), stats.get("catalogue", {})
        print(f"{label:<34}{total.get('rps', 0):>8.1f}{total.get('p95', 0):>8.0f}"
              f"{pages.get('p95', 0):>15.0f}{total.get('failures', 0):>8}")  # fmt: skip


def _locust(base, env, workdir, label, products, makers, search_path) -> dict:
    prefix = workdir / f"{label}-locust"
    locust_env = {
        **env,
        "LOAD_PRODUCTS": ",".join(products),
        "LOAD_MAKERS": ",".join(makers),
        "LOAD_SEARCH_PATH": search_path,
    }
    started = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [BIN / "locust", "-f", "bench/locustfile.py", "--headless", "-u", str(USERS),
         "-r", str(USERS), "-t", f"{MIX_SECONDS}s", "--host", base, "--csv", str(prefix),
         "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env=locust_env, capture_output=True, check=False,
    )  # fmt: skip
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = used.ru_utime + used.ru_stime - started.ru_utime - started.ru_stime
    print(f"Locust used {cpu:.1f} s of CPU during the mix ({2 * MIX_SECONDS} s on 2 cores)")
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    return stats


def _engine(database_url: str):
    import sqlalchemy as sa

    options = {}
    if database_url.startswith("postgresql"):
        options["connect_args"] = {"options": "-csearch_path=bench_load"}
    return sa.create_engine(database_url, **options)


def _slugs(database_url: str) -> tuple[list[str], list[str]]:
    import sqlalchemy as sa

    engine = _engine(database_url)
    with engine.connect() as conn:
        products = (
            conn.execute(
                sa.text("SELECT slug FROM products WHERE status = 'published' ORDER BY id")
            )
            .scalars()
            .all()
        )
        makers = conn.execute(sa.text("SELECT slug FROM manufacturers ORDER BY id")).scalars().all()
    engine.dispose()
    return list(products), list(makers)


def _inquiry_references(database_url: str) -> list[str]:
    import sqlalchemy as sa

    engine = _engine(database_url)
    with engine.connect() as conn:
        refs = conn.execute(sa.text("SELECT reference FROM inquiries")).scalars().all()
    engine.dispose()
    return list(refs)


def _inquiry_count(database_url: str) -> int:
    return len(_inquiry_references(database_url))


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make bench` installs Debian's wrk package")
    with tempfile.TemporaryDirectory(prefix="cac-load-") as tmp:
        workdir = Path(tmp)
        runs = {"one node, SQLite": run_backend(
            "SQLite", f"sqlite:///{workdir / 'load.sqlite3'}", workdir)}  # fmt: skip
        pg = os.environ.get("TEST_DATABASE_URL")
        if pg:
            import sqlalchemy as sa

            engine = sa.create_engine(pg)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_load CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA bench_load"))
            engine.dispose()
            url = pg + ("&" if "?" in pg else "?") + "options=-csearch_path%3Dbench_load"
            runs["one node, PostgreSQL"] = run_backend("PostgreSQL", url, workdir)
        else:
            print("\nPostgreSQL: skipped (set TEST_DATABASE_URL to include it)")
        cluster = run_cluster(workdir)
        if cluster:
            runs["two nodes behind nginx, PostgreSQL"] = cluster
        compare(runs)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

"""Search benchmark: the seed index and a synthetic 50,000-product index, against SQLite FTS5.

Prints, for each corpus: index build time, in-process query latency (p50/p95) over a fixed
set of ~200 realistic queries (names, types, specimen words, typos, facet filters), the
/search endpoint through the test client (seed only), and the same queries on an SQLite
FTS5 table of the same corpus, with the Whoosh/FTS5 ratio.

Method (as ../shared/reference/BASELINES.md): a warm-up pass, then 3 timed passes; the
median of the passes' p50/p95 is printed with [min-max]. Single process, single thread.
Query-result caches are not used by the search layer; facet counts are cached per query,
so the facet figures are given for a first (cold) pass separately. The /search figure is
taken with the page cache off (a repeated anonymous search is served from it; that figure
follows separately).

    python bench/search_bench.py            # everything (about 3 minutes)
    python bench/search_bench.py --size 5000 --skip-seed
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalogue import create_app  # noqa: E402 (after the path set-up above)
from catalogue.extensions import db  # noqa: E402
from catalogue.search.store import SearchIndex  # noqa: E402

TARGETS = {"seed_http_p95": 25.0, "large_p95": 60.0, "seed_reindex_s": 5.0}
PASSES = 3

# --- Timing helpers ----------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed_passes(fn, queries, passes=PASSES):
    """Warm-up pass, then `passes` timed passes; returns [(p50, p95) per pass] in ms."""
    for q in queries:
        fn(q)
    out = []
    for _ in range(passes):
        times = []
        for q in queries:
            start = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - start) * 1000)
        out.append((percentile(times, 50), percentile(times, 95)))
    return out


def cold_pass(fn, queries):
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50), percentile(times, 95)


def summary(passes) -> tuple[float, float, str]:
    p50s = [p[0] for p in passes]
    p95s = [p[1] for p in passes]
    text = (
        f"p50 {statistics.median(p50s):7.2f} ms [{min(p50s):.2f}-{max(p50s):.2f}]   "
        f"p95 {statistics.median(p95s):7.2f} ms [{min(p95s):.2f}-{max(p95s):.2f}]"
    )
    return statistics.median(p50s), statistics.median(p95s), text


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


# --- FTS5 reference ------------------------------------------------------------------------------


class Fts5:
    """The same documents in an on-disk FTS5 table; terms ANDed, bm25 with the same boosts."""

    def __init__(self, path: Path, docs: list[dict]):
        start = time.perf_counter()
        path.unlink(missing_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, code, maker, category,"
            " body, facets UNINDEXED, tokenize='porter unicode61')"
        )
        with self.conn:
            self.conn.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d["key"],
                        d["title"],
                        d.get("code") or "",
                        d.get("maker") or "",
                        d.get("category") or "",
                        d.get("body") or "",
                        " ".join(
                            f"{name}={v}" for name, vs in d.get("facets", {}).items() for v in vs
                        ),
                    )
                    for d in docs
                ],
            )
            self.conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        self.build_seconds = time.perf_counter() - start

    def search(self, item):
        text, filters = item
        words = re.findall(r"[^\W_]+", text)
        if not words:
            return []
        match = " AND ".join(f'"{w}"' for w in words)
        where, params = "docs MATCH ?", [match]
        for name, values in filters.items():
            where += " AND (" + " OR ".join("instr(facets, ?) > 0" for _ in values) + ")"
            params += [f"{name}={v}" for v in values]
        rows = self.conn.execute(
            f"SELECT key, title, maker FROM docs WHERE {where} "  # noqa: S608 (fixed SQL)
            "ORDER BY bm25(docs, 0, 4, 4, 2, 1.5, 1, 0) LIMIT 20",
            params,
        ).fetchall()
        total = self.conn.execute(
            f"SELECT count(*) FROM docs WHERE {where}",  # noqa: S608 (fixed SQL)
            params,
        ).fetchone()[0]
        return rows, total


# --- Synthetic corpus ----------------------------------------------------------------------------

PRODUCT_TYPES = [
    "COVID-19 Ag Rapid Test",
    "Real-time RT-PCR Kit",
    "Viral Transport Medium",
    "SARS-CoV-2 Antibody Rapid Test",
    "Nasopharyngeal Swab Kit",
    "RT-LAMP Isothermal Kit",
    "Nucleic Acid Extraction Kit",
    "IgM/IgG Combo Test",
    "Saliva Antigen Self-Test",
    "Multiplex PCR Assay",
    "Universal Transport Medium",
    "Fluorescence Immunoassay Analyzer",
    "ELISA Neutralizing Antibody Kit",
    "CLIA Total Antibody Assay",
    "Oropharyngeal Swab",
    "Flocked Swab",
    "Point-of-care PCR Cartridge",
    "Influenza A/B and COVID-19 Combo Test",
    "Automated Extraction System",
    "One-step RT-qPCR Master Mix",
    "Home Antigen Test",
    "Nasal Swab Antigen Test",
    "Sputum Collection Kit",
    "Whole Blood Antibody Test",
    "Variant Detection PCR Kit",
    "Inactivating Transport Medium",
    "Mobile PCR Analyzer",
    "Antigen Reader",
    "Positive Control Material",
    "Dry Swab Collection Kit",
    "Digital Immunoassay Test",
    "Serum IgG ELISA",
]
MODIFIERS = ["", "", "", "Plus", "Nasal", "Pro", "Duo", "II", "Fast", "Home", "Max", "Lite"]
PACKS = ["", "", "", "25 tests", "50 tests", "100 tests", "20T", "96T", "1 test"]
SYLLABLES = ["han", "bio", "gen", "sol", "med", "tek", "cel", "dia", "nov", "kor", "sun", "lab"]
CATEGORIES = [
    ("rt-pcr", "RT-PCR reagents"),
    ("isothermal", "Isothermal nucleic-acid tests"),
    ("rapid-antigen", "Rapid antigen tests"),
    ("rapid-antibody", "Rapid antibody tests"),
    ("elisa-clia", "ELISA and CLIA immunoassays"),
    ("extraction", "Nucleic-acid extraction"),
    ("swabs", "Swabs"),
    ("transport-media", "Transport media"),
    ("instruments", "Instruments"),
    ("controls", "Controls and calibrators"),
]
SPECIMENS = [
    "nasopharyngeal swab",
    "oropharyngeal swab",
    "nasal swab",
    "saliva",
    "whole blood",
    "serum",
    "plasma",
]
TECHNOLOGIES = [
    "real-time RT-PCR",
    "RT-LAMP (isothermal)",
    "lateral flow immunoassay",
    "fluorescence immunoassay",
    "enzyme immunoassay",
    "nucleic-acid extraction",
]
APPROVALS = ["who_eul", "fda_eua", "ce_ivd", "eu_hsc", "mfds_approval", "mfds_export"]
DOMAIN_WORDS = (
    "sensitivity specificity detection antigen antibody nucleocapsid spike gene target primer "
    "probe amplification fluorescence cassette buffer reagent extraction lysis sample specimen "
    "swab saliva nasal throat serum plasma blood cartridge analyzer reader result minutes "
    "storage temperature shelf life kit test assay control positive negative clinical "
    "performance validation export approval emergency use laboratory hospital screening "
    "variant omicron delta influenza multiplex isothermal lamp pcr rt-pcr ct value copies "
    "limit batch lot packaging transport medium tube vial inactivation automated throughput"
).split()


def synthetic_words(rng: random.Random, n: int = 3000) -> list[str]:
    words = list(dict.fromkeys(DOMAIN_WORDS))
    suffixes = ["", "s", "ing", "ed", "ation"]
    while len(words) < n:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        words.append(stem + rng.choice(suffixes))
    return words


def synthetic_corpus(size: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not security)
    vocab = synthetic_words(rng)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(vocab))]
    makers = [
        f"{rng.choice(SYLLABLES).title()}{rng.choice(SYLLABLES)} Maker {i:02d} Co."
        for i in range(32)
    ]
    docs = []
    for i in range(size):
        ptype = rng.choice(PRODUCT_TYPES)
        name = " ".join(p for p in (ptype, rng.choice(MODIFIERS), rng.choice(PACKS)) if p)
        slug, category = rng.choice(CATEGORIES)
        maker = rng.choice(makers)
        body = ptype + " " + " ".join(rng.choices(vocab, weights, k=rng.randint(40, 80)))
        docs.append(
            {
                "key": f"product:{i}",
                "type": "product",
                "slug": f"p-{i}",
                "title": name,
                "code": f"{ptype[:2].upper()}-{rng.randint(1000, 9999)}"
                if rng.random() < 0.5
                else "",
                "maker": maker,
                "category": category,
                "subtitle": maker,
                "body": body,
                "newest": 1_600_000_000 + i,
                "facets": {
                    "category": [slug],
                    "approval": rng.sample(APPROVALS, rng.randint(0, 3)),
                    "specimen": rng.sample(SPECIMENS, rng.randint(0, 2)),
                    "technology": [rng.choice(TECHNOLOGIES)],
                    "manufacturer": [f"maker-{makers.index(maker):02d}"],
                },
            }
        )
    return docs


def typo(rng: random.Random, text: str) -> str:
    """One edit (drop or double a letter) in the longest word of the text."""
    words = text.split()
    i = max(range(len(words)), key=lambda j: len(words[j]))
    w = words[i]
    if len(w) < 5:
        return text
    k = rng.randint(2, len(w) - 2)
    words[i] = w[:k] + w[k + 1 :] if rng.random() < 0.5 else w[:k] + w[k] + w[k:]
    return " ".join(words)


def make_queries(docs: list[dict], n: int = 200, seed: int = 11) -> list[tuple[str, dict]]:
    """A fixed mix: names, makers, types, specimen words, typos, facet filters."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not security)
    products = [d for d in docs if d["type"] == "product"]
    makers = sorted({d["maker"].split("\n")[0] for d in products if d.get("maker")})
    type_words = [
        "antigen",
        "rt-pcr",
        "rapid test",
        "antibody",
        "swab",
        "transport medium",
        "isothermal",
        "elisa",
        "extraction",
        "pcr",
        "ag",
        "vtm",
        "naat",
        "igg",
    ]
    specimen_words = [
        "saliva",
        "nasal",
        "nasopharyngeal swab",
        "whole blood",
        "serum",
        "np swab",
        "oropharyngeal",
    ]
    queries: list[tuple[str, dict]] = []
    for _ in range(40):
        queries.append((rng.choice(products)["title"], {}))
    for _ in range(25):
        queries.append((rng.choice(makers), {}))
    for _ in range(25):
        queries.append((rng.choice(type_words), {}))
    for _ in range(20):
        queries.append((f"{rng.choice(type_words)} {rng.choice(specimen_words)}", {}))
    for _ in range(30):
        source = rng.choice([rng.choice(products)["title"], rng.choice(makers)])
        queries.append((typo(rng, source), {}))
    for _ in range(20):
        words = rng.choice(products)["body"].split()
        queries.append((" ".join(rng.sample(words[:30], 2)), {}))
    while len(queries) < n:
        facet, values = rng.choice(
            [
                ("approval", APPROVALS),
                ("specimen", ["saliva", "nasal swab", "serum"]),
                ("category", [c for c, _ in CATEGORIES] + ["rapid-antigen", "rt-pcr"]),
            ]
        )
        queries.append((rng.choice(type_words + [""]), {facet: [rng.choice(values)]}))
    return queries[:n]


# --- Runs ----------------------------------------------------------------------------------------


def bench_whoosh(ix: SearchIndex, queries, label: str) -> dict:
    ix.searcher()
    search = lambda item: ix.search(item[0], item[1])  # noqa: E731
    no_snippets = lambda item: ix.search(item[0], item[1], snippets=False)  # noqa: E731
    facets = lambda item: ix.facet_counts(item[0], item[1])  # noqa: E731
    p50, p95, text = summary(timed_passes(search, queries))
    print(f"  Whoosh in-process, page of 20 with snippets: {text}")
    _p50, _p95, text = summary(timed_passes(no_snippets, queries))
    print(f"  Whoosh in-process, without snippets:         {text}")
    cold_facets = cold_pass(facets, queries)
    print(
        f"  Facet counts, first time per query (cold):   p50 {cold_facets[0]:7.2f} ms"
        f"   p95 {cold_facets[1]:7.2f} ms (then served from the per-query cache)"
    )
    return {"p50": p50, "p95": p95}


def bench_fts(docs, queries, workdir: Path) -> dict:
    fts = Fts5(workdir / "fts.sqlite3", docs)
    p50, p95, text = summary(timed_passes(fts.search, queries))
    size = (workdir / "fts.sqlite3").stat().st_size / 1e6
    print(f"  FTS5 reference (top 20 + exact count):       {text}")
    print(f"  FTS5 build {fts.build_seconds:.2f} s, {size:.1f} MB on disk")
    return {"p50": p50, "p95": p95}


def run_seed(workdir: Path) -> dict:
    from catalogue.search.indexer import current_index, rebuild_index
    from catalogue.search.registry import all_documents
    from catalogue.supplies.seed import load_seed

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'seed.sqlite3'}",
            "SEARCH_INDEX_DIR": str(workdir / "seed-index"),
        },
    )
    results = {}
    with app.app_context():
        db.create_all()
        load_seed(ROOT / "seed")
        db.session.commit()
        builds = []
        for _ in range(3):
            start = time.perf_counter()
            count = rebuild_index()
            builds.append(time.perf_counter() - start)
        results["reindex_s"] = statistics.median(builds)
        ix = current_index()
        docs = list(all_documents())
        queries = make_queries(docs)
        print(f"\nSeed catalogue: {count} documents, {len(queries)} queries")
        print(
            f"  Full reindex (flask search reindex): {results['reindex_s']:.3f} s "
            f"[{min(builds):.3f}-{max(builds):.3f}], "
            f"{dir_size_mb(Path(app.config['SEARCH_INDEX_DIR'])):.2f} MB on disk"
        )
        whoosh = bench_whoosh(ix, queries, "seed")
        client = app.test_client()

        def http(item):
            q, filters = item
            response = client.get("/search", query_string={"q": q, **filters})
            assert response.status_code == 200, (q, response.status_code)

        # Anonymous visitors get repeated searches from the page cache; time the search itself.
        cache = app.extensions.pop("page_cache", None)
        _p50, p95, text = summary(timed_passes(http, queries))
        results["http_p95"] = p95
        print(f"  /search through the test client (HTML):      {text}")
        if cache is not None:
            app.extensions["page_cache"] = cache
            _p50, _p95, text = summary(timed_passes(http, queries))
            print(f"  ...the same, repeated, from the page cache:  {text}")
        fts = bench_fts(docs, queries, workdir)
        print(
            f"  Ratio Whoosh/FTS5: p50 {whoosh['p50'] / fts['p50']:.0f}x, "
            f"p95 {whoosh['p95'] / fts['p95']:.0f}x"
        )
        db.session.remove()
    return results


def run_large(workdir: Path, size: int) -> dict:
    docs = synthetic_corpus(size)
    queries = make_queries(docs)
    ix = SearchIndex(workdir / "large-index")
    print(f"\nSynthetic catalogue: {size:,} products, {len(queries)} queries")
    start = time.perf_counter()
    ix.rebuild(iter(docs), {"watermark": 0})
    build = time.perf_counter() - start
    print(f"  Whoosh build {build:.1f} s, {dir_size_mb(workdir / 'large-index'):.1f} MB on disk")
    fts = bench_fts(docs, queries, workdir)
    # The corpus lives only in this script; an app process would not hold it.
    del docs
    gc.collect()
    whoosh = bench_whoosh(ix, queries, "large")
    print(
        f"  Ratio Whoosh/FTS5: p50 {whoosh['p50'] / fts['p50']:.0f}x, "
        f"p95 {whoosh['p95'] / fts['p95']:.0f}x"
    )
    ix.close()
    return {"p95": whoosh["p95"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=50_000, help="synthetic corpus size")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    verdicts = []
    try:
        if not args.skip_seed:
            seed = run_seed(workdir)
            verdicts.append(("seed /search p95", seed["http_p95"], TARGETS["seed_http_p95"], "ms"))
            verdicts.append(("seed reindex", seed["reindex_s"], TARGETS["seed_reindex_s"], "s"))
        if not args.skip_large:
            large = run_large(workdir, args.size)
            verdicts.append(
                (f"{args.size:,} in-process p95", large["p95"], TARGETS["large_p95"], "ms")
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nTargets")
    for label, value, target, unit in verdicts:
        mark = "met" if value <= target else "MISSED"
        print(f"  {label:28} {value:8.2f} {unit} (target <= {target:g} {unit}): {mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

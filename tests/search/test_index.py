"""The index layer on its own: how it behaves once an index is large (bound and estimates).

The thresholds are lowered so that a few dozen documents count as "large".
"""

import pytest

from catalogue.search import query as search_query
from catalogue.search.store import SearchIndex


def _doc(n, title, specimen):
    return {
        "key": f"product:{n}",
        "type": "product",
        "slug": f"p-{n}",
        "title": title,
        "body": "Rapid antigen test kit with a result in 15 minutes.",
        "facets": {"specimen": [specimen]},
    }


@pytest.fixture
def large_index(tmp_path, monkeypatch):
    monkeypatch.setattr(search_query, "EXACT_COUNT_LIMIT", 10)
    monkeypatch.setattr(search_query, "MAX_SCORED", 5)
    docs = [_doc(n, f"Antigen Cassette {n}", "saliva" if n % 2 else "serum") for n in range(40)]
    docs.append(_doc(99, "Zeta Antigen Cassette", "serum"))
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(iter(docs), {"watermark": 0})
    yield ix
    ix.close()


def test_a_broad_query_on_a_large_index_reports_about_n(large_index):
    results = large_index.search("antigen cassette", per_page=3)
    assert len(results.hits) == 3
    assert results.exact is False
    assert results.total >= 41


def test_an_exact_name_comes_first_on_a_large_index(large_index):
    results = large_index.search("zeta antigen cassette", per_page=3)
    assert results.hits[0].title == "Zeta Antigen Cassette"


def test_filters_hold_when_scoring_is_bounded(large_index):
    results = large_index.search("antigen", {"specimen": ["saliva"]}, per_page=50)
    assert results.hits
    assert all(int(hit.key.split(":")[1]) % 2 == 1 for hit in results.hits)


def test_a_small_index_counts_exactly(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(iter([_doc(n, f"Antigen Cassette {n}", "saliva") for n in range(30)]), {})
    try:
        results = ix.search("antigen", per_page=5)
        assert results.exact is True and results.total == 30
    finally:
        ix.close()

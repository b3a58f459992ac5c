"""The search page honours the product list's performance and provenance filters and sorts."""

import re
from datetime import timedelta

import pytest

from catalogue.extensions import db
from catalogue.lib.dates import today
from catalogue.search import indexer
from catalogue.search.indexer import current_index
from catalogue.search.schema import SCHEMA_VERSION
from catalogue.supplies import models as supplies_models
from catalogue.supplies import services as supplies


def _text(response) -> str:
    return response.get_data(as_text=True)


def _results(html: str) -> list[str]:
    """Product slugs in the order the results list shows them."""
    return list(dict.fromkeys(re.findall(r'id="cmp-([a-z0-9-]+)"', html)))


def _study(sensitivity, specificity, **fields):
    values = {
        "study": "Study",
        "sensitivity": sensitivity,
        "specificity": specificity,
        "reported_by": "manufacturer",
        "status": "public_source",
        "entered_by": "seed",  # a public-source row comes from the seed
    }
    return values | fields


@pytest.fixture
def kits(make_product, sync_index):
    """Four "Zephyr" kits: headline sensitivities 95 and 80, a PPA-only one and one without."""
    make_product(slug="zephyr-high", name="Zephyr High Kit", performance=[_study(95, 97)])
    make_product(
        slug="zephyr-low",
        name="Zephyr Low Kit",
        performance=[_study(80, 99.5, reported_by="field", sample_size=2000)],
    )
    make_product(
        slug="zephyr-agreement",
        name="Zephyr Agreement Kit",
        performance=[_study(99, 99, measure="ppa_npa")],
    )
    make_product(slug="zephyr-unknown", name="Zephyr Unknown Kit")
    sync_index()


def test_search_results_show_the_headline_with_its_reporter(client, kits):
    html = _text(client.get("/search?q=zephyr+low"))
    assert "Sensitivity 80 % · Specificity 99.5 %" in html
    assert "— field study (n = 2,000)" in html


def test_minimum_sensitivity_on_the_search_page(client, kits):
    response = client.get("/search?q=zephyr&min_sensitivity=90")
    assert response.status_code == 200
    assert _results(_text(response)) == ["zephyr-high"]
    assert _results(_text(client.get("/search?q=zephyr&min_specificity=99"))) == ["zephyr-low"]
    # Browsing (no words) filters the same way.
    assert _results(_text(client.get("/search?min_sensitivity=75"))) == [
        "zephyr-high",
        "zephyr-low",
    ]


def test_a_malformed_minimum_on_the_search_page_is_a_400_with_a_message(client, kits):
    response = client.get("/search?q=zephyr&min_specificity=200")
    assert response.status_code == 400
    assert "The minimum specificity must be a number from 0 to 100" in _text(response)
    assert len(_results(_text(response))) == 4


def test_sort_by_sensitivity_on_the_search_page(client, kits):
    order = _results(_text(client.get("/search?q=zephyr&sort=sensitivity")))
    assert order[:2] == ["zephyr-high", "zephyr-low"]
    assert set(order[2:]) == {"zephyr-agreement", "zephyr-unknown"}
    order = _results(_text(client.get("/search?q=zephyr&sort=specificity")))
    assert order[:2] == ["zephyr-low", "zephyr-high"]


def test_reporter_facet_on_the_search_page(client, kits):
    html = _text(client.get("/search?q=zephyr&reporter=field"))
    assert _results(html) == ["zephyr-low"]
    assert re.search(r'Manufacturer <span class="facet-count">\(2\)</span>', html)


@pytest.fixture
def exports(make_product, sync_index):
    verified = make_product(
        slug="quill-stated",
        name="Quill Export Kit",
        approvals=[{"authority": "mfds_export", "status": "public_source"}],
    )
    make_product(
        slug="quill-ce",
        name="Quill CE Kit",
        approvals=[
            {"authority": "ce_ivd", "status": "verified"},
            {"authority": "mfds_export", "status": "claimed"},
        ],
    )
    verified.approvals[0].status = "verified"  # as a staff check would leave it
    db.session.commit()
    sync_index()


def test_evidence_and_approval_filters_need_one_approval_that_is_both(client, exports):
    html = _text(client.get("/search?q=quill&approval=mfds_export&evidence=verified"))
    assert _results(html) == ["quill-stated"]
    assert re.search(r'Verified by CAC staff <span class="facet-count">\(1\)</span>', html)
    assert re.search(r'Claimed by the manufacturer <span class="facet-count">\(1\)</span>', html)
    assert re.search(r'CE-IVD <span class="facet-count">\(1\)</span>', html)
    html = _text(client.get("/search?q=quill&evidence=verified"))
    assert set(_results(html)) == {"quill-stated", "quill-ce"}


@pytest.mark.postgresql  # the database's counts are computed in SQL
def test_index_facet_counts_match_the_product_list(app, exports, kits):
    from catalogue.search.services import search_catalogue

    for filters in (
        {"approval": ["mfds_export"], "evidence": ["verified"]},
        {"evidence": ["claimed"]},
        {"reporter": ["manufacturer", "field"]},
    ):
        for minimums in ({}, {"sensitivity": 90.0}):
            with app.test_request_context():
                got = search_catalogue("", filters, "product", minimums=minimums).facets
            expected = supplies.facet_counts(filters, minimums=minimums)
            for facet in supplies.FACETS:
                assert [(v.value, v.count) for v in got[facet]] == [
                    (v.value, v.count) for v in expected[facet]
                ], (filters, minimums, facet)


def test_an_approval_drops_out_of_its_filter_on_the_day_it_expires(
    client, make_product, sync_index, monkeypatch
):
    make_product(
        slug="lapsing",
        name="Lapsing Kit",
        approvals=[{"authority": "fda_eua", "valid_until": today() + timedelta(days=1)}],
    )
    sync_index()
    assert _results(_text(client.get("/search?q=lapsing&approval=fda_eua"))) == ["lapsing"]

    later = today() + timedelta(days=2)  # no change row: only the date has moved on
    monkeypatch.setattr(supplies_models, "today", lambda: later)
    monkeypatch.setattr(indexer, "today", lambda: later)
    sync_index()
    html = _text(client.get("/search?q=lapsing&approval=fda_eua"))
    assert _results(html) == []
    assert "Approval: FDA EUA" in html  # the chip keeps its label at zero results


def test_an_index_of_an_older_schema_is_rebuilt(client, make_product, sync_index):
    make_product(name="Rebuilt Kit", performance=[_study(91, 99)])
    sync_index()
    ix = current_index()
    ix.write_state({**ix.read_state(), "schema": SCHEMA_VERSION - 1})
    # Until the rebuild the database answers, filters included.
    html = _text(client.get("/search?q=rebuilt&min_sensitivity=90"))
    assert "Search is being rebuilt" in html and "Rebuilt Kit" in html
    sync_index()
    assert ix.read_state()["schema"] == SCHEMA_VERSION
    html = _text(client.get("/search?q=rebuilt&min_sensitivity=90"))
    assert "Search is being rebuilt" not in html and "Rebuilt Kit" in html

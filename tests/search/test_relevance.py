"""Relevance on the seed catalogue: names, typos, synonyms, compounds and facets."""

import re

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.search.services import search_catalogue
from catalogue.supplies import services as supplies
from catalogue.supplies.models import Manufacturer, Product


@pytest.fixture(scope="module")
def find(seeded_index):
    """find(q, **options) -> the search page for q on the indexed seed."""

    def run(q, filters=None, doc_type=None, per_page=20, **options):
        with seeded_index.test_request_context():
            return search_catalogue(q, filters or {}, doc_type, per_page=per_page, **options)

    return run


def _keys(page):
    return [item.hit.key for item in page.items]


def test_exact_name_of_every_seeded_product_is_in_top_three(seeded_index, find):
    products = db.session.scalars(sa.select(Product).where(Product.status == "published")).all()
    assert len(products) > 50
    for product in products:
        top = find(product.name).items[:3]
        titles = [item.hit.title.casefold() for item in top]
        if f"product:{product.id}" in [item.hit.key for item in top]:
            continue
        # Several products share a descriptive name ("COVID-19 RT-PCR kit"): then the top
        # three must all be products of exactly that name.
        assert titles == [product.name.casefold()] * 3, (product.name, titles)


def test_one_letter_typo_in_a_product_name_still_finds_it(find):
    for typo, wanted in [
        ("Allplx 2019-nCoV Assay", "Allplex 2019-nCoV Assay"),
        ("STANDRD Q COVID-19 Ag Test", "STANDARD Q COVID-19 Ag Test"),
        ("Humasis COVID-19 Ag Hme Test", "Humasis COVID-19 Ag Home Test"),
    ]:
        page = find(typo)
        assert wanted in [item.hit.title for item in page.items[:3]], typo
        assert page.corrected or page.fuzzy


def test_one_letter_typo_in_every_company_name_finds_it_or_suggests_it(seeded_index, find):
    makers = db.session.scalars(sa.select(Manufacturer)).all()
    checked = 0
    for maker in makers:
        words = [w for w in re.findall(r"[A-Za-z]+", maker.name) if len(w) >= 6]
        if not words:
            continue
        word = max(words, key=len)
        typo = word[:3] + word[4:]  # drop the fourth letter
        page = find(typo)
        found = f"manufacturer:{maker.id}" in _keys(page)[:5]
        suggested = page.corrected is not None and word.lower() in page.corrected.lower()
        assert found or suggested, (maker.name, typo, page.corrected)
        checked += 1
    assert checked > 20


def test_did_you_mean_offers_the_indexed_spelling(seeded_client, seeded_index):
    response = seeded_client.get("/search?q=biosenser")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Showing results for" in text or "Did you mean" in text
    assert "biosensor" in text.lower()


@pytest.mark.parametrize(
    "variants",
    [("RT-PCR", "rt pcr", "rtpcr"), ("2019-nCoV", "2019 ncov", "2019-ncov")],
)
def test_hyphenated_spaced_and_run_together_forms_find_the_same(find, variants):
    results = [set(_keys(find(v, doc_type="product", per_page=100))) for v in variants]
    assert results[0]
    assert results[0] == results[1] == results[2], variants


@pytest.mark.parametrize(
    "short,long",
    [
        ("ag", "antigen"),
        ("rdt", "rapid test"),
        ("vtm", "viral transport medium"),
        ("naat", "pcr"),
        ("molecular", "pcr"),
        ("np", "nasopharyngeal"),
    ],
)
def test_synonyms_find_the_same_products(find, short, long):
    a = set(_keys(find(short, doc_type="product", per_page=100)))
    b = set(_keys(find(long, doc_type="product", per_page=100)))
    assert a, short
    if " " in long:
        # "rapid test" also matches "rapid antigen test"; the phrase's matches are all there.
        phrase = set(_keys(find(f'"{long}"', doc_type="product", per_page=100)))
        assert phrase <= a <= b, (short, long)
    else:
        assert a == b, (short, long)


def test_isothermal_finds_lamp_products(find, seeded_index):
    lamp = db.session.scalars(
        sa.select(Product).where(Product.technology == "RT-LAMP (isothermal)")
    ).all()
    assert lamp
    keys = set(_keys(find("lamp", doc_type="product", per_page=100)))
    assert {f"product:{p.id}" for p in lamp} <= keys


def test_company_name_puts_the_company_first(find):
    page = find("Seegene")
    assert page.items[0].hit.title == "Seegene Inc."
    assert page.items[0].hit.type == "manufacturer"


def test_facet_counts_match_the_product_list(seeded_index, find):
    """Index facet counts equal the product list's (rejected approvals don't count)."""
    for filters in (
        {},
        {"approval": ["ce_ivd"]},
        {"specimen": ["saliva"], "category": ["rapid-antigen"]},
    ):
        expected = supplies.facet_counts(filters)
        got = find("", filters, doc_type="product").facets
        for facet in supplies.FACETS:
            assert {(v.value, v.count) for v in got[facet]} == {
                (v.value, v.count) for v in expected[facet]
            }, (filters, facet)


def test_facet_filter_combines_with_the_query(find, seeded_index):
    page = find("antigen", {"approval": ["eu_hsc"]}, per_page=100)
    assert page.items
    for item in page.items:
        assert item.product is not None
        assert "eu_hsc" in {a.authority for a in item.product.public_approvals}
    assert page.total == len(page.items)


@pytest.mark.parametrize("sort", ["name", "newest"])
def test_sorting(find, sort):
    page = find("pcr", doc_type="product", per_page=50, sort=sort)
    if sort == "name":
        titles = [item.hit.title.casefold() for item in page.items]
        assert titles == sorted(titles)
    else:
        stamps = [item.product.created_at for item in page.items]
        assert stamps == sorted(stamps, reverse=True)

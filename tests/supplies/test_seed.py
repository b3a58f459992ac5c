"""The seed: loading it is idempotent, and every reference fact reaches the pages unchanged."""

import csv
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from catalogue.extensions import db
from catalogue.supplies.models import Approval, Manufacturer, PerformanceResult, Product
from catalogue.supplies.seed import SeedError, load_seed, parse_partial_date

pytestmark = pytest.mark.postgresql

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
REFERENCE_CSV = SEED_DIR / "sources" / "korean-ivd-manufacturers.csv"


def _reference_rows() -> list[dict]:
    with REFERENCE_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _seeded_products() -> list[tuple[dict, dict]]:
    makers = yaml.safe_load((SEED_DIR / "manufacturers.yaml").read_text(encoding="utf-8"))
    return [(maker, product) for maker in makers for product in maker["products"]]


def _row_text(product: dict) -> str:
    rows = _reference_rows()
    return " ".join(" ".join(rows[n - 1].values()) for n in product["reference_rows"])


def _counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Manufacturer, Product, Approval)
    }


# --- Loading ---------------------------------------------------------------------------------


def test_seed_twice_changes_nothing(app):
    load_seed(SEED_DIR)
    db.session.commit()
    first = _counts()
    stamps = dict(db.session.execute(sa.select(Product.slug, Product.updated_at)).all())
    report = load_seed(SEED_DIR)
    db.session.commit()
    assert not report.added
    assert _counts() == first
    assert dict(db.session.execute(sa.select(Product.slug, Product.updated_at)).all()) == stamps


def test_seed_never_overwrites_a_later_edit(app):
    load_seed(SEED_DIR)
    db.session.commit()
    product = db.session.scalar(sa.select(Product).where(Product.slug == "allplex-2019-ncov-assay"))
    product.lead_time = "3 weeks"
    db.session.commit()
    load_seed(SEED_DIR)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Product, product.id).lead_time == "3 weeks"


def test_seed_command_reports_what_it_added(runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "46 manufacturers" in first.output
    second = runner.invoke(args=["seed"])
    assert "Nothing to add" in second.output


def test_invalid_seed_is_refused_whole(app, tmp_path):
    (tmp_path / "categories.yaml").write_text(
        (SEED_DIR / "categories.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    bad = [
        {
            "slug": "x",
            "name": "X",
            "products": [
                {
                    "slug": "x-kit",
                    "name": "X kit",
                    "category": "rt-pcr",
                    "sources": ["https://example.org/x"],
                    "approvals": [{"authority": "fda_eua", "date": "April 2020"}],
                }
            ],
        }
    ]
    (tmp_path / "manufacturers.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(SeedError, match="Bad date"):
        load_seed(tmp_path)
    assert _counts()["Manufacturer"] == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020", ("2020-01-01", "year")),
        ("2020-04", ("2020-04-01", "month")),
        ("2020-04-23", ("2020-04-23", "day")),
        (None, (None, None)),
    ],
)
def test_partial_dates_keep_their_precision(text, expected):
    parsed, precision = parse_partial_date(text)
    assert (parsed.isoformat() if parsed else None, precision) == expected


# --- Coverage of the reference ---------------------------------------------------------------


def test_every_reference_row_and_company_is_seeded():
    rows = _reference_rows()
    covered = {n for _maker, product in _seeded_products() for n in product["reference_rows"]}
    assert covered == set(range(1, len(rows) + 1))
    makers = {maker["slug"] for maker, _product in _seeded_products()}
    assert len(makers) == len({row["company"] for row in rows}) == 46


def test_seeded_figures_are_stated_by_the_reference():
    """No performance figure, sample size or approval year that its reference row lacks."""
    for _maker, product in _seeded_products():
        text = _row_text(product)
        for result in product.get("performance") or []:
            figures = [
                result.get("sensitivity"),
                result.get("specificity"),
                result.get("sample_size"),
            ]
            figures += list(result.get("sensitivity_ci") or []) + list(
                result.get("specificity_ci") or []
            )
            for figure in filter(lambda f: f is not None, figures):
                as_text = f"{figure:g}" if isinstance(figure, float) else str(figure)
                variants = {as_text, f"{figure:,}", f"{figure}"}
                assert any(v in text for v in variants), (product["slug"], figure)
        for approval in product.get("approvals") or []:
            if approval.get("date"):
                assert approval["date"][:4] in text, (product["slug"], approval)
        for source in product["sources"]:
            assert source in text, (product["slug"], source)


# --- The seeded catalogue on the pages -------------------------------------------------------


def test_every_manufacturer_and_product_is_reachable_from_the_pages(seeded_client):
    makers_html = seeded_client.get("/supplies/manufacturers/").get_data(as_text=True)
    maker_slugs = set(re.findall(r'href="/supplies/manufacturers/([a-z0-9-]+)"', makers_html))
    assert len(maker_slugs) == 46
    reached = set()
    for slug in maker_slugs:
        response = seeded_client.get(f"/supplies/manufacturers/{slug}")
        assert response.status_code == 200
        reached |= set(
            re.findall(r'href="/supplies/products/([a-z0-9-]+)"', response.get_data(as_text=True))
        )
    assert reached == {product["slug"] for _maker, product in _seeded_products()}


def test_product_list_pages_reach_every_product(seeded_client):
    seen, page = set(), 1
    while True:
        response = seeded_client.get(f"/supplies/products/?page={page}")
        if response.status_code == 404:
            break
        seen |= set(
            re.findall(r'href="/supplies/products/([a-z0-9-]+)"', response.get_data(as_text=True))
        )
        page += 1
    assert seen == {product["slug"] for _maker, product in _seeded_products()}


def test_every_product_page_shows_maker_category_approvals_logistics_and_sources(seeded_client):
    for maker, product in _seeded_products():
        response = seeded_client.get(f"/supplies/products/{product['slug']}")
        assert response.status_code == 200, product["slug"]
        html = response.get_data(as_text=True)
        assert maker["name"].replace("&", "&amp;") in html
        assert 'id="approvals"' in html and 'id="logistics"' in html
        logistics = html.split('id="logistics"')[1].split("</section>")[0]
        assert "on request" in logistics  # the reference gives no MOQ or lead time
        for source in product["sources"]:
            url = re.search(r"https?://\S+", source)
            shown = url.group(0) if url else source
            assert str(shown).replace("&", "&amp;") in html, (product["slug"], shown)


def test_percent_figures_on_product_pages_come_from_the_reference(seeded_client):
    for _maker, product in _seeded_products():
        html = seeded_client.get(f"/supplies/products/{product['slug']}").get_data(as_text=True)
        performance = html.split('id="performance"')[1].split("</section>")[0]
        text = _row_text(product)
        for figure in re.findall(r"(\d+(?:\.\d+)?) %(?! CI)", performance):
            assert figure in text, (product["slug"], figure)


def test_the_seed_states_its_facts_as_public_sources_and_verifies_none(seeded_app):
    with seeded_app.app_context():
        approvals = db.session.scalars(sa.select(Approval)).all()
        results = db.session.scalars(sa.select(PerformanceResult)).all()
        assert approvals and results
        assert {a.status for a in approvals} == {"public_source"}
        assert sum(a.status == "verified" for a in approvals) == 0
        assert all(a.public_sources or a.product.public_sources for a in approvals)
        assert {r.status for r in results} == {"public_source"}
        assert {r.entered_by for r in results} == {"seed"}


def test_descriptive_names_say_details_are_on_request(seeded_client):
    descriptive = [p for _m, p in _seeded_products() if p.get("name_is_descriptive")]
    assert descriptive
    for product in descriptive:
        html = seeded_client.get(f"/supplies/products/{product['slug']}").get_data(as_text=True)
        assert "product details on request" in html


def test_no_research_placeholder_reaches_a_page(seeded_client):
    """Notes like "(product name not found)" are for researchers, not buyers."""
    for _maker, product in _seeded_products():
        text = " ".join(str(product.get(key) or "") for key in ("description", "not_approvals"))
        assert "not found" not in text, product["slug"]
    page = seeded_client.get("/supplies/products/tcm-life-science-covid-19-rt-pcr-kit").text
    assert "An RT-PCR kit (the public sources do not name the product)" in page

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
    "change, message",
    [
        (
            {"performance": [{"study": "S", "sensitivity": 90, "reported_by": "manufacturer"}]},
            "every performance result needs its public sources",
        ),
        (
            {
                "approvals": [
                    {
                        "authority": "fda_eua",
                        "date": "2020",
                        "date_as_stated": "late 2020",
                        "sources": ["https://example.org/x"],
                    }
                ]
            },
            "not both",
        ),
    ],
)
def test_seed_refuses_an_unsourced_result_and_a_vague_date_made_precise(
    app, tmp_path, change, message
):
    (tmp_path / "categories.yaml").write_text(
        (SEED_DIR / "categories.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    product = {"slug": "x-kit", "name": "X kit", "category": "rt-pcr", "sources": ["s"], **change}
    maker = {"slug": "x", "name": "X", "products": [product]}
    (tmp_path / "manufacturers.yaml").write_text(yaml.safe_dump([maker]), encoding="utf-8")
    with pytest.raises(SeedError, match=message):
        load_seed(tmp_path)


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


# --- The fact-check of issue 13: each item against its reference row -------------------------
#
# Each test reads the database the seed filled (or a page that already shows the fact) and checks
# it against the row of seed/sources/korean-ivd-manufacturers.csv it comes from.


def _row(number: int) -> dict:
    return _reference_rows()[number - 1]


def _reference_numbers(slug: str) -> list[int]:
    return next(p["reference_rows"] for _m, p in _seeded_products() if p["slug"] == slug)


def _row_sources(product: Product) -> str:
    return " ".join(_row(n)["source"] for n in _reference_numbers(product.slug))


def _product(slug: str) -> Product:
    return db.session.scalar(sa.select(Product).where(Product.slug == slug))


def _products_of_rows(*numbers: int) -> list[Product]:
    slugs = [p["slug"] for _m, p in _seeded_products() if set(p["reference_rows"]) & set(numbers)]
    return [_product(slug) for slug in slugs]


def _maker(slug: str) -> Manufacturer:
    return db.session.scalar(sa.select(Manufacturer).where(Manufacturer.slug == slug))


def test_no_product_is_filed_as_rapid_unless_its_row_says_rapid(seeded_app, seeded_client):
    assert "rapid" not in _row(69)["product_type"]  # Humedix: "antibody test"
    with seeded_app.app_context():
        for _m, data in _seeded_products():
            product_types = " ".join(_row(n)["product_type"] for n in data["reference_rows"])
            if "rapid" not in product_types.lower():
                category = _product(data["slug"]).category
                assert "rapid" not in category.name.lower(), (data["slug"], category.name)
    page = seeded_client.get("/supplies/products/humedix-covid-19-antibody-test-kit").text
    assert "<dt>Category</dt><dd>Other antibody tests</dd>" in page


def test_specimen_types_are_only_those_the_rows_state(seeded_app, seeded_client):
    words = {
        "nasopharyngeal swab": ("nasopharyngeal", "np or nasal"),
        "oropharyngeal swab": ("oropharyngeal",),
        "nasal swab": ("nasal",),
        "saliva": ("saliva",),
        "whole blood": ("whole blood",),
        "serum": ("serum",),
        "plasma": ("plasma",),
        "blood": ("blood",),
    }
    with seeded_app.app_context():
        for _m, data in _seeded_products():
            text = _row_text(data).lower()
            for specimen in _product(data["slug"]).specimen_types:
                assert any(w in text for w in words[specimen]), (data["slug"], specimen)
    # Rows 64 and 66 give a specimen only for a version of the kit ("nasal-swab version",
    # "saliva kit"), not for the kit itself: the page says "on request".
    assert "nasal-swab version" in _row(64)["approvals"] and "saliva kit" in _row(66)["spec_notes"]
    for slug in ("nowcheck-covid-19-ag-test", "gmate-covid-19-ag"):
        page = seeded_client.get(f"/supplies/products/{slug}").text
        shown = re.search(r"<dt>Specimen types</dt><dd>(.*?)</dd>", page).group(1)
        assert re.sub(r"<[^>]+>", "", shown) == "on request", slug


def test_authority_labels_are_worded_as_the_rows_give_them(seeded_app, seeded_client):
    with seeded_app.app_context():
        for _m, data in _seeded_products():
            approvals_text = " ".join(_row(n)["approvals"] for n in data["reference_rows"])
            for approval in _product(data["slug"]).approvals:
                if approval.authority == "ce_ivd":  # "CE marking (IVD)" only where a row says IVD
                    assert "CE-IVD" in approvals_text, data["slug"]
                if approval.stated_as:
                    assert approval.stated_as in approvals_text, (data["slug"], approval.stated_as)
        swabs = _product("noble-bio-utm-vtm-swab-kit").approvals
        assert "swabs CE-marked" in _row(46)["approvals"]
        assert [a.authority_label for a in swabs if "CE" in a.authority_label] == [
            "swabs CE-marked"
        ]
    page = seeded_client.get("/supplies/products/noble-bio-utm-vtm-swab-kit").text
    assert "swabs CE-marked" in page


def test_holding_mfds_permission_is_not_called_an_export_permission(seeded_app):
    rows = (39, 40, 41, 42, 43, 44, 47)
    assert all("holding MFDS permission" in _row(n)["approvals"] for n in rows)
    with seeded_app.app_context():
        products = _products_of_rows(*rows)
        assert len(products) == len(rows)
        for product in products:
            assert [a.authority_label for a in product.approvals] == ["MFDS permission"]
            assert all(a.authority != "mfds_export" for a in product.approvals)


COMPANY_PERMISSIONS = [
    # (row, manufacturer, the row's words, products that must not show it as their approval)
    (
        10,
        "osang-healthcare",
        "antigen RDT MFDS export permission Nov 2020",
        "ohc-covid-19-antigen-self-test",
    ),
    (
        25,
        "micobiomed",
        "listed by MOHW as equipment+reagent exporter",
        "micobiomed-covid-19-rt-pcr-kit",
    ),
    (
        53,
        "boditech-med",
        "COVID-19 antigen kit MFDS export permission Jun 2020",
        "afias-covid-19-ag",
    ),
]


@pytest.mark.parametrize("row, maker_slug, words, product_slug", COMPANY_PERMISSIONS)
def test_company_level_permissions_are_the_companys_not_a_products(
    seeded_app, row, maker_slug, words, product_slug
):
    assert words in _row(row)["approvals"]
    with seeded_app.app_context():
        permissions = _maker(maker_slug).company_permissions
        matching = [p for p in permissions if p["label"].lower() == words.lower()]
        assert len(matching) == 1, permissions
        permission = matching[0]
        assert permission["sources"] and all(
            s in _row(row)["source"] for s in permission["sources"]
        )
        product = _product(product_slug)
        for approval in product.approvals:
            assert not set(approval.public_sources) & set(permission["sources"]), approval.authority
        if "export permission" in words:
            assert all(a.authority != "mfds_export" for a in product.approvals)


def test_fda_registration_is_listed_as_no_approval(seeded_app, seeded_client):
    for row, slug in ((49, "sgti-flex-covid-19-igm-igg"), (52, "ichroma-covid-19-ab")):
        assert "US FDA registration (Apr 2020)" in _row(row)["approvals"]
        with seeded_app.app_context():
            product = _product(slug)
            assert not [a for a in product.approvals if "registration" in a.authority_label]
            assert any(
                item.startswith("US FDA registration (Apr 2020)")
                and "not an FDA authorisation" in item
                for item in product.not_approvals
            )
        page = seeded_client.get(f"/supplies/products/{slug}").text
        also_reported = page.split("Also reported (not approvals)")[1].split("</ul>")[0]
        assert "US FDA registration (Apr 2020)" in also_reported


def test_fda_instructions_for_use_figures_are_the_makers_own_studies(seeded_app):
    ifu_rows = [n for n, row in enumerate(_reference_rows(), 1) if "FDA IFU" in row["spec_notes"]]
    assert ifu_rows == [4, 10, 60]
    with seeded_app.app_context():
        results = [r for p in _products_of_rows(*ifu_rows) for r in p.performance]
        from_ifu = [r for r in results if "FDA instructions for use" in r.study]
        assert len(from_ifu) == 3
        for result in from_ifu:
            assert result.reported_by == "manufacturer", result.product.slug
            assert "maker's own study, from its FDA EUA instructions for use" in result.note
        regulator = sa.select(PerformanceResult).where(PerformanceResult.reported_by == "regulator")
        assert db.session.scalars(regulator).all() == []  # no row reports a regulator's own study


def test_no_study_is_called_independent_unless_its_row_says_so(seeded_app):
    """Rows 34, 36 and 62 give hospital evaluations without saying who ran them: field studies,
    not "independent evaluations"."""
    rows = _reference_rows()
    with seeded_app.app_context():
        for result in db.session.scalars(sa.select(PerformanceResult)):
            if result.reported_by == "independent":
                text = " ".join(
                    " ".join(rows[n - 1].values()) for n in _rows_of(result.product.slug)
                ).lower()
                assert "independent" in text, result.product.slug
        evaluations = [r for p in _products_of_rows(34, 36, 62) for r in p.performance]
        assert evaluations and {r.reported_by for r in evaluations} == {"field"}


def _rows_of(slug: str) -> list[int]:
    return next(p["reference_rows"] for _m, p in _seeded_products() if p["slug"] == slug)


_QUALIFIED = re.compile(r"(up to|~)\s*(\d+(?:\.\d+)?)%")


def test_qualifiers_before_figures_are_kept_as_written(seeded_app):
    found = set()
    with seeded_app.app_context():
        for _m, data in _seeded_products():
            notes = " ".join(_row(n)["spec_notes"] for n in data["reference_rows"])
            qualified = {float(figure): word for word, figure in _QUALIFIED.findall(notes)}
            for result in _product(data["slug"]).performance:
                for measure in ("sensitivity", "specificity"):
                    figure = getattr(result, measure)
                    qualifier = getattr(result, f"{measure}_qualifier")
                    assert qualifier == qualified.get(figure), (data["slug"], measure, figure)
                    if qualifier:
                        found.add((data["slug"], qualifier, figure))
    assert found == {
        ("genedia-w-covid-19-ag", "up to", 94),
        ("humasis-covid-19-ag-test", "~", 89.4),
    }


# Products made from one row keep only the sources of their own part of it.
SPLIT_ROWS = [
    (4, "sd-biosensor-covid-19-at-home-test", ["serotracker"]),
    (4, "standard-q-covid-19-igm-igg-duo", ["ehashman", "tellerreport"]),
    (21, "ezplex-sars-cov-2-fast-kit", ["heraldcorp", "healthtomato"]),
    (21, "ezplex-2019-ncov-real-time-pcr-kit", ["mfds.go.kr"]),
    (33, "existation", ["RT-PCR export permits"]),
    (36, "pcl-covid19-total-ab-eia", ["RT-PCR export permits", "koreaherald"]),
    (36, "pcl-covid19-igg-igm-rapid-gold", ["RT-PCR export permits", "koreaherald"]),
    (36, "pcl-covid-19-rt-pcr-kit", ["medrxiv"]),
    (53, "afias-covid-19-ag", ["serotracker"]),
    (53, "afias-covid-19-ab", ["hsc-common-recognition", "mbn.co.kr"]),
]


def test_split_rows_do_not_copy_each_others_sources(seeded_app):
    with seeded_app.app_context():
        for row, slug, others in SPLIT_ROWS:
            product = _product(slug)
            assert len(_products_of_rows(row)) > 1, row
            cited = product.public_sources + [
                s for a in product.approvals for s in a.public_sources
            ]
            cited += [s for r in product.performance for s in r.public_sources]
            assert all(s in _row(row)["source"] for s in cited), slug
            for other in others:
                assert not [s for s in cited if other in s], (slug, other)


def test_vague_dates_are_kept_as_worded(seeded_app):
    vague = re.compile(r"\b(?:late|early|mid|by) (?:[A-Z][a-z]{2} )?\d{4}")
    expected = {}
    for _m, data in _seeded_products():
        for n in data["reference_rows"]:
            for words in vague.findall(_row(n)["approvals"]):
                expected.setdefault(words, set()).add(n)
    assert set(expected) == {
        "late 2020",
        "by Mar 2020",
        "by May 2022",
        "early 2020",
        "late Mar 2020",
    }
    with seeded_app.app_context():
        approvals = db.session.scalars(sa.select(Approval)).all()
        for words, rows in expected.items():
            matching = [a for a in approvals if a.date_as_stated == words]
            assert len(matching) == 1, words
            (approval,) = matching
            assert approval.approved_on is None and approval.date_label == words
            assert rows & set(_reference_numbers(approval.product.slug))


def test_the_one_wells_bio_eua_is_shown_once_and_on_no_kit(seeded_app):
    words = "MFDS emergency use (one of 7 confirmatory EUA products, 2020)"
    assert words in _row(22)["approvals"]
    with seeded_app.app_context():
        for product in _products_of_rows(22):
            assert product.name.startswith("careGENE")
            assert all(a.authority != "mfds_eua" for a in product.approvals), product.slug
        permissions = [p for p in _maker("wells-bio").company_permissions if p["label"] == words]
        assert len(permissions) == 1 and "which careGENE kit" in permissions[0]["note"]
        assert all(s in _row(22)["source"] for s in permissions[0]["sources"])


def test_approvals_in_doubt_keep_their_doubt_and_every_approval_its_sources(seeded_app):
    with seeded_app.app_context():
        for approval in db.session.scalars(sa.select(Approval)):
            assert approval.public_sources, approval.product.slug
            assert all(s in _row_sources(approval.product) for s in approval.public_sources)
        screening = [
            a
            for a in _product("micobiomed-covid-19-rt-pcr-kit").approvals
            if a.authority == "mfds_screening"
        ]
        assert [a.note for a in screening] == [
            "the sources do not say explicitly that this approval is for the kit"
        ]
        # Row 30 gives one export permission and CE-IVD for two products named together.
        assert " / " in _row(30)["product"]
        for product in _products_of_rows(30):
            for approval in product.approvals:
                assert "together, without saying whether it covers each" in (approval.note or "")


def test_every_performance_result_carries_its_rows_own_sources(seeded_app):
    with seeded_app.app_context():
        results = db.session.scalars(sa.select(PerformanceResult)).all()
        assert results
        for result in results:
            assert result.public_sources, (result.product.slug, result.study)
            assert all(s in _row_sources(result.product) for s in result.public_sources)

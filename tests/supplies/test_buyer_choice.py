"""Performance and provenance where buyers choose: compare, cards, filters and sorting."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.lib.dates import today
from catalogue.supplies.models import Product
from catalogue.supplies.services import facet_conditions


def _text(response) -> str:
    return response.get_data(as_text=True)


def _plain(html: str) -> str:
    """Text as a reader sees it: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _product_links(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/supplies/products/([a-z0-9-]+)"', html)))


def _row(html: str, label: str) -> str:
    """The plain text of one row of the comparison table."""
    match = re.search(rf'<th scope="row">{label}.*?</tr>', html, re.S)
    assert match, label
    return _plain(match.group(0))


def _headlines(html: str) -> list[str]:
    return [_plain(p) for p in re.findall(r'<p class="performance-headline[^"]*">(.*?)</p>', html)]


def _study(sensitivity=None, specificity=None, **fields):
    values = {
        "study": "Study",
        "sensitivity": sensitivity,
        "specificity": specificity,
        "reported_by": "manufacturer",
        "status": "public_source",
        "entered_by": "seed",  # a public-source row comes from the seed
    }
    return values | fields


# --- Compare ----------------------------------------------------------------------------------


def test_compare_shows_the_independent_exdia_study_with_its_sample_and_reporter(seeded_client):
    response = seeded_client.get(
        "/supplies/compare?products=exdia-covid-19-ag,standard-q-covid-19-ag-test"
    )
    assert response.status_code == 200
    performance = _row(_text(response), "Performance")
    exdia = performance.split("Korean emergency-department field study")[0]
    # The field study comes first (independent before the manufacturer's), then the company's.
    assert "Sensitivity 77.2 % · Specificity 99.8 %" in exdia
    assert "Korean emergency-department field study Reported by: Field study" in performance
    assert "Sample size: 2,523" in performance
    assert "Stated in a public source" in performance
    assert performance.index("77.2 %") < performance.index("91.4 %")


def test_compare_shows_qualifiers_ppa_npa_and_every_state(client, make_product):
    make_product(
        slug="qualified",
        performance=[
            _study(94, 99, study="Company study", sensitivity_qualifier="up to"),
            _study(
                89.4,
                None,
                study="Evaluation",
                reported_by="independent",
                status="claimed",
                sensitivity_qualifier="~",
                sample_size=300,
            ),
            _study(70, 70, study="Refuted study", status="rejected"),
        ],
    )
    make_product(
        slug="agreement",
        performance=[
            _study(
                97.5,
                100,
                study="EUA study",
                measure="ppa_npa",
                reported_by="regulator",
                status="verified",
                sample_size=60,
            ),
        ],
    )
    html = _text(client.get("/supplies/compare?products=qualified,agreement"))
    performance = _row(html, "Performance")
    assert "Sensitivity up to 94 %" in performance
    assert "Sensitivity ~89.4 % · Specificity on request" in performance
    assert "Claimed by the manufacturer" in performance
    assert "PPA 97.5 % · NPA 100 %" in performance
    assert "Reported by: Regulator · Sample size: 60" in performance
    assert "Verified by CAC staff" in performance
    assert "Refuted study" not in performance and "70 %" not in performance
    assert '<abbr title="Positive percent agreement">' in html


def test_compare_keeps_the_state_of_each_approval(client, make_product):
    make_product(
        slug="first",
        approvals=[
            {"authority": "ce_ivd", "status": "verified"},
            {"authority": "mfds_export", "status": "claimed"},
        ],
    )
    make_product(slug="second", approvals=[{"authority": "mfds_export", "status": "public_source"}])
    approvals = _row(_text(client.get("/supplies/compare?products=first,second")), "Approvals")
    first, second = approvals.split("MFDS export permission · Claimed by the manufacturer")
    assert "CE-IVD · Verified by CAC staff" in first
    assert "MFDS export permission · Stated in a public source" in second


# --- Cards ------------------------------------------------------------------------------------


def test_card_shows_the_most_trusted_headline_with_its_reporter(client, make_product):
    make_product(
        slug="exdia-like",
        performance=[
            _study(91.4, 100, study="domestic trial (company)"),
            _study(77.2, 99.8, study="field study", reported_by="field", sample_size=2523),
        ],
    )
    html = _text(client.get("/supplies/products/"))
    assert _headlines(html) == [
        "Sensitivity 77.2 % · Specificity 99.8 % — field study (n = 2,523) "
        "· stated in a public source"
    ]


@pytest.mark.parametrize(
    "studies, expected",
    [
        # Verified before stated before claimed, among independent studies.
        (
            [
                _study(80, 99, reported_by="independent", status="claimed", sample_size=900),
                _study(85, 98, reported_by="independent", status="verified", sample_size=50),
                _study(90, 97, reported_by="independent", sample_size=500),
            ],
            "Sensitivity 85 % · Specificity 98 % — independent evaluation (n = 50) "
            "· verified by CAC staff",
        ),
        # The larger sample when reporter kind and state are alike; a verified manufacturer's
        # figure still comes after any independent one.
        (
            [
                _study(99, 99, status="verified", sample_size=5000),
                _study(88, 97, reported_by="regulator", sample_size=100),
                _study(86, 96, reported_by="staff", sample_size=400),
            ],
            "Sensitivity 86 % · Specificity 96 % — CAC staff (n = 400) · stated in a public source",
        ),
        # A rejected or figureless study is never the headline.
        (
            [
                _study(99, 99, reported_by="field", status="rejected", sample_size=5000),
                _study(None, None, reported_by="independent", sample_size=800),
                _study(92, None),
            ],
            "Sensitivity 92 % · Specificity on request — manufacturer · stated in a public source",
        ),
    ],
)
def test_the_headline_is_chosen_by_trust(client, make_product, studies, expected):
    make_product(performance=studies)
    assert _headlines(_text(client.get("/supplies/products/"))) == [expected]


def test_no_figure_no_headline(client, make_product):
    make_product(slug="quiet", performance=[_study(None, None, reported_by="field")])
    make_product(slug="refuted", performance=[_study(95, 99, status="rejected")])
    html = _text(client.get("/supplies/products/"))
    assert {"quiet", "refuted"} <= set(_product_links(html))
    assert _headlines(html) == []


def test_landing_selection_cards_show_the_headline(client, make_product):
    make_product(performance=[_study(93.3, 100, sample_size=110)])
    html = _text(client.get("/supplies/"))
    assert "Sensitivity 93.3 % · Specificity 100 % — manufacturer (n = 110)" in _headlines(html)[0]


# --- Filters ----------------------------------------------------------------------------------


@pytest.fixture
def ranked(make_product):
    """Products with headline sensitivities 95, 80, a PPA-only study and none."""
    make_product(slug="high", name="High", performance=[_study(95, 97)])
    make_product(slug="low", name="Low", performance=[_study(80, 99.5, reported_by="field")])
    make_product(
        slug="agreement", name="Agreement", performance=[_study(99, 99, measure="ppa_npa")]
    )
    make_product(slug="unknown", name="Unknown")


def test_minimum_sensitivity_leaves_out_lower_and_unknown_figures(client, ranked):
    response = client.get("/supplies/products/?min_sensitivity=90")
    assert response.status_code == 200
    assert _product_links(_text(response)) == ["high"]
    assert 'value="90"' in _text(response)  # the input keeps what was asked
    html = _text(client.get("/supplies/products/?min_specificity=99&min_sensitivity=75"))
    assert _product_links(html) == ["low"]
    assert "Specificity ≥ 99 %" in _plain(html)  # a removable chip


@pytest.mark.parametrize("raw", ["abc", "150", "-1", "nan", "inf", "1e400"])
def test_a_malformed_minimum_is_a_400_with_a_message(client, ranked, raw):
    response = client.get("/supplies/products/", query_string={"min_sensitivity": raw})
    assert response.status_code == 400
    html = _text(response)
    assert "The minimum sensitivity must be a number from 0 to 100" in html
    assert 'aria-invalid="true"' in html
    assert set(_product_links(html)) == {"high", "low", "agreement", "unknown"}


def test_reporter_facet_lists_products_with_a_study_by_that_reporter(client, ranked):
    html = _text(client.get("/supplies/products/?reporter=field"))
    assert _product_links(html) == ["low"]
    assert re.search(r'Field study <span class="facet-count">\(1\)</span>', html)
    assert re.search(r'Manufacturer <span class="facet-count">\(2\)</span>', html)


@pytest.fixture
def exports(make_product):
    """Three products that claim or state an MFDS export permission in different states."""
    stated = make_product(
        slug="stated-export", approvals=[{"authority": "mfds_export", "status": "public_source"}]
    )
    make_product(
        slug="verified-ce",
        approvals=[
            {"authority": "ce_ivd", "status": "verified"},
            {"authority": "mfds_export", "status": "claimed"},
        ],
    )
    make_product(slug="also-stated", approvals=[{"authority": "mfds_export", "status": "claimed"}])
    return stated


@pytest.mark.postgresql  # NULL ordering and date comparison differ by database
def test_evidence_facet_separates_verified_from_public_source(client, exports):
    exports.approvals[0].status = "verified"  # as a staff check would leave it
    db.session.commit()
    html = _text(client.get("/supplies/products/?approval=mfds_export&evidence=verified"))
    # One verified MFDS export permission, not a verified CE mark plus a claimed export.
    assert _product_links(html) == ["stated-export"]
    assert re.search(r'Verified by CAC staff <span class="facet-count">\(1\)</span>', html)
    assert re.search(r'Claimed by the manufacturer <span class="facet-count">\(2\)</span>', html)
    assert re.search(r'MFDS export permission <span class="facet-count">\(1\)</span>', html)
    assert re.search(r'CE-IVD <span class="facet-count">\(1\)</span>', html)

    html = _text(client.get("/supplies/products/?evidence=public_source"))
    assert _product_links(html) == []
    html = _text(client.get("/supplies/products/?approval=mfds_export&evidence=claimed"))
    assert set(_product_links(html)) == {"verified-ce", "also-stated"}


@pytest.mark.postgresql  # NULL ordering and date comparison differ by database
def test_an_expired_approval_no_longer_matches_its_authority(client, make_product):
    make_product(
        slug="lapsed",
        approvals=[{"authority": "fda_eua", "valid_until": today() - timedelta(days=1)}],
    )
    make_product(
        slug="valid",
        approvals=[{"authority": "fda_eua", "valid_until": today() + timedelta(days=30)}],
    )
    html = _text(client.get("/supplies/products/?approval=fda_eua"))
    assert _product_links(html) == ["valid"]
    assert re.search(r'FDA EUA <span class="facet-count">\(1\)</span>', html)


def test_a_revoked_or_rejected_approval_does_not_count(client, make_product):
    make_product(slug="revoked", approvals=[{"authority": "who_eul", "status": "revoked"}])
    make_product(slug="rejected", approvals=[{"authority": "who_eul", "status": "rejected"}])
    html = _text(client.get("/supplies/products/?approval=who_eul"))
    assert _product_links(html) == []
    # The empty filter's chip and checkbox carry the label, never the code.
    chips = _plain(html.split('aria-label="Active filters"')[1].split("</ul>")[0])
    assert "Approval: WHO EUL" in chips
    assert "who_eul" not in chips
    assert re.search(r'WHO EUL <span class="facet-count">\(0\)</span>', html)


def test_brochure_conditions_still_select_by_facets(app, exports):
    slugs = db.session.scalars(
        sa.select(Product.slug).where(*facet_conditions({"approval": ["ce_ivd"]}))
    ).all()
    assert slugs == ["verified-ce"]


# --- Sorting ----------------------------------------------------------------------------------


@pytest.mark.postgresql  # NULL ordering and date comparison differ by database
def test_sort_by_sensitivity_puts_the_highest_first_and_unknown_last(client, ranked):
    html = _text(client.get("/supplies/products/?sort=sensitivity"))
    order = _product_links(html)
    assert order[:2] == ["high", "low"]
    # Neither the PPA-only product nor the one without figures has a sensitivity.
    assert set(order[2:]) == {"agreement", "unknown"}
    html = _text(client.get("/supplies/products/?sort=specificity"))
    assert _product_links(html)[:2] == ["low", "high"]
    assert '<option value="specificity" selected>' in html


def test_a_makers_unverified_claim_of_independence_does_not_head_the_card(client, make_product):
    make_product(
        slug="zeta-kit",
        name="Zeta Kit",
        performance=[
            _study(99, 99, reported_by="field", status="claimed", entered_by="manufacturer"),
            _study(90, 97, sample_size=300),
        ],
    )
    product = db.session.scalar(sa.select(Product).where(Product.slug == "zeta-kit"))
    assert product.headline_performance.sensitivity == 90

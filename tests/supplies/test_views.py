"""Catalogue pages through the test client, on small hand-made catalogues."""

import re

import pytest

from catalogue.extensions import db


@pytest.fixture
def catalogue(make_manufacturer, make_category, make_product):
    """Two makers, two categories, three published products and a draft."""
    pcr = make_category(slug="rt-pcr", name="RT-PCR reagents")
    antigen = make_category(slug="rapid-antigen", name="Rapid antigen tests")
    alpha = make_manufacturer(slug="alpha-bio", name="Alpha Bio Inc.", name_ko="알파바이오")
    beta = make_manufacturer(slug="beta-dx", name="Beta Dx Co., Ltd.", website="beta-dx.example")
    products = {
        "alpha-pcr": make_product(
            slug="alpha-pcr",
            name="Alpha PCR Kit",
            manufacturer=alpha,
            category=pcr,
            technology="real-time RT-PCR",
            targets=["E", "RdRP"],
            limit_of_detection="4 genome copies/µL",
            specimens=["nasopharyngeal swab"],
            approvals=[
                {"authority": "fda_eua", "status": "verified"},
                {"authority": "ce_ivd", "status": "claimed"},
            ],
            public_sources=["https://source.example/alpha-pcr (press release)"],
        ),
        "alpha-ag": make_product(
            slug="alpha-ag",
            name="Alpha Antigen Test",
            manufacturer=alpha,
            category=antigen,
            technology="lateral flow immunoassay",
            specimens=["nasal swab", "saliva"],
            approvals=[{"authority": "ce_ivd", "status": "verified"}],
            performance=[
                {
                    "study": "Manufacturer study",
                    "sensitivity": 93.3,
                    "specificity": 100.0,
                    "sample_size": 110,
                    "reported_by": "manufacturer",
                }
            ],
        ),
        "beta-ag": make_product(
            slug="beta-ag",
            name="Beta Antigen Test",
            manufacturer=beta,
            category=antigen,
            technology="fluorescence immunoassay",
            specimens=["nasal swab"],
            approvals=[{"authority": "fda_eua", "status": "rejected"}],
            moq=1000,
            unit="tests",
            lead_time="2 weeks",
        ),
        "beta-draft": make_product(
            slug="beta-draft",
            name="Beta Draft Kit",
            manufacturer=beta,
            category=pcr,
            status="draft",
        ),
    }
    return products


def _text(response) -> str:
    return response.get_data(as_text=True)


def _product_links(html: str) -> list[str]:
    return re.findall(r'href="/supplies/products/([a-z0-9-]+)"', html)


def test_home_page_links_to_the_catalogue(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    html = _text(response)
    assert 'href="/supplies/"' in html
    assert "Rapid antigen tests" in html
    assert 'role="search"' in html


def test_landing_lists_categories_with_counts_and_manufacturers(client, catalogue):
    html = _text(client.get("/supplies/"))
    assert re.search(r"Rapid antigen tests</p>.*?2 products", html, re.S)
    assert re.search(r"RT-PCR reagents</p>.*?1 product<", html, re.S)
    assert "Alpha Bio Inc." in html and "Beta Dx Co., Ltd." in html


def test_product_list_shows_only_published_products(client, catalogue):
    response = client.get("/supplies/products/")
    assert response.status_code == 200
    links = set(_product_links(_text(response)))
    assert {"alpha-pcr", "alpha-ag", "beta-ag"} <= links
    assert "beta-draft" not in links


def test_category_facet_filters_and_counts(client, catalogue):
    html = _text(client.get("/supplies/products/?category=rapid-antigen"))
    assert set(_product_links(html)) == {"alpha-ag", "beta-ag"}
    assert ">3 products<" not in html and "2 products" in html
    # Counts beside other facets follow the category filter.
    assert re.search(r'value="nasal-swab"|value="nasal swab"', html)
    assert re.search(r"nasal swab <span class=\"facet-count\">\(2\)</span>", html)
    assert re.search(r"saliva <span class=\"facet-count\">\(1\)</span>", html)


def test_facets_combine_across_kinds(client, catalogue):
    html = _text(client.get("/supplies/products/?category=rapid-antigen&approval=ce_ivd"))
    assert set(_product_links(html)) == {"alpha-ag"}


def test_rejected_approval_does_not_count_for_the_facet(client, catalogue):
    html = _text(client.get("/supplies/products/?approval=fda_eua"))
    assert set(_product_links(html)) == {"alpha-pcr"}


def test_values_within_a_facet_are_alternatives(client, catalogue):
    html = _text(client.get("/supplies/products/?specimen=saliva&specimen=nasopharyngeal+swab"))
    assert set(_product_links(html)) == {"alpha-pcr", "alpha-ag"}


def test_manufacturer_and_technology_facets(client, catalogue):
    html = _text(client.get("/supplies/products/?manufacturer=beta-dx"))
    assert set(_product_links(html)) == {"beta-ag"}
    html = _text(client.get("/supplies/products/?technology=real-time+RT-PCR"))
    assert set(_product_links(html)) == {"alpha-pcr"}


def test_unknown_facet_value_gives_an_empty_result_not_an_error(client, catalogue):
    response = client.get("/supplies/products/?category=no-such-category")
    assert response.status_code == 200
    assert "No products match these filters" in _text(response)


def test_text_filter_matches_name_and_maker(client, catalogue):
    assert set(_product_links(_text(client.get("/supplies/products/?q=beta")))) == {"beta-ag"}
    assert set(_product_links(_text(client.get("/supplies/products/?q=PCR")))) == {"alpha-pcr"}


def test_sort_by_manufacturer(client, catalogue):
    html = _text(client.get("/supplies/products/?sort=manufacturer"))
    order = list(dict.fromkeys(_product_links(html)))
    assert order.index("alpha-ag") < order.index("beta-ag")
    assert order.index("alpha-pcr") < order.index("beta-ag")


def test_pagination_splits_the_list(app, client, make_product, make_category):
    app.config["PRODUCTS_PER_PAGE"] = 2
    category = make_category()
    for n in range(5):
        make_product(slug=f"paged-{n}", name=f"Paged {n}", category=category)
    first = _text(client.get("/supplies/products/"))
    third = _text(client.get("/supplies/products/?page=3"))
    assert set(_product_links(first)) >= {"paged-0", "paged-1"}
    assert "paged-4" in _product_links(third)
    assert 'rel="next"' in first and 'rel="prev"' in third
    assert client.get("/supplies/products/?page=4").status_code == 404


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999"])
def test_malformed_page_number_is_a_400(client, catalogue, page):
    response = client.get(f"/supplies/products/?page={page}")
    assert response.status_code == 400
    assert "page number" in _text(response)


def test_overlong_text_filter_is_a_400(client, catalogue):
    assert client.get("/supplies/products/?q=" + "x" * 300).status_code == 400


def test_product_page_groups_the_facts_a_buyer_needs(client, catalogue):
    response = client.get("/supplies/products/alpha-pcr")
    assert response.status_code == 200
    html = _text(response)
    for heading in (
        "Overview",
        "Intended use",
        "Performance",
        "Regulatory approvals",
        "Logistics",
        "Documents",
        "Public sources",
    ):
        assert f">{heading}</h2>" in html
    assert "Alpha Bio Inc." in html and "알파바이오" in html
    assert "RT-PCR reagents" in html
    assert "4 genome copies/µL" in html
    assert "https://source.example/alpha-pcr" in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_unknown_facts_show_as_on_request(client, catalogue):
    html = _text(client.get("/supplies/products/alpha-pcr"))
    logistics = html.split('id="logistics"')[1].split("</section>")[0]
    # Pack size, MOQ, indicative price, lead time, capacity, kit, storage, life, HS code
    assert logistics.count("on request") == 9


def _approval_row(html: str, label: str) -> str:
    """The visible text of the approvals table row that names `label`."""
    approvals = html.split('id="approvals"')[1].split("</section>")[0]
    rows = [re.sub(r"<[^>]+>", "", row.split("</tr>")[0]) for row in approvals.split("<tr>")[1:]]
    return next(row for row in rows if label in row)


def test_verified_mark_only_for_verified_approvals(client, catalogue):
    html = _text(client.get("/supplies/products/alpha-pcr"))
    fda_row = _approval_row(html, "US FDA Emergency Use Authorization")
    ce_row = _approval_row(html, "CE marking (IVD)")
    assert "Verified by CAC staff" in fda_row
    assert "Claimed by the manufacturer" in ce_row and "Verified" not in ce_row


def test_rejected_approval_is_not_shown(client, catalogue):
    html = _text(client.get("/supplies/products/beta-ag"))
    approvals = html.split('id="approvals"')[1].split("</section>")[0]
    assert "US FDA" not in approvals
    assert "No approvals of this product recorded" in approvals


def test_performance_figures_with_their_source(client, catalogue):
    html = _text(client.get("/supplies/products/alpha-ag"))
    performance = html.split('id="performance"')[1].split("</section>")[0]
    assert "93.3 %" in performance and "100 %" in performance and "110" in performance
    assert "Manufacturer study" in performance


def test_logistics_facts_are_shown_when_known(client, catalogue):
    html = _text(client.get("/supplies/products/beta-ag"))
    assert "1,000 tests" in html and "2 weeks" in html


def test_draft_product_page_is_404(client, catalogue):
    assert client.get("/supplies/products/beta-draft").status_code == 404


def test_unknown_product_gives_the_site_404_page(client, catalogue):
    response = client.get("/supplies/products/no-such-product")
    assert response.status_code == 404
    html = _text(response)
    assert "We could not find that product." in html
    assert 'id="main"' in html  # the site's own layout, not a bare error


def test_manufacturer_list_and_page(client, catalogue):
    html = _text(client.get("/supplies/manufacturers/"))
    assert "Alpha Bio Inc." in html and "Beta Dx Co., Ltd." in html
    page = _text(client.get("/supplies/manufacturers/alpha-bio"))
    assert {"alpha-pcr", "alpha-ag"} <= set(_product_links(page))
    assert "Company profile" in page and "Product approvals" in page
    beta = _text(client.get("/supplies/manufacturers/beta-dx"))
    assert 'href="https://beta-dx.example"' in beta
    assert "beta-draft" not in _product_links(beta)


def test_unknown_manufacturer_is_404(client, catalogue):
    assert client.get("/supplies/manufacturers/nobody").status_code == 404


def test_compare_puts_products_side_by_side_and_marks_differences(client, catalogue):
    response = client.get("/supplies/compare?products=alpha-ag,beta-ag")
    assert response.status_code == 200
    html = _text(response)
    pattern = r'<tr( class="differs")?>\s*<th scope="row">([^<]+)'
    rows = {label: marker for marker, label in re.findall(pattern, html)}
    assert rows["Category"] == ""  # both rapid antigen tests: same row, not highlighted
    assert rows["Manufacturer"] == ' class="differs"'
    assert rows["Technology"] == ' class="differs"'
    assert html.index("Alpha Antigen Test") < html.index("Beta Antigen Test")


def test_compare_accepts_repeated_arguments_from_the_list_checkboxes(client, catalogue):
    response = client.get("/supplies/compare?products=alpha-ag&products=alpha-pcr")
    assert response.status_code == 200
    assert "Alpha PCR Kit" in _text(response)


@pytest.mark.parametrize(
    "query, message",
    [
        ("products=alpha-ag", "at least two"),
        ("products=alpha-ag,alpha-ag", "at least two"),
        ("products=a,b,c,d,e", "at most 4"),
    ],
)
def test_compare_needs_two_to_four_products(client, catalogue, query, message):
    response = client.get(f"/supplies/compare?{query}")
    assert response.status_code == 400
    assert message in _text(response)


def test_compare_with_unknown_or_draft_product_is_404(client, catalogue):
    assert client.get("/supplies/compare?products=alpha-ag,nope").status_code == 404
    assert client.get("/supplies/compare?products=alpha-ag,beta-draft").status_code == 404


def test_compare_without_products_explains_how(client, catalogue):
    response = client.get("/supplies/compare")
    assert response.status_code == 200
    assert "Pick two to four products" in _text(response)


def test_user_text_is_escaped(client, make_product):
    make_product(slug="xss", name="<script>alert(1)</script> Kit", summary="<b>bold</b>")
    html = _text(client.get("/supplies/products/xss"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kit" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_non_http_source_is_shown_as_text_not_a_link(client, make_product):
    make_product(slug="src", public_sources=["javascript:alert(1) github:owner/repo file.js"])
    html = _text(client.get("/supplies/products/src"))
    assert 'href="javascript' not in html
    assert "github:owner/repo file.js" in html


def test_product_counts_ignore_drafts(client, catalogue):
    db.session.commit()
    html = _text(client.get("/supplies/manufacturers/"))
    beta_row = html.split("Beta Dx Co., Ltd.")[1].split("</tr>")[0]
    assert '<td data-label="Products">1</td>' in beta_row


def test_intervals_claim_no_confidence_level_the_source_does_not_state(seeded_client):
    """The reference gives "PPA 95.3% (84.5-98.7)" with no confidence level: none is shown."""
    page = seeded_client.get("/supplies/products/sd-biosensor-covid-19-at-home-test").text
    assert "interval 84.5–98.7" in page and "does not state their confidence level" in page
    assert "95 % CI" not in page

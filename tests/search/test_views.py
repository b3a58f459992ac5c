"""The /search page and /search/suggest through the test client."""

import pytest


def test_search_page_labels_results_by_type_and_highlights(seeded_client, seeded_index):
    response = seeded_client.get("/search?q=saliva")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="badge result-type result-type-product">Product<' in text
    assert "<mark>saliva</mark>" in text.lower() or "<mark>Saliva</mark>" in text
    assert 'name="products"' in text and 'form="compare-form"' in text  # "Add to compare"


def test_header_search_box_goes_to_search(seeded_client, seeded_index):
    text = seeded_client.get("/supplies/").get_data(as_text=True)
    assert 'action="/search"' in text
    assert 'data-suggest-url="/search/suggest"' in text
    assert "js/suggest.js" in text


def test_empty_query_browses_the_catalogue(seeded_client, seeded_index):
    response = seeded_client.get("/search?q=")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Browse the catalogue" in text
    assert "79 results" in text
    assert 'rel="next"' in text


def test_facet_checkbox_narrows_and_counts(seeded_client, seeded_index):
    text = seeded_client.get("/search?q=antigen&specimen=saliva").get_data(as_text=True)
    assert 'value="saliva" id="f-specimen-' in text
    assert "Specimen: saliva" in text  # the active filter can be removed
    assert "Boditech Quick COVID-19 Ag" in text  # its row names saliva
    assert "Gmate COVID-19 Ag" not in text  # its row names no specimen


def test_pagination_and_a_page_past_the_end(seeded_client, seeded_index):
    first = seeded_client.get("/search?q=pcr&type=product").get_data(as_text=True)
    second = seeded_client.get("/search?q=pcr&type=product&page=2").get_data(as_text=True)
    assert first != second
    assert seeded_client.get("/search?q=pcr&page=999").status_code == 404
    assert seeded_client.get("/search?q=pcr&page=abc").status_code == 400


@pytest.mark.parametrize(
    "q",
    [
        '"unclosed',
        "((((",
        "name:",
        "AND OR",
        "NOT",
        "*",
        "title:[a TO",
        "a" * 5000,
        "café ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "%00",
        "))) OR (((",
        "~2^3",
    ],
)
def test_broken_syntax_is_answered_not_failed(seeded_client, seeded_index, q):
    response = seeded_client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_nul_characters_get_a_clear_400(seeded_client, seeded_index):
    response = seeded_client.get("/search", query_string={"q": "a\x00b"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


def test_markup_in_the_query_is_escaped(seeded_client, seeded_index):
    response = seeded_client.get("/search", query_string={"q": '<script>alert(1)</script> "><b>x'})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in text
    assert "<b>x" not in text
    assert "&lt;script&gt;" in text


def test_long_query_is_cut_with_a_notice(seeded_client, seeded_index):
    text = seeded_client.get("/search", query_string={"q": "antigen " * 60}).get_data(as_text=True)
    assert "first 200 characters" in text


def test_suggest_returns_products_manufacturers_and_categories(seeded_client, seeded_index):
    response = seeded_client.get("/search/suggest?q=rapid an")
    assert response.status_code == 200
    suggestions = response.get_json()["suggestions"]
    assert {"category", "product"} <= {s["type"] for s in suggestions}
    assert all(s["url"].startswith("/") for s in suggestions)
    makers = seeded_client.get("/search/suggest?q=seeg").get_json()["suggestions"]
    assert makers[0] == {
        "label": "Seegene Inc.",
        "type": "manufacturer",
        "type_label": "Manufacturer",
        "detail": "Seoul, Republic of Korea",
        "url": "/supplies/manufacturers/seegene",
    }


@pytest.mark.parametrize("q", ["", "a", "(", '"', "<b>", "x" * 1000])
def test_suggest_handles_short_and_odd_input(seeded_client, seeded_index, q):
    response = seeded_client.get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    assert isinstance(response.get_json()["suggestions"], list)

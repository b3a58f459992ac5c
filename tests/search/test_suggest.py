"""The typeahead matches each typed word against the beginnings of the words of names and model
numbers, one-letter words and codes included ("STANDARD Q")."""

import pytest


def _labels(client, q: str) -> list[str]:
    response = client.get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    return [s["label"] for s in response.get_json()["suggestions"]]


@pytest.mark.parametrize("q", ["STANDARD Q", "standard q", "Standard Q Cov", "stand q"])
def test_standard_q_finds_the_standard_q_products(seeded_client, seeded_index, q):
    labels = _labels(seeded_client, q)
    assert "STANDARD Q COVID-19 Ag Test" in labels
    assert all(label.upper().startswith("STANDARD Q") for label in labels), labels


def test_every_word_typed_must_begin_a_word_of_the_name(seeded_client, seeded_index):
    assert _labels(seeded_client, "STANDARD Q IgM") == ["STANDARD Q COVID-19 IgM/IgG Duo"]
    assert _labels(seeded_client, "STANDARD Qz") == []


def test_a_model_number_finds_its_product(app, client, make_product, sync_index):
    make_product(slug="m10", name="Point-of-care PCR", model_number="M10-FLU.2")
    sync_index()
    assert _labels(client, "m10-flu") == ["Point-of-care PCR"]
    assert _labels(client, "point m10") == ["Point-of-care PCR"]


def test_without_an_index_names_still_match_word_by_word(app, client, make_product):
    # No index has been built in this test's folder: the database answers.
    make_product(name="STANDARD Q COVID-19 Ag Test")
    make_product(name="STANDARD M10 Flu/COVID-19")
    assert _labels(client, "standard q") == ["STANDARD Q COVID-19 Ag Test"]
    assert _labels(client, "((") == []

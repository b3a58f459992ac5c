"""The public JSON API, through the test client, on the seed catalogue."""

from datetime import datetime, timedelta

import pytest

from catalogue.extensions import db


def test_products_are_paginated_with_totals(seeded_client, seeded_index):
    response = seeded_client.get("/api/v1/products?per_page=5&page=2")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["page"] == 2 and body["per_page"] == 5 and body["total"] == 79
    assert len(body["items"]) == 5
    item = body["items"][0]
    assert item["url"].startswith("http://localhost/api/v1/products/")
    assert item["page_url"].startswith("http://localhost/supplies/products/")


def test_products_take_the_same_facet_filters_as_the_list(seeded_client, seeded_index):
    body = seeded_client.get("/api/v1/products?approval=who_eul&per_page=100").get_json()
    assert body["total"] == len(body["items"]) >= 1
    assert all("who_eul" in item["approvals"] for item in body["items"])
    html = seeded_client.get("/supplies/products/?approval=who_eul").get_data(as_text=True)
    assert all(item["name"] in html for item in body["items"])


def test_product_detail_hides_rejected_approvals_and_keeps_unknowns_null(
    seeded_client, seeded_index
):
    body = seeded_client.get("/api/v1/products/allplex-2019-ncov-assay").get_json()
    assert body["name"] == "Allplex 2019-nCoV Assay"
    assert body["manufacturer"] == {"slug": "seegene", "name": "Seegene Inc."}
    assert {a["authority"] for a in body["approvals"]} >= {"mfds_eua", "fda_eua", "ce_ivd"}
    assert all(a["status"] != "rejected" for a in body["approvals"])
    assert body["moq"] is None  # unknown, not invented
    mfds = next(a for a in body["approvals"] if a["authority"] == "mfds_eua")
    assert mfds["date"] == "2020-02-12"
    fda = next(a for a in body["approvals"] if a["authority"] == "fda_eua")
    assert fda["date"] == "2020-04"  # only as precise as the source


def test_manufacturers_list_and_detail(seeded_client, seeded_index):
    body = seeded_client.get("/api/v1/manufacturers?per_page=100").get_json()
    assert body["total"] == len(body["items"]) == 46
    seegene = seeded_client.get("/api/v1/manufacturers/seegene").get_json()
    assert seegene["name"] == "Seegene Inc."
    assert [p["slug"] for p in seegene["products"]] == ["allplex-2019-ncov-assay"]


def test_search_endpoint(seeded_client, seeded_index):
    body = seeded_client.get("/api/v1/search?q=segene").get_json()
    assert body["did_you_mean"] == "seegene"
    assert body["items"][0]["slug"] == "seegene"
    assert body["items"][0]["url"] == "http://localhost/api/v1/manufacturers/seegene"
    body = seeded_client.get("/api/v1/search?q=saliva&type=product").get_json()
    assert body["items"] and all(i["type"] == "product" for i in body["items"])
    assert "<mark>" not in str(body)  # snippets are plain text in JSON


@pytest.mark.parametrize(
    "url,status",
    [
        ("/api/v1/products/no-such-product", 404),
        ("/api/v1/manufacturers/no-such-maker", 404),
        ("/api/v1/nothing-here", 404),
        ("/api/v1/products?page=0", 400),
        ("/api/v1/products?per_page=1000", 400),
        ("/api/v1/products?page=x", 400),
        ("/api/v1/search?type=spaceship", 400),
        ("/api/v1/search?q=" + "a" * 201, 400),
        ("/api/v1/products?q=%00", 400),
        ("/api/v1/products?category=%00", 400),
        ("/api/v1/search?approval=a%00", 400),
    ],
)
def test_errors_are_json_with_a_message(seeded_client, seeded_index, url, status):
    response = seeded_client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status and body["message"]


def test_api_is_read_only(seeded_client, seeded_index):
    response = seeded_client.post("/api/v1/products", json={"name": "x"})
    assert response.status_code == 405
    assert response.get_json()["status"] == 405


def test_openapi_document_lists_every_endpoint(seeded_client, seeded_index):
    doc = seeded_client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/v1/products",
        "/api/v1/products/{slug}",
        "/api/v1/manufacturers",
        "/api/v1/manufacturers/{slug}",
        "/api/v1/search",
    }


def test_timestamps_carry_their_utc_offset_after_an_edit(client, make_product):
    """SQLite gives back naive datetimes; the API's date-time fields still say they are UTC."""
    product = make_product(slug="edited-kit")
    product.name = "Edited kit"
    db.session.commit()
    updated_at = client.get("/api/v1/products/edited-kit").get_json()["updated_at"]
    assert datetime.fromisoformat(updated_at).utcoffset() == timedelta(0)

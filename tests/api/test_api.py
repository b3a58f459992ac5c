"""The public JSON API, through the test client, on the seed catalogue."""

from datetime import UTC, date, datetime, timedelta

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


@pytest.mark.parametrize(
    "url,message",
    [
        ("/api/v1/products?page=1&page=2", "'page' may be given only once."),
        ("/api/v1/search?q=a&q=b", "'q' may be given only once."),
        ("/api/v1/products?technology=", "'technology' needs a value."),
        ("/api/v1/products?page=", "'page' must be a whole number from 1 to 10000."),
        # A digit to str.isdigit() that int() refuses: once a 500.
        ("/api/v1/products?page=%C2%B2", "'page' must be a whole number from 1 to 10000."),
        ("/api/v1/search?type=", "'type' must be one of: product, manufacturer"),
        ("/api/v1/products?q=" + "%20" * 201, "'q' is too long (at most 200 characters)."),
    ],
)
def test_arguments_it_cannot_read_as_documented_are_refused(seeded_client, url, message):
    response = seeded_client.get(url)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(message)


def test_api_is_read_only(seeded_client, seeded_index):
    response = seeded_client.post("/api/v1/products", json={"name": "x"})
    assert response.status_code == 405
    assert response.get_json()["status"] == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


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


def test_seeded_approvals_say_they_are_stated_in_a_public_source(seeded_client, seeded_index):
    body = seeded_client.get("/api/v1/products/allplex-2019-ncov-assay").get_json()
    mfds = next(a for a in body["approvals"] if a["authority"] == "mfds_eua")
    assert mfds["status"] == mfds["state"] == "public_source"
    assert mfds["state_label"] == "Stated in a public source"
    assert mfds["evidence"] is None  # nobody at CAC checked it
    assert mfds["public_sources"]
    assert mfds["valid_until"] is None and mfds["revoked_on"] is None


def test_approvals_carry_state_validity_and_the_evidence_of_a_staff_check(
    client, make_product, make_user
):
    checker = make_user(role="staff", name="Min-ji Park")
    make_product(
        slug="checked-kit",
        approvals=[
            {
                "authority": "ce_ivd",
                "status": "verified",
                "evidence_reference": "CE-1234",
                "evidence_url": "https://register.example.org/ce-1234",
                "checked_on": date(2021, 3, 1),
                "evidence_note": "Seen in the register",
                "verified_by": checker,
                "verified_at": datetime(2021, 3, 1, 9, 30, tzinfo=UTC),
                "valid_from": date(2020, 6, 1),
            },
            {
                "authority": "mfds_export",
                "status": "public_source",
                "valid_until": date(2021, 1, 31),
                "stated_as": "MFDS export permission",
                "date_as_stated": "late 2020",
            },
            {"authority": "fda_eua", "status": "revoked", "revoked_on": date(2021, 2, 1)},
            {"authority": "who_eul", "status": "rejected", "rejection_reason": "No such listing"},
        ],
    )
    body = client.get("/api/v1/products/checked-kit").get_json()
    approvals = {a["authority"]: a for a in body["approvals"]}
    assert set(approvals) == {"ce_ivd", "mfds_export", "fda_eua"}  # rejected: not shown
    ce = approvals["ce_ivd"]
    assert (ce["state"], ce["state_label"]) == ("verified", "Verified by CAC staff")
    assert ce["evidence"] == {
        "reference": "CE-1234",
        "register_url": "https://register.example.org/ce-1234",
        "checked_on": "2021-03-01",
        "checked_by": "Min-ji Park",
        "verified_at": "2021-03-01T09:30:00+00:00",
        "note": "Seen in the register",
    }
    assert ce["valid_from"] == "2020-06-01"
    export = approvals["mfds_export"]
    assert (export["status"], export["state"], export["state_label"]) == (
        "public_source",
        "expired",
        "Expired",
    )
    assert export["valid_until"] == "2021-01-31"
    assert export["date"] is None and export["date_as_stated"] == "late 2020"
    assert export["stated_as"] == export["authority_label"] == "MFDS export permission"
    assert export["evidence"] is None
    fda = approvals["fda_eua"]
    assert (fda["state"], fda["revoked_on"]) == ("revoked", "2021-02-01")


def test_performance_carries_reporter_qualifiers_sample_size_and_state(client, make_product):
    make_product(
        slug="studied-kit",
        performance=[
            {
                "study": "Company study",
                "sensitivity": 94.0,
                "sensitivity_qualifier": "up to",
                "specificity": 89.4,
                "specificity_qualifier": "~",
                "sample_size": 120,
                "reported_by": "manufacturer",
                "status": "claimed",
            },
            {
                "study": "Field study",
                "sensitivity": 77.2,
                "sample_size": 2523,
                "reported_by": "field",
                "status": "public_source",
                "public_sources": ["https://example.org/study"],
            },
            {
                "study": "Refused figures",
                "sensitivity": 99.9,
                "reported_by": "manufacturer",
                "status": "rejected",
            },
        ],
    )
    body = client.get("/api/v1/products/studied-kit").get_json()
    company, field = body["performance"]  # the rejected one is left out
    assert (company["sensitivity_qualifier"], company["sensitivity"]) == ("up to", 94.0)
    assert (company["specificity_qualifier"], company["specificity"]) == ("~", 89.4)
    assert company["sample_size"] == 120
    assert (company["reported_by"], company["reporter_label"]) == ("manufacturer", "Manufacturer")
    assert (company["state"], company["state_label"]) == ("claimed", "Claimed by the manufacturer")
    assert (field["reporter_label"], field["sample_size"], field["state"]) == (
        "Field study",
        2523,
        "public_source",
    )
    assert field["public_sources"] == ["https://example.org/study"]


def test_openapi_document_knows_every_state_and_points_to_the_open_data(
    seeded_client, seeded_index
):
    doc = seeded_client.get("/api/v1/openapi.json").get_json()
    approval = doc["components"]["schemas"]["Approval"]["properties"]
    assert approval["state"]["enum"] == [
        "public_source",
        "claimed",
        "verified",
        "expired",
        "revoked",
    ]
    assert "Expired" in approval["state_label"]["enum"]
    performance = doc["components"]["schemas"]["Performance"]["properties"]
    assert performance["state"]["enum"] == ["public_source", "claimed", "verified"]
    for name in ("sensitivity_qualifier", "sample_size", "reporter_label", "evidence"):
        assert name in performance
    assert doc["externalDocs"]["url"] == "http://localhost/open-data/"

"""Open data: the Daily Updates CSV and the catalogue export, each with a Frictionless data
package that frictionless itself validates against the files the site serves."""

import csv
import io
import json
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import frictionless
import pytest

from catalogue.content.services import CSV_COLUMNS

DAILY_PACKAGE = "/daily-updates/datapackage.json"
CATALOGUE_PACKAGE = "/open-data/catalogue/datapackage.json"


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _local(url: str) -> str:
    """The path and query of an absolute URL on this site, for the test client."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost", url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _materialise(client, package_url: str, folder) -> tuple[dict, dict[str, str]]:
    """The package and its CSV files as the site serves them, written to `folder` with each
    resource's path made local, so frictionless reads exactly those bytes."""
    descriptor = client.get(package_url).get_json()
    texts = {}
    for resource in descriptor["resources"]:
        response = client.get(_local(resource["path"]))
        assert response.status_code == 200 and response.mimetype == "text/csv"
        texts[resource["name"]] = response.text
        (folder / f"{resource['name']}.csv").write_bytes(response.data)
        resource["path"] = f"{resource['name']}.csv"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return descriptor, texts


def _validate(folder) -> frictionless.Report:
    return frictionless.validate(str(folder / "datapackage.json"))


def _errors(report: frictionless.Report) -> list:
    return report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])


# --- Daily Updates --------------------------------------------------------------------------


def test_daily_csv_is_plain_csv_that_links_its_data_package(seeded_client):
    response = seeded_client.get("/daily-updates.csv?region=Seoul")
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == list(CSV_COLUMNS)  # the header is the very first line
    rows = list(reader)
    assert rows[0]["date"] == "2020-01-20" and rows[0]["region"] == "Seoul"
    assert all("DS4C" in row["source"] for row in rows)
    assert '</daily-updates/datapackage.json>; rel="describedby"' in response.headers["Link"]


def test_daily_data_package_gives_licence_sources_and_the_meaning_of_each_column(seeded_client):
    package = seeded_client.get(DAILY_PACKAGE).get_json()
    assert package["licenses"] == [
        {
            "name": "CC-BY-NC-SA-4.0",
            "title": "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
            "path": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        }
    ]
    paths = [source.get("path") for source in package["sources"]]
    assert (
        "https://github.com/DSI-COVID/DS4C0701/tree/47559dad0a1c9f349e11b33622138090b1cb477f"
        in paths
    )
    assert "https://doi.org/10.1016/j.ijid.2020.07.068" in paths
    assert [r["path"] for r in package["resources"]] == [
        "http://localhost/daily-updates.csv?region=Seoul",
        "http://localhost/daily-updates.csv?region=Korea",
    ]
    fields = package["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in fields] == list(CSV_COLUMNS)
    assert all(f["type"] and f["description"] for f in fields)
    assert {f["name"]: f["type"] for f in fields}["date"] == "date"


def test_daily_data_package_validates_against_the_served_files(seeded_client, tmp_path):
    _package, texts = _materialise(seeded_client, DAILY_PACKAGE, tmp_path)
    report = _validate(tmp_path)
    assert report.valid, _errors(report)
    # Every data row was read and checked against the schema.
    assert {t.name: t.stats["rows"] for t in report.tasks} == {
        name: len(_rows(text)) for name, text in texts.items()
    }
    # ... so a bad value in one row makes the package invalid.
    bad = texts["daily-korea"].replace("2020-03-15,Korea,40,", "2020-03-15,Korea,-40,")
    assert bad != texts["daily-korea"]
    (tmp_path / "daily-korea.csv").write_text(bad, encoding="utf-8")
    report = _validate(tmp_path)
    assert not report.valid
    assert [(e[2], e[3]) for e in _errors(report)] == [("new_confirmed", "constraint-error")]


# --- The catalogue ------------------------------------------------------------------------


def test_catalogue_data_package_validates_against_the_served_files(seeded_client, tmp_path):
    package, texts = _materialise(seeded_client, CATALOGUE_PACKAGE, tmp_path)
    assert [r["name"] for r in package["resources"]] == [
        "products",
        "approvals",
        "performance",
        "sources",
    ]
    assert "licenses" not in package  # the facts belong to their sources
    assert "grants no licence" in package["description"]
    report = _validate(tmp_path)
    assert report.valid, _errors(report)
    assert {t.name: t.stats["rows"] for t in report.tasks} == {
        name: len(_rows(text)) for name, text in texts.items()
    }
    assert len(_rows(texts["products"])) == 79
    # The foreign keys are checked too: a source cited for an approval that is not there fails.
    with (tmp_path / "sources.csv").open("a", encoding="utf-8") as handle:
        handle.write("allplex-2019-ncov-assay,999999,,https://example.org/nowhere\n")
    report = _validate(tmp_path)
    assert [(e[2], e[3]) for e in _errors(report)] == [(None, "foreign-key")]


def test_catalogue_lists_a_seeded_product_its_approvals_and_their_sources(seeded_client):
    products = _rows(seeded_client.get("/open-data/catalogue/products.csv").text)
    allplex = next(p for p in products if p["slug"] == "allplex-2019-ncov-assay")
    assert allplex["name"] == "Allplex 2019-nCoV Assay"
    assert allplex["manufacturer_name"] == "Seegene Inc."
    assert allplex["page_url"] == "http://localhost/supplies/products/allplex-2019-ncov-assay"
    assert datetime.fromisoformat(allplex["updated_at"]).utcoffset() is not None
    approvals = _rows(seeded_client.get("/open-data/catalogue/approvals.csv").text)
    mfds = next(
        a
        for a in approvals
        if a["product_slug"] == "allplex-2019-ncov-assay" and a["authority"] == "mfds_eua"
    )
    assert (mfds["state"], mfds["state_label"], mfds["date"]) == (
        "public_source",
        "Stated in a public source",
        "2020-02-12",
    )
    assert mfds["evidence_reference"] == mfds["checked_on"] == ""  # never checked by CAC
    sources = _rows(seeded_client.get("/open-data/catalogue/sources.csv").text)
    assert {
        "product_slug": "allplex-2019-ncov-assay",
        "approval_id": mfds["id"],
        "performance_id": "",
        "source": "https://cm.asiae.co.kr/en/article/2020021215151818004",
    } in sources
    body = seeded_client.get("/open-data/catalogue.json").get_json()
    assert body["datapackage"] == "http://localhost" + CATALOGUE_PACKAGE
    assert len(body["products"]) == len(products)
    assert any(
        a["id"] == int(mfds["id"]) and a["state"] == "public_source" for a in body["approvals"]
    )


def test_performance_rows_say_who_reported_them(seeded_client):
    rows = _rows(seeded_client.get("/open-data/catalogue/performance.csv").text)
    exdia = [r for r in rows if r["product_slug"] == "exdia-covid-19-ag"]
    field = next(r for r in exdia if r["reported_by"] == "field")
    assert field["reporter_label"] == "Field study"
    assert field["state"] == "public_source"
    assert field["sample_size"]  # the study's size travels with its figures


def test_export_has_states_and_safe_cells_and_leaves_out_drafts_rejections_and_people(
    client, make_product, make_manufacturer, make_user
):
    checker = make_user(role="staff", name="Min-ji Park")
    maker = make_manufacturer(slug="formula-maker", contact_email="sales@maker.example")
    make_product(
        slug="formula-kit",
        manufacturer=maker,
        name='=HYPERLINK("http://evil.example","Click")',
        summary="-2+3",
        approvals=[
            {
                "authority": "mfds_export",
                "status": "public_source",
                "valid_until": date(2021, 1, 31),
            },
            {
                "authority": "ce_ivd",
                "status": "verified",
                "evidence_reference": "CE-1234",
                "checked_on": date(2021, 3, 1),
                "evidence_note": "@SUM(A1) was not a formula",
                "verified_by": checker,
                "verified_at": datetime(2021, 3, 1, tzinfo=UTC),
            },
            {"authority": "who_eul", "status": "rejected", "rejection_reason": "Not listed"},
        ],
        performance=[
            {"study": "Refused study", "reported_by": "manufacturer", "status": "rejected"},
            {"study": "+Kept study", "reported_by": "manufacturer", "status": "claimed"},
        ],
    )
    make_product(slug="draft-kit", status="draft", manufacturer=maker, public_sources=["x"])

    texts = {
        table: client.get(f"/open-data/catalogue/{table}.csv").text
        for table in ("products", "approvals", "performance", "sources")
    }
    (product,) = _rows(texts["products"])
    assert product["name"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert product["summary"] == "'-2+3"
    approvals = {a["authority"]: a for a in _rows(texts["approvals"])}
    assert set(approvals) == {"mfds_export", "ce_ivd"}  # the rejected claim is left out
    assert (approvals["mfds_export"]["state"], approvals["mfds_export"]["status"]) == (
        "expired",
        "public_source",
    )
    assert approvals["ce_ivd"]["state"] == "verified"
    assert approvals["ce_ivd"]["evidence_reference"] == "CE-1234"
    assert approvals["ce_ivd"]["evidence_note"] == "'@SUM(A1) was not a formula"
    assert [r["study"] for r in _rows(texts["performance"])] == ["'+Kept study"]
    everything = "".join(texts.values()) + client.get("/open-data/catalogue.json").text
    for absent in ("draft-kit", "Refused study", "Not listed", "sales@maker.example", "Min-ji"):
        assert absent not in everything, absent
    # The JSON keeps the text as it is: no spreadsheet runs it.
    body = client.get("/open-data/catalogue.json").get_json()
    assert body["products"][0]["name"].startswith("=HYPERLINK")


def test_open_data_is_linked_from_the_catalogue_the_daily_page_and_the_api(seeded_client):
    product_list = seeded_client.get("/supplies/products/").text
    assert 'href="/open-data/"' in product_list
    daily = seeded_client.get("/daily-updates/").text
    assert f'href="{DAILY_PACKAGE}"' in daily
    page = seeded_client.get("/open-data/")
    assert page.status_code == 200
    for href in (
        "/open-data/catalogue/products.csv",
        "/open-data/catalogue/approvals.csv",
        CATALOGUE_PACKAGE,
        "/open-data/catalogue.json",
        DAILY_PACKAGE,
    ):
        assert f'href="{href}"' in page.text, href
    openapi = seeded_client.get("/api/v1/openapi.json").get_json()
    assert openapi["externalDocs"]["url"] == "http://localhost/open-data/"


@pytest.mark.parametrize("url", ["/open-data/catalogue/users.csv", "/open-data/catalogue/.csv"])
def test_unknown_tables_are_not_found(seeded_client, url):
    assert seeded_client.get(url).status_code == 404

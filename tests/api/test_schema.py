"""Schemathesis checks the API against its OpenAPI document, offline via WSGI, as
`schemathesis run --checks all` would: every phase (examples, coverage with unsupported methods,
positive and negative fuzzing, stateful) and every check, on both databases, with rows that were
edited after seeding so that their timestamps are new ones the database handed back.
"""

from datetime import date, datetime

import pytest
import schemathesis
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.supplies import changes
from catalogue.supplies import services as supplies

OPERATIONS = [
    "/api/v1/products",
    "/api/v1/products/{slug}",
    "/api/v1/manufacturers",
    "/api/v1/manufacturers/{slug}",
    "/api/v1/search",
]
# A seeded product with several approvals and performance rows, and its maker.
EDITED_PRODUCT = "exdia-covid-19-ag"
EDITED_MAKER = "precision-biosensor"
EVIDENCE = {
    "evidence_reference": "TEST-REF-1",
    "evidence_url": "https://register.example.org/entry/1",
    "checked_on": date(2021, 3, 1),
    "evidence_note": "Checked in the test register",
}


def _has_offset(timestamp: str) -> bool:
    return datetime.fromisoformat(timestamp).utcoffset() is not None


@pytest.fixture(scope="module")
def edited_catalogue(seeded_index):
    """Edits through the service layer after seeding: the product, one approval verified with
    evidence, one expired, one revoked, and a performance row edited and another verified."""
    staff = User(email="checker@example.org", name="Test Checker", role="staff")
    db.session.add(staff)
    db.session.flush()
    product = supplies.get_published_product(EDITED_PRODUCT)
    assert product is not None
    changes.update_product(
        staff, product, {"summary": f"{product.summary} (edited)"}, product.specimen_types
    )
    by_authority = {a.authority: a for a in product.approvals}
    changes.verify_fact(staff, by_authority["eu_hsc"], EVIDENCE)
    changes.set_approval_validity(
        staff, by_authority["mfds_export"], date(2020, 5, 1), date(2021, 5, 1)
    )
    changes.revoke_approval(staff, by_authority["other"], date(2021, 6, 1))
    maker_study, field_study = product.performance
    changes.update_performance(
        staff,
        product,
        maker_study,
        {"reported_by": maker_study.reported_by, "note": "Edited after seeding"},
    )
    changes.verify_fact(staff, field_study, EVIDENCE)
    db.session.commit()
    return seeded_index


@pytest.fixture(scope="module")
def api_schema(edited_catalogue):
    config = SchemathesisConfig.from_dict(
        {
            # The WSGI transport does not decompress; ask for the body as it is.
            "headers": {"Accept-Encoding": "identity"},
            "checks": {"enabled": True},
            "generation": {"max-examples": 30},
            # Detail operations read the edited rows rather than guessed slugs (404s).
            "operations": [
                {"include-path": "/api/v1/products/{slug}", "parameters": {"slug": EDITED_PRODUCT}},
                {
                    "include-path": "/api/v1/manufacturers/{slug}",
                    "parameters": {"slug": EDITED_MAKER},
                },
            ],
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", edited_catalogue, config=config)


@pytest.mark.postgresql
def test_the_document_lists_exactly_these_operations(api_schema):
    listed = {result.ok().path for result in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.postgresql
def test_edited_rows_are_served_with_their_states_and_offsets(edited_catalogue):
    body = edited_catalogue.test_client().get(f"/api/v1/products/{EDITED_PRODUCT}").get_json()
    assert body["summary"].endswith("(edited)")
    states = {a["authority"]: a["state"] for a in body["approvals"]}
    assert states == {
        "eu_hsc": "verified",
        "mfds_export": "expired",
        "other": "revoked",
        "mfds_approval": "public_source",
    }
    assert _has_offset(body["updated_at"])
    assert all(_has_offset(a["updated_at"]) for a in body["approvals"])
    verified = next(a for a in body["approvals"] if a["state"] == "verified")
    assert _has_offset(verified["evidence"]["verified_at"])
    assert verified["evidence"]["checked_by"] == "Test Checker"
    assert verified["evidence"]["checked_on"] == "2021-03-01"
    assert {r["state"] for r in body["performance"]} == {"public_source", "verified"}


@pytest.mark.postgresql
def test_api_conforms_to_its_openapi_document_with_all_checks(api_schema):
    failures, checked, detail_urls = [], 0, set()
    for event in engine.from_schema(api_schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, nodes in event.recorder.checks.items():
                response = event.recorder.find_response(case_id=case_id)
                if response is not None and response.status_code == 200:
                    detail_urls.add(response.request.url.split("?")[0])
                for node in nodes:
                    checked += 1
                    if node.failure_info is not None:
                        url = response.request.url if response is not None else "?"
                        failures.append(f"{event.phase} {node.name}: {url}\n{node.failure_info}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"engine error: {event}")
        elif isinstance(event, events.EngineFinished):
            failures += [str(failure) for failure in event.failures]
    assert not failures, "\n\n".join(failures[:5])
    assert checked > 1000  # every phase ran
    # The edited rows themselves were fetched and checked.
    assert f"http://localhost/api/v1/products/{EDITED_PRODUCT}" in detail_urls
    assert f"http://localhost/api/v1/manufacturers/{EDITED_MAKER}" in detail_urls

"""Schemathesis checks every API operation against its OpenAPI document, offline via WSGI.

Hypothesis drives each operation's strategy directly (the schemathesis pytest plugin's
parametrisation does not run on this pytest version).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

OPERATIONS = [
    "/api/v1/products",
    "/api/v1/products/{slug}",
    "/api/v1/manufacturers",
    "/api/v1/manufacturers/{slug}",
    "/api/v1/search",
]


@pytest.fixture(scope="module")
def api_schema(seeded_index):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_index)


def test_the_document_lists_exactly_these_operations(api_schema):
    listed = {result.ok().path for result in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize("path", OPERATIONS)
def test_api_conforms_to_its_openapi_document(api_schema, path):
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case):
        # The WSGI transport does not decompress; ask for the body as it is.
        case.call_and_validate(headers={"Accept-Encoding": "identity"})

    check()

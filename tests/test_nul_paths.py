"""A NUL (or another control character) in a path parameter is a 404, never a 500.

Issue 14, item 18: PostgreSQL refuses NUL in text, and only the query string and the form were
checked, so /supplies/products/%00x reached the database and failed there. Every route with a
text parameter is tried, taken from the URL map so a new one is covered too.
"""

import re

import pytest

BROKEN = ("a%00b", "%00x", "a%01b", "a%7Fb")


def _text_routes(app) -> list[tuple[str, str]]:
    """(url with each text parameter as {}, method) for every rule with a text parameter."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not any(
            conv.__class__.__name__ != "IntegerConverter" for conv in rule._converters.values()
        ):
            continue
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        url = re.sub(r"<(?:\w+:)?\w+>", "{}", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((url, method))
    return routes


@pytest.mark.postgresql
def test_a_control_character_in_a_path_parameter_is_not_found(app, client, world):
    routes = _text_routes(app)
    assert len(routes) >= 20  # products, makers, news, tokens, PDFs, CSVs ...
    for url, method in routes:
        for broken in BROKEN:
            path = url.replace("{}", broken)
            response = client.open(path, method=method, data={} if method == "POST" else None)
            assert response.status_code == 404, (method, path, response.status_code)
            assert "Something went wrong" not in response.get_data(as_text=True), path


@pytest.mark.postgresql
def test_the_reported_paths_are_not_found(client, world):
    for path in ("/supplies/products/%00x", "/supplies/manufacturers/a%00b"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)

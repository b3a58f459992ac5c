"""Every state-changing route refuses a POST that carries no CSRF token."""

import re

import pytest

from catalogue.extensions import db

# Routes whose POSTs do not change state need no token; there are none today.
EXEMPT: set[str] = set()


@pytest.fixture
def csrf_app(app_factory):
    app = app_factory("test_csrf_all", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        yield app


def _post_routes(app):
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.rule not in EXEMPT
    )


def test_every_post_route_requires_a_csrf_token(csrf_app):
    routes = _post_routes(csrf_app)
    assert len(routes) >= 40
    client = csrf_app.test_client()
    for rule in routes:
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule)
        response = client.post(url, data={"anything": "x"})
        assert response.status_code == 400, rule
        assert "CSRF" in response.get_data(as_text=True), rule


def test_forms_carry_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    for path in ("/account/login", "/account/register", "/account/password-reset"):
        assert 'name="csrf_token"' in client.get(path).get_data(as_text=True), path

"""Errors are answered in the site's style, never with a stack trace."""

import pytest

from catalogue import create_app


@pytest.fixture
def failing_app(tmp_path):
    app = create_app("testing", {"PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    return app


def test_unexpected_error_gives_the_500_page_without_details(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "secret internal detail" not in html and "Traceback" not in html


def test_unknown_url_gives_the_site_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and 'href="/supplies/"' in html


def test_wrong_method_is_405_in_site_style(client):
    response = client.post("/supplies/")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_json_endpoints_get_json_errors(failing_app):
    response = failing_app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_security_headers_on_html_pages(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_every_navigation_link_answers(client):
    html = client.get("/").get_data(as_text=True)
    nav = html.split('id="site-nav"')[1].split("</ul>")[0]
    links = [part.split('"')[0] for part in nav.split('href="')[1:]]
    assert "/" in links and "/supplies/" in links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_405_says_which_methods_are_allowed(client):
    for path in ("/account/logout", "/api/v1/products"):
        response = client.open(path, method="DELETE")
        assert response.status_code == 405, path
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"], path

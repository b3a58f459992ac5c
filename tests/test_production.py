"""The production configuration (issue 14, items 1 and 17): it needs its site address and its
own secret key, answers only to the site's host names, sets Secure cookies exactly when the site
is https, and private pages are never stored by a browser or a proxy. Nodes sharing SECRET_KEY
share their visitors' sessions."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue import create_app
from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.inquiries import links
from catalogue.supplies.models import Category, Manufacturer, Product
from config import ProductionConfig

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


def _production(**overrides):
    return create_app(
        ProductionConfig,
        {"SECRET_KEY": "a-real-secret", "SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides},
    )


def test_production_refuses_to_start_without_a_site_address():
    with pytest.raises(RuntimeError, match="SITE_URL must be set"):
        _production(SITE_URL=None)
    # Nor with one that is not the root address of an http(s) site.
    for wrong in ("supplies.example", "ftp://supplies.example", "https://supplies.example/x"):
        with pytest.raises(RuntimeError, match="SITE_URL must be"):
            _production(SITE_URL=wrong)
    assert _production(SITE_URL="https://supplies.example/").config["SITE_URL"]


@pytest.mark.parametrize(
    ("site", "secure"), [("https://supplies.example", True), ("http://127.0.0.1:5000", False)]
)
def test_cookies_are_secure_exactly_when_the_site_is_https(app_factory, site, secure):
    app = app_factory("test_cookies", SITE_URL=site)
    with app.app_context():
        db.create_all()
        user = User(email="buyer@city.example", name="Buyer", role="officer")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        response = client.post(
            "/account/login",
            data={"email": "buyer@city.example", "password": PASSWORD, "remember": "y"},
            base_url=site,
        )
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= set(cookies)
    for cookie in cookies.values():
        assert ("; Secure" in cookie) is secure
    assert _production(SITE_URL=site).config["SESSION_COOKIE_SECURE"] is secure


def test_a_foreign_host_gets_a_400_and_no_page(client, world):
    # A public page the page cache holds is not served under another name either.
    assert client.get("/supplies/products/").status_code == 200
    for method in ("get", "post"):
        for path in ("/", "/supplies/products/", "/account/login", "/healthz"):
            response = getattr(client, method)(path, base_url="http://evil.example")
            assert response.status_code == 400
            assert "CAC" not in response.get_data(as_text=True)
    # Nor through the port or the case of a name the site answers to.
    assert client.get("/", base_url="http://LOCALHOST:81").status_code == 200


def test_extra_trusted_hosts_are_answered(app, client, world):
    app.config.update(SITE_URL="https://supplies.example", EXTRA_TRUSTED_HOSTS=["www.example"])
    assert client.get("/", base_url="https://www.example").status_code == 200
    assert client.get("/", base_url="https://supplies.example").status_code == 200
    assert client.get("/", base_url="http://localhost").status_code == 400


def _cache_control(client, path: str) -> str:
    response = client.get(path)
    response.close()  # a static file's response holds the file open
    assert response.status_code == 200, path
    return response.headers.get("Cache-Control", "")


def test_private_pages_are_never_stored(client, login, world, make_figure):
    make_figure()
    # Anonymous: a public page keeps its own caching; a private link's page is not stored.
    assert "no-store" not in _cache_control(client, "/supplies/products/")
    assert _cache_control(client, "/daily-updates/chart-new.svg") == "public, max-age=300"
    token = links.tracking_token(world.inquiry_a)
    assert _cache_control(client, f"/inquiry/track/{token}") == "no-store"

    # Signed in: every page, public or not, is that person's.
    login(world.officer)
    assert _cache_control(client, "/account/") == "no-store"
    assert _cache_control(client, "/supplies/products/") == "no-store"
    assert _cache_control(client, "/daily-updates/chart-new.svg") == "no-store"
    login(world.staff)
    assert _cache_control(client, "/staff/") == "no-store"
    login(world.user_a)
    assert _cache_control(client, "/portal/") == "no-store"
    # The site's static files are the same for everyone and stay cacheable.
    assert "no-store" not in _cache_control(client, "/static/css/site.css")


@pytest.mark.parametrize("secret", [None, ""])
def test_the_production_server_refuses_to_start_without_a_secret_key(tmp_path, secret):
    """Loaded as gunicorn and `flask` load it; an empty value (a missing key file) is none."""
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update(FLASK_CONFIG="production", SITE_URL="https://supplies.example")
    env.update(INSTANCE_DIR=str(tmp_path))
    if secret is not None:
        env["SECRET_KEY"] = secret
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode != 0
    assert "SECRET_KEY must be set" in started.stderr


def _basket_count(client) -> str:
    page = client.get("/inquiry/basket").get_data(as_text=True)
    return re.search(r'id="basket-count">(\d+)<', page).group(1)


@pytest.mark.parametrize(("key_b", "count_b"), [("one-shared-secret", "1"), ("another", "0")])
def test_a_basket_follows_its_visitor_to_nodes_with_the_same_secret_key(
    app_factory, tmp_path, key_b, count_b
):
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    node_a = app_factory(SQLALCHEMY_DATABASE_URI=database, SECRET_KEY="one-shared-secret")
    node_b = app_factory(SQLALCHEMY_DATABASE_URI=database, SECRET_KEY=key_b)
    with node_a.app_context():
        db.create_all()
        product = Product(slug="p", name="P", status="published")
        product.manufacturer = Manufacturer(slug="m", name="M")
        product.category = Category(slug="c", name="C", kind="diagnostic_reagent")
        db.session.add(product)
        db.session.commit()
    on_a, on_b = node_a.test_client(), node_b.test_client()
    assert on_a.post("/inquiry/basket/add", data={"product": "p"}).status_code == 302
    assert _basket_count(on_a) == "1"
    # The proxy sends the visitor's next request, with its cookie, to node B.
    on_b.set_cookie("session", on_a.get_cookie("session").value)
    assert _basket_count(on_b) == count_b

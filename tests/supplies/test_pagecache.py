"""The page cache: served to anonymous visitors only, never older than the last committed change,
and with a CSRF token of the visitor's own."""

import re

import pytest

from catalogue.extensions import db
from catalogue.supplies.pagecache import catalogue_version


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_second_anonymous_visit_is_served_from_the_cache(client, world):
    url = f"/supplies/products/{world.product_a.slug}"
    assert "X-Page-Cache" not in _get(client, url).headers
    assert _get(client, url).headers["X-Page-Cache"] == "hit"


def test_a_committed_change_shows_at_once(client, login, world):
    url = f"/supplies/products/{world.product_a.slug}"
    _get(client, url)
    before = catalogue_version()
    login(world.user_a)
    client.post(
        f"/portal/products/{world.product_a.id}/edit",
        data={"name": world.product_a.name, "category_id": str(world.product_a.category_id),
              "lead_time": "4 weeks"},
    )  # fmt: skip
    login(None)
    assert catalogue_version() == before + 1
    response = _get(client, url)
    assert "X-Page-Cache" not in response.headers
    assert "4 weeks" in response.get_data(as_text=True)


def test_changes_outside_the_catalogue_leave_the_version_alone(world, make_user):
    before = catalogue_version()
    make_user(role="officer")
    assert catalogue_version() == before


def test_signed_in_visitors_and_full_baskets_are_not_served_from_the_cache(client, login, world):
    url = f"/supplies/products/{world.product_a.slug}"
    _get(client, url)
    login(world.officer)
    assert "X-Page-Cache" not in _get(client, url).headers
    login(None)
    client.post("/inquiry/basket/add", data={"product": world.product_b.slug})
    client.get("/inquiry/basket")  # shows (and clears) the "added" message
    page = _get(client, url)
    assert "X-Page-Cache" not in page.headers
    assert re.search(r'id="basket-count">1<', page.get_data(as_text=True))


@pytest.fixture
def csrf_app(app_factory):
    """Requests here run without an outer app context, as in production: g is fresh each time."""
    from catalogue.supplies.models import Category, Manufacturer, Product

    app = app_factory("test_cache_csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        maker = Manufacturer(slug="m", name="M")
        category = Category(slug="c", name="C", kind="diagnostic_reagent")
        product = Product(slug="p", name="P", status="published", manufacturer=maker)
        product.category = category
        db.session.add(product)
        db.session.commit()
    return app


def test_cached_pages_carry_each_visitors_own_working_csrf_token(csrf_app):
    tokens = []
    for n in range(2):
        visitor = csrf_app.test_client()
        response = visitor.get("/supplies/products/p")
        assert (response.headers.get("X-Page-Cache") == "hit") == (n == 1)
        page = response.get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        tokens.append(token)
        added = visitor.post("/inquiry/basket/add", data={"product": "p", "csrf_token": token})
        assert added.status_code == 302
    assert tokens[0] != tokens[1]

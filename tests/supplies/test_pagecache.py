"""The page cache: served to anonymous visitors only, never older than the last committed change,
and with a CSRF token of the visitor's own."""

import re

import pytest

from catalogue.extensions import db
from catalogue.supplies.version import catalogue_version


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_second_anonymous_visit_is_served_from_the_cache(client, world):
    url = f"/supplies/products/{world.product_a.slug}"
    assert "X-Page-Cache" not in _get(client, url).headers
    assert _get(client, url).headers["X-Page-Cache"] == "hit"


@pytest.mark.postgresql
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


def test_the_inquiry_form_is_never_kept_each_visitor_gets_its_own_form_token(csrf_app):
    """Each inquiry form carries a one-time token (a form sent twice files once), so the
    cache must not hand one visitor's form to the next."""
    from datetime import date, timedelta

    form_tokens = set()
    for n in range(2):
        visitor = csrf_app.test_client()
        response = visitor.get("/inquiry/new?product=p")
        assert response.headers.get("X-Page-Cache") != "hit"
        page = response.get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form_token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
        form_tokens.add(form_token)
        sent = visitor.post(
            "/inquiry/new",
            data={"csrf_token": token, "form_token": form_token, "lines-0-product": "p",
                  "lines-0-quantity": "500", "lines-0-unit": "tests", "name": f"Officer {n}",
                  "organisation": "City", "email": f"officer{n}@city.example", "country": "BR",
                  "consent": "y", "required_by": (date.today() + timedelta(days=30)).isoformat()},
        )  # fmt: skip
        assert sent.status_code == 302 and sent.location.endswith("/inquiry/sent")
    assert len(form_tokens) == 2


@pytest.mark.postgresql
def test_on_postgresql_the_version_is_read_again_after_its_connection_is_lost(client, world):
    import sqlalchemy as sa

    from catalogue.supplies.version import _version_reader

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the separate version connection exists on PostgreSQL only")
    url = f"/supplies/products/{world.product_a.slug}"
    _get(client, url)
    held = _version_reader.local.held[1].dbapi_connection
    db.session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": held.info.backend_pid})
    db.session.commit()
    assert _get(client, url).headers["X-Page-Cache"] == "hit"
    assert _version_reader.local.held[1].dbapi_connection is not held


@pytest.mark.parametrize("website", ["\x1fcsrf-token\x1f", "current marker"])
def test_text_in_a_cached_page_is_never_replaced_by_the_visitors_token(csrf_app, website):
    """A maker's website that holds the cache's marker is shown as written; only the hidden
    token inputs get the visitor's token."""
    from catalogue.lib import pagecache
    from catalogue.supplies.models import Manufacturer

    if website == "current marker":
        website = getattr(pagecache, "_marker", "\x1fcsrf-token\x1f")
    with csrf_app.app_context():
        db.session.scalar(db.select(Manufacturer)).website = f"maker.example/?t={website}"
        db.session.commit()
    for n in range(2):
        visitor = csrf_app.test_client()
        response = visitor.get("/supplies/manufacturers/m")
        assert (response.headers.get("X-Page-Cache") == "hit") == (n == 1)
        page = response.get_data(as_text=True)
        tokens = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert tokens and len(set(tokens)) == 1
        assert page.count(tokens[0]) == len(tokens)  # in the token inputs, nowhere else
        link = re.search(r'<a href="https://maker\.example/\?t=([^"]*)"', page).group(1)
        assert link == website

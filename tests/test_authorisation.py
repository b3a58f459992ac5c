"""The authorisation matrix: every /portal/ and /staff/ route × every kind of visitor."""

import re

import pytest

BACK_OFFICES = ("/portal/", "/staff/")


def _routes(app, prefix):
    """(rule, method) for every route under a prefix, GETs first so POSTs cannot disturb them."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.rule, method))
    return sorted(routes, key=lambda r: (r[1] != "GET", r[0]))


def _url(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def _call(client, method, url):
    response = client.get(url) if method == "GET" else client.post(url, data={})
    response.close()  # file downloads hold their file open until closed
    return response


def test_matrix_covers_the_back_offices(app):
    assert len(_routes(app, "/portal/")) >= 15
    assert len(_routes(app, "/staff/")) >= 15


@pytest.mark.parametrize("prefix", BACK_OFFICES)
def test_anonymous_visitors_are_sent_to_sign_in(app, client, world, prefix):
    ids = world.ids("a")
    for rule, method in _routes(app, prefix):
        response = _call(client, method, _url(rule, ids))
        assert response.status_code == 302, (method, rule)
        assert "/account/login" in response.headers["Location"], (method, rule)


@pytest.mark.parametrize("who", ["officer", "inactive"])
@pytest.mark.parametrize("prefix", BACK_OFFICES)
def test_officers_and_inactive_users_are_kept_out(app, client, login, world, prefix, who):
    login(getattr(world, who))
    expected = 403 if who == "officer" else 302  # an inactive account counts as signed out
    ids = world.ids("a")
    for rule, method in _routes(app, prefix):
        response = _call(client, method, _url(rule, ids))
        assert response.status_code == expected, (who, method, rule)


def test_manufacturers_are_refused_the_staff_office(app, client, login, world):
    login(world.user_a)
    ids = world.ids("a")
    for rule, method in _routes(app, "/staff/"):
        assert _call(client, method, _url(rule, ids)).status_code == 403, rule


def test_staff_are_refused_the_manufacturer_portal(app, client, login, world):
    login(world.staff)
    ids = world.ids("a")
    for rule, method in _routes(app, "/portal/"):
        assert _call(client, method, _url(rule, ids)).status_code == 403, rule


def test_a_manufacturer_gets_404_for_another_makers_objects(app, client, login, world):
    login(world.user_a)
    checked, ids = 0, world.ids("b")
    for rule, method in _routes(app, "/portal/"):
        if "<int:" not in rule:
            continue
        response = _call(client, method, _url(rule, ids))
        assert response.status_code == 404, (method, rule)
        checked += 1
    assert checked >= 10
    # Nothing of B's changed through those POSTs.
    product = world.product_b
    assert product.status == "published" and len(product.documents) == 1
    assert [photo.alt_text for photo in product.photos] == ["product-b kit box"]


def test_a_manufacturer_reaches_its_own_objects(app, client, login, world):
    login(world.user_a)
    ids = world.ids("a")
    for rule, method in _routes(app, "/portal/"):
        response = _call(client, method, _url(rule, ids))
        # Pages open; empty POSTs are refused with a message or redirect back, never 403/404/500.
        assert response.status_code in (200, 302, 303, 400), (method, rule, response.status_code)


def test_staff_reach_every_staff_page(app, client, login, world):
    login(world.staff)
    ids = world.ids("a")
    for rule, method in _routes(app, "/staff/"):
        response = _call(client, method, _url(rule, ids))
        assert response.status_code in (200, 302, 303, 400), (method, rule, response.status_code)

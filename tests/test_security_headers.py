"""Every HTML page carries the security headers and a CSP that allows no inline script."""

import re

import pytest

from catalogue.extensions import db


def _urls(app, world, prefix_filter):
    ids = world.ids("a")
    article = world.article
    article.status = "published"
    slugs = {
        "/supplies/products/": world.product_a.slug,
        "/supplies/manufacturers/": world.maker_a.slug,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not prefix_filter(rule.rule):
            continue
        url = re.sub(r"<int:(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        if "<slug>" in url:
            base = url.split("<slug>")[0]
            slug = slugs.get(base, article.slug if base == "/news/" else None)
            if slug is None:
                continue
            url = url.replace("<slug>", slug)
        if "<" in url:
            continue  # tokens: covered by their own tests
        urls.append(url)
    return urls


def _check(response, url):
    if response.status_code != 200 or response.mimetype != "text/html":
        return 0
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert headers["X-Frame-Options"] == "DENY", url
    csp = headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, url
    assert "<script>" not in response.get_data(as_text=True), url  # no inline script at all
    return 1


@pytest.mark.parametrize(
    "who, prefix",
    [(None, "public"), ("user_a", "/portal/"), ("staff", "/staff/"), ("officer", "/account/")],
)
def test_security_headers_on_every_html_page(app, client, login, world, who, prefix):
    db.session.commit()  # publishes the world's article for the public pages
    login(getattr(world, who) if who else None)
    if prefix == "public":
        wanted = lambda rule: not rule.startswith(("/portal/", "/staff/", "/account/", "/api/"))  # noqa: E731
    else:
        wanted = lambda rule: rule.startswith(prefix)  # noqa: E731
    checked = 0
    for url in _urls(app, world, wanted):
        response = client.get(url)
        checked += _check(response, url)
        response.close()
    assert checked >= 3

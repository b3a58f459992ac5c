"""The site's own address (SITE_URL): every absolute link is built from it, never from the
request's Host, and a request naming a host the site does not answer to gets a 400.

Links in e-mails, PDFs, QR codes, the API and the data packages are built with
`url_for(..., _external=True)` or `external_url()`; `SiteFlask` binds every URL adapter to
SITE_URL, in a request or not, so none of them can take a host from a request (issue 14).
"""

from urllib.parse import urlsplit

from flask import Flask, Request, current_app, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_host

# Development and tests without SITE_URL (production refuses to start without it).
LOCAL_SITE_URL = "http://127.0.0.1:5000"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def site_url(config) -> str:
    """The site's address without a trailing slash, e.g. https://supplies.example."""
    return (config.get("SITE_URL") or LOCAL_SITE_URL).rstrip("/")


def site_url_problem(value: str | None) -> str | None:
    """Why a SITE_URL value cannot be used, or None when it can."""
    if not value:
        return "SITE_URL must be set (export SITE_URL=https://...) in production."
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"SITE_URL must be an http:// or https:// address, not {value!r}."
    if parts.path.strip("/") or parts.query or parts.fragment:
        return f"SITE_URL must be the site's root address (scheme, host, port), not {value!r}."
    return None


def trusted_hosts(config) -> list[str]:
    """The host names a request may name: SITE_URL's, EXTRA_TRUSTED_HOSTS, and on a loopback
    site address the other loopback names (the port is not compared, as in Werkzeug)."""
    if config.get("TRUSTED_HOSTS"):
        return list(config["TRUSTED_HOSTS"])
    host = urlsplit(site_url(config)).hostname or ""
    hosts = [host, *config.get("EXTRA_TRUSTED_HOSTS", ())]
    if host in LOOPBACK_HOSTS:
        hosts.extend(LOOPBACK_HOSTS)
    return list(dict.fromkeys(hosts))


def configure_site(app: Flask) -> None:
    """Refuse an unusable SITE_URL at start-up; derive what follows from its scheme, so
    cookies are Secure exactly when the site is served over https."""
    problem = site_url_problem(app.config.get("SITE_URL"))
    if problem:
        raise RuntimeError(problem)
    secure = urlsplit(site_url(app.config)).scheme == "https"
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    app.wsgi_app = TrustedHostsMiddleware(app, app.wsgi_app)  # type: ignore[method-assign]


class SiteFlask(Flask):
    """Flask whose URL adapters build absolute URLs from SITE_URL only. Matching is unchanged;
    only the host and scheme that `_external=True` (and redirects Werkzeug makes) use differ."""

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        adapter = super().create_url_adapter(request)
        site = urlsplit(site_url(self.config))
        if adapter is None:  # outside a request (background threads, commands)
            return self.url_map.bind(site.netloc, url_scheme=site.scheme)
        adapter.server_name = site.netloc.lower()
        adapter.url_scheme = site.scheme
        return adapter


class TrustedHostsMiddleware:
    """Answers 400 to a request whose Host is not one of the site's, before the app runs: no
    page, cached or not, is ever served under a foreign name. The host list is read on each
    request, so it follows the app's configuration."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            get_host(environ, trusted_hosts(self.app.config))
        except SecurityError as error:
            return error(environ, start_response)
        return self.wsgi_app(environ, start_response)


def external_url(endpoint: str, **values) -> str:
    """An absolute link to a page of the site, for e-mails and PDFs, in a request or not."""
    return url_for(endpoint, _external=True, **values)


def site_link(path: str) -> str:
    """An absolute link from a path of the site ("/supplies/products/x")."""
    return site_url(current_app.config) + path

"""Absolute links for e-mails and PDFs, with or without a request to take the host from."""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """SITE_URL (when configured) wins, so links in mail sent by any process point at the site."""
    site = current_app.config.get("SITE_URL")
    if has_request_context() and not site:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(site or "http://localhost")
    adapter = current_app.url_map.bind(parts.netloc, url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)

"""`flask links check` and `flask seed` for the CAC sections."""

import urllib.error

import sqlalchemy as sa

from catalogue.content import services
from catalogue.content.models import Article
from catalogue.extensions import db


def test_links_check_reports_no_network_without_failing(runner, make_link, monkeypatch):
    make_link()
    monkeypatch.setattr(services, "network_available", lambda timeout=3.0: False)
    result = runner.invoke(args=["links", "check", "--timeout", "1"])
    assert result.exit_code == 0
    assert "network unavailable: 1 links not checked" in result.output


class _FakeResponse:
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _FakeOpener:
    def open(self, request, timeout):
        if "gone" in request.full_url:
            raise urllib.error.URLError("Name or service not known")
        if "refuses-head" in request.full_url and request.get_method() == "HEAD":
            raise urllib.error.HTTPError(request.full_url, 405, "no HEAD", {}, None)
        return _FakeResponse()


def test_check_links_reports_unreachable_ones(app, make_link):
    ok = make_link(url="https://fine.example.org/")
    head = make_link(url="https://refuses-head.example.org/")
    gone = make_link(url="https://gone.example.org/")
    results = {r.link.id: r for r in services.check_links([ok, head, gone], opener=_FakeOpener())}
    assert results[ok.id].ok and results[head.id].ok
    assert not results[gone.id].ok and "unreachable" in results[gone.id].detail


def test_flask_seed_loads_the_content_sections(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "articles" in result.output and "daily figures" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) >= 25

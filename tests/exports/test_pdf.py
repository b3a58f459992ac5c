"""The PDF renderer's URL fetcher serves our static files and nothing else."""

import io

import pytest
from pypdf import PdfReader

from catalogue.exports import pdf


@pytest.fixture
def fetcher(app):
    return pdf.StaticOnlyFetcher(app.static_folder)


def test_fetcher_serves_static_files(fetcher):
    response = fetcher.fetch("https://portal.invalid/static/css/print.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://portal.invalid/static/../../../etc/passwd",
        "https://portal.invalid/static/%2e%2e/%2e%2e/config.py",
        "https://portal.invalid/config.py",
        "https://evil.example/static/css/print.css",
        "http://portal.invalid/static/css/print.css",
        "ftp://portal.invalid/static/css/print.css",
        "data:text/plain,hello",
    ],
)
def test_fetcher_refuses_everything_else(fetcher, url):
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(url)


def test_raw_html_with_local_and_remote_images_renders_without_them(app):
    html = (
        '<p>Before</p><img src="file:///etc/passwd"><img src="http://203.0.113.9/x.png">'
        '<link rel="stylesheet" href="file:///etc/passwd"><p>After</p>'
    )
    with app.test_request_context():
        rendered = pdf.html_to_pdf(html)
    assert rendered.data.startswith(b"%PDF-")
    assert rendered.page_count == 1
    text = PdfReader(io.BytesIO(rendered.data)).pages[0].extract_text()
    assert "Before" in text and "After" in text and "root:" not in text

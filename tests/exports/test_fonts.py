"""PDF fonts and the render process's life: Korean names still print, the large CJK font is
embedded only where Korean text appears, and a render process is replaced before it grows."""

from __future__ import annotations

import io

from pypdf import PdfReader

from catalogue.exports import pdf
from catalogue.exports.renderer import RenderProcess
from tests.exports import test_views
from tests.exports.test_views import flat, pdf_text

# The Alpha PCR Kit of the view tests: its maker is 알파바이오 in Korean.
product = test_views.product

SHEET = "/supplies/products/alpha-pcr/spec-sheet.pdf"


def embedded_fonts(data: bytes) -> set[str]:
    """The base names of the fonts a PDF embeds, without their subset prefix ("ABCDEF+")."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_korean_names_print_in_the_cjk_face_and_the_rest_in_a_latin_one(client, product):
    response = client.get(SHEET)

    assert response.status_code == 200
    text = flat(pdf_text(response.data))
    assert "알파바이오" in text  # in the text layer: searchable and copyable
    assert "AlphaPCRKit" in text
    fonts = embedded_fonts(response.data)
    assert any(name.startswith("DejaVu-Sans") for name in fonts), fonts
    assert any(name.startswith("Noto-Sans-CJK-KR") for name in fonts), fonts


def test_a_pdf_without_korean_text_embeds_no_cjk_font(client, product):
    product.manufacturer.name_ko = None
    client.application.extensions["sqlalchemy"].session.commit()

    response = client.get(SHEET)

    assert response.status_code == 200
    assert "Alpha Bio Inc." in pdf_text(response.data)
    fonts = embedded_fonts(response.data)
    assert fonts and not any("CJK" in name for name in fonts), fonts


def test_fonts_are_subset_by_harfbuzz_not_the_slow_fallback():
    # Without libharfbuzz-subset (make system-deps), WeasyPrint subsets with fontTools: seconds
    # per PDF with Korean text instead of milliseconds.
    assert pdf.fast_font_subsetting()


def _document(n: int) -> str:
    return (
        '<link rel="stylesheet" href="/static/css/print.css">'
        f'<h1>Sheet {n}</h1><p lang="ko">알파바이오 {n}</p>'
    )


def test_a_render_process_is_replaced_after_its_renders_and_still_renders(app):
    process = RenderProcess(app.static_folder)
    process.renders_per_process = 2
    try:
        pids, texts = [], []
        for n in range(5):
            rendered = process.render(_document(n), timeout=60)
            texts.append(flat(pdf_text(rendered.data)))
            pids.append(process.pid)  # None once the child has been retired
        assert texts == [f"Sheet{n}알파바이오{n}Page1of1" for n in range(5)]
        assert pids[1] is None and pids[3] is None  # retired after its second render
        assert pids[0] is not None and pids[2] not in (None, pids[0])
    finally:
        process.close()


def test_a_render_process_grown_past_its_memory_limit_is_replaced(app):
    process = RenderProcess(app.static_folder)
    process.max_rss_mb = 1  # every child is past it after one render
    try:
        first = process.render(_document(1), timeout=60)
        assert process.pid is None
        second = process.render(_document(2), timeout=60)
        assert process.pid is None
        assert "Sheet1알파바이오1" in flat(pdf_text(first.data))
        assert "Sheet2알파바이오2" in flat(pdf_text(second.data))
    finally:
        process.close()

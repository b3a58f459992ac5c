"""The chips of active filters read as the filters do, also when nothing matches them."""

import re
from html import unescape

import pytest


def _chips(html: str) -> list[str]:
    block = html.split('aria-label="Active filters"')[1].split("</ul>")[0]
    chips = re.findall(r"<a [^>]*>(.*?)<span aria-hidden", block, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in chips]


ZERO_RESULT_FILTERS = [
    ("approval=who_eul&q=nothing-matches-this", "Approval: WHO EUL"),
    ("approval=mfds_self_test&category=no-such-category", "Approval: MFDS self-test"),
    (
        "evidence=public_source&q=nothing-matches-this",
        "Approval evidence: Stated in a public source",
    ),
    ("evidence=rejected&approval=fda_eua", "Approval evidence: Rejected by CAC staff"),
    (
        "reporter=independent&q=nothing-matches-this",
        "Performance reported by: Independent evaluation",
    ),
    ("manufacturer=sd-biosensor&q=nothing-matches-this", "Manufacturer: SD Biosensor Inc."),
]


@pytest.mark.parametrize("page", ["/supplies/products/", "/search"])
@pytest.mark.parametrize(("query", "chip"), ZERO_RESULT_FILTERS)
def test_zero_result_chips_show_labels_not_codes(seeded_client, seeded_index, page, query, chip):
    html = seeded_client.get(f"{page}?{query}").get_data(as_text=True)
    assert "No products match" in html or " 0 results" in html or "0 results" in html
    chips = _chips(html)
    assert chip in chips, chips
    assert not any("_" in c for c in chips), chips

"""Every cell of every CSV the portal hands out is safe to open in a spreadsheet (issue 14, item 7).

Only `organisation` was neutralised in the staff inquiries CSV: a maker named =HYPERLINK(…)
landed as a live formula next to buyer data.
"""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from catalogue.content.models import DailyFigure
from catalogue.extensions import db
from catalogue.inquiries import quotations
from catalogue.inquiries import services as inquiries
from catalogue.lib.spreadsheet import FORMULA_STARTS

HYPERLINK = '=HYPERLINK("http://x","y")'
# One hostile value per free-text field that reaches a CSV, each with another formula start.
HOSTILE = {
    "maker": HYPERLINK,
    "product": "+SUM(1,2)",
    "organisation": "@cmd|' /C calc'!A0",
    "incoterm_place": "-2+3",
    "payment_terms": "=2*3",
    "approval_note": "=1+2",
    "study": "-1+3",
    "source": '=WEBSERVICE("http://x")',
}


@pytest.fixture
def hostile(app, make_user, make_manufacturer, make_product, login):
    maker = make_manufacturer(slug="hostile-maker", name=HOSTILE["maker"])
    product = make_product(
        slug="hostile-product",
        name=HOSTILE["product"],
        manufacturer=maker,
        public_sources=[HOSTILE["source"]],
        approvals=[{"authority": "ce_ivd", "status": "claimed", "note": HOSTILE["approval_note"]}],
        performance=[
            {"study": HOSTILE["study"], "sensitivity": 90.0, "reported_by": "manufacturer"}
        ],
    )
    filed = inquiries.file_inquiries(
        [inquiries.LineRequest(product, 1000, "tests")],
        inquiries.Contact(
            name="Ana", organisation=HOSTILE["organisation"], email="ana@city.example", country="BR"
        ),
        destination=None,
        incoterm=None,
        required_by=None,
        message=None,
    )
    inquiry, token = filed.inquiries[0]
    quotations.submit_quotation(
        inquiry,
        quotations.Offer(
            currency="USD",
            valid_until=date.today() + timedelta(days=30),
            lines=[quotations.LineOffer(unit="test", unit_price=Decimal("2.5"))],
            incoterm="FCA",
            incoterm_place=HOSTILE["incoterm_place"],
            payment_terms=HOSTILE["payment_terms"],
        ),
        actor=None,
        via="link",
    )
    db.session.add(
        DailyFigure(
            day=date(2020, 4, 9), region="Korea", new_confirmed=39, cumulative_confirmed=10423,
            released=7117, deaths=204, tests=None, source=HOSTILE["source"],
        )
    )  # fmt: skip
    db.session.commit()
    login(make_user(role="staff", email="staff@portal.example"))
    return {"track": token}


CSV_URLS = {
    "staff inquiries": ("/staff/inquiries.csv", ["maker", "organisation"]),
    "quotation comparison": (
        "/inquiry/track/{track}/compare.csv",
        ["maker", "product", "incoterm_place", "payment_terms"],
    ),
    "open data products": ("/open-data/catalogue/products.csv", ["maker", "product"]),
    "open data approvals": ("/open-data/catalogue/approvals.csv", ["approval_note"]),
    "open data performance": ("/open-data/catalogue/performance.csv", ["study"]),
    "open data sources": ("/open-data/catalogue/sources.csv", ["source"]),
    "daily updates": ("/daily-updates.csv?region=Korea", ["source"]),
}


@pytest.mark.parametrize("name", CSV_URLS)
def test_no_cell_of_any_csv_starts_a_formula(client, hostile, name):
    url, fields = CSV_URLS[name]
    response = client.get(url.format(**hostile))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    cells = [c for row in csv.reader(io.StringIO(response.text, newline="")) for c in row]
    live = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert live == [], f"{name}: cells a spreadsheet would run: {live}"
    for field in fields:
        assert "'" + HOSTILE[field] in cells, f"{name}: {field} is not there, neutralised"


def test_every_csv_is_written_through_the_safe_writer():
    """The class, not the instances: no module writes CSV with the bare csv module."""
    root = Path(__file__).resolve().parent.parent / "catalogue"
    safe_writer = root / "lib" / "spreadsheet.py"
    bare = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path != safe_writer and re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert bare == []

"""The buyer decides: accept or decline a quotation, compare a basket's quotations side by side."""

import multiprocessing
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from catalogue import create_app
from catalogue.extensions import db
from catalogue.inquiries import links, quotations
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import Inquiry, InquiryEvent, Quotation, ReferenceRate
from catalogue.mail.models import OutboundEmail


def _text(response):
    return response.get_data(as_text=True)


def _offer(price, currency="USD", unit="test", pack_size=None, **line):
    return quotations.Offer(
        currency=currency,
        valid_until=date.today() + timedelta(days=20),
        lines=[
            quotations.LineOffer(unit=unit, unit_price=Decimal(price), pack_size=pack_size, **line)
        ],
        incoterm="FCA",
        incoterm_place="Incheon",
    )


@pytest.fixture
def basket(world, file_inquiry):
    """One basket, two makers, each with a quotation: A in USD per test, B in KRW per kit of 20."""
    (a, _ta), (b, _tb) = file_inquiry((world.product_a, 1000), (world.product_b, 1000))
    quotations.submit_quotation(
        a, _offer("2.10", lead_time_days=14), actor=world.user_a, via="portal"
    )
    quotations.submit_quotation(
        b,
        _offer("50000", "KRW", "kit", 20, lead_time_days=7, shelf_life_months=18),
        actor=world.user_b,
        via="portal",
    )
    db.session.commit()
    return a, b


def _decide(client, inquiry, action, **data):
    token = links.tracking_token(inquiry)
    return client.post(
        f"/inquiry/track/{token}/decision",
        data={"action": action, "quotation_id": inquiry.current_quotation.id, **data},
    )


def test_accept_one_decline_the_other_and_both_makers_are_told(client, login, world, basket):
    a, b = basket
    assert _decide(client, a, "accept").status_code == 302
    declined = _decide(client, b, "decline", reason="Lead time too long for our campaign.")
    assert declined.status_code == 302
    db.session.expire_all()
    assert (a.status, a.quotations[0].status) == ("accepted", "accepted")
    assert (b.status, b.quotations[0].status) == ("declined", "declined")
    assert b.quotations[0].decision_reason == "Lead time too long for our campaign."
    subjects = {
        m.to_address: m.subject
        for m in db.session.scalars(sa.select(OutboundEmail))
        if "수락" in m.subject or "거절" in m.subject
    }
    # Makers read Korean: "Quotation v1 accepted", "... declined".
    assert subjects[world.user_a.email].startswith("견적서 v1 수락")
    assert subjects[world.user_b.email].startswith("견적서 v1 거절")
    # Each maker sees the outcome in its inbox, in plain words.
    login(world.user_b)
    page = _text(client.get(f"/portal/inquiries/{b.id}"))
    assert "Declined by the buyer" in page and "Lead time too long" in page
    assert "Quotation v1 declined by the buyer" in page  # the timeline
    # The buyer's page says what happened and offers no second decision.
    login(None)
    tracking = _text(client.get(f"/inquiry/track/{links.tracking_token(a)}"))
    assert "You accepted quotation v1" in tracking and "Accept quotation" not in tracking


def test_a_decline_needs_a_reason_and_changes_nothing_without(client, basket):
    a, _b = basket
    response = _decide(client, a, "decline", reason="")
    assert response.status_code == 409 and "Say why you decline" in _text(response)
    db.session.expire_all()
    assert a.status == "quoted" and a.quotations[0].status == "current"


def test_the_revision_request_appears_only_once_a_quotation_exists(client, world, file_inquiry):
    ((_inquiry, token),) = file_inquiry((world.product_a, 10))
    page = _text(client.get(f"/inquiry/track/{token}"))
    assert "Ask for a revised quotation" not in page and "No quotation yet" in page
    refused = client.post(
        f"/inquiry/track/{token}/reply", data={"body": "Hi", "revised_quotation": "y"}
    )
    assert refused.status_code == 400 and "no quotation yet to revise" in _text(refused)


def test_status_is_shown_in_plain_words(client, basket):
    a, _b = basket
    page = _text(client.get(f"/inquiry/track/{links.tracking_token(a)}"))
    status = re.search(r'id="inquiry-status">(.*?)<', page).group(1)
    assert status == "Quotation received"


def test_comparison_marks_the_best_and_converts_only_with_staff_rates(client, world, basket):
    a, _b = basket
    url = f"/inquiry/track/{links.tracking_token(a)}/compare"
    page = _text(client.get(url))
    # Without a rate, USD and KRW prices are shown in their own currencies and not ranked.
    assert "2.10 USD" in page and "2,500 KRW" in page and "2,500,000 KRW" in page
    assert "not ranked" in page
    price_row = page.split('data-row="price_per_test"')[1].split("</tr>")[0]
    assert "★ best" not in price_row
    lead_row = page.split('data-row="lead_time_days"')[1].split("</tr>")[0]
    assert lead_row.count("★ best") == 1 and lead_row.index("7 days") < lead_row.index("★ best")

    db.session.add(
        ReferenceRate(
            base="USD",
            quote="KRW",
            rate=Decimal("1400"),
            as_of=date.today(),
            source="Bank of Korea",
            entered_by_id=world.staff.id,
        )
    )
    db.session.commit()
    page = _text(client.get(url + "?currency=USD"))
    # 2,500 KRW per test ≈ 1.7857 USD: cheaper than 2.10 USD, and labelled with the rate.
    assert "≈ 1.7857 USD" in page and "Bank of Korea" in page and "1 USD = 1400" in page
    price_row = page.split('data-row="price_per_test"')[1].split("</tr>")[0]
    assert price_row.index("1.7857") < price_row.index("★ best")

    csv_text = _text(client.get(url + ".csv?currency=USD"))
    assert csv_text.splitlines()[0].startswith("reference,manufacturer,product")
    assert "2.1000" in csv_text or "2.10" in csv_text
    assert "reference rate: 1 USD = 1400" in csv_text
    pdf = client.get(url + ".pdf")
    assert pdf.data.startswith(b"%PDF")
    import io

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Maker A Inc." in text and "Maker B Inc." in text


def test_comparison_is_only_for_the_holder_of_a_link_of_the_basket(client, login, world, basket):
    assert client.get("/inquiry/track/nope/compare").status_code == 404
    a, _b = basket
    login(world.officer)  # not this buyer's inquiry
    assert client.get(f"/account/inquiries/{a.id}/compare").status_code == 404


# --- Two simultaneous accepts ---------------------------------------------------------------


def _accept(overrides: dict, token: str, quotation_id: int, start, results) -> None:
    app = create_app("testing", overrides)
    client = app.test_client()
    start.wait()
    response = client.post(
        f"/inquiry/track/{token}/decision", data={"action": "accept", "quotation_id": quotation_id}
    )
    results.put((response.status_code, response.get_data(as_text=True)))


@pytest.mark.postgresql
def test_two_concurrent_accepts_exactly_one_wins(app_factory, backend, tmp_path):
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'accept.sqlite3'}"
    app = app_factory("test_accept_race", **overrides)
    with app.app_context():
        db.create_all()
        from catalogue.supplies.models import Category, Manufacturer, Product

        product = Product(
            slug="p",
            name="P",
            status="published",
            manufacturer=Manufacturer(slug="m", name="M", contact_email="sales@m.example"),
            category=Category(slug="c", name="C", kind="diagnostic_reagent"),
        )
        db.session.add(product)
        db.session.flush()
        filed = inquiries.file_inquiries(
            [inquiries.LineRequest(product, 100, "tests")],
            inquiries.Contact(name="A", organisation="City", email="a@city.example", country="BR"),
            destination=None,
            incoterm=None,
            required_by=None,
            message=None,
        )
        inquiry, token = filed.inquiries[0]
        quotation = quotations.submit_quotation(inquiry, _offer("3"), actor=None, via="link")
        db.session.commit()
        quotation_id, inquiry_id = quotation.id, inquiry.id
        config = {
            key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS")
        }
        db.session.remove()

    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_accept, args=(config, token, quotation_id, start, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)

    codes = sorted(code for code, _body in outcomes)
    assert codes == [302, 409], codes
    loser = next(body for code, body in outcomes if code == 409)
    alert = re.search(r"alert-danger[^>]*>(.*?)<", loser, re.S)
    assert "was accepted already; nothing was changed" in loser, alert and alert.group(1)
    with app.app_context():
        assert db.session.get(Quotation, quotation_id).status == "accepted"
        assert db.session.get(Inquiry, inquiry_id).status == "accepted"
        accepted_events = db.session.scalar(
            sa.select(sa.func.count(InquiryEvent.id)).where(InquiryEvent.kind == "accepted")
        )
        assert accepted_events == 1
        maker_mail = db.session.scalars(
            sa.select(OutboundEmail.subject).where(OutboundEmail.to_address == "sales@m.example")
        ).all()
        assert sum(s.startswith("견적서 v1 수락") for s in maker_mail) == 1  # in Korean
        db.session.remove()

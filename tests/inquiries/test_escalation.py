"""Slow inquiries: flagged to staff, one reminder per maker, one digest a day, honest metrics."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries.links import tracking_token
from catalogue.inquiries.models import Inquiry, InquiryEvent
from catalogue.inquiries.tasks import escalate_overdue, send_daily_digest
from catalogue.lib.dates import utcnow
from catalogue.mail.models import OutboundEmail
from tests.inquiries.test_journey import inquiry_form

LATER = timedelta(days=7)  # always more than 2 business days


def _text(response):
    return response.get_data(as_text=True)


def _mail(kind, to=None):
    stmt = sa.select(OutboundEmail).where(OutboundEmail.kind == kind).order_by(OutboundEmail.id)
    if to:
        stmt = stmt.where(OutboundEmail.to_address == to)
    return db.session.scalars(stmt).all()


def _file(client, slug, **changes) -> Inquiry:
    assert (
        client.post("/inquiry/new", data=inquiry_form([(slug, 100)], **changes)).status_code == 302
    )
    return db.session.scalar(sa.select(Inquiry).order_by(Inquiry.id.desc()).limit(1))


def _reload(inquiry):
    db.session.expire_all()
    return db.session.get(Inquiry, inquiry.id)


@pytest.fixture
def desk_maker_product(make_manufacturer, make_product):
    maker = make_manufacturer(slug="desk-maker", name="Desk Maker Co., Ltd.")
    return make_product(slug="desk-kit", name="Desk Rapid Kit", manufacturer=maker)


def test_an_unanswered_inquiry_is_flagged_and_its_maker_reminded_exactly_once(client, login, world):
    waiting = _file(client, world.product_a.slug)
    assert waiting.route == "portal"
    # A young inquiry is not flagged.
    assert escalate_overdue(utcnow() + timedelta(hours=1)) == {"escalated": 0, "reminded": 0}
    assert _reload(waiting).escalated_at is None

    counts = escalate_overdue(utcnow() + LATER)
    assert counts == {"escalated": 1, "reminded": 1}
    inquiry = _reload(waiting)
    assert inquiry.escalated_at is not None and inquiry.reminder_sent_at is not None
    # Run again (cron and a worker thread at once, or the next pass): nothing more is sent.
    assert escalate_overdue(utcnow() + LATER + timedelta(days=3)) == {
        "escalated": 0,
        "reminded": 0,
    }
    (reminder,) = _mail("inquiry_reminder")
    assert reminder.to_address == world.user_a.email  # the maker's active portal user only
    assert inquiry.reference in reminder.subject and "/portal/inquiries/" in reminder.body_text
    # The world's own inquiries were answered with a quotation: never flagged.
    assert _reload(world.inquiry_a).escalated_at is None
    assert _reload(world.inquiry_b).escalated_at is None

    login(world.staff)
    page = _text(client.get("/staff/"))
    assert re.search(r'id="count-escalated">1<', page)
    table = page.split('id="escalated-table"')[1].split("</table>")[0]
    assert inquiry.reference in table and "Maker A Inc." in table
    assert f'href="/staff/inquiries/{inquiry.id}#actions"' in table
    detail = _text(client.get(f"/staff/inquiries/{inquiry.id}"))
    assert "flagged to staff" in detail
    assert "Maker A Inc. was reminded by e-mail." in detail  # a staff-only event

    # The buyer's page does not show the internal flag.
    login(None)
    tracking = _text(client.get(f"/inquiry/track/{tracking_token(inquiry)}"))
    assert "flagged to CAC staff" not in tracking and "reminded" not in tracking


def test_an_answered_inquiry_is_never_flagged(client, login, world):
    inquiry = _file(client, world.product_a.slug)
    login(world.user_a)
    client.post(f"/portal/inquiries/{inquiry.id}/reply", data={"body": "We will quote today."})
    assert escalate_overdue(utcnow() + LATER) == {"escalated": 0, "reminded": 0}
    assert _reload(inquiry).escalated_at is None
    assert not _mail("inquiry_reminder")


def test_a_reply_clears_the_flag(client, login, world):
    inquiry = _file(client, world.product_a.slug)
    escalate_overdue(utcnow() + LATER)
    assert _reload(inquiry).escalated_at is not None
    login(world.user_a)
    client.post(f"/portal/inquiries/{inquiry.id}/reply", data={"body": "Sorry for the delay."})
    assert _reload(inquiry).escalated_at is None
    login(world.staff)
    assert re.search(r'id="count-escalated">0<', _text(client.get("/staff/")))


def test_a_staff_desk_inquiry_is_flagged_but_nobody_is_reminded(client, world, desk_maker_product):
    inquiry = _file(client, desk_maker_product.slug)
    assert inquiry.route == "staff_desk"
    assert escalate_overdue(utcnow() + LATER) == {"escalated": 1, "reminded": 0}
    assert escalate_overdue(utcnow() + LATER) == {"escalated": 0, "reminded": 0}
    assert not _mail("inquiry_reminder")
    events = db.session.scalars(
        sa.select(InquiryEvent).where(
            InquiryEvent.inquiry_id == inquiry.id, InquiryEvent.kind == "escalated"
        )
    ).all()
    assert len(events) == 1 and not events[0].public


@pytest.mark.postgresql
def test_daily_digest_goes_to_each_staff_address_once_a_day(
    client, world, make_user, desk_maker_product
):
    now = utcnow()
    assert send_daily_digest(now) is False  # nothing waits: no mail at all
    make_user(role="staff", email="desk@portal.example")
    make_user(role="staff", email="former@portal.example", active=False)
    inquiry = _file(client, desk_maker_product.slug)

    assert send_daily_digest(now) is True
    digests = _mail("inquiry_digest")
    assert sorted(m.to_address for m in digests) == ["desk@portal.example", world.staff.email]
    assert all(inquiry.reference in m.body_text and "/staff/" in m.body_text for m in digests)
    # Staff read Korean unless they chose otherwise: "1 without a route".
    assert "경로 미지정 1건" in digests[0].subject

    assert send_daily_digest(now) is False  # the same day: not again
    later_that_day = min(now + timedelta(hours=1), now.replace(hour=23, minute=59, second=59))
    assert send_daily_digest(later_that_day) is False
    assert len(_mail("inquiry_digest")) == 2
    assert send_daily_digest(now + timedelta(days=1)) is True  # the next day: again
    assert len(_mail("inquiry_digest")) == 4


def test_digest_goes_to_the_configured_desk_address(app, client, world, desk_maker_product):
    app.config["STAFF_DESK_EMAIL"] = "cac-desk@seoul.example"
    _file(client, desk_maker_product.slug)
    assert send_daily_digest() is True
    assert [m.to_address for m in _mail("inquiry_digest")] == ["cac-desk@seoul.example"]


def test_cli_escalates_reminds_and_sends_the_digest(runner, client, world):
    inquiry = _file(client, world.product_a.slug)
    inquiry.created_at = utcnow() - timedelta(days=10)
    db.session.commit()

    result = runner.invoke(args=["inquiries", "escalate"])
    assert result.exit_code == 0, result.output
    assert "escalated 1, reminded 1, digest queued" in result.output
    again = runner.invoke(args=["inquiries", "escalate"])
    assert "escalated 0, reminded 0, digest not needed or sent already today" in again.output
    db.session.expire_all()
    assert _reload(inquiry).escalated_at is not None
    assert len(_mail("inquiry_reminder")) == 1 and len(_mail("inquiry_digest")) == 1


def _stats_row(page: str, maker_name: str) -> str:
    table = page.split('id="response-stats"')[1].split("</table>")[0]
    return table.split(maker_name)[1].split("</tr>")[0]


def test_metrics_do_not_count_inquiries_that_are_not_due_yet(client, login, world):
    # Maker A: the world's inquiry answered at once, and one filed minutes ago, unanswered.
    # Both are too young to count: the old figure showed 50 % here.
    _file(client, world.product_a.slug)
    login(world.staff)
    row = _stats_row(_text(client.get("/staff/inquiries/")), "Maker A Inc.")
    assert "<td>2</td><td>1</td>" in row
    assert "— (none due yet)" in row and "%" not in row


def test_metrics_count_a_late_answer_as_a_miss(client, login, world):
    now = utcnow()
    missed = _file(client, world.product_a.slug)
    missed.created_at = now - timedelta(days=10)  # never answered
    world.inquiry_a.created_at = now - timedelta(days=14)  # answered three hours after it came
    world.inquiry_a.first_response_at = now - timedelta(days=14) + timedelta(hours=3)
    world.inquiry_b.created_at = now - timedelta(days=14)  # answered five days after it came
    world.inquiry_b.first_response_at = now - timedelta(days=9)
    db.session.commit()
    login(world.staff)
    page = _text(client.get("/staff/inquiries/"))
    assert "0 of 1 (0 %)" in _stats_row(page, "Maker B Inc.")
    row = _stats_row(page, "Maker A Inc.")
    assert "1 of 2 (50 %)" in row and "3.0 h" in row

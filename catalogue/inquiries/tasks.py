"""Scheduled inquiry work: escalating slow inquiries, one reminder per maker, a daily digest.

A periodic job every INQUIRY_JOBS_INTERVAL seconds (lib/jobs.py: `flask worker` with REDIS_URL,
else a thread of each app process unless INQUIRY_JOBS_THREAD is off), or
`flask inquiries escalate` from cron. Every step claims its row with a compare-and-set, so any
number of processes running it at once send each reminder and each day's digest only once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.extensions import db
from catalogue.inquiries import desk, services
from catalogue.inquiries.models import (
    EVENT_ESCALATED,
    EVENT_REMINDED,
    Inquiry,
    JobRun,
    event_part,
)
from catalogue.lib.dates import add_business_days, aware, utcnow
from catalogue.lib.jobs import PeriodicJob
from catalogue.lib.urls import external_url
from catalogue.mail.services import queue_email

DIGEST_JOB = "inquiry_digest"


def _overdue(inquiry: Inquiry, now: datetime, days: int) -> bool:
    return add_business_days(aware(inquiry.created_at), days) <= now


def escalate_overdue(now: datetime | None = None) -> dict[str, int]:
    """Flag open inquiries without a first response after N business days (a route or not),
    and remind their maker once. Commits."""
    now = now or utcnow()
    days = current_app.config["INQUIRY_ESCALATION_BUSINESS_DAYS"]
    candidates = db.session.scalars(
        sa.select(Inquiry).where(
            Inquiry.first_response_at.is_(None),
            Inquiry.status.in_(("new", "routed", "read")),
            # N business days are at least N calendar days: skip the young ones in SQL.
            Inquiry.created_at <= now - timedelta(days=days),
            sa.or_(Inquiry.escalated_at.is_(None), Inquiry.reminder_sent_at.is_(None)),
        )
    ).all()
    counts = {"escalated": 0, "reminded": 0}
    for inquiry in candidates:
        if not _overdue(inquiry, now, days):
            continue
        if inquiry.escalated_at is None and _claim(inquiry, Inquiry.escalated_at, now):
            services._event(
                inquiry,
                "escalated",
                "system",
                event_part(EVENT_ESCALATED, days=days),
                public=False,
            )
            counts["escalated"] += 1
        if (
            inquiry.reminder_sent_at is None
            and inquiry.route in ("portal", "email")
            and _claim(inquiry, Inquiry.reminder_sent_at, now)
        ):
            services._tell_maker(
                inquiry,
                _l(
                    "Reminder: inquiry %(reference)s waits for your answer",
                    reference=inquiry.reference,
                ),
                "inquiry_reminder",
                days=days,
            )
            services._event(
                inquiry,
                "reminded",
                "system",
                event_part(EVENT_REMINDED, maker=inquiry.manufacturer.name),
                public=False,
            )
            counts["reminded"] += 1
        db.session.commit()
    return counts


def _claim(inquiry: Inquiry, column, now: datetime) -> bool:
    """Set a once-only timestamp if no other process has; True if this one did."""
    result = db.session.execute(
        sa.update(Inquiry)
        .where(Inquiry.id == inquiry.id, column.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    done = cast(sa.CursorResult, result).rowcount
    if done:
        setattr(inquiry, column.key, now)
    return done == 1


def send_daily_digest(now: datetime | None = None) -> bool:
    """One e-mail a day to staff listing what waits for them; False if sent already today
    or nothing waits. Commits."""
    today = (now or utcnow()).date()
    last_run = db.session.scalar(sa.select(JobRun.last_run_on).where(JobRun.name == DIGEST_JOB))
    if last_run is not None and last_run >= today:
        return False  # the usual case on every pass after the first of the day
    needing_route = desk.needing_route()
    overdue = [i for i in desk.escalated() if i not in needing_route]
    if not needing_route and not overdue:
        return False
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(JobRun.__table__)
        .values(name=DIGEST_JOB)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    result = db.session.execute(
        sa.update(JobRun)
        .where(
            JobRun.name == DIGEST_JOB,
            sa.or_(JobRun.last_run_on.is_(None), JobRun.last_run_on < today),
        )
        .values(last_run_on=today)
    )
    claimed = cast(sa.CursorResult, result).rowcount
    if claimed != 1:
        db.session.rollback()
        return False
    for address in services.staff_addresses():
        queue_email(
            address,
            _l(
                "CAC inquiries waiting for staff: %(unrouted)d without a route, "
                "%(overdue)d overdue",
                unrouted=len(needing_route),
                overdue=len(overdue),
            ),
            "inquiry_digest",
            language=services.maker_language(address),
            needing_route=needing_route,
            overdue=overdue,
            route_text=services.route_text,
            link=external_url("staff.dashboard"),
        )
    db.session.commit()
    return True


def run_inquiry_jobs() -> None:
    escalate_overdue()
    send_daily_digest()


PERIODIC = [
    PeriodicJob(
        "inquiry-jobs", "INQUIRY_JOBS_INTERVAL", run_inquiry_jobs, switch="INQUIRY_JOBS_THREAD"
    ),
]

"""Scheduled approval work: reminding manufacturers before an approval's validity ends, and
noting the day it ends.

A periodic job every APPROVAL_REMINDERS_INTERVAL seconds (lib/jobs.py: `flask worker` with
REDIS_URL, else a thread of each app process unless APPROVAL_REMINDERS_THREAD is off), or
`flask supplies remind-expiry` from cron. A reminder is claimed by inserting its ExpiryReminder
row (unique on approval, valid-until date and threshold) in the transaction that queues its
e-mails, so any number of processes running at once send each reminder only once.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.extensions import db
from catalogue.i18n.formats import format_day
from catalogue.lib import dates
from catalogue.lib.jobs import PeriodicJob
from catalogue.lib.urls import external_url
from catalogue.mail.services import queue_email
from catalogue.supplies.models import CURRENT_STATES, Approval, ExpiryReminder

# Days before valid_until that the manufacturer is reminded.
REMINDER_DAYS = (30, 7)


def due_reminder(days_left: int) -> int | None:
    """The reminder due with `days_left` days of validity left: the nearest threshold reached.
    A job that missed the 30-day one until 6 days are left sends only the 7-day one."""
    reached = [days for days in REMINDER_DAYS if 0 <= days_left <= days]
    return min(reached) if reached else None


def remind_expiring_approvals(today: date | None = None) -> int:
    """Send the reminders due today (or on `today`, for tests); returns how many were sent,
    each one e-mailed to every active user of the maker. Commits after each."""
    today = today or dates.today()
    approvals = db.session.scalars(
        sa.select(Approval)
        .where(
            Approval.status.in_(CURRENT_STATES),
            Approval.valid_until >= today,  # an expired approval gets no reminder
            Approval.valid_until <= today + timedelta(days=max(REMINDER_DAYS)),
        )
        .order_by(Approval.valid_until, Approval.id)
    ).all()
    sent = 0
    for approval in approvals:
        assert approval.valid_until is not None  # the query's condition
        days_left = (approval.valid_until - today).days
        days_before = due_reminder(days_left)
        users = _maker_users(approval)
        # Nobody to tell yet: left unclaimed, so a user who joins later still hears of it.
        if days_before is None or not users or not _claim(approval, days_before):
            db.session.rollback()
            continue
        for user in users:
            queue_email(
                user.email,
                # Lazy, the date too: written in the user's language and its date format.
                _l(
                    "Reminder: %(approval)s for %(product)s is valid until %(day)s",
                    approval=approval.short_label,
                    product=approval.product.name,
                    day=LazyString(format_day, approval.valid_until),
                ),
                "approval_expiry_reminder",
                user=user,
                approval=approval,
                days_left=days_left,
                link=external_url("portal.approval_edit", approval_id=approval.id),
            )
        db.session.commit()
        sent += 1
    return sent


def note_expired_approvals(today: date | None = None) -> int:
    """Touch the product of each approval whose validity has ended: nothing else changes on that
    day, yet buyers must now read "Expired", so the page cache and the stored PDFs (keyed by the
    catalogue version) and the search index must move on. Noted once per approval and
    valid-until date (an ExpiryReminder row with days_before 0); returns how many."""
    today = today or dates.today()
    approvals = db.session.scalars(
        sa.select(Approval)
        .where(Approval.status.in_(CURRENT_STATES), Approval.valid_until < today)
        .order_by(Approval.id)
    ).all()
    noted = 0
    for approval in approvals:
        if _claim(approval, 0):
            approval.product.updated_at = dates.utcnow()
            db.session.commit()
            noted += 1
        else:
            db.session.rollback()
    return noted


def run_approval_jobs(today: date | None = None) -> tuple[int, int]:
    """The periodic approval work: (reminders sent, expiries noted)."""
    return remind_expiring_approvals(today), note_expired_approvals(today)


def _maker_users(approval: Approval) -> list:
    from catalogue.accounts.models import User  # upward on purpose: every feature names its users

    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.manufacturer_id == approval.product.manufacturer_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _claim(approval: Approval, days_before: int) -> bool:
    """Insert the reminder's row unless another run has; True if this run did. On PostgreSQL a
    concurrent insert of the same key waits for the other transaction, then does nothing."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    result = db.session.execute(
        insert(ExpiryReminder.__table__)
        .values(
            approval_id=approval.id,
            valid_until=approval.valid_until,
            days_before=days_before,
            sent_at=dates.utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["approval_id", "valid_until", "days_before"])
        # RETURNING, not rowcount: on PostgreSQL SQLAlchemy adds a RETURNING of its own to an
        # INSERT and the rowcount then reads -1.
        .returning(ExpiryReminder.__table__.c.id)
    )
    return result.first() is not None


PERIODIC = [
    PeriodicJob(
        "approval-reminders",
        "APPROVAL_REMINDERS_INTERVAL",
        run_approval_jobs,
        switch="APPROVAL_REMINDERS_THREAD",
    ),
]

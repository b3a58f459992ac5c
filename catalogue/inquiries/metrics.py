"""Response-time figures for staff and the makers' public pages, from real inquiries only."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.inquiries.services import ANSWER_WITHIN_BUSINESS_DAYS
from catalogue.lib.dates import add_business_days, aware, utcnow
from catalogue.supplies.models import Manufacturer

MIN_INQUIRIES_FOR_REPLY_TIME = 5


@dataclass
class ResponseStats:
    inquiries: int
    answered: int
    median_hours: float | None
    # Inquiries that have had their full 2 business days, and how many were answered in them.
    due: int
    on_time: int

    @property
    def share_within_two_days(self) -> float | None:
        return self.on_time / self.due if self.due else None


def response_stats(inquiries, now: datetime | None = None) -> ResponseStats:
    """From inquiries, or rows of their created_at and first_response_at.

    The share answered in time counts only inquiries whose 2 business days are over: one filed
    an hour ago is neither a success nor a miss yet."""
    now = now or utcnow()
    answered = [i for i in inquiries if i.first_response_at is not None]
    hours = [
        (aware(i.first_response_at) - aware(i.created_at)).total_seconds() / 3600 for i in answered
    ]
    due = on_time = 0
    for i in inquiries:
        deadline = add_business_days(aware(i.created_at), ANSWER_WITHIN_BUSINESS_DAYS)
        if deadline > now:
            continue
        due += 1
        if i.first_response_at is not None and aware(i.first_response_at) <= deadline:
            on_time += 1
    return ResponseStats(
        inquiries=len(inquiries),
        answered=len(answered),
        median_hours=statistics.median(hours) if hours else None,
        due=due,
        on_time=on_time,
    )


def _response_times(*where):
    """created_at and first_response_at of inquiries: only the two columns the figures need."""
    return db.session.execute(
        sa.select(Inquiry.manufacturer_id, Inquiry.created_at, Inquiry.first_response_at).where(
            *where
        )
    ).all()


def stats_by_manufacturer() -> list[tuple[Manufacturer, ResponseStats]]:
    grouped: dict[int, list] = {}
    for row in _response_times():
        grouped.setdefault(row.manufacturer_id, []).append(row)
    makers = {
        m.id: m
        for m in db.session.scalars(sa.select(Manufacturer).where(Manufacturer.id.in_(grouped)))
    }
    now = utcnow()
    rows = [(makers[mid], response_stats(items, now)) for mid, items in grouped.items()]
    return sorted(rows, key=lambda row: row[0].name)


def typical_reply_time(maker: Manufacturer) -> str | None:
    """'typically replies within …' for the public page: the median of real first responses,
    once there are enough of them; None until then."""
    inquiries = _response_times(Inquiry.manufacturer_id == maker.id)
    stats = response_stats(inquiries)
    if stats.answered < MIN_INQUIRIES_FOR_REPLY_TIME or stats.median_hours is None:
        return None
    hours = stats.median_hours
    if hours < 1:
        return _("an hour")
    if hours < 24:
        return ngettext("%(num)d hour", "%(num)d hours", round(hours))
    days = round(hours / 24)
    return ngettext("%(num)d day", "%(num)d days", days)

"""Staff operations: the audit trail and the work waiting for staff."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.staff.models import ChangeRecord
from catalogue.supplies.models import Approval, Manufacturer, Product

STALE_AFTER = timedelta(days=180)


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def record_change(actor, entity, field: str, old, new) -> ChangeRecord | None:
    """Write one ChangeRecord (who, when, field, old, new); nothing when the value is the same."""
    old_text, new_text = _as_text(old), _as_text(new)
    if old_text == new_text:
        return None
    record = ChangeRecord(
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        field=field,
        old_value=old_text,
        new_value=new_text,
        actor_id=actor.id if actor is not None else None,
    )
    db.session.add(record)
    return record


def apply_changes(actor, entity, values: dict) -> list[ChangeRecord]:
    """Set attributes on an entity and record each one that really changed."""
    db.session.flush()  # a new entity needs its id before its history can point at it
    records = []
    for field, new in values.items():
        old = getattr(entity, field)
        record = record_change(actor, entity, field, old, new)
        if record is not None:
            setattr(entity, field, new)
            records.append(record)
    return records


def history_of(entity) -> list[ChangeRecord]:
    stmt = (
        sa.select(ChangeRecord)
        .where(
            ChangeRecord.entity_type == entity.__tablename__, ChangeRecord.entity_id == entity.id
        )
        .order_by(ChangeRecord.created_at.desc(), ChangeRecord.id.desc())
    )
    return list(db.session.scalars(stmt))


def waiting_work() -> dict:
    """Counts and lists for the dashboard: claims to verify, unverified makers, stale products."""
    claims = db.session.scalars(
        sa.select(Approval).where(Approval.status == "claimed").order_by(Approval.created_at)
    ).all()
    verified_makers = (
        sa.select(Product.manufacturer_id)
        .join(Approval, Approval.product_id == Product.id)
        .where(Approval.status == "verified")
    )
    unverified_makers = db.session.scalars(
        sa.select(Manufacturer)
        .where(Manufacturer.id.not_in(verified_makers))
        .order_by(Manufacturer.name)
    ).all()
    stale = db.session.scalars(
        sa.select(Product)
        .where(Product.status == "published", Product.updated_at < utcnow() - STALE_AFTER)
        .order_by(Product.updated_at)
    ).all()
    return {"claims": claims, "unverified_makers": unverified_makers, "stale_products": stale}

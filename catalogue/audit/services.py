"""Writing and reading the audit trail: the one API every feature records its changes through."""

from __future__ import annotations

import json

import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db


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

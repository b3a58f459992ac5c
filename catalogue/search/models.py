"""The search-change outbox: one row per indexed document touched by a committed change."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import Model
from catalogue.lib.dates import utcnow


class SearchChange(Model):
    """Written in the same transaction as the change; every machine's indexer applies it.

    Rows are kept (not consumed) because each app machine keeps its own index and applies
    them at its own pace; old rows are pruned after SEARCH_CHANGE_RETENTION_DAYS.
    """

    __tablename__ = "search_changes"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    doc_type: Mapped[str] = mapped_column(sa.String(30))
    doc_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )

    def __repr__(self) -> str:
        return f"<SearchChange {self.id} {self.doc_type}:{self.doc_id}>"

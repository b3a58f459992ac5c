"""Export jobs: brochures rendered outside the request, with their progress and result file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Imported (not named by string) so this module works on its own, e.g. in a queue worker.
from catalogue.accounts.models import User  # upward on purpose: every feature names its users
from catalogue.extensions import Model
from catalogue.lib.dates import utcnow

JOB_STATES = ("queued", "running", "done", "failed", "expired")
ACTIVE_STATES = ("queued", "running")


class ExportJob(Model):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="brochure")
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued", index=True)
    stage: Mapped[str | None] = mapped_column(sa.String(200))
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    file_size: Mapped[int | None]
    page_count: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    requested_by: Mapped[User | None] = relationship(User)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return round(100 * self.progress_done / self.progress_total)

    @property
    def download_name(self) -> str:
        return f"cac-brochure-{self.created_at:%Y-%m-%d}-{self.id}.pdf"

    def __repr__(self) -> str:
        return f"<ExportJob {self.id} {self.kind} {self.status}>"

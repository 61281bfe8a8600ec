from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base, JSONDoc


class WorkoutRow(Base):
    """One immutable revision of a workout template.

    Revisions of one template share `origin_id`; regenerated workouts share `lineage_id`
    with the workout they descend from (`parent_id`).
    """

    __tablename__ = "workouts"
    __table_args__ = (UniqueConstraint("origin_id", "revision"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    origin_id: Mapped[uuid.UUID]
    revision: Mapped[int]
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workouts.id"))
    lineage_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    sport: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(String(2000))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    segment_count: Mapped[int]
    total_duration_s: Mapped[int | None]
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(index=True)

"""Schedules and their fires.

A schedule is a due row (`due_at`, epoch seconds on the wall clock): the earlier of its next
fire (`next_fire_at`) and the moment its planning horizon must move on (`plan_at`). Each fire
instant it reaches becomes one `ScheduleFire` row, unique per (schedule, instant): planned
ahead (with the planned session it created), then fired, missed or skipped.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    athlete_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workouts.id"))
    cron: Mapped[str] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))  # STRENGTH | ENDURANCE
    title: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    paused: Mapped[bool]
    # Fire instants up to here have their `ScheduleFire` row (epoch seconds).
    planned_through: Mapped[float] = mapped_column(Double)
    next_fire_at: Mapped[float | None] = mapped_column(Double)
    plan_at: Mapped[float | None] = mapped_column(Double)
    due_at: Mapped[float | None] = mapped_column(Double, index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ScheduleFire(Base):
    __tablename__ = "schedule_fires"
    __table_args__ = (
        UniqueConstraint("schedule_id", "fire_at"),
        Index("ix_schedule_fires_schedule_id_status", "schedule_id", "status", "fire_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_at: Mapped[float] = mapped_column(Double)  # the instant, epoch seconds
    local: Mapped[str] = mapped_column(String(40))  # ISO wall time with offset, in the zone
    status: Mapped[str] = mapped_column(String(16))  # planned | fired | missed | skipped
    planned_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("planned_sessions.id", ondelete="SET NULL"), index=True
    )
    settled_at: Mapped[datetime | None]  # when it fired, or was recorded missed or skipped
    created_at: Mapped[datetime]

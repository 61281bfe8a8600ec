"""Weekly plans and their planned sessions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base


class WeeklyPlan(Base):
    """One athlete's week (`week_start` is a Monday); one plan per athlete and week."""

    __tablename__ = "weekly_plans"
    __table_args__ = (UniqueConstraint("athlete_id", "week_start"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    athlete_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week_start: Mapped[date]
    name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlannedSession(Base):
    """A STRENGTH or ENDURANCE session on a local date of the plan's week. `workout_id` is the
    template revision it runs; `session_id` the live session that ran it, once started."""

    __tablename__ = "planned_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("weekly_plans.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[date]
    type: Mapped[str] = mapped_column(String(16))  # STRENGTH | ENDURANCE
    workout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workouts.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

"""Strength progress (one document per athlete and workout template, reused by every attempt)
and the log of weighted sets that exercise history and personal records are read from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base, JSONDoc
from setpoint.sessions.tables import AutoId


class ProgressRow(Base):
    """The SessionProgress of seed 002: `template_id` is the workout's `origin_id`, so the
    revisions of one template share it; `session_id` is the attempt writing it now."""

    __tablename__ = "session_progress"
    __table_args__ = (UniqueConstraint("athlete_id", "template_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    athlete_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    template_id: Mapped[uuid.UUID]
    workout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workouts.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    revision: Mapped[int]
    updated_at: Mapped[datetime]


class ExerciseSet(Base):
    """A weighted set an athlete did, as their session's progress holds it now."""

    __tablename__ = "exercise_sets"
    __table_args__ = (Index("ix_exercise_sets_athlete_id_exercise", "athlete_id", "exercise"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    athlete_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    exercise: Mapped[str] = mapped_column(String(200))
    weight_kg: Mapped[float] = mapped_column(Double)
    reps: Mapped[int]
    at: Mapped[datetime]

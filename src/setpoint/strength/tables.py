"""Strength progress (one document per athlete and workout template, reused by every attempt),
the log of weighted sets exercise history pages through, and the personal records kept from
it as sets are written."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base, JSONDoc
from setpoint.sessions.tables import AutoId


class ProgressRow(Base):
    """The progress document: `template_id` is the workout's `origin_id`, so the
    revisions of one template share it; `session_id` is the attempt writing it now."""

    __tablename__ = "session_progress"
    __table_args__ = (UniqueConstraint("athlete_id", "template_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    athlete_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    template_id: Mapped[uuid.UUID]
    workout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workouts.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    revision: Mapped[int]
    updated_at: Mapped[datetime]


class ExerciseSet(Base):
    """A weighted set an athlete did, as their session's progress holds it now. The history
    index pages an exercise's sets newest first."""

    __tablename__ = "exercise_sets"
    __table_args__ = (Index("ix_exercise_sets_history", "athlete_id", "exercise", "at", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    athlete_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    exercise: Mapped[str] = mapped_column(String(200))
    weight_kg: Mapped[float] = mapped_column(Double)
    reps: Mapped[int]
    at: Mapped[datetime]


class ExerciseRecord(Base):
    """The rep max of one rep count of an athlete's exercise (`records.RepMax`): the set that
    holds it, and the best set of the sessions other than that set's (`other_*`, null when
    no other session did that rep count)."""

    __tablename__ = "exercise_records"

    athlete_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    exercise: Mapped[str] = mapped_column(String(200), primary_key=True)
    reps: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    set_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[uuid.UUID]
    weight_kg: Mapped[float] = mapped_column(Double)
    at: Mapped[datetime]
    other_set_id: Mapped[int | None] = mapped_column(BigInteger)
    other_session_id: Mapped[uuid.UUID | None]
    other_weight_kg: Mapped[float | None] = mapped_column(Double)
    other_at: Mapped[datetime | None]

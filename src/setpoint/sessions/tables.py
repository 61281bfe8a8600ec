"""Live sessions, their append-only event log, and command idempotency keys.

The session row holds the machine's anchors (`machine.Anchors`); times on the session
timeline (`anchor_at`, `started_at`, `ended_at`, `next_deadline`, `last_seen_at`) are Unix
epoch seconds as the machine computes them, so state is computed without conversion.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Double, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base, JSONDoc

AutoId = BigInteger().with_variant(Integer(), "sqlite")


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    athlete_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    workout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workouts.id"))
    workout_name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Set while the session is not finished: unique, so one active session per athlete.
    active_athlete_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    segment_index: Mapped[int]
    segment_start_elapsed_s: Mapped[float] = mapped_column(Double)
    elapsed_at_anchor_s: Mapped[float] = mapped_column(Double)
    anchor_at: Mapped[float | None] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    next_deadline: Mapped[float | None] = mapped_column(Double, index=True)
    last_seen_at: Mapped[float] = mapped_column(Double)
    revision: Mapped[int]
    event_seq: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Strength attempts: the progress summary as this attempt last wrote it.
    exercises_completed: Mapped[int | None]
    exercises_total: Mapped[int | None]


class SessionEvent(Base):
    __tablename__ = "session_events"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    at: Mapped[float] = mapped_column(Double)


class IdempotencyKey(Base):
    """The answer given to a command sent with an `Idempotency-Key`, replayed on retries."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request: Mapped[str] = mapped_column(String(300))
    status_code: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(index=True)


class SessionDraft(Base):
    """The player's unsynced UI state; deleted when the session ends, and only then."""

    __tablename__ = "session_drafts"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    revision: Mapped[int]
    updated_at: Mapped[datetime]

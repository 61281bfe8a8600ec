"""Device connections (provider accounts), OAuth flows in progress, and the export of each
ENDURANCE planned session to its athlete's device (a due row), with withdrawals of copies
whose planned session was deleted (due rows too, so a deletion reaches the device even
after a crash).

Due times (`next_attempt_at`, `lease_until`) are wall-clock epoch seconds, as every due row's
(see `setpoint.workers.loop`); other times are UTC datetimes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Double, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base


class DeviceConnection(Base):
    """An athlete's account at a provider; tokens are encrypted (Fernet)."""

    __tablename__ = "device_connections"
    __table_args__ = (UniqueConstraint("user_id", "provider"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(16))  # garmin | wahoo
    status: Mapped[str] = mapped_column(String(16))  # connected | revoked
    primary: Mapped[bool]
    access_token_encrypted: Mapped[str] = mapped_column(String(4000))
    refresh_token_encrypted: Mapped[str] = mapped_column(String(4000))
    expires_at: Mapped[datetime]
    connected_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OAuthState(Base):
    """An authorization in progress: single use, expiring, bound to the user who began it.
    Only the state's hash is kept; the PKCE verifier is encrypted."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(16))
    verifier_encrypted: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PlanExport(Base):
    """Where an ENDURANCE planned session stands on the athlete's device."""

    __tablename__ = "plan_exports"

    planned_session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("planned_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    athlete_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # NOT_CONNECTED | PENDING | SENT | FAILED
    provider: Mapped[str | None] = mapped_column(String(16))
    # The copy at the provider, as soon as each id is known (Garmin: workout and schedule;
    # Wahoo: plan and workout), and what it holds now.
    external_workout_id: Mapped[str | None] = mapped_column(String(100))
    external_schedule_id: Mapped[str | None] = mapped_column(String(100))
    remote_date: Mapped[date | None]
    remote_fingerprint: Mapped[str | None] = mapped_column(String(64))
    exported_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int]
    next_attempt_at: Mapped[float | None] = mapped_column(Double, index=True)
    lease_until: Mapped[float | None] = mapped_column(Double)
    # Bumped by every change that queues a push: a push that finishes after the planned
    # session changed again records its copy's ids, not its status.
    revision: Mapped[int]
    updated_at: Mapped[datetime]


class ExportWithdrawal(Base):
    """A copy to delete at a provider (its planned session was deleted, or moved to another
    provider)."""

    __tablename__ = "export_withdrawals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    athlete_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    planned_session_id: Mapped[uuid.UUID]  # no foreign key: the planned session may be gone
    external_workout_id: Mapped[str | None] = mapped_column(String(100))
    external_schedule_id: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[float | None] = mapped_column(Double, index=True)
    lease_until: Mapped[float | None] = mapped_column(Double)
    created_at: Mapped[datetime]

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base, JSONDoc


class AthleteProfile(Base):
    """The physiology an athlete's zones and device exports are computed from."""

    __tablename__ = "athlete_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    max_hr: Mapped[int | None]
    resting_hr: Mapped[int | None]
    lthr: Mapped[int | None]
    ftp_w: Mapped[int | None]
    zone_model: Mapped[str] = mapped_column(String(16))
    # IANA name: the athlete's local dates (plans, device exports, schedules) are in it
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    updated_at: Mapped[datetime]


class HeartRateSample(Base):
    """An accepted sample of a session, with the filtered value and the segment it fell in."""

    __tablename__ = "heart_rate_samples"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    t: Mapped[float] = mapped_column(Double, primary_key=True)
    bpm: Mapped[float] = mapped_column(Double)  # filtered
    raw_bpm: Mapped[int] = mapped_column(SmallInteger)  # as the sensor sent it
    segment_index: Mapped[int]
    rr: Mapped[list[Any] | None] = mapped_column(JSONDoc)

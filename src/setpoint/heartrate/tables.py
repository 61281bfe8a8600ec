from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.db.base import Base


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
    updated_at: Mapped[datetime]

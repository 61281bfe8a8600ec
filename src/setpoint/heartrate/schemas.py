from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from setpoint.heartrate.model import ZoneModel


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_hr: int | None = None
    resting_hr: int | None = None
    lthr: int | None = None
    ftp_w: int | None = None
    zone_model: ZoneModel = ZoneModel.HRMAX


class ProfileOut(ProfileIn):
    model_config = ConfigDict(extra="ignore")

    user_id: UUID
    updated_at: datetime | None

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from setpoint.exports.model import ConnectionStatus


class ExportOut(BaseModel):
    """Where an ENDURANCE planned session stands on the athlete's device."""

    status: Literal["NOT_CONNECTED", "PENDING", "SENT", "FAILED"]
    provider: str | None
    exported_at: datetime | None
    external_workout_id: str | None
    last_error: str | None
    attempts: int
    next_attempt_at: datetime | None


class DeviceOut(BaseModel):
    provider: str
    status: ConnectionStatus
    primary: bool
    connected_at: datetime


class DevicesOut(BaseModel):
    items: list[DeviceOut]
    providers: list[str]  # the providers this server can connect to


class AuthorizeOut(BaseModel):
    authorize_url: str


class ConnectedOut(BaseModel):
    provider: str
    connected: bool


class DeviceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: Literal[True]

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from setpoint.plans.model import SessionType
from setpoint.plans.schemas import PlanDate
from setpoint.schedules.model import FireStatus

Cron = Annotated[str, Field(min_length=1, max_length=100, examples=["30 6 * * TUE,THU"])]
TimeZone = Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Paris"])]
Title = Annotated[str | None, Field(max_length=200)]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    athlete_id: UUID | None = None  # a coach's athlete; the caller when left out
    workout_id: UUID
    cron: Cron  # five fields: minute hour day-of-month month day-of-week
    time_zone: TimeZone | None = None  # IANA name; the athlete's profile's when left out
    type: SessionType
    starts_on: PlanDate | None = None  # first local date a fire may fall on
    ends_on: PlanDate | None = None  # last local date a fire may fall on
    title: Title = None
    paused: bool = False


class SchedulePatch(BaseModel):
    """The fields to change; `paused` pauses or resumes."""

    model_config = ConfigDict(extra="forbid")

    workout_id: UUID | None = None
    cron: Cron | None = None
    time_zone: TimeZone | None = None
    type: SessionType | None = None
    starts_on: PlanDate | None = None  # null clears it
    ends_on: PlanDate | None = None  # null clears it
    title: Title = None  # null clears it
    paused: bool | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        cleared = [
            name
            for name in ("workout_id", "cron", "time_zone", "type", "paused")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if cleared:
            raise ValueError(f"{', '.join(cleared)}: may be changed, not cleared")
        return self


class FireTime(BaseModel):
    at: dt.datetime  # the instant, UTC
    local: dt.datetime  # the wall time there, with the zone's offset


class ScheduleOut(BaseModel):
    id: UUID
    athlete_id: UUID
    created_by: UUID
    workout_id: UUID
    workout_name: str | None
    cron: str
    time_zone: str
    type: SessionType
    title: str | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    paused: bool
    editable: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    next_fires: list[FireTime]  # none while paused


class SchedulePage(BaseModel):
    items: list[ScheduleOut]
    total: int
    limit: int
    offset: int


class PreviewOut(BaseModel):
    cron: str
    time_zone: str
    fires: list[FireTime]


class FireOut(BaseModel):
    id: UUID
    at: dt.datetime
    local: dt.datetime
    status: FireStatus
    planned_session_id: UUID | None  # null once that planned session was deleted
    settled_at: dt.datetime | None  # when it fired, or was recorded missed or skipped


class FirePage(BaseModel):
    items: list[FireOut]
    total: int
    limit: int
    offset: int

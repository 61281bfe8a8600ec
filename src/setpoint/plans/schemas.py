from __future__ import annotations

import datetime as dt
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from setpoint.plans.model import Colour, SessionType
from setpoint.sessions.machine import Status

# The calendar a plan may use: wide enough for anyone's training, and far from the ends of
# `date`, where a week's Sunday or a session's neighbours would not exist.
PlanDate = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2199, 12, 31))]
Title = Annotated[str | None, Field(max_length=200)]
Notes = Annotated[str | None, Field(max_length=5000)]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    athlete_id: UUID | None = None  # a coach's athlete; the caller when left out
    week_start: PlanDate  # a Monday
    name: Title = None


class PlannedSessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: PlanDate
    type: SessionType
    workout_id: UUID
    title: Title = None
    notes: Notes = None


class PlannedSessionPatch(BaseModel):
    """The fields to change; a date in another week moves the session to that week's plan."""

    model_config = ConfigDict(extra="forbid")

    date: PlanDate | None = None
    type: SessionType | None = None
    workout_id: UUID | None = None
    title: Title = None  # null clears it
    notes: Notes = None  # null clears them

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        cleared = [
            name
            for name in ("date", "type", "workout_id")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if cleared:
            raise ValueError(f"{', '.join(cleared)}: may be changed, not cleared")
        return self


class ExportOut(BaseModel):
    """Where an ENDURANCE session stands on the athlete's device."""

    status: str  # NOT_CONNECTED | PENDING | SENT | FAILED
    provider: str | None
    exported_at: dt.datetime | None
    external_workout_id: str | None
    last_error: str | None
    attempts: int
    next_attempt_at: dt.datetime | None


class ComplianceOut(BaseModel):
    """`colour` compares the duration done with the duration planned (null when the workout
    has open steps); `time_in_target_s` is null without heart-rate data in a target."""

    colour: Colour | None
    time_in_target_s: float | None


class ExecutionOut(BaseModel):
    """The live session that ran the planned session (all null but `planned_duration_s` until
    one is started); `compliance` once it has ended."""

    session_id: UUID | None
    status: Status | None
    duration_s: float | None  # moving time done
    planned_duration_s: int | None
    compliance: ComplianceOut | None


class PlannedSessionOut(BaseModel):
    id: UUID
    plan_id: UUID
    athlete_id: UUID
    date: dt.date
    type: SessionType
    workout_id: UUID
    workout_name: str
    title: str | None
    notes: str | None
    session_id: UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    export: ExportOut | None  # null for STRENGTH sessions
    execution: ExecutionOut


class PlanSummaryOut(BaseModel):
    id: UUID
    athlete_id: UUID
    week_start: dt.date
    week_end: dt.date
    name: str | None
    created_by: UUID
    editable: bool  # whether the caller may change it
    session_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PlanOut(PlanSummaryOut):
    sessions: list[PlannedSessionOut]  # in date order


class PlanPage(BaseModel):
    items: list[PlanSummaryOut]
    total: int
    limit: int
    offset: int

from __future__ import annotations

import uuid
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from setpoint.sessions.machine import Status


class SessionCreate(BaseModel):
    """A session of a workout (`workout_id`, for the caller or a coach's `athlete_id`), or of a
    planned session (`planned_session_id`: its workout, for its athlete): exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    workout_id: uuid.UUID | None = None
    planned_session_id: uuid.UUID | None = None
    athlete_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.workout_id is None) == (self.planned_session_id is None):
            # Raised as the field's own error, so the 422 names `body.workout_id`.
            problem = PydanticCustomError(
                "one_source", "give exactly one of workout_id and planned_session_id"
            )
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [InitErrorDetails(type=problem, loc=("workout_id",), input=self.workout_id)],
            )
        return self


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=0)
    draft: dict[str, Any]


class BandOut(BaseModel):
    low: int
    high: int


class HeartRateOut(BaseModel):
    """The filtered heart rate (null while unknown: no sample yet or a dropout), its zone, and
    the current segment's target band; `t` is when the last accepted sample was taken."""

    bpm: float | None
    zone: int | None
    target: BandOut | None
    in_target: bool | None
    t: float | None


class SessionStateOut(BaseModel):
    """The authoritative state; clients render from `server_time` and re-sync."""

    id: uuid.UUID
    workout_id: uuid.UUID
    workout_name: str
    athlete_id: uuid.UUID
    status: Status
    elapsed_s: float
    segment_index: int
    segment_count: int
    segment_elapsed_s: float
    segment_remaining_s: float | None
    rest_remaining_s: float | None
    segment: dict[str, Any]
    next_segment: dict[str, Any] | None
    total_duration_s: int | None
    started_at: str | None
    ended_at: str | None
    server_time: float
    revision: int
    heart_rate: HeartRateOut | None
    replayed: bool = False


class SessionPage(BaseModel):
    items: list[SessionStateOut]
    total: int
    limit: int
    offset: int


class SessionEventOut(BaseModel):
    seq: int
    type: str
    at: float
    payload: dict[str, Any]

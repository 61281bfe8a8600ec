from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from setpoint.sessions.machine import Status

Command = Literal["start", "pause", "resume", "skip", "back", "finish", "abandon"]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workout_id: uuid.UUID
    athlete_id: uuid.UUID | None = None


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

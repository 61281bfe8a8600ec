from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from setpoint.strength.model import MAX_REPS, MAX_WEIGHT_KG


class ProgressIn(BaseModel):
    """The whole document as GET gave it (computed parts such as `summary` and `records` are
    ignored), with the `revision` it was based on."""

    model_config = ConfigDict(extra="ignore")

    revision: int = Field(ge=0)
    exercises: list[dict[str, Any]] = Field(max_length=200)


class ExerciseUpdateIn(BaseModel):
    """Any of `status`, `notes` and `data` of one exercise, with the `revision` it was based on."""

    model_config = ConfigDict(extra="allow")

    revision: int = Field(ge=0)


class SetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=0)
    reps: int = Field(ge=0, le=MAX_REPS)
    weight_kg: float | None = Field(default=None, ge=0, le=MAX_WEIGHT_KG, allow_inf_nan=False)
    rpe: float | None = Field(default=None, ge=1, le=10, allow_inf_nan=False)
    revision: int | None = Field(default=None, ge=0)

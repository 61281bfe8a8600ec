from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, cast
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from setpoint.heartrate.filter import Sample
from setpoint.heartrate.live import MAX_BATCH
from setpoint.heartrate.model import ZoneModel
from setpoint.sessions.schemas import HeartRateOut

TimeZoneName = Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Paris"])]


class ProfileIn(BaseModel):
    """The whole profile (`PUT`): each of `max_hr`, `resting_hr`, `lthr` and `ftp_w` is
    required (null when unknown); `zone_model` and `time_zone` keep their value when left out."""

    model_config = ConfigDict(extra="forbid")

    max_hr: int | None
    resting_hr: int | None
    lthr: int | None
    ftp_w: int | None
    zone_model: ZoneModel = ZoneModel.HRMAX
    time_zone: TimeZoneName = "UTC"  # an IANA name


class ProfilePatch(BaseModel):
    """Some fields of the profile (`PATCH`): those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    max_hr: int | None = None
    resting_hr: int | None = None
    lthr: int | None = None
    ftp_w: int | None = None
    zone_model: ZoneModel = ZoneModel.HRMAX
    time_zone: TimeZoneName = "UTC"


class ProfileOut(BaseModel):
    user_id: UUID
    max_hr: int | None = None
    resting_hr: int | None = None
    lthr: int | None = None
    ftp_w: int | None = None
    zone_model: ZoneModel = ZoneModel.HRMAX
    time_zone: str = "UTC"
    updated_at: datetime | None


class SampleIn(BaseModel):
    """One reading: `t` in Unix epoch seconds, `bpm` as the sensor sent it (the filter rejects
    impossible values), optional RR intervals in seconds."""

    model_config = ConfigDict(extra="forbid")

    t: float = Field(allow_inf_nan=False)
    bpm: int = Field(ge=0, le=1000)
    rr: list[float] = Field(default_factory=list, max_length=16)


class SamplesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: list[SampleIn] = Field(min_length=1, max_length=MAX_BATCH)
    durable: bool = Field(
        default=False,
        description="Write the accepted samples before answering (`stored` counts them), "
        "instead of with the next batch write.",
    )

    def readings(self) -> list[Sample]:
        return [Sample(s.t, s.bpm, tuple(s.rr)) for s in self.samples]


EXACT = 2.0**53  # numbers below this in size convert to float exactly, as the model does


def _plain_number(x: object) -> bool:
    return (type(x) is float and math.isfinite(x)) or (type(x) is int and -EXACT < x < EXACT)


def readings_of(samples: object) -> list[Sample]:
    """`SamplesIn(samples=samples).readings()`, on the live socket's hot path: samples in the
    plain form (`{"t": number, "bpm": 0–1000, "rr"?: [numbers]}`, nothing else) are read
    directly, as the model would read them; anything else goes through the model, which
    accepts it the same way or says what is wrong. Building the model for every one-sample
    message cost more than the rest of the ingest (bench/README.md)."""
    if type(samples) is list and 0 < len(samples) <= MAX_BATCH:
        readings = []
        for s in samples:
            if type(s) is not dict:
                break
            t, bpm, rr = s.get("t"), s.get("bpm"), s.get("rr", [])
            plain = (
                len(s) == 2 + ("rr" in s)
                and type(bpm) is int
                and 0 <= bpm <= 1000
                and _plain_number(t)
                and type(rr) is list
                and len(rr) <= 16
                and all(_plain_number(x) for x in rr)
            )
            if not plain:
                break
            readings.append(Sample(float(cast(float, t)), cast(int, bpm), tuple(map(float, rr))))
        else:
            return readings
    return SamplesIn.model_validate({"samples": samples}).readings()


class SamplesOut(BaseModel):
    accepted: int = Field(description="Samples the filter took.")
    stored: int = Field(
        description="Of those, samples written to the database before this answer (all of "
        "them with `durable`); the others are written within the batch period, and a crash "
        "before then loses them."
    )
    rejected: dict[str, int]
    heart_rate: HeartRateOut | None

"""Device and app formats for workouts: pure writers, one module per format.

`export_workout(workout, fmt, ctx)` validates the workout and returns the file (bytes,
media type, file name) or raises `CannotExport` (HTTP 422) naming what the format cannot
express. The provider clients reuse `garmin.workout_json` and `wahoo.plan_json`, and
`json_schema("garmin" | "wahoo")` gives the JSON Schema those dicts follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

from setpoint.errors import CannotExport
from setpoint.exports.formats import erg, fit, garmin, wahoo, zwo
from setpoint.exports.formats._common import require_valid, slug
from setpoint.exports.formats.context import ExportContext
from setpoint.workouts.model import Workout

__all__ = ["FORMATS", "ExportContext", "ExportFile", "Format", "export_workout", "json_schema"]

Format = Literal["fit", "zwo", "erg", "mrc", "garmin", "wahoo"]
FORMATS: tuple[Format, ...] = get_args(Format)
JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def export_workout(workout: Workout, fmt: str, ctx: ExportContext) -> ExportFile:
    """The workout written in `fmt` (one of FORMATS); raises CannotExport otherwise."""
    if fmt not in FORMATS:
        raise CannotExport(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    require_valid(workout)
    stem = slug(workout.name)
    if fmt == "fit":
        return ExportFile(fit.fit_bytes(workout, ctx), fit.MEDIA_TYPE, f"{stem}.fit")
    if fmt == "zwo":
        return ExportFile(zwo.zwo_bytes(workout, ctx), zwo.MEDIA_TYPE, f"{stem}.zwo")
    if fmt in ("erg", "mrc"):
        name = f"{stem}.{fmt}"
        write = erg.erg_text if fmt == "erg" else erg.mrc_text
        return ExportFile(write(workout, ctx, name).encode("utf-8"), erg.MEDIA_TYPE, name)
    body = garmin.workout_json(workout, ctx) if fmt == "garmin" else wahoo.plan_json(workout, ctx)
    return ExportFile(_json_bytes(body), JSON_MEDIA_TYPE, f"{stem}.json")


def _json_bytes(body: dict[str, Any]) -> bytes:
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def json_schema(fmt: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `garmin` workouts or `wahoo` plans."""
    names = {"garmin": "garmin-workout.schema.json", "wahoo": "wahoo-plan.schema.json"}
    text = (
        resources.files("setpoint.exports.formats")
        .joinpath("schemas", names[fmt])
        .read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema

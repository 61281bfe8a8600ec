"""The stored shape of a normalized plan (a workout's `segments`, a session's `plan`), apart
from the API's schemas: the API may change without a data migration, and a change to this
shape bumps `PLAN_VERSION` and reads the older versions too.

Version 1 (documents without `version` are version 1):
`{"version": 1, "segments": [segment, ...], "total_duration_s": int | null}`, a segment being
`{index, name, intensity, duration_type, duration_s, offset_s, targets: [{type, zone?, low?,
high?, value?}], distance_m?, reps?, exercise?: {position, name, type, kind, reps?, ...}}`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from setpoint.workouts import model as m
from setpoint.workouts.normalize import Plan, Segment, SegmentExercise

PLAN_VERSION = 1


def plan_doc(plan: Plan) -> dict[str, Any]:
    return {
        "version": PLAN_VERSION,
        "segments": [segment_doc(s) for s in plan.segments],
        "total_duration_s": plan.total_duration_s,
    }


def plan_from_doc(doc: dict[str, Any]) -> Plan:
    version = doc.get("version", 1)
    if version != PLAN_VERSION:
        raise ValueError(f"stored plan version {version} is newer than this server reads")
    return Plan(tuple(segment_from_doc(s) for s in doc["segments"]), doc["total_duration_s"])


def segment_doc(segment: Segment) -> dict[str, Any]:
    """Every key present (null when absent): the live state hands these documents to
    clients as they are (`segment`, `next_segment`), without decoding them per request."""
    ex = segment.exercise
    return {
        "index": segment.index,
        "name": segment.name,
        "intensity": segment.intensity.value,
        "duration_type": segment.duration_type.value,
        "duration_s": segment.duration_s,
        "offset_s": segment.offset_s,
        "distance_m": segment.distance_m,
        "reps": segment.reps,
        "targets": [_without_none(asdict(t)) | {"type": t.type.value} for t in segment.targets],
        "exercise": None if ex is None else asdict(ex) | {"type": ex.type.value},
    }


def segment_from_doc(doc: dict[str, Any]) -> Segment:
    ex = doc.get("exercise")
    return Segment(
        index=doc["index"],
        name=doc["name"],
        intensity=m.Intensity(doc["intensity"]),
        duration_type=m.DurationType(doc["duration_type"]),
        duration_s=doc["duration_s"],
        offset_s=doc["offset_s"],
        targets=tuple(
            m.Target(
                m.TargetType(t["type"]), t.get("low"), t.get("high"), t.get("zone"), t.get("value")
            )
            for t in doc["targets"]
        ),
        distance_m=doc.get("distance_m"),
        reps=doc.get("reps"),
        exercise=None
        if ex is None
        else SegmentExercise(**{**ex, "type": m.ExerciseType(ex["type"])}),
    )


def _without_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if value is not None}

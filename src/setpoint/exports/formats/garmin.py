"""Garmin Training API (v2) workout JSON, as a dict the Garmin provider client can post.

Written from the device tree (`_common.device_blocks`), so repeats stay
`WorkoutRepeatStep`s (`repeatType` REPEAT_UNTIL_STEPS_CMPLT, `repeatValue` = total passes,
nested `steps`) and strength exercises become REPS/TIME steps with `exerciseCategory`
and `weightValue`. `stepOrder` numbers every step and repeat once, depth first, from 1.

The Training API spec is not public; the fields are the ones public clients send
(formats-notes.md), checked by `schemas/garmin-workout.schema.json`. Units: TIME in s,
DISTANCE in m (`durationValueType` METER), REPS a count; HEART_RATE zone in `targetValue`
or bpm in `targetValueLow/High`; POWER in W, or % FTP with `targetValueType` PERCENT;
SPEED and PACE in m/s (a pace range is the speed range between its paces); CADENCE rpm.

Targets: the first two targets the API holds become the target and the secondary target;
incline, RPE and any further target go into the step `description` in words, after the
step name and notes. Sports: run/treadmill → RUNNING, bike → CYCLING, strength →
STRENGTH_TRAINING, row and other → GENERIC (no rowing sport in the public clients).
"""

from __future__ import annotations

from typing import Any

from setpoint.exports.formats import _common as c
from setpoint.exports.formats.context import ExportContext
from setpoint.workouts.model import DurationType, Intensity, Sport, Target, TargetType, Workout
from setpoint.workouts.normalize import normalize

PROVIDER = "Setpoint"

SPORTS: dict[Sport, str] = {
    Sport.RUN: "RUNNING",
    Sport.TREADMILL: "RUNNING",
    Sport.BIKE: "CYCLING",
    Sport.ROW: "GENERIC",
    Sport.STRENGTH: "STRENGTH_TRAINING",
    Sport.OTHER: "GENERIC",
}
INTENSITIES: dict[Intensity, str] = {
    Intensity.WARMUP: "WARMUP",
    Intensity.ACTIVE: "ACTIVE",
    Intensity.INTERVAL: "INTERVAL",
    Intensity.RECOVERY: "RECOVERY",
    Intensity.REST: "REST",
    Intensity.COOLDOWN: "COOLDOWN",
}
DURATIONS: dict[DurationType, str] = {
    DurationType.TIME: "TIME",
    DurationType.DISTANCE: "DISTANCE",
    DurationType.OPEN: "OPEN",
    DurationType.REPS: "REPS",
}
TARGETS: dict[TargetType, str] = {
    TargetType.HR_ZONE: "HEART_RATE",
    TargetType.HR_RANGE: "HEART_RATE",
    TargetType.POWER: "POWER",
    TargetType.POWER_PCT_FTP: "POWER",
    TargetType.SPEED: "SPEED",
    TargetType.PACE: "PACE",
    TargetType.CADENCE: "CADENCE",
}
WRITABLE = frozenset(TARGETS)


def workout_json(workout: Workout, ctx: ExportContext) -> dict[str, Any]:
    """The Training API workout; raises CannotExport when the workout is not valid."""
    c.require_valid(workout)
    sport = SPORTS[workout.sport]
    counter = [0]
    body: dict[str, Any] = {"workoutName": workout.name}
    if workout.description:
        body["description"] = workout.description
    body["sport"] = sport
    total = normalize(workout).total_duration_s
    if total is not None:
        body["estimatedDurationInSecs"] = total
    body["workoutProvider"] = PROVIDER
    if ctx.source_id is not None:
        body["workoutSourceId"] = ctx.source_id
    body["segments"] = [
        {
            "segmentOrder": 1,
            "sport": sport,
            "steps": _steps(c.device_blocks(workout.steps), counter),
        }
    ]
    return body


def _steps(blocks: tuple[c.DeviceBlock, ...], counter: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        counter[0] += 1
        if isinstance(block, c.DeviceRepeat):
            order = counter[0]
            out.append(
                {
                    "type": "WorkoutRepeatStep",
                    "stepOrder": order,
                    "repeatType": "REPEAT_UNTIL_STEPS_CMPLT",
                    "repeatValue": block.count,
                    "steps": _steps(block.steps, counter),
                }
            )
        else:
            out.append(_step(block, counter[0]))
    return out


def _step(step: c.DeviceStep, order: int) -> dict[str, Any]:
    primary, secondary, rest = c.split_targets(step.targets, WRITABLE)
    extras = ", ".join(c.describe(t) for t in rest)
    description = c.join_notes(step.name, step.notes, f"also {extras}" if extras else None)
    out: dict[str, Any] = {"type": "WorkoutStep", "stepOrder": order}
    out["intensity"] = INTENSITIES[step.intensity]
    if description:
        out["description"] = description
    out.update(_duration(step))
    out.update(_target(primary, "target", "targetType"))
    if secondary is not None:
        out.update(_target(secondary, "secondaryTarget", "secondaryTargetType"))
    if step.exercise is not None:
        category = c.exercise_category(step.exercise)
        if category is not None:
            out["exerciseCategory"] = category.upper()
        if step.weight_kg is not None:
            out["weightValue"] = c.plain(step.weight_kg)
            out["weightDisplayUnit"] = "KILOGRAM"
    return out


def _duration(step: c.DeviceStep) -> dict[str, Any]:
    d = step.duration
    out: dict[str, Any] = {"durationType": DURATIONS[d.type]}
    if d.type is DurationType.TIME:
        out["durationValue"] = d.seconds
    elif d.type is DurationType.DISTANCE:
        out["durationValue"] = c.plain(d.meters or 0)
        out["durationValueType"] = "METER"
    elif d.type is DurationType.REPS:
        out["durationValue"] = d.reps
    return out


def _target(target: Target | None, prefix: str, type_key: str) -> dict[str, Any]:
    """`prefix` is `target` or `secondaryTarget`: `targetValueLow`, `secondaryTargetValueLow`."""
    if target is None:
        return {type_key: "OPEN"}
    out: dict[str, Any] = {type_key: TARGETS[target.type]}
    if target.type is TargetType.HR_ZONE:
        out[f"{prefix}Value"] = target.zone
        return out
    if target.type is TargetType.PACE:
        low, high = c.speed_range_for_pace(target)
        out[f"{prefix}ValueLow"], out[f"{prefix}ValueHigh"] = round(low, 3), round(high, 3)
        return out
    out[f"{prefix}ValueLow"] = c.plain(target.low or 0)
    out[f"{prefix}ValueHigh"] = c.plain(target.high or 0)
    if target.type is TargetType.POWER_PCT_FTP:
        out[f"{prefix}ValueType"] = "PERCENT"
    return out

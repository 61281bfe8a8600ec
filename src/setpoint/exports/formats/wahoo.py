"""Wahoo Cloud API plan JSON (`plan[file]` of `POST /v1/plans`), as a dict.

`header` {name, version 1.0.0, workout_type_family 0 bike / 1 run, workout_type_location
0 indoor / 1 outdoor, and the athlete's `ftp`, `threshold_hr`, `max_hr` when known} and
`intervals`. A repeat is an interval with `exit_trigger_type` repeat whose value counts the
passes *after the first* (5x is 4) and whose `intervals` are the repeated steps.

| Setpoint       | Wahoo                                                             |
| -------------- | ----------------------------------------------------------------- |
| time, distance | exit trigger `time` (s), `distance` (m)                           |
| open, reps     | cannot: a plan step must end on time or distance                  |
| hr_range       | `hr` bpm                                                          |
| hr_zone        | `hr` bpm from `hr_zones_bpm`, else `max_hr` fractions of the      |
|                | %HRmax zones (50-60-70-80-90-100 %), else cannot (needs max_hr)   |
| power          | `watts`                                                           |
| power_pct_ftp  | `ftp` fraction (0.9 = 90 %), needs the athlete's FTP in the header |
| speed, pace    | `speed` m/s (a pace range → the speed range between its paces)    |
| cadence, rpe   | `rpm`, `rpe` (low = high = value)                                 |
| incline        | a `grade` control (0.02 = 2 %); Wahoo keeps a grade until it is   |
|                | set again, so every interval of a workout with inclines sets one |

Sports: run → run outdoor, treadmill → run indoor, bike → bike outdoor (a Setpoint
workout does not say indoor; location is metadata for the ELEMNT). Row, strength and
other cannot be written (Wahoo plans are bike or run). Step notes have no field and are
left out; names are the step name or the intensity's default name.
"""

from __future__ import annotations

from typing import Any

from setpoint.errors import CannotExport
from setpoint.exports.formats import _common as c
from setpoint.exports.formats.context import ExportContext
from setpoint.workouts.model import (
    Block,
    DurationType,
    Intensity,
    Repeat,
    Sport,
    Step,
    Target,
    TargetType,
    Workout,
)
from setpoint.workouts.normalize import DEFAULT_NAMES

VERSION = "1.0.0"
FAMILY_LOCATION: dict[Sport, tuple[int, int]] = {
    Sport.RUN: (1, 1),
    Sport.TREADMILL: (1, 0),
    Sport.BIKE: (0, 1),
}
INTENSITIES: dict[Intensity, str] = {
    Intensity.WARMUP: "wu",
    Intensity.ACTIVE: "active",
    Intensity.INTERVAL: "active",
    Intensity.RECOVERY: "recover",
    Intensity.REST: "rest",
    Intensity.COOLDOWN: "cd",
}
ABSOLUTE: dict[TargetType, str] = {
    TargetType.HR_RANGE: "hr",
    TargetType.POWER: "watts",
    TargetType.SPEED: "speed",
    TargetType.CADENCE: "rpm",
}
# The default %HRmax zone model, zone 1 first, as fractions of max HR.
MAX_HR_ZONES: tuple[tuple[float, float], ...] = (
    (0.5, 0.6),
    (0.6, 0.7),
    (0.7, 0.8),
    (0.8, 0.9),
    (0.9, 1.0),
)


def plan_json(workout: Workout, ctx: ExportContext) -> dict[str, Any]:
    """The Wahoo plan; raises CannotExport for what a plan cannot hold."""
    c.require_valid(workout)
    if workout.sport not in FAMILY_LOCATION:
        raise CannotExport(
            f"Wahoo plans are bike or run workouts; {workout.sport} workouts cannot be exported"
        )
    family, location = FAMILY_LOCATION[workout.sport]
    header: dict[str, Any] = {"name": workout.name, "version": VERSION}
    if workout.description:
        header["description"] = workout.description
    header["workout_type_family"] = family
    header["workout_type_location"] = location
    profile = (("ftp", ctx.ftp_w), ("threshold_hr", ctx.threshold_hr), ("max_hr", ctx.max_hr))
    header.update((key, value) for key, value in profile if value is not None)
    graded = any(
        t.type is TargetType.INCLINE for _, s in c.walk_steps(workout.steps) for t in s.targets
    )
    return {"header": header, "intervals": _intervals(workout.steps, "steps", ctx, graded)}


def _intervals(
    blocks: tuple[Block, ...], path: str, ctx: ExportContext, graded: bool
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, block in enumerate(blocks):
        here = f"{path}[{i}]"
        if isinstance(block, Repeat):
            out.append(
                {
                    "name": f"{block.count}x",
                    "exit_trigger_type": "repeat",
                    "exit_trigger_value": block.count - 1,
                    "intervals": _intervals(block.steps, f"{here}.steps", ctx, graded),
                }
            )
        else:
            out.append(_interval(block, here, ctx, graded))
    return out


def _interval(step: Step, path: str, ctx: ExportContext, graded: bool) -> dict[str, Any]:
    duration = step.duration
    if duration is None or duration.type not in (DurationType.TIME, DurationType.DISTANCE):
        raise CannotExport(
            f"{path}: Wahoo plan steps end on time or distance; "
            f"{c.duration_words(duration)} cannot be written"
        )
    trigger = duration.seconds if duration.type is DurationType.TIME else duration.meters
    out: dict[str, Any] = {
        "name": step.name or DEFAULT_NAMES[step.intensity],
        "exit_trigger_type": str(duration.type),
        "exit_trigger_value": c.plain(trigger or 0),
        "intensity_type": INTENSITIES[step.intensity],
        "targets": [
            _target(t, f"{path}.targets[{j}]", ctx)
            for j, t in enumerate(step.targets)
            if t.type is not TargetType.INCLINE
        ],
    }
    if graded:
        grade = next((t.value for t in step.targets if t.type is TargetType.INCLINE), 0.0)
        out["controls"] = [{"type": "grade", "value": c.plain(round((grade or 0.0) / 100, 4))}]
    return out


def _target(target: Target, path: str, ctx: ExportContext) -> dict[str, Any]:
    kind = target.type
    if kind is TargetType.HR_ZONE:
        return _zone(target.zone or 1, path, ctx)
    if kind is TargetType.RPE:
        value = c.plain(target.value or 0)
        return {"type": "rpe", "low": value, "high": value}
    if kind is TargetType.PACE:
        low, high = c.speed_range_for_pace(target)
        return {"type": "speed", "low": round(low, 3), "high": round(high, 3)}
    low_value, high_value = target.low or 0.0, target.high or 0.0
    if kind is TargetType.POWER_PCT_FTP:
        if ctx.ftp_w is None:
            raise CannotExport(
                f"{path}: a % FTP target needs the athlete's FTP (profile ftp_w) in the Wahoo "
                "plan header, and the profile has none"
            )
        return {"type": "ftp", "low": round(low_value / 100, 4), "high": round(high_value / 100, 4)}
    return {"type": ABSOLUTE[kind], "low": c.plain(low_value), "high": c.plain(high_value)}


def _zone(zone: int, path: str, ctx: ExportContext) -> dict[str, Any]:
    if ctx.hr_zones_bpm is not None and zone <= len(ctx.hr_zones_bpm):
        low, high = ctx.hr_zones_bpm[zone - 1]
        return {"type": "hr", "low": low, "high": high}
    if ctx.max_hr is None:
        raise CannotExport(
            f"{path}: a heart-rate zone target needs the athlete's max HR (profile max_hr) "
            "or their zones, and the profile has neither"
        )
    low_f, high_f = MAX_HR_ZONES[zone - 1]
    return {"type": "max_hr", "low": low_f, "high": high_f}

"""FIT workout files, written with Garmin's official `garmin_fit_sdk.Encoder`.

One `file_id` (workout, manufacturer `development`, `time_created` from the context), one
`workout` and the `workout_step` messages, from the device tree (`_common.device_blocks`):
repeats stay repeats. Main fields carry raw values (the Encoder drops sub-field names):

| Setpoint                | FIT `workout_step`                                              |
| ----------------------- | --------------------------------------------------------------- |
| time / distance         | `time` ms / `distance` cm                                       |
| open / reps             | `open` (lap button) / `reps` count                              |
| repeat N x [...]        | `repeat_until_steps_cmplt`, value = index of the first step     |
|                         | of the block, `target_value` = N (total passes)                 |
| hr_zone                 | `heart_rate`, `target_value` = zone                             |
| hr_range                | `heart_rate`, custom low/high = bpm + 100                       |
| power / power_pct_ftp   | `power`, custom = W + 1000 / % FTP (0-1000)                     |
| speed / pace            | `speed`, custom = m/s x 1000 (pace → 1000 / s per km)           |
| cadence                 | `cadence`, custom = rpm                                         |

Values are rounded to the unit FIT stores (1 bpm, 1 W, 1 %, 1 rpm, 1 mm/s, 1 cm).

Targets: the first target FIT can hold is the primary target, the second goes into the
secondary-target fields; incline, RPE and any further target have no FIT field (FIT's
`grade` target has no documented units), so the step's `notes` carry them in words, with
the secondary target repeated there for devices that ignore secondary targets. Nothing is
dropped. Strings are cut to 254 UTF-8 bytes (a FIT field holds at most 255) and NULs removed.

Sports: run → running; treadmill → running/treadmill; bike → cycling (generic: a workout
does not say indoor or outdoor, the device decides when the ride starts); row → rowing;
strength → training/strength_training; other → generic. Strength steps carry
`exercise_category` when the exercise name clearly names one (`Back squat` → squat), and
`exercise_weight` in kg (at most 655.34 kg: heavier cannot be written, since the Encoder
wraps out-of-range integers around silently); the step name holds the exercise name.
"""

from __future__ import annotations

from typing import Any

from garmin_fit_sdk import Encoder, Profile

from setpoint.errors import CannotExport
from setpoint.exports.formats import _common as c
from setpoint.exports.formats.context import ExportContext
from setpoint.workouts.model import DurationType, Intensity, Sport, Target, TargetType, Workout

MEDIA_TYPE = "application/vnd.ant.fit"
MAX_STRING_BYTES = 254
MAX_WEIGHT_KG = 655.34  # uint16 in 1/100 kg, 0xFFFF meaning "no value"

SPORTS: dict[Sport, tuple[str, str | None]] = {
    Sport.RUN: ("running", None),
    Sport.TREADMILL: ("running", "treadmill"),
    Sport.BIKE: ("cycling", None),
    Sport.ROW: ("rowing", None),
    Sport.STRENGTH: ("training", "strength_training"),
    Sport.OTHER: ("generic", None),
}
INTENSITIES: dict[Intensity, str] = {
    Intensity.WARMUP: "warmup",
    Intensity.ACTIVE: "active",
    Intensity.INTERVAL: "interval",
    Intensity.RECOVERY: "recovery",
    Intensity.REST: "rest",
    Intensity.COOLDOWN: "cooldown",
}
DURATIONS: dict[DurationType, str] = {
    DurationType.TIME: "time",
    DurationType.DISTANCE: "distance",
    DurationType.OPEN: "open",
    DurationType.REPS: "reps",
}
TARGETS: dict[TargetType, str] = {
    TargetType.HR_ZONE: "heart_rate",
    TargetType.HR_RANGE: "heart_rate",
    TargetType.POWER: "power",
    TargetType.POWER_PCT_FTP: "power",
    TargetType.SPEED: "speed",
    TargetType.PACE: "speed",
    TargetType.CADENCE: "cadence",
}
WRITABLE = frozenset(TARGETS)
HR_OFFSET = 100  # FIT heart rate: 0-100 is % of max HR, bpm are stored + 100
POWER_OFFSET = 1000  # FIT power: 0-1000 is % FTP, watts are stored + 1000

_MESG = Profile["mesg_num"]


def fit_bytes(workout: Workout, ctx: ExportContext) -> bytes:
    """The FIT workout file; raises CannotExport when the workout is not valid."""
    c.require_valid(workout)
    sport, sub_sport = SPORTS[workout.sport]
    steps: list[dict[str, Any]] = []
    _write_blocks(c.device_blocks(workout.steps), steps)

    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": _MESG["FILE_ID"],
            "type": "workout",
            "manufacturer": "development",
            "product": 0,
            "time_created": ctx.created_at,
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": _MESG["WORKOUT"],
            "wkt_name": _text(workout.name),
            "sport": sport,
            "sub_sport": sub_sport,
            "num_valid_steps": len(steps),
            "wkt_description": _text(workout.description),
        }
    )
    for step in steps:
        encoder.write_mesg({"mesg_num": _MESG["WORKOUT_STEP"], **step})
    data: bytes = encoder.close()
    return data


def _write_blocks(blocks: tuple[c.DeviceBlock, ...], out: list[dict[str, Any]]) -> None:
    for block in blocks:
        if isinstance(block, c.DeviceRepeat):
            first = len(out)
            _write_blocks(block.steps, out)
            out.append(
                {
                    "message_index": len(out),
                    "duration_type": "repeat_until_steps_cmplt",
                    "duration_value": first,
                    "target_value": block.count,
                }
            )
        else:
            out.append(_step(block, len(out)))


def _step(step: c.DeviceStep, index: int) -> dict[str, Any]:
    primary, secondary, rest = c.split_targets(step.targets, WRITABLE)
    extras = [c.describe(t) for t in ((secondary,) if secondary else ()) + rest]
    also = "also " + ", ".join(extras) if extras else None
    mesg: dict[str, Any] = {
        "message_index": index,
        "wkt_step_name": _text(step.name),
        "intensity": INTENSITIES[step.intensity],
        "notes": _text(c.join_notes(also, step.notes)),  # targets first: they survive a cut
        **_duration(step),
        **_target(primary, ""),
    }
    if secondary is not None:
        mesg.update(_target(secondary, "secondary_"))
    if step.exercise is not None:
        mesg["exercise_category"] = c.exercise_category(step.exercise)
        if step.weight_kg is not None:
            if step.weight_kg > MAX_WEIGHT_KG:  # the Encoder would wrap it around silently
                raise CannotExport(
                    f"{step.exercise}: FIT holds exercise weights up to {MAX_WEIGHT_KG} kg, "
                    f"not {c.num(step.weight_kg)} kg"
                )
            mesg["exercise_weight"] = step.weight_kg  # the Encoder applies the x100 scale
            mesg["weight_display_unit"] = "kilogram"
    return mesg


def _duration(step: c.DeviceStep) -> dict[str, Any]:
    d = step.duration
    value: int | None = None
    if d.type is DurationType.TIME:
        value = (d.seconds or 0) * 1000
    elif d.type is DurationType.DISTANCE:
        value = round((d.meters or 0) * 100)
    elif d.type is DurationType.REPS:
        value = d.reps
    return {"duration_type": DURATIONS[d.type], "duration_value": value}


def _target(target: Target | None, prefix: str) -> dict[str, Any]:
    """The target fields; `prefix` is "" or "secondary_" (never called with no secondary)."""
    if target is None:
        return {"target_type": "open"}
    if target.type is TargetType.HR_ZONE:
        return {f"{prefix}target_type": "heart_rate", f"{prefix}target_value": target.zone}
    low, high = _raw_range(target)
    return {
        f"{prefix}target_type": TARGETS[target.type],
        f"{prefix}target_value": 0,
        f"{prefix}custom_target_value_low": low,
        f"{prefix}custom_target_value_high": high,
    }


def _raw_range(target: Target) -> tuple[int, int]:
    if target.type is TargetType.PACE:
        low_mps, high_mps = c.speed_range_for_pace(target)
        return round(low_mps * 1000), round(high_mps * 1000)
    low, high = target.low or 0.0, target.high or 0.0
    if target.type is TargetType.HR_RANGE:
        return round(low) + HR_OFFSET, round(high) + HR_OFFSET
    if target.type is TargetType.POWER:
        return round(low) + POWER_OFFSET, round(high) + POWER_OFFSET
    if target.type is TargetType.SPEED:
        return round(low * 1000), round(high * 1000)
    return round(low), round(high)  # power_pct_ftp, cadence


def _text(value: str | None) -> str | None:
    """A FIT string: no NULs, at most 254 UTF-8 bytes, cut on a character boundary."""
    if value is None:
        return None
    cleaned = value.replace("\x00", "").strip()
    raw = cleaned.encode("utf-8")[:MAX_STRING_BYTES]
    text = raw.decode("utf-8", errors="ignore").strip()
    return text or None

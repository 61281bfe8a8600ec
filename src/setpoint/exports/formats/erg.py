"""ERG (`MINUTES WATTS`) and MRC (`MINUTES PERCENT`) course files for ERG-mode trainers.

A `[COURSE HEADER]` (VERSION 2, UNITS, DESCRIPTION, FILE NAME, the column line) and a
`[COURSE DATA]` of tab-separated minute/value points, repeats expanded. Each step is two
points, its start and its end, so a step change is two points at the same minute. A
warmup with a power range ramps low → high, a cooldown high → low; any other range is
held at its midpoint. Minutes are written with up to 4 decimals (1 s is 0.0167).

ERG holds watts: % FTP targets need the athlete's FTP (`ftp_w`). MRC holds % FTP:
absolute watts need it too. Cannot be written (CannotExport, naming the step): steps
that are not timed (open, distance, reps, exercises), steps without a power target,
any target other than power (heart rate, speed, pace, cadence, incline, RPE), and two
power targets on one step. Step names and notes have no place in these files.
"""

from __future__ import annotations

from setpoint.errors import CannotExport
from setpoint.exports.formats import _common as c
from setpoint.exports.formats.context import ExportContext
from setpoint.workouts.model import DurationType, Intensity, Step, Target, TargetType, Workout
from setpoint.workouts.normalize import normalize

MEDIA_TYPE = "text/plain; charset=utf-8"
POWER_TYPES = frozenset({TargetType.POWER, TargetType.POWER_PCT_FTP})


def erg_text(workout: Workout, ctx: ExportContext, file_name: str) -> str:
    """The ERG file (watts); raises CannotExport for what it cannot hold."""
    return _course(workout, ctx, file_name, percent=False)


def mrc_text(workout: Workout, ctx: ExportContext, file_name: str) -> str:
    """The MRC file (% FTP); raises CannotExport for what it cannot hold."""
    return _course(workout, ctx, file_name, percent=True)


def _course(workout: Workout, ctx: ExportContext, file_name: str, *, percent: bool) -> str:
    c.require_valid(workout)
    fmt = "MRC" if percent else "ERG"
    for path, step in c.walk_steps(workout.steps):
        _check(step, path, ctx, fmt)
    lines = [
        "[COURSE HEADER]",
        "VERSION = 2",
        "UNITS = METRIC",
        f"DESCRIPTION = {_one_line(workout.description or workout.name)}",
        f"FILE NAME = {file_name}",
        "MINUTES PERCENT" if percent else "MINUTES WATTS",
        "[END COURSE HEADER]",
        "[COURSE DATA]",
    ]
    for segment in normalize(workout).segments:
        power = next(t for t in segment.targets if t.type in POWER_TYPES)
        assert segment.duration_s is not None
        start_value, end_value = _values(power, segment.intensity)
        start, end = segment.offset_s, segment.offset_s + segment.duration_s
        lines.append(f"{_minutes(start)}\t{_value(start_value, power, ctx, percent)}")
        lines.append(f"{_minutes(end)}\t{_value(end_value, power, ctx, percent)}")
    lines.append("[END COURSE DATA]")
    return "\n".join(lines) + "\n"


def _check(step: Step, path: str, ctx: ExportContext, fmt: str) -> None:
    duration = step.duration
    if duration is None or duration.type is not DurationType.TIME:
        raise CannotExport(
            f"{path}: {fmt} steps are timed; {c.duration_words(duration)} cannot be written"
        )
    powers = [t for t in step.targets if t.type in POWER_TYPES]
    for j, target in enumerate(step.targets):
        if target.type not in POWER_TYPES:
            raise CannotExport(
                f"{path}.targets[{j}]: {fmt} files hold power only; a {target.type} target "
                "cannot be written"
            )
    if not powers:
        raise CannotExport(f"{path}: {fmt} sets a power for every minute; this step has none")
    if len(powers) > 1:
        raise CannotExport(f"{path}: {fmt} holds one power per step, this step has two")
    holds, needs = ("% FTP", "watts") if fmt == "MRC" else ("watts", "% FTP targets")
    converted = TargetType.POWER if fmt == "MRC" else TargetType.POWER_PCT_FTP
    if powers[0].type is converted and ctx.ftp_w is None:
        raise CannotExport(
            f"{path}: {fmt} files hold {holds}; {needs} need the athlete's FTP "
            "(profile ftp_w), and the profile has none"
        )


def _values(power: Target, intensity: Intensity) -> tuple[float, float]:
    low, high = power.low or 0.0, power.high or 0.0
    if intensity is Intensity.WARMUP:
        return low, high
    if intensity is Intensity.COOLDOWN:
        return high, low
    return (low + high) / 2, (low + high) / 2


def _value(value: float, power: Target, ctx: ExportContext, percent: bool) -> str:
    if percent and power.type is TargetType.POWER:
        assert ctx.ftp_w is not None
        value = value * 100 / ctx.ftp_w
    elif not percent and power.type is TargetType.POWER_PCT_FTP:
        assert ctx.ftp_w is not None
        value = value * ctx.ftp_w / 100
    return c.num(value, 1)


def _minutes(seconds: int) -> str:
    text = f"{seconds / 60:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _one_line(text: str) -> str:
    return " ".join(text.split())

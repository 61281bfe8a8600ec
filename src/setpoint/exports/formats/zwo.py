"""Zwift `.zwo` workout files: bike workouts of timed steps with power targets.

| Setpoint step                                   | ZWO element                                 |
| ----------------------------------------------- | ------------------------------------------- |
| warmup with power low-high                      | `Warmup` ramp PowerLow=low → PowerHigh=high  |
| cooldown with power low-high                    | `Cooldown` ramp PowerLow=high → PowerHigh=low |
| other step with power low-high                  | `SteadyState` Power = the midpoint          |
| step without a power target                     | `FreeRide`                                  |
| repeat N x [on, off], both timed with power     | `IntervalsT` Repeat=N (on/off midpoints)     |
| any other repeat                                | its steps written N times                   |

Power is a fraction of FTP: % FTP / 100, or watts / the athlete's FTP (`ftp_w`; without it
absolute watts cannot be written). A cadence target becomes the `Cadence` attribute (the
midpoint rpm). Step names and notes become a `textevent` at the start of the step.

Cannot be written (CannotExport, naming the step): sports other than bike; open, distance
and reps durations (ZWO steps are timed); heart-rate, speed, pace, incline and RPE
targets; two power targets on one step.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

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

MEDIA_TYPE = "application/xml"
AUTHOR = "Setpoint"
POWER_TYPES = frozenset({TargetType.POWER, TargetType.POWER_PCT_FTP})
UNSUPPORTED: dict[TargetType, str] = {
    TargetType.HR_ZONE: "ZWO has no heart-rate targets, so a heart-rate workout cannot be "
    "written as ZWO",
    TargetType.HR_RANGE: "ZWO has no heart-rate targets, so a heart-rate workout cannot be "
    "written as ZWO",
    TargetType.SPEED: "ZWO bike workouts have no speed targets",
    TargetType.PACE: "ZWO bike workouts have no pace targets",
    TargetType.INCLINE: "ZWO workouts have no incline targets",
    TargetType.RPE: "ZWO workouts have no RPE targets",
}


def zwo_bytes(workout: Workout, ctx: ExportContext) -> bytes:
    """The `.zwo` XML (UTF-8); raises CannotExport for what ZWO cannot hold."""
    c.require_valid(workout)
    if workout.sport is not Sport.BIKE:
        raise CannotExport(f"ZWO is written for bike workouts; {workout.sport} workouts are not")
    for path, step in c.walk_steps(workout.steps):
        _check(step, path, ctx)
    root = ET.Element("workout_file")
    ET.SubElement(root, "author").text = AUTHOR
    ET.SubElement(root, "name").text = c.xml_text(workout.name)
    ET.SubElement(root, "description").text = c.xml_text(workout.description or "")
    ET.SubElement(root, "sportType").text = "bike"
    body = ET.SubElement(root, "workout")
    _write(workout.steps, body, ctx)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def _check(step: Step, path: str, ctx: ExportContext) -> None:
    duration = step.duration
    if duration is None or duration.type is not DurationType.TIME:
        raise CannotExport(
            f"{path}: ZWO steps are timed; {c.duration_words(duration)} cannot be written"
        )
    powers = 0
    for j, target in enumerate(step.targets):
        if target.type in UNSUPPORTED:
            raise CannotExport(f"{path}.targets[{j}]: {UNSUPPORTED[target.type]}")
        if target.type in POWER_TYPES:
            powers += 1
        if target.type is TargetType.POWER and ctx.ftp_w is None:
            raise CannotExport(
                f"{path}.targets[{j}]: ZWO power is a fraction of FTP; absolute watts need "
                "the athlete's FTP (profile ftp_w), and the profile has none"
            )
    if powers > 1:
        raise CannotExport(f"{path}: ZWO holds one power target per step, this step has two")


def _power(step: Step) -> Target | None:
    return next((t for t in step.targets if t.type in POWER_TYPES), None)


def _fraction(value: float, target: Target, ctx: ExportContext) -> str:
    if target.type is TargetType.POWER:
        assert ctx.ftp_w is not None
        return c.num(value / ctx.ftp_w, 4)
    return c.num(value / 100, 4)


def _middle(target: Target) -> float:
    return ((target.low or 0.0) + (target.high or 0.0)) / 2


def _cadence(step: Step) -> str | None:
    target = next((t for t in step.targets if t.type is TargetType.CADENCE), None)
    return None if target is None else str(round(_middle(target)))


def _is_on_off(block: Repeat) -> bool:
    if len(block.steps) != 2:
        return False
    return all(
        isinstance(s, Step)
        and _power(s) is not None
        and s.intensity not in (Intensity.WARMUP, Intensity.COOLDOWN)
        for s in block.steps
    )


def _write(blocks: tuple[Block, ...], parent: ET.Element, ctx: ExportContext) -> None:
    for block in blocks:
        if isinstance(block, Repeat) and _is_on_off(block):
            _intervals(block, parent, ctx)
        elif isinstance(block, Repeat):
            for _ in range(block.count):
                _write(block.steps, parent, ctx)
        else:
            _step(block, parent, ctx)


def _intervals(block: Repeat, parent: ET.Element, ctx: ExportContext) -> None:
    on, off = block.steps
    assert isinstance(on, Step) and isinstance(off, Step)
    on_power, off_power = _power(on), _power(off)
    assert on_power is not None and off_power is not None
    el = ET.SubElement(parent, "IntervalsT", Repeat=str(block.count))
    el.set("OnDuration", str(_seconds(on)))
    el.set("OffDuration", str(_seconds(off)))
    el.set("OnPower", _fraction(_middle(on_power), on_power, ctx))
    el.set("OffPower", _fraction(_middle(off_power), off_power, ctx))
    on_cadence, off_cadence = _cadence(on), _cadence(off)
    if on_cadence:
        el.set("Cadence", on_cadence)
    if off_cadence:
        el.set("CadenceResting", off_cadence)


def _step(step: Step, parent: ET.Element, ctx: ExportContext) -> None:
    power = _power(step)
    duration = str(_seconds(step))
    if power is None:
        el = ET.SubElement(parent, "FreeRide", Duration=duration)
    elif step.intensity in (Intensity.WARMUP, Intensity.COOLDOWN):
        low, high = power.low or 0.0, power.high or 0.0
        if step.intensity is Intensity.COOLDOWN:
            low, high = high, low
        tag = "Warmup" if step.intensity is Intensity.WARMUP else "Cooldown"
        el = ET.SubElement(parent, tag, Duration=duration)
        el.set("PowerLow", _fraction(low, power, ctx))
        el.set("PowerHigh", _fraction(high, power, ctx))
    else:
        el = ET.SubElement(parent, "SteadyState", Duration=duration)
        el.set("Power", _fraction(_middle(power), power, ctx))
    cadence = _cadence(step)
    if cadence:
        el.set("Cadence", cadence)
    message = c.join_notes(step.name, step.notes)
    if message:
        ET.SubElement(el, "textevent", timeoffset="0", message=c.xml_text(message))


def _seconds(step: Step) -> int:
    assert step.duration is not None and step.duration.seconds is not None
    return step.duration.seconds

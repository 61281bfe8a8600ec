"""Reading `.zwo` files back with xml.etree, and what a workout should become."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from setpoint.exports.formats import ExportContext
from setpoint.workouts import model as m

T = m.TargetType
ZWO_TARGETS = {T.POWER, T.POWER_PCT_FTP, T.CADENCE}


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "workout_file"
    assert root.findtext("sportType") == "bike"
    return root


def elements(root: ET.Element) -> list[ET.Element]:
    body = root.find("workout")
    assert body is not None
    return list(body)


def total_seconds(root: ET.Element) -> int:
    total = 0
    for el in elements(root):
        if el.tag == "IntervalsT":
            total += int(el.get("Repeat", "0")) * (
                int(el.get("OnDuration", "0")) + int(el.get("OffDuration", "0"))
            )
        else:
            total += int(el.get("Duration", "0"))
    return total


def expressible(workout: m.Workout, ctx: ExportContext) -> bool:
    """What ZWO can hold, written from the notes independently of the writer."""
    if workout.sport is not m.Sport.BIKE:
        return False
    for step in m.iter_steps(workout.steps):
        if step.duration is None or step.duration.type is not m.DurationType.TIME:
            return False
        kinds = [t.type for t in step.targets]
        if not set(kinds) <= ZWO_TARGETS:
            return False
        if kinds.count(T.POWER) + kinds.count(T.POWER_PCT_FTP) > 1:
            return False
        if T.POWER in kinds and ctx.ftp_w is None:
            return False
    return True

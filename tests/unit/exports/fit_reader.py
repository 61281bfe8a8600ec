"""Reading FIT workout files back with Garmin's official Decoder, and what a step should hold.

The expectations are written from formats-notes.md (raw units and offsets), independently of
the writer: `expected_step` maps an authored step to the FIT main fields it must decode to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from garmin_fit_sdk import Decoder, Stream

from setpoint.workouts import model as m
from setpoint.workouts.normalize import normalize

T = m.TargetType
FIT_TARGET_TYPES = {
    T.HR_ZONE: "heart_rate",
    T.HR_RANGE: "heart_rate",
    T.POWER: "power",
    T.POWER_PCT_FTP: "power",
    T.SPEED: "speed",
    T.PACE: "speed",
    T.CADENCE: "cadence",
}
WORDS = {  # how a target that FIT cannot hold is named in the step notes
    T.HR_ZONE: "HR zone",
    T.HR_RANGE: "HR",
    T.POWER: " W",
    T.POWER_PCT_FTP: "% FTP",
    T.SPEED: "m/s",
    T.PACE: "/km",
    T.CADENCE: "rpm",
    T.INCLINE: "incline",
    T.RPE: "RPE",
}
STEP_KEYS = (
    "wkt_step_name",
    "intensity",
    "duration_type",
    "duration_value",
    "target_type",
    "target_value",
    "custom_target_value_low",
    "custom_target_value_high",
    "secondary_target_type",
    "secondary_target_value",
    "secondary_custom_target_value_low",
    "secondary_custom_target_value_high",
)


def decode(data: bytes) -> dict[str, Any]:
    """Messages of a FIT file; asserts integrity (fresh Decoder) and an error-free read."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return dict(messages)


@dataclass
class FitRepeat:
    count: int
    steps: list[Any]


def step_tree(steps: list[dict[str, Any]]) -> list[Any]:
    """Nest decoded steps again: a repeat step wraps the steps from its jump-back index."""
    stack: list[tuple[int, Any]] = []
    for i, step in enumerate(steps):
        assert step["message_index"] == i
        if step["duration_type"] != "repeat_until_steps_cmplt":
            stack.append((i, step))
            continue
        first = step["duration_value"]
        assert step["repeat_steps"] == step["target_value"]
        children: list[tuple[int, Any]] = []
        while stack and stack[-1][0] >= first:
            children.insert(0, stack.pop())
        assert children and children[0][0] == first, f"repeat at {i} jumps into a block"
        stack.append((first, FitRepeat(step["target_value"], [node for _, node in children])))
    return [node for _, node in stack]


def fit_string(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.replace("\x00", "").strip().encode("utf-8")[:254]
    return cleaned.decode("utf-8", errors="ignore").strip() or None


def _raw(target: m.Target) -> tuple[int, int]:
    low, high = target.low or 0.0, target.high or 0.0
    if target.type is T.HR_RANGE:
        return round(low) + 100, round(high) + 100
    if target.type is T.POWER:
        return round(low) + 1000, round(high) + 1000
    if target.type is T.SPEED:
        return round(low * 1000), round(high * 1000)
    if target.type is T.PACE:
        return round(1000 / high * 1000), round(1000 / low * 1000)
    return round(low), round(high)


def _target_fields(target: m.Target | None, prefix: str) -> dict[str, Any]:
    keys = ("target_type", "target_value", "custom_target_value_low", "custom_target_value_high")
    if target is None:
        return {prefix + k: ("open" if k == "target_type" and not prefix else None) for k in keys}
    if target.type is T.HR_ZONE:
        values: tuple[Any, ...] = ("heart_rate", target.zone, None, None)
    else:
        values = (FIT_TARGET_TYPES[target.type], 0, *_raw(target))
    return {prefix + k: v for k, v in zip(keys, values, strict=True)}


def expected_step(step: m.Step) -> dict[str, Any]:
    """The main fields an authored (non-exercise) step decodes to."""
    d = step.duration
    assert d is not None
    value = {
        m.DurationType.TIME: (d.seconds or 0) * 1000,
        m.DurationType.DISTANCE: round((d.meters or 0) * 100),
        m.DurationType.REPS: d.reps,
        m.DurationType.OPEN: None,
    }[d.type]
    fit_targets = [t for t in step.targets if t.type in FIT_TARGET_TYPES]
    primary = fit_targets[0] if fit_targets else None
    secondary = fit_targets[1] if len(fit_targets) > 1 else None
    return {
        "wkt_step_name": fit_string(step.name),
        "intensity": str(step.intensity),
        "duration_type": str(d.type),
        "duration_value": value,
        **_target_fields(primary, ""),
        **_target_fields(secondary, "secondary_"),
    }


def assert_step(decoded: dict[str, Any], step: m.Step) -> None:
    expected = expected_step(step)
    assert {k: decoded.get(k) for k in STEP_KEYS} == expected
    # Sub-fields, as the Decoder expands them, say the same thing in real units.
    d = step.duration
    assert d is not None
    if d.type is m.DurationType.TIME:
        assert decoded["duration_time"] == d.seconds
    if d.type is m.DurationType.DISTANCE:
        assert decoded["duration_distance"] == round((d.meters or 0) * 100) / 100
    primary = next((t for t in step.targets if t.type in FIT_TARGET_TYPES), None)
    if primary is not None and primary.type is T.HR_RANGE:
        assert decoded["custom_target_heart_rate_low"] == round(primary.low or 0) + 100
    if primary is not None and primary.type is T.SPEED:
        assert abs(decoded["custom_target_speed_low"] - (primary.low or 0)) <= 0.0005
    # Every target that is not the primary one is named in the notes: nothing vanishes.
    notes = decoded.get("notes") or ""
    for target in step.targets:
        if target is not primary:
            assert WORDS[target.type] in notes, (target, notes)


def assert_tree(decoded: list[Any], blocks: tuple[m.Block, ...]) -> None:
    """Decoded nodes match the authored blocks one for one (non-exercise workouts)."""
    assert len(decoded) == len(blocks)
    for node, block in zip(decoded, blocks, strict=True):
        if isinstance(block, m.Repeat):
            assert isinstance(node, FitRepeat) and node.count == block.count
            assert_tree(node.steps, block.steps)
        else:
            assert isinstance(node, dict)
            assert_step(node, block)


def fit_timeline(nodes: list[Any]) -> list[tuple[str, int | None, str]]:
    """The decoded steps as a device runs them: repeats played out."""
    out: list[tuple[str, int | None, str]] = []
    for node in nodes:
        if isinstance(node, FitRepeat):
            for _ in range(node.count):
                out.extend(fit_timeline(node.steps))
        else:
            out.append((node["duration_type"], node.get("duration_value"), node["intensity"]))
    return out


def plan_timeline(workout: m.Workout) -> list[tuple[str, int | None, str]]:
    """The same from the normalized plan (the source of truth for what a session runs)."""
    out: list[tuple[str, int | None, str]] = []
    for seg in normalize(workout).segments:
        kind = str(seg.duration_type)
        if kind == "time":
            value: int | None = (seg.duration_s or 0) * 1000
        elif kind == "distance":
            value = round((seg.distance_m or 0) * 100)
        else:
            value = seg.reps
        out.append((kind, value, str(seg.intensity)))
    return out

"""Helpers the format writers share: validation, names, target wording, device step trees.

A *device tree* is the authored workout with each strength exercise rewritten as the plain
steps and repeats a watch runs (their timelines), repeats left unexpanded. FIT and the
Garmin JSON are written from it:

- `standard`: repeat `sets` x [reps step, timed rest (when `rest_s`)];
- `emom`: repeat `minutes` x [60 s step, "N reps at the start of each minute" in notes];
- `amrap`: one step of the time cap, "AMRAP" in notes;
- `circuit`: repeat `rounds` x [one reps step per move], with the rest between rounds
  written as repeat `rounds - 1` x [moves, rest] followed by the moves once more.
A repeat of one pass is written inline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from setpoint.errors import CannotExport
from setpoint.workouts.model import (
    Block,
    Duration,
    DurationType,
    Exercise,
    ExerciseType,
    Intensity,
    Repeat,
    Step,
    Target,
    TargetType,
    Workout,
    validate,
)
from setpoint.workouts.normalize import ExerciseRound, exercise_rounds


def require_valid(workout: Workout) -> None:
    """Raise CannotExport listing every rule the workout breaks."""
    problems = validate(workout)
    if problems:
        lines = [str(p) for p in problems]
        raise CannotExport("the workout is not valid: " + "; ".join(lines), problems=lines)


def slug(name: str, fallback: str = "workout") -> str:
    """A lower-case ASCII file-name stem: `5x3 min Threshold!` → `5x3-min-threshold`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return stem or fallback


def num(value: float, places: int = 2) -> str:
    """`150.0` → `150`, `3.25` → `3.25`: the shortest faithful text up to `places` decimals."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def plain(value: float) -> int | float:
    """A JSON number: `150.0` → `150`, `3.25` stays."""
    return int(value) if float(value).is_integer() else value


def pace_text(seconds_per_km: float) -> str:
    whole = round(seconds_per_km)
    return f"{whole // 60}:{whole % 60:02d}"


def describe(target: Target) -> str:
    """The target in words, for the notes of formats that have no field for it."""
    kind = target.type
    if kind is TargetType.HR_ZONE:
        return f"HR zone {target.zone}"
    if kind is TargetType.INCLINE:
        return f"incline {num(target.value or 0)}%"
    if kind is TargetType.RPE:
        return f"RPE {num(target.value or 0)}"
    low, high = target.low or 0.0, target.high or 0.0
    if kind is TargetType.PACE:
        return f"pace {pace_text(low)}-{pace_text(high)} /km"
    words = {
        TargetType.HR_RANGE: ("HR", " bpm"),
        TargetType.SPEED: ("speed", " m/s"),
        TargetType.POWER: ("power", " W"),
        TargetType.POWER_PCT_FTP: ("power", "% FTP"),
        TargetType.CADENCE: ("cadence", " rpm"),
    }
    label, unit = words[kind]
    return f"{label} {num(low)}-{num(high)}{unit}"


_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold (control characters)."""
    return _NOT_XML.sub("", text)


def join_notes(*parts: str | None) -> str | None:
    text = "; ".join(p.strip() for p in parts if p and p.strip())
    return text or None


def split_targets(
    targets: tuple[Target, ...], writable: frozenset[TargetType]
) -> tuple[Target | None, Target | None, tuple[Target, ...]]:
    """Primary and secondary target (the first two `writable` ones, in authored order),
    and every other target, which the writer puts into notes."""
    fit = [t for t in targets if t.type in writable]
    primary = fit[0] if fit else None
    secondary = fit[1] if len(fit) > 1 else None
    rest = tuple(t for t in targets if t is not primary and t is not secondary)
    return primary, secondary, rest


def speed_range_for_pace(target: Target) -> tuple[float, float]:
    """A pace range (s/km) as a speed range (m/s): the slower pace is the lower speed."""
    assert target.low is not None and target.high is not None
    return 1000.0 / target.high, 1000.0 / target.low


def duration_words(duration: Duration | None) -> str:
    """`an open step`, `a distance step`: what a step is, for refusals."""
    if duration is None:
        return "an exercise"
    return {
        DurationType.TIME: "a timed step",
        DurationType.DISTANCE: "a distance step",
        DurationType.OPEN: "an open (lap-button) step",
        DurationType.REPS: "a reps step",
    }[duration.type]


def walk_steps(blocks: tuple[Block, ...], path: str = "steps") -> Iterator[tuple[str, Step]]:
    """Each authored step once with its path (`steps[1].steps[0]`), repeats not expanded."""
    for i, block in enumerate(blocks):
        here = f"{path}[{i}]"
        if isinstance(block, Repeat):
            yield from walk_steps(block.steps, f"{here}.steps")
        else:
            yield here, block


# --- device trees ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceStep:
    """One step a device runs; `exercise` and `weight_kg` are set for strength work."""

    name: str | None
    intensity: Intensity
    duration: Duration
    targets: tuple[Target, ...] = ()
    notes: str | None = None
    exercise: str | None = None
    weight_kg: float | None = None


@dataclass(frozen=True, slots=True)
class DeviceRepeat:
    count: int
    steps: tuple[DeviceStep | DeviceRepeat, ...]


DeviceBlock = DeviceStep | DeviceRepeat


def device_blocks(blocks: tuple[Block, ...]) -> tuple[DeviceBlock, ...]:
    out: list[DeviceBlock] = []
    for block in blocks:
        if isinstance(block, Repeat):
            out.append(DeviceRepeat(block.count, device_blocks(block.steps)))
        elif block.exercise is not None:
            out.extend(_exercise_blocks(block, block.exercise))
        else:
            assert block.duration is not None, "validate() before export"
            out.append(
                DeviceStep(block.name, block.intensity, block.duration, block.targets, block.notes)
            )
    return tuple(out)


def _exercise_blocks(step: Step, ex: Exercise) -> tuple[DeviceBlock, ...]:
    """The exercise's rounds (`exercise_rounds`) as device steps; runs of identical rounds
    become one repeat."""
    base = step.name or ex.name
    rounds = [_round_steps(step, ex, base, r) for r in exercise_rounds(ex)]
    out: list[DeviceBlock] = []
    start = 0
    while start < len(rounds):
        end = start
        while end < len(rounds) and rounds[end] == rounds[start]:
            end += 1
        count = end - start
        out.extend([DeviceRepeat(count, rounds[start])] if count > 1 else rounds[start])
        start = end
    return tuple(out)


def _round_steps(step: Step, ex: Exercise, base: str, r: ExerciseRound) -> tuple[DeviceStep, ...]:
    notes = {
        ExerciseType.EMOM: f"{ex.reps} reps at the start of each minute",
        ExerciseType.AMRAP: "AMRAP: as many reps as possible",
        ExerciseType.CIRCUIT: f"part of {base}",
    }.get(ex.type)
    steps = [
        DeviceStep(
            work.name if ex.type is ExerciseType.CIRCUIT else base,
            step.intensity,
            Duration(DurationType.TIME, seconds=work.seconds)
            if work.duration_type is DurationType.TIME
            else Duration(DurationType.REPS, reps=work.reps),
            step.targets,
            join_notes(notes, step.notes),
            exercise=work.name,
            weight_kg=work.weight_kg,
        )
        for work in r.work
    ]
    if r.rest_s:
        steps.append(
            DeviceStep("Rest", Intensity.REST, Duration(DurationType.TIME, seconds=r.rest_s))
        )
    return tuple(steps)


# FIT `exercise_category` values found by a phrase of the exercise name (checked in order).
_CATEGORY_PHRASES: tuple[tuple[str, str], ...] = (
    ("bench press", "bench_press"),
    ("calf raise", "calf_raise"),
    ("deadlift", "deadlift"),
    ("hip thrust", "hip_raise"),
    ("lateral raise", "lateral_raise"),
    ("leg curl", "leg_curl"),
    ("leg raise", "leg_raise"),
    ("shoulder press", "shoulder_press"),
    ("overhead press", "shoulder_press"),
    ("triceps", "triceps_extension"),
    ("push up", "push_up"),
    ("pushup", "push_up"),
    ("pull up", "pull_up"),
    ("pullup", "pull_up"),
    ("chin up", "pull_up"),
    ("sit up", "sit_up"),
    ("situp", "sit_up"),
    ("burpee", "total_body"),
    ("squat", "squat"),
    ("lunge", "lunge"),
    ("plank", "plank"),
    ("crunch", "crunch"),
    ("curl", "curl"),
    ("shrug", "shrug"),
    ("row", "row"),
    ("carry", "carry"),
    ("flye", "flye"),
    ("fly", "flye"),
)


def exercise_category(name: str) -> str | None:
    """The FIT exercise category a name clearly belongs to (`Back squat` → `squat`), or None."""
    words = " " + re.sub(r"[^a-z]+", " ", name.lower()).strip() + " "
    for phrase, category in _CATEGORY_PHRASES:
        if re.search(rf" {phrase}(s|es)? ", words):
            return category
    return None

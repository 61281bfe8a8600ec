"""Normalization: a workout's steps and repeats become a flat list of executable segments.

Repeats are expanded, strength exercise types become timelines, and every segment
gets its absolute `offset_s`: the running sum of the known durations before it (an open
segment counts as 0 there, and makes `total_duration_s` unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from setpoint.workouts.model import (
    Block,
    DurationType,
    Exercise,
    ExerciseType,
    Intensity,
    Repeat,
    Step,
    Target,
    TargetType,
    Workout,
)

DEFAULT_NAMES: dict[Intensity, str] = {
    Intensity.WARMUP: "Warm up",
    Intensity.ACTIVE: "Active",
    Intensity.INTERVAL: "Interval",
    Intensity.RECOVERY: "Recovery",
    Intensity.REST: "Rest",
    Intensity.COOLDOWN: "Cool down",
}


@dataclass(frozen=True, slots=True)
class SegmentExercise:
    """Which part of a strength exercise a segment is; `kind` is `work` or `rest`."""

    position: int
    name: str
    type: ExerciseType
    kind: str
    reps: int | None = None
    weight_kg: float | None = None
    set: int | None = None
    sets: int | None = None
    minute: int | None = None
    minutes: int | None = None
    round: int | None = None
    rounds: int | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    index: int
    name: str
    intensity: Intensity
    duration_type: DurationType
    duration_s: int | None
    offset_s: int
    targets: tuple[Target, ...] = ()
    distance_m: float | None = None
    reps: int | None = None
    exercise: SegmentExercise | None = None

    @property
    def is_open(self) -> bool:
        return self.duration_s is None


@dataclass(frozen=True, slots=True)
class Plan:
    segments: tuple[Segment, ...]
    total_duration_s: int | None


@dataclass(frozen=True, slots=True)
class _Draft:
    """A segment before its index and offset are known."""

    name: str
    intensity: Intensity
    duration_type: DurationType
    duration_s: int | None
    targets: tuple[Target, ...] = ()
    distance_m: float | None = None
    reps: int | None = None
    exercise: SegmentExercise | None = None


def normalize(workout: Workout) -> Plan:
    """Expand a (valid) workout into its segments. Call `validate` first."""
    positions = _exercise_positions(workout.steps)
    segments: list[Segment] = []
    offset = 0
    known = True
    for draft in _expand(workout.steps, positions):
        segments.append(
            Segment(
                index=len(segments),
                name=draft.name,
                intensity=draft.intensity,
                duration_type=draft.duration_type,
                duration_s=draft.duration_s,
                offset_s=offset,
                targets=draft.targets,
                distance_m=draft.distance_m,
                reps=draft.reps,
                exercise=draft.exercise,
            )
        )
        if draft.duration_s is None:
            known = False
        else:
            offset += draft.duration_s
    return Plan(tuple(segments), offset if known else None)


def _exercise_positions(blocks: tuple[Block, ...]) -> dict[int, int]:
    """Position of each exercise step (by identity) in authoring order, from 0."""
    positions: dict[int, int] = {}

    def walk(items: tuple[Block, ...]) -> None:
        for item in items:
            if isinstance(item, Repeat):
                walk(item.steps)
            elif item.exercise is not None and id(item) not in positions:
                positions[id(item)] = len(positions)

    walk(blocks)
    return positions


def _expand(blocks: tuple[Block, ...], positions: dict[int, int]) -> Iterator[_Draft]:
    for block in blocks:
        if isinstance(block, Repeat):
            for _ in range(block.count):
                yield from _expand(block.steps, positions)
        elif block.exercise is not None:
            yield from _exercise_timeline(block, block.exercise, positions[id(block)])
        else:
            yield _plain(block)


def _plain(step: Step) -> _Draft:
    assert step.duration is not None, "validate() before normalize()"
    duration = step.duration
    name = step.name or DEFAULT_NAMES[step.intensity]
    if duration.type is DurationType.TIME:
        return _Draft(name, step.intensity, duration.type, duration.seconds, step.targets)
    if duration.type is DurationType.DISTANCE:
        meters = duration.meters
        seconds = _seconds_for_distance(meters, step.targets) if meters else None
        return _Draft(name, step.intensity, duration.type, seconds, step.targets, distance_m=meters)
    if duration.type is DurationType.REPS:
        return _Draft(name, step.intensity, duration.type, None, step.targets, reps=duration.reps)
    return _Draft(name, step.intensity, duration.type, None, step.targets)


def _seconds_for_distance(meters: float, targets: tuple[Target, ...]) -> int | None:
    """A distance segment has a duration when its targets give a speed or a pace."""
    for target in targets:
        if target.low is None or target.high is None:
            continue
        middle = (target.low + target.high) / 2
        if target.type is TargetType.SPEED and middle > 0:
            return max(1, round(meters / middle))
        if target.type is TargetType.PACE:
            return max(1, round(meters / 1000 * middle))
    return None


@dataclass(frozen=True, slots=True)
class ExerciseWork:
    """One piece of work in a round: the exercise itself, or a move of a circuit."""

    name: str
    duration_type: DurationType  # REPS (until done) or TIME
    seconds: int | None
    reps: int | None
    weight_kg: float | None


@dataclass(frozen=True, slots=True)
class ExerciseRound:
    """A set (standard), a minute (EMOM), the time cap (AMRAP) or a round (circuit), and the
    rest after it."""

    number: int
    of: int
    work: tuple[ExerciseWork, ...]
    rest_s: int | None


def exercise_rounds(ex: Exercise) -> tuple[ExerciseRound, ...]:
    """The one expansion of a strength exercise type: sessions run it as
    segments (`normalize`), device formats write it as steps and repeats."""
    if ex.type is ExerciseType.STANDARD:
        sets = ex.sets or 0
        work = ExerciseWork(ex.name, DurationType.REPS, None, ex.reps, ex.weight_kg)
        return tuple(ExerciseRound(n, sets, (work,), ex.rest_s or None) for n in range(1, sets + 1))
    if ex.type is ExerciseType.EMOM:
        minutes = ex.minutes or 0
        work = ExerciseWork(ex.name, DurationType.TIME, 60, ex.reps, ex.weight_kg)
        return tuple(ExerciseRound(n, minutes, (work,), None) for n in range(1, minutes + 1))
    if ex.type is ExerciseType.AMRAP:
        work = ExerciseWork(ex.name, DurationType.TIME, ex.cap_s, None, ex.weight_kg)
        return (ExerciseRound(1, 1, (work,), None),)
    rounds = ex.rounds or 0
    moves = tuple(
        ExerciseWork(m.name, DurationType.REPS, None, m.reps, m.weight_kg) for m in ex.exercises
    )
    return tuple(
        ExerciseRound(n, rounds, moves, ex.rest_s if ex.rest_s and n < rounds else None)
        for n in range(1, rounds + 1)
    )


# How a segment of each exercise type is named and counted: its name's suffix, and the
# `SegmentExercise` fields that say which set, minute or round it is.
_COUNTERS: dict[ExerciseType, tuple[str, str, str]] = {
    ExerciseType.STANDARD: ("set", "set", "sets"),
    ExerciseType.EMOM: ("minute", "minute", "minutes"),
    ExerciseType.CIRCUIT: ("round", "round", "rounds"),
}


def _exercise_timeline(step: Step, ex: Exercise, position: int) -> Iterator[_Draft]:
    base = step.name or ex.name
    for r in exercise_rounds(ex):
        counter = _COUNTERS.get(ex.type)
        count = {} if counter is None else {counter[1]: r.number, counter[2]: r.of}
        for work in r.work:
            name = work.name if ex.type is ExerciseType.CIRCUIT else base
            suffix = "AMRAP" if counter is None else f"{counter[0]} {r.number}/{r.of}"
            tag = SegmentExercise(
                position, ex.name, ex.type, "work", work.reps, work.weight_kg, **count
            )
            yield _Draft(
                f"{name} · {suffix}",
                step.intensity,
                work.duration_type,
                work.seconds,
                step.targets,
                reps=work.reps,
                exercise=tag,
            )
        if r.rest_s:
            rest = SegmentExercise(position, ex.name, ex.type, "rest", **count)
            yield _Draft("Rest", Intensity.REST, DurationType.TIME, r.rest_s, exercise=rest)

"""The workout as authored: steps, repeat blocks, durations, targets, strength exercises.

Pure data. `validate` checks every rule of the design and names the step path and the rule
broken (`steps[3].targets[0]: low 170 > high 160`); normalization lives in `normalize.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Sport(StrEnum):
    RUN = "run"
    TREADMILL = "treadmill"
    BIKE = "bike"
    ROW = "row"
    STRENGTH = "strength"
    OTHER = "other"


class Intensity(StrEnum):
    WARMUP = "warmup"
    ACTIVE = "active"
    INTERVAL = "interval"
    RECOVERY = "recovery"
    REST = "rest"
    COOLDOWN = "cooldown"


class DurationType(StrEnum):
    TIME = "time"
    DISTANCE = "distance"
    OPEN = "open"
    REPS = "reps"


class TargetType(StrEnum):
    HR_ZONE = "hr_zone"
    HR_RANGE = "hr_range"
    SPEED = "speed"
    PACE = "pace"
    POWER = "power"
    POWER_PCT_FTP = "power_pct_ftp"
    CADENCE = "cadence"
    INCLINE = "incline"
    RPE = "rpe"


VALUE_TARGETS = frozenset({TargetType.INCLINE, TargetType.RPE})


class ExerciseType(StrEnum):
    STANDARD = "standard"
    EMOM = "emom"
    AMRAP = "amrap"
    CIRCUIT = "circuit"


@dataclass(frozen=True, slots=True)
class Duration:
    type: DurationType
    seconds: int | None = None
    meters: float | None = None
    reps: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """`zone` for hr_zone, `low`/`high` for range targets, `value` for incline and rpe."""

    type: TargetType
    low: float | None = None
    high: float | None = None
    zone: int | None = None
    value: float | None = None


@dataclass(frozen=True, slots=True)
class CircuitMove:
    name: str
    reps: int
    weight_kg: float | None = None


@dataclass(frozen=True, slots=True)
class Exercise:
    """A strength exercise; which fields apply depends on `type` (see docs/api.md)."""

    name: str
    type: ExerciseType
    sets: int | None = None
    reps: int | None = None
    weight_kg: float | None = None
    rest_s: int | None = None
    minutes: int | None = None
    cap_s: int | None = None
    rounds: int | None = None
    exercises: tuple[CircuitMove, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    intensity: Intensity
    duration: Duration | None = None
    name: str | None = None
    targets: tuple[Target, ...] = ()
    exercise: Exercise | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Repeat:
    count: int
    steps: tuple[Step | Repeat, ...]


Block = Step | Repeat


@dataclass(frozen=True, slots=True)
class Workout:
    name: str
    sport: Sport
    steps: tuple[Block, ...]
    description: str | None = None


# --- validation ------------------------------------------------------------------------

MAX_REPEAT_COUNT = 100
MAX_NESTING = 4
MAX_SEGMENTS = 2000
MAX_TIME_S = 24 * 3600
MAX_DISTANCE_M = 1_000_000
HR_BPM = (30, 230)
ZONES = (1, 5)

# (low, high) physiological and equipment bounds per target type.
TARGET_BOUNDS: dict[TargetType, tuple[float, float]] = {
    TargetType.HR_RANGE: HR_BPM,
    TargetType.SPEED: (0.1, 30.0),
    TargetType.PACE: (60.0, 1800.0),
    TargetType.POWER: (0.0, 2500.0),
    TargetType.POWER_PCT_FTP: (0.0, 300.0),
    TargetType.CADENCE: (0.0, 250.0),
    TargetType.INCLINE: (-10.0, 40.0),
    TargetType.RPE: (1.0, 10.0),
}
CADENCE_SPORTS = frozenset({Sport.BIKE})
EXERCISE_SPORTS = frozenset({Sport.STRENGTH, Sport.OTHER})


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}"


@dataclass(slots=True)
class _Checker:
    sport: Sport
    problems: list[Problem] = field(default_factory=list)

    def fail(self, path: str, rule: str) -> None:
        self.problems.append(Problem(path, rule))

    def bounded(self, path: str, value: float | None, low: float, high: float) -> None:
        if value is None:
            self.fail(path, "is required")
        elif not low <= value <= high:
            self.fail(path, f"{_num(value)} is outside {_num(low)}–{_num(high)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def validate(workout: Workout) -> list[Problem]:
    """Every rule the workout breaks, each with the step path; empty when valid."""
    checker = _Checker(workout.sport)
    if not workout.name.strip():
        checker.fail("name", "must not be empty")
    if not workout.steps:
        checker.fail("steps", "a workout needs at least one step")
    _check_blocks(checker, workout.steps, "steps", depth=1)
    if not checker.problems:
        count = segment_count(workout)
        if count > MAX_SEGMENTS:
            checker.fail("steps", f"expands to {count} segments, more than {MAX_SEGMENTS}")
    return checker.problems


def _check_blocks(checker: _Checker, blocks: tuple[Block, ...], path: str, depth: int) -> None:
    for i, block in enumerate(blocks):
        here = f"{path}[{i}]"
        if isinstance(block, Repeat):
            if depth >= MAX_NESTING:
                checker.fail(here, f"repeats nest deeper than {MAX_NESTING} levels")
            checker.bounded(f"{here}.repeat", block.count, 1, MAX_REPEAT_COUNT)
            if not block.steps:
                checker.fail(f"{here}.steps", "a repeat needs at least one step")
            _check_blocks(checker, block.steps, f"{here}.steps", depth + 1)
        else:
            _check_step(checker, block, here)


def _check_step(checker: _Checker, step: Step, path: str) -> None:
    if step.exercise is not None:
        if checker.sport not in EXERCISE_SPORTS:
            checker.fail(
                f"{path}.exercise", f"exercises need sport strength or other, not {checker.sport}"
            )
        _check_exercise(checker, step.exercise, f"{path}.exercise")
    elif step.duration is None:
        checker.fail(f"{path}.duration", "is required for a step without an exercise")
    else:
        _check_duration(checker, step.duration, f"{path}.duration")
    seen: set[TargetType] = set()
    for j, target in enumerate(step.targets):
        where = f"{path}.targets[{j}]"
        if target.type in seen:
            checker.fail(where, f"a second {target.type} target in the same step")
        seen.add(target.type)
        _check_target(checker, target, where)
    if TargetType.HR_ZONE in seen and TargetType.HR_RANGE in seen:
        checker.fail(f"{path}.targets", "hr_zone and hr_range cannot both be set")


def _check_duration(checker: _Checker, duration: Duration, path: str) -> None:
    if duration.type is DurationType.TIME:
        checker.bounded(f"{path}.seconds", duration.seconds, 1, MAX_TIME_S)
    elif duration.type is DurationType.DISTANCE:
        if duration.meters is not None and duration.meters <= 0:
            checker.fail(f"{path}.meters", "must be greater than 0")
        else:
            checker.bounded(f"{path}.meters", duration.meters, 1, MAX_DISTANCE_M)
    elif duration.type is DurationType.REPS:
        checker.bounded(f"{path}.reps", duration.reps, 1, 1000)


def _check_target(checker: _Checker, target: Target, path: str) -> None:
    if target.type is TargetType.HR_ZONE:
        checker.bounded(f"{path}.zone", target.zone, *ZONES)
        return
    low, high = TARGET_BOUNDS[target.type]
    if target.type in VALUE_TARGETS:
        checker.bounded(f"{path}.value", target.value, low, high)
        return
    if target.type is TargetType.CADENCE and checker.sport not in CADENCE_SPORTS:
        checker.fail(path, f"cadence targets are for bike workouts, not {checker.sport}")
    checker.bounded(f"{path}.low", target.low, low, high)
    checker.bounded(f"{path}.high", target.high, low, high)
    if target.low is not None and target.high is not None and target.low > target.high:
        checker.fail(path, f"low {_num(target.low)} > high {_num(target.high)}")


def _check_exercise(checker: _Checker, ex: Exercise, path: str) -> None:
    if not ex.name.strip():
        checker.fail(f"{path}.name", "must not be empty")
    if ex.weight_kg is not None:
        checker.bounded(f"{path}.weight_kg", ex.weight_kg, 0, 1000)
    if ex.type is ExerciseType.STANDARD:
        checker.bounded(f"{path}.sets", ex.sets, 1, 50)
        checker.bounded(f"{path}.reps", ex.reps, 1, 1000)
        checker.bounded(f"{path}.rest_s", ex.rest_s if ex.rest_s is not None else 0, 0, 3600)
    elif ex.type is ExerciseType.EMOM:
        checker.bounded(f"{path}.minutes", ex.minutes, 1, 120)
        checker.bounded(f"{path}.reps", ex.reps, 1, 1000)
    elif ex.type is ExerciseType.AMRAP:
        checker.bounded(f"{path}.cap_s", ex.cap_s, 1, 4 * 3600)
    else:
        checker.bounded(f"{path}.rounds", ex.rounds, 1, 50)
        checker.bounded(f"{path}.rest_s", ex.rest_s if ex.rest_s is not None else 0, 0, 3600)
        if not ex.exercises:
            checker.fail(f"{path}.exercises", "a circuit needs at least one exercise")
        for k, move in enumerate(ex.exercises):
            if not move.name.strip():
                checker.fail(f"{path}.exercises[{k}].name", "must not be empty")
            checker.bounded(f"{path}.exercises[{k}].reps", move.reps, 1, 1000)
            if move.weight_kg is not None:
                checker.bounded(f"{path}.exercises[{k}].weight_kg", move.weight_kg, 0, 1000)


# --- structure helpers --------------------------------------------------------------------


def iter_steps(blocks: tuple[Block, ...]) -> Iterator[Step]:
    """Each authored step once, in order, repeats not expanded."""
    for block in blocks:
        if isinstance(block, Repeat):
            yield from iter_steps(block.steps)
        else:
            yield block


def segment_count(workout: Workout) -> int:
    """How many segments normalization makes, computed without building them."""
    return _count(workout.steps)


def _count(blocks: tuple[Block, ...]) -> int:
    total = 0
    for block in blocks:
        if isinstance(block, Repeat):
            total += block.count * _count(block.steps)
        else:
            total += _step_segments(block)
    return total


def _step_segments(step: Step) -> int:
    ex = step.exercise
    if ex is None:
        return 1
    if ex.type is ExerciseType.STANDARD:
        return (ex.sets or 0) * (2 if ex.rest_s else 1)
    if ex.type is ExerciseType.EMOM:
        return ex.minutes or 0
    if ex.type is ExerciseType.AMRAP:
        return 1
    rounds = ex.rounds or 0
    return rounds * len(ex.exercises) + (max(rounds - 1, 0) if ex.rest_s else 0)

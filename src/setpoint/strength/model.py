"""Strength progress: what the athlete did on each exercise of a strength workout.

A `Progress` is the SessionProgress document: one `ExerciseProgress` per exercise of the plan,
by `position` (the position normalization gives that exercise's segments). The plan is the
workout's exercises in position order, `planned_exercises(workout)`; the name, type and
planned config of each exercise come from it, never from what a client sends.

Statuses: `not_started` data is a pre-fill (an earlier attempt's numbers, see `carry_over`),
not yet done; `in_progress` and `completed` data was done; `skipped` keeps its data as it was.
The athlete sets statuses freely (completed with fewer sets, extra sets after completing);
`recording.record_set` moves them as sets arrive. The JSON form is in `documents`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from setpoint.errors import Unprocessable
from setpoint.workouts.model import Exercise, ExerciseType, Workout, iter_steps

MAX_REPS = 1000
MAX_WEIGHT_KG = 1000.0
MAX_ENTRIES = 100  # sets, minutes or rounds recorded on one exercise
MAX_TOTAL_REPS = MAX_ENTRIES * MAX_REPS
MAX_NOTES = 2000
RPE_RANGE = (1.0, 10.0)  # in steps of 0.5


class ExerciseStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class ProgressError(Unprocessable):
    """The progress breaks rules; `problems` are `path: sentence`, every one found."""

    code = "invalid_progress"

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems), problems=list(problems))
        self.problems = list(problems)


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardData:
    """One entry per set, in order; weights in kg (None: bodyweight or not noted)."""

    reps_per_set: tuple[int, ...] = ()
    weight_per_set: tuple[float | None, ...] = ()
    rpe_per_set: tuple[float | None, ...] = ()

    @property
    def sets_completed(self) -> int:
        return len(self.reps_per_set)


@dataclass(frozen=True, slots=True)
class EmomData:
    reps_per_minute: tuple[int, ...] = ()
    rpe: float | None = None


@dataclass(frozen=True, slots=True)
class AmrapData:
    total_reps: int = 0
    rounds: int = 0
    rpe: float | None = None


@dataclass(frozen=True, slots=True)
class CircuitData:
    """`reps_per_round`: the reps of all the circuit's moves in each round, in order."""

    reps_per_round: tuple[int, ...] = ()
    weight_kg: float | None = None
    rpe: float | None = None

    @property
    def rounds_completed(self) -> int:
        return len(self.reps_per_round)


ExerciseData = StandardData | EmomData | AmrapData | CircuitData

EMPTY: dict[ExerciseType, ExerciseData] = {
    ExerciseType.STANDARD: StandardData(),
    ExerciseType.EMOM: EmomData(),
    ExerciseType.AMRAP: AmrapData(),
    ExerciseType.CIRCUIT: CircuitData(),
}


@dataclass(frozen=True, slots=True)
class ExerciseProgress:
    """One exercise's progress; its name, type and config are those of the `planned` exercise."""

    position: int
    planned: Exercise
    data: ExerciseData
    status: ExerciseStatus = ExerciseStatus.NOT_STARTED
    notes: str = ""

    @property
    def name(self) -> str:
        return self.planned.name

    @property
    def type(self) -> ExerciseType:
        return self.planned.type

    @property
    def config(self) -> dict[str, object]:
        """The planned exercise as in the authoring JSON, without name, type and unset fields."""
        ex = self.planned
        config = _present(
            sets=ex.sets,
            reps=ex.reps,
            weight_kg=ex.weight_kg,
            rest_s=ex.rest_s,
            minutes=ex.minutes,
            cap_s=ex.cap_s,
            rounds=ex.rounds,
        )
        if ex.exercises:
            config["exercises"] = [
                _present(name=m.name, reps=m.reps, weight_kg=m.weight_kg) for m in ex.exercises
            ]
        return config


def _present(**fields: object) -> dict[str, object]:
    return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    completed: int
    in_progress: int
    skipped: int
    not_started: int


@dataclass(frozen=True, slots=True)
class Progress:
    exercises: tuple[ExerciseProgress, ...]  # by position: exercises[i].position == i

    @property
    def summary(self) -> Summary:
        counts = Counter(e.status for e in self.exercises)
        return Summary(
            total=len(self.exercises),
            completed=counts[ExerciseStatus.COMPLETED],
            in_progress=counts[ExerciseStatus.IN_PROGRESS],
            skipped=counts[ExerciseStatus.SKIPPED],
            not_started=counts[ExerciseStatus.NOT_STARTED],
        )


# --- building -------------------------------------------------------------------------------


def planned_exercises(workout: Workout) -> tuple[Exercise, ...]:
    """The workout's exercises by position: each authored exercise step once, in authoring
    order, as normalization numbers them (`SegmentExercise.position`)."""
    seen: set[int] = set()
    exercises: list[Exercise] = []
    for step in iter_steps(workout.steps):
        if step.exercise is not None and id(step) not in seen:
            seen.add(id(step))
            exercises.append(step.exercise)
    return tuple(exercises)


def initial_progress(plan: Sequence[Exercise]) -> Progress:
    """Every exercise of the plan not started, with no data."""
    return Progress(tuple(ExerciseProgress(i, ex, EMPTY[ex.type]) for i, ex in enumerate(plan)))


def carry_over(previous: Progress, plan: Sequence[Exercise]) -> Progress:
    """A new attempt: every exercise not started again, pre-filled with the data and notes of
    the previous attempt where the same position still holds an exercise of the same name and
    type; other exercises start empty, and positions no longer planned are dropped."""
    before = {e.position: e for e in previous.exercises}
    fresh = initial_progress(plan).exercises
    return Progress(tuple(_prefill(e, before.get(e.position)) for e in fresh))


def _prefill(new: ExerciseProgress, old: ExerciseProgress | None) -> ExerciseProgress:
    if old is None or (old.name, old.type) != (new.name, new.type):
        return new
    return replace(new, data=old.data, notes=old.notes)


def exercise_at(progress: Progress, position: int) -> ExerciseProgress:
    """The exercise at `position`; a `ProgressError` when the plan has none there."""
    if not 0 <= position < len(progress.exercises):
        raise ProgressError([f"position: no exercise at position {position}"])
    return progress.exercises[position]


def with_exercise(progress: Progress, exercise: ExerciseProgress) -> Progress:
    """The progress with `exercise` in place of the one at its position."""
    exercises = list(progress.exercises)
    exercises[exercise.position] = exercise
    return Progress(tuple(exercises))

"""Recording work as it is done: one set, minute or round at a time."""

from __future__ import annotations

from dataclasses import replace

from setpoint.strength.documents import Reader, data_doc, read_data
from setpoint.strength.model import (
    EMPTY,
    AmrapData,
    CircuitData,
    EmomData,
    ExerciseData,
    ExerciseStatus,
    Progress,
    StandardData,
    exercise_at,
    with_exercise,
)
from setpoint.workouts.model import Exercise, ExerciseType


def record_set(
    progress: Progress,
    position: int,
    reps: int,
    weight_kg: float | None = None,
    rpe: float | None = None,
) -> Progress:
    """One piece of work done on the exercise at `position`.

    standard: a set; emom: the minute's reps; amrap: a round of `reps` (total and rounds grow);
    circuit: a round of `reps` (all moves). `rpe` is per set for standard, else it replaces the
    exercise's RPE; `weight_kg` is per set for standard, replaces the circuit's weight, and is
    refused for emom and amrap. A not-started exercise starts from empty data (its pre-fill is
    dropped); a skipped one is refused (un-skip it with an update first). The status becomes
    in_progress, or completed once the planned sets, minutes or rounds are reached (an amrap
    is completed by an update, as only the athlete knows the cap was reached).
    """
    exercise = exercise_at(progress, position)
    r = Reader()
    if exercise.status is ExerciseStatus.SKIPPED:
        r.fail("position", f"{exercise.name} (position {position}) is skipped; un-skip it first")
    r.reps(reps, "reps")
    r.weight(weight_kg, "weight_kg")
    r.rpe(rpe, "rpe")
    if weight_kg is not None and exercise.type in (ExerciseType.EMOM, ExerciseType.AMRAP):
        r.fail("weight_kg", f"{exercise.type} exercises record no weight")
    r.raise_problems()
    start = exercise.status is ExerciseStatus.NOT_STARTED
    before = EMPTY[exercise.type] if start else exercise.data
    data, entries, target = _add(before, exercise.planned, reps, weight_kg, rpe)
    read_data(r, data_doc(data), "data", exercise.type)  # e.g. more than MAX_ENTRIES sets
    r.raise_problems()
    reached = target is not None and entries >= target
    if exercise.status is ExerciseStatus.COMPLETED or reached:
        return with_exercise(
            progress, replace(exercise, data=data, status=ExerciseStatus.COMPLETED)
        )
    return with_exercise(progress, replace(exercise, data=data, status=ExerciseStatus.IN_PROGRESS))


def _add(
    data: ExerciseData, planned: Exercise, reps: int, weight_kg: float | None, rpe: float | None
) -> tuple[ExerciseData, int, int | None]:
    """The data with one entry more, its entries, and the entries planned (None: amrap)."""
    match data:
        case StandardData():
            sets = StandardData(
                (*data.reps_per_set, reps),
                (*data.weight_per_set, weight_kg),
                (*data.rpe_per_set, rpe),
            )
            return sets, sets.sets_completed, planned.sets
        case EmomData():
            minutes = EmomData((*data.reps_per_minute, reps), _latest(rpe, data.rpe))
            return minutes, len(minutes.reps_per_minute), planned.minutes
        case AmrapData():
            amrap = AmrapData(data.total_reps + reps, data.rounds + 1, _latest(rpe, data.rpe))
            return amrap, amrap.rounds, None
        case CircuitData():
            circuit = CircuitData(
                (*data.reps_per_round, reps),
                _latest(weight_kg, data.weight_kg),
                _latest(rpe, data.rpe),
            )
            return circuit, circuit.rounds_completed, planned.rounds


def _latest(given: float | None, current: float | None) -> float | None:
    return current if given is None else given

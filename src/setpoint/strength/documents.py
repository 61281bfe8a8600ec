"""The JSON form of a progress: `to_doc` writes it; `parse_progress` and `parse_exercise_update`
read what a client sends, checked against the plan, and name every problem at once."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TypeGuard, TypeVar

from setpoint.strength.model import (
    MAX_ENTRIES,
    MAX_NOTES,
    MAX_REPS,
    MAX_TOTAL_REPS,
    MAX_WEIGHT_KG,
    RPE_RANGE,
    AmrapData,
    CircuitData,
    EmomData,
    ExerciseData,
    ExerciseProgress,
    ExerciseStatus,
    Progress,
    ProgressError,
    StandardData,
    exercise_at,
    initial_progress,
    with_exercise,
)
from setpoint.workouts.model import Exercise, ExerciseType


def to_doc(progress: Progress) -> dict[str, object]:
    """The JSON document: exercises by position, each with its plan, and the summary."""
    return {
        "exercises": [exercise_doc(e) for e in progress.exercises],
        "summary": summary_doc(progress),
    }


def exercise_doc(e: ExerciseProgress) -> dict[str, object]:
    """One exercise of the document."""
    return {
        "position": e.position,
        "name": e.name,
        "type": e.type.value,
        "config": e.config,
        "status": e.status.value,
        "notes": e.notes,
        "data": data_doc(e.data),
    }


def summary_doc(progress: Progress) -> dict[str, object]:
    return asdict(progress.summary)


def data_doc(data: ExerciseData) -> dict[str, object]:
    """An exercise's `data` as the document holds it."""
    match data:
        case StandardData():
            return {
                "sets_completed": data.sets_completed,
                "reps_per_set": list(data.reps_per_set),
                "weight_per_set": list(data.weight_per_set),
                "rpe_per_set": list(data.rpe_per_set),
            }
        case EmomData():
            return {"reps_per_minute": list(data.reps_per_minute), "rpe": data.rpe}
        case AmrapData():
            return {"total_reps": data.total_reps, "rounds": data.rounds, "rpe": data.rpe}
        case CircuitData():
            return {
                "rounds_completed": data.rounds_completed,
                "reps_per_round": list(data.reps_per_round),
                "weight_kg": data.weight_kg,
                "rpe": data.rpe,
            }


DATA_FIELDS: dict[ExerciseType, frozenset[str]] = {
    ExerciseType.STANDARD: frozenset(
        {"sets_completed", "reps_per_set", "weight_per_set", "rpe_per_set"}
    ),
    ExerciseType.EMOM: frozenset({"reps_per_minute", "rpe"}),
    ExerciseType.AMRAP: frozenset({"total_reps", "rounds", "rpe"}),
    ExerciseType.CIRCUIT: frozenset({"rounds_completed", "reps_per_round", "weight_kg", "rpe"}),
}
EXERCISE_FIELDS = frozenset({"position", "name", "type", "config", "status", "notes", "data"})
EXERCISE_REQUIRED = frozenset({"position", "status", "data"})
STATUSES = [s.value for s in ExerciseStatus]


def parse_progress(doc: object, plan: Sequence[Exercise]) -> Progress:
    """A whole progress document (as `to_doc` writes it) checked against the plan.

    Each exercise needs `position`, `status` and `data` (all its type's keys); `notes` is
    optional; `name`, `type` and `config` must match the plan when given; `summary` is ignored
    (computed). Every plan position must appear once. Raises `ProgressError` with every problem.
    """
    r = Reader()
    body = r.fields(doc, "", required=frozenset({"exercises"}), optional=frozenset({"summary"}))
    initial = initial_progress(plan).exercises
    found: dict[int, ExerciseProgress] = {}
    for i, item in enumerate(r.items(body.get("exercises", []), "exercises")):
        path = f"exercises[{i}]"
        position = item.get("position") if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping):
            r.fail(path, f"{_show(item)} is not an object")
        elif not _is_whole(position):
            r.fail(f"{path}.position", f"{_show(position)} is not a whole number")
        elif not 0 <= position < len(plan):
            r.fail(f"{path}.position", f"{position} is not a position of the plan")
        elif position in found:
            r.fail(f"{path}.position", f"{position} appears twice")
        else:
            found[position] = _read_exercise(r, item, path, initial[position], EXERCISE_REQUIRED)
    if "exercises" in body:
        for e in initial:
            if e.position not in found:
                r.fail("exercises", f"position {e.position} ({e.name}) is missing")
    r.raise_problems()
    return Progress(tuple(found[e.position] for e in initial))


def parse_exercise_update(progress: Progress, position: int, doc: object) -> Progress:
    """The progress with one exercise updated from `doc`: any of `status`, `notes` and `data`
    (all its type's keys), each replacing the current value; `position`, `name`, `type` and
    `config` must match when given. Paths in problems start at the exercise (`data.rpe`)."""
    exercise = exercise_at(progress, position)
    r = Reader()
    updated = _read_exercise(r, doc, "", exercise, frozenset())
    r.raise_problems()
    return with_exercise(progress, updated)


def _read_exercise(
    r: Reader, doc: object, path: str, base: ExerciseProgress, required: frozenset[str]
) -> ExerciseProgress:
    body = r.fields(doc, path, required, EXERCISE_FIELDS - required)
    echoes = {"position": base.position, "name": base.name, "type": base.type.value}
    for key, expected in {**echoes, "config": base.config}.items():
        if key in body and body[key] != expected:
            r.fail(
                _join(path, key), f"{_show(body[key])} does not match the plan's {_show(expected)}"
            )
    status = base.status
    if "status" in body:
        status = r.status(body["status"], _join(path, "status"), base.status)
    notes = base.notes
    if "notes" in body:
        notes = r.text(body["notes"], _join(path, "notes"), MAX_NOTES)
    data = base.data
    if "data" in body:
        data = read_data(r, body["data"], _join(path, "data"), base.type)
    return replace(base, status=status, notes=notes, data=data)


def read_data(r: Reader, doc: object, path: str, type: ExerciseType) -> ExerciseData:
    """An exercise's `data` read from `doc` (all the keys of its `type`), problems noted in `r`."""
    body = r.fields(doc, path, DATA_FIELDS[type], frozenset())

    def at(key: str) -> str:
        return _join(path, key)

    if type is ExerciseType.STANDARD:
        reps = r.entries(body.get("reps_per_set", []), at("reps_per_set"), r.reps)
        # as long as reps_per_set, checked below
        weights = r.entries(body.get("weight_per_set", []), at("weight_per_set"), r.weight, None)
        rpes = r.entries(body.get("rpe_per_set", []), at("rpe_per_set"), r.rpe, None)
        r.counted(body.get("sets_completed", len(reps)), at("sets_completed"), reps, "reps_per_set")
        for key, values in (("weight_per_set", weights), ("rpe_per_set", rpes)):
            if len(values) != len(reps):
                r.fail(at(key), f"has {len(values)} entries, reps_per_set has {len(reps)}")
        return StandardData(reps, weights, rpes)
    rpe = r.rpe(body.get("rpe"), at("rpe"))
    if type is ExerciseType.EMOM:
        return EmomData(
            r.entries(body.get("reps_per_minute", []), at("reps_per_minute"), r.reps), rpe
        )
    if type is ExerciseType.AMRAP:
        total = r.whole(body.get("total_reps", 0), at("total_reps"), MAX_TOTAL_REPS)
        return AmrapData(total, r.whole(body.get("rounds", 0), at("rounds"), MAX_ENTRIES), rpe)
    rounds = r.entries(body.get("reps_per_round", []), at("reps_per_round"), r.reps)
    r.counted(
        body.get("rounds_completed", len(rounds)), at("rounds_completed"), rounds, "reps_per_round"
    )
    return CircuitData(rounds, r.weight(body.get("weight_kg"), at("weight_kg")), rpe)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: object) -> str:
    if _is_number(value) and float(value).is_integer():
        return str(int(value))
    return json.dumps(value, default=str)


T = TypeVar("T")


@dataclass(slots=True)
class Reader:
    """Reads JSON values, noting a `path: sentence` for each problem and going on with a
    harmless stand-in, so one pass finds every problem."""

    problems: list[str] = field(default_factory=list)

    def fail(self, path: str, sentence: str) -> None:
        self.problems.append(f"{path}: {sentence}" if path else sentence)

    def raise_problems(self) -> None:
        if self.problems:
            raise ProgressError(self.problems)

    def fields(
        self, value: object, path: str, required: frozenset[str], optional: frozenset[str]
    ) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            self.fail(path, f"{_show(value)} is not an object")
            return {}
        for key in sorted(required - value.keys()):
            self.fail(_join(path, key), "is required")
        for key in value:
            if key not in required | optional:
                self.fail(_join(path, str(key)), "is not a known field")
        return value

    def items(self, value: object, path: str) -> list[object]:
        if not isinstance(value, list):
            self.fail(path, f"{_show(value)} is not a list")
            return []
        return value

    def entries(
        self,
        value: object,
        path: str,
        read: Callable[[object, str], T],
        most: int | None = MAX_ENTRIES,
    ) -> tuple[T, ...]:
        items = self.items(value, path)
        if most is not None and len(items) > most:
            self.fail(path, f"has {len(items)} entries, more than {most}")
        return tuple(read(item, f"{path}[{i}]") for i, item in enumerate(items))

    def counted(self, value: object, path: str, entries: tuple[int, ...], name: str) -> None:
        if not _is_whole(value) or value != len(entries):
            self.fail(path, f"{_show(value)} but {name} has {len(entries)} entries")

    def whole(self, value: object, path: str, high: int) -> int:
        if not _is_whole(value):
            self.fail(path, f"{_show(value)} is not a whole number")
            return 0
        self.bounded(value, path, 0, high)
        return value

    def reps(self, value: object, path: str) -> int:
        return self.whole(value, path, MAX_REPS)

    def weight(self, value: object, path: str) -> float | None:
        """Kilograms, or None."""
        return self.number(value, path, 0, MAX_WEIGHT_KG)

    def rpe(self, value: object, path: str) -> float | None:
        """In steps of 0.5, or None."""
        rpe = self.number(value, path, *RPE_RANGE)
        if rpe is not None and not (rpe * 2).is_integer():
            self.fail(path, f"{_show(rpe)} is not a multiple of 0.5")
        return rpe

    def number(self, value: object, path: str, low: float, high: float) -> float | None:
        if value is None:
            return None
        if not _is_number(value) or value != value:
            self.fail(path, f"{_show(value)} is not a number")
            return None
        return float(value) if self.bounded(value, path, low, high) else None

    def bounded(self, value: float, path: str, low: float, high: float) -> bool:
        if value < low:
            self.fail(path, f"{_show(value)} is below {_show(low)}")
        elif value > high:
            self.fail(path, f"{_show(value)} is above {_show(high)}")
        return low <= value <= high

    def text(self, value: object, path: str, most: int) -> str:
        if not isinstance(value, str):
            self.fail(path, f"{_show(value)} is not a string")
            return ""
        if len(value) > most:
            self.fail(path, f"is {len(value)} characters, more than {most}")
        return value

    def status(self, value: object, path: str, default: ExerciseStatus) -> ExerciseStatus:
        if not isinstance(value, str) or value not in STATUSES:
            self.fail(path, f"{_show(value)} is not one of {', '.join(STATUSES)}")
            return default
        return ExerciseStatus(value)

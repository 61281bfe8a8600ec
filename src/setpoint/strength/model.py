"""Strength progress: what the athlete did on each exercise of a strength workout (DESIGN §4).

A `Progress` is the SessionProgress document: one `ExerciseProgress` per exercise of the plan,
by `position` (the position normalization gives that exercise's segments). The plan is the
workout's exercises in position order, `planned_exercises(workout)`; the name, type and
planned config of each exercise come from it, never from what a client sends.

Statuses: `not_started` data is a pre-fill (an earlier attempt's numbers, see `carry_over`),
not yet done; `in_progress` and `completed` data was done; `skipped` keeps its data as it was.
The athlete sets statuses freely (completed with fewer sets, extra sets after completing);
`record_set` moves them as sets arrive. Only standard exercises with a weight give records.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple, TypeGuard, TypeVar

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


# --- recording ------------------------------------------------------------------------------


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
    exercise = _at_position(progress, position)
    r = _Reader()
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
    _read_data(r, _data_doc(data), "data", exercise.type)  # e.g. more than MAX_ENTRIES sets
    r.raise_problems()
    reached = target is not None and entries >= target
    if exercise.status is ExerciseStatus.COMPLETED or reached:
        return _with(progress, replace(exercise, data=data, status=ExerciseStatus.COMPLETED))
    return _with(progress, replace(exercise, data=data, status=ExerciseStatus.IN_PROGRESS))


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


def _at_position(progress: Progress, position: int) -> ExerciseProgress:
    if not 0 <= position < len(progress.exercises):
        raise ProgressError([f"position: no exercise at position {position}"])
    return progress.exercises[position]


def _with(progress: Progress, exercise: ExerciseProgress) -> Progress:
    exercises = list(progress.exercises)
    exercises[exercise.position] = exercise
    return Progress(tuple(exercises))


# --- JSON -----------------------------------------------------------------------------------


def to_doc(progress: Progress) -> dict[str, object]:
    """The JSON document: exercises by position, each with its plan, and the summary."""
    return {
        "exercises": [
            {
                "position": e.position,
                "name": e.name,
                "type": e.type.value,
                "config": e.config,
                "status": e.status.value,
                "notes": e.notes,
                "data": _data_doc(e.data),
            }
            for e in progress.exercises
        ],
        "summary": asdict(progress.summary),
    }


def _data_doc(data: ExerciseData) -> dict[str, object]:
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
    r = _Reader()
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
    exercise = _at_position(progress, position)
    r = _Reader()
    updated = _read_exercise(r, doc, "", exercise, frozenset())
    r.raise_problems()
    return _with(progress, updated)


def _read_exercise(
    r: _Reader, doc: object, path: str, base: ExerciseProgress, required: frozenset[str]
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
        data = _read_data(r, body["data"], _join(path, "data"), base.type)
    return replace(base, status=status, notes=notes, data=data)


def _read_data(r: _Reader, doc: object, path: str, type: ExerciseType) -> ExerciseData:
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
class _Reader:
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


# --- personal records -----------------------------------------------------------------------


def epley_1rm(weight_kg: float, reps: int) -> float | None:
    """Estimated one-rep max (Epley): the weight itself for 1 rep, None for 0 reps."""
    if reps == 0:
        return None
    if reps == 1:
        return weight_kg
    return weight_kg * (1 + reps / 30)


class LoggedSet(NamedTuple):
    weight_kg: float
    reps: int
    at: datetime


RecordKind = Literal["rep_max", "estimated_1rm"]


@dataclass(frozen=True, slots=True)
class PersonalRecords:
    """One exercise's records: the heaviest set for each rep count, and the set with the best
    estimated 1RM. A record belongs to the first set that reached it."""

    best_by_reps: Mapping[int, LoggedSet] = field(default_factory=dict)
    best_1rm: LoggedSet | None = None

    @property
    def best_1rm_kg(self) -> float | None:
        return None if self.best_1rm is None else epley_1rm(*self.best_1rm[:2])


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A set of a progress that broke records: `set` counts from 1, as in the plan."""

    position: int
    set: int
    logged: LoggedSet
    kinds: tuple[RecordKind, ...]


def personal_records(sets: Iterable[LoggedSet]) -> PersonalRecords:
    """One exercise's records from its sets, taken in time order; sets of 0 reps do not count."""
    tally = _Tally(PersonalRecords())
    for logged in sorted(sets, key=lambda s: s.at):
        tally.add(logged)
    return tally.records()


def performed_sets(progress: Progress, at: datetime) -> dict[str, list[LoggedSet]]:
    """The weighted sets done in a progress (standard exercises in progress or completed), by
    exercise name, all stamped `at`: what a history of records is built from."""
    sets: dict[str, list[LoggedSet]] = {}
    for _, exercise, logged in _weighted_sets(progress, at):
        sets.setdefault(exercise.name, []).append(logged)
    return sets


def new_records(
    progress: Progress, previous: Mapping[str, PersonalRecords], at: datetime
) -> list[NewRecord]:
    """The sets of `progress` (see `performed_sets`, done `at`) that broke a record when they
    were done: a record of `previous` (by exercise name; a rep count with no record yet counts
    as broken) or one set earlier in this progress."""
    tallies: dict[str, _Tally] = {}
    found: list[NewRecord] = []
    for number, exercise, logged in _weighted_sets(progress, at):
        tally = tallies.setdefault(
            exercise.name, _Tally(previous.get(exercise.name, PersonalRecords()))
        )
        kinds = tally.add(logged)
        if kinds:
            found.append(NewRecord(exercise.position, number, logged, kinds))
    return found


def _weighted_sets(
    progress: Progress, at: datetime
) -> Iterable[tuple[int, ExerciseProgress, LoggedSet]]:
    done = (ExerciseStatus.IN_PROGRESS, ExerciseStatus.COMPLETED)
    for exercise in progress.exercises:
        if exercise.status in done and isinstance(exercise.data, StandardData):
            pairs = zip(exercise.data.weight_per_set, exercise.data.reps_per_set, strict=True)
            for number, (weight, reps) in enumerate(pairs, start=1):
                if weight is not None:
                    yield number, exercise, LoggedSet(weight, reps, at)


class _Tally:
    def __init__(self, start: PersonalRecords) -> None:
        self.best_by_reps = dict(start.best_by_reps)
        self.best_1rm = start.best_1rm
        self.best_1rm_kg = start.best_1rm_kg

    def add(self, logged: LoggedSet) -> tuple[RecordKind, ...]:
        """Count a set in; the records it broke."""
        estimate = epley_1rm(logged.weight_kg, logged.reps)
        if estimate is None:
            return ()
        kinds: list[RecordKind] = []
        best = self.best_by_reps.get(logged.reps)
        if best is None or logged.weight_kg > best.weight_kg:
            self.best_by_reps[logged.reps] = logged
            kinds.append("rep_max")
        if self.best_1rm_kg is None or estimate > self.best_1rm_kg:
            self.best_1rm, self.best_1rm_kg = logged, estimate
            kinds.append("estimated_1rm")
        return tuple(kinds)

    def records(self) -> PersonalRecords:
        return PersonalRecords(dict(self.best_by_reps), self.best_1rm)

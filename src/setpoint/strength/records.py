"""Personal records: the heaviest set for each rep count and the best estimated 1RM of each
exercise, and the sets of a progress that broke them. Only standard exercises with a weight
give records.

Records are kept as they go: one `RepMax` per rep count, folded set by set (`with_set`, in any
order: the result is the same), so reading them never goes through the history. The best
estimated 1RM is always the best of the rep maxes (`records_of`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from setpoint.strength.model import ExerciseProgress, ExerciseStatus, Progress, StandardData


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


class HeldSet(NamedTuple):
    """A logged set with its identity: `set_id` orders sets logged at the same `at`."""

    set_id: int
    session_id: uuid.UUID
    weight_kg: float
    reps: int
    at: datetime

    @property
    def logged(self) -> LoggedSet:
        return LoggedSet(self.weight_kg, self.reps, self.at)


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


def _ranks_above(a: HeldSet, b: HeldSet) -> bool:
    """`a` holds the rep max of its rep count rather than `b`: heavier, or as heavy and done
    first (the tally of `personal_records`, whatever the order sets arrive in)."""
    return (-a.weight_kg, a.at, a.set_id) < (-b.weight_kg, b.at, b.set_id)


@dataclass(frozen=True, slots=True)
class RepMax:
    """The record of one rep count: the set that holds it, and the best set of the other
    sessions (`other`: what the record would be without the holder's session)."""

    best: HeldSet
    other: HeldSet | None = None


def with_set(current: RepMax | None, logged: HeldSet) -> RepMax:
    """The rep max of `logged`'s rep count once `logged` counts too."""
    if current is None:
        return RepMax(logged)
    best, other = current.best, current.other
    if _ranks_above(logged, best):
        return RepMax(logged, best if best.session_id != logged.session_id else other)
    if logged.session_id != best.session_id and (other is None or _ranks_above(logged, other)):
        return RepMax(best, logged)
    return current


def rep_maxes(
    sets: Iterable[HeldSet], start: Mapping[int, RepMax] | None = None
) -> dict[int, RepMax]:
    """The rep maxes of one exercise's sets (counted in to those of `start`); sets of 0 reps
    do not count."""
    maxes = dict(start or {})
    for logged in sets:
        if logged.reps > 0:
            maxes[logged.reps] = with_set(maxes.get(logged.reps), logged)
    return maxes


def records_of(holders: Iterable[HeldSet]) -> PersonalRecords:
    """The records given the set holding each rep count's record: the best estimated 1RM is
    one of them (the heaviest set of its rep count, done first)."""
    ordered = sorted(holders, key=lambda s: (s.at, s.set_id))
    best_1rm = max(ordered, key=lambda s: epley_1rm(s.weight_kg, s.reps) or 0.0, default=None)
    return PersonalRecords({s.reps: s.logged for s in ordered}, best_1rm and best_1rm.logged)


def records_without(maxes: Mapping[int, RepMax], session_id: uuid.UUID) -> PersonalRecords:
    """The records as the other sessions set them, without `session_id`'s sets."""
    holders = (m.best if m.best.session_id != session_id else m.other for m in maxes.values())
    return records_of(h for h in holders if h is not None)


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

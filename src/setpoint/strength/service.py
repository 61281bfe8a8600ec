"""Strength sessions: the progress document each attempt writes (optimistic concurrency by
`revision`), sets logged with the live session advancing to its rest, the sets log behind
exercise history and personal records. Flushes, never commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import Conflict, NotFound, StaleRevision
from setpoint.sessions import machine
from setpoint.sessions import service as sessions_service
from setpoint.sessions.machine import InvalidTransition, Status
from setpoint.sessions.snapshots import anchors_of, plan_of
from setpoint.sessions.tables import SessionRow
from setpoint.strength import documents, model, recording, repository
from setpoint.strength.model import Progress
from setpoint.strength.records import (
    LoggedSet,
    PersonalRecords,
    epley_1rm,
    new_records,
    performed_sets,
    personal_records,
)
from setpoint.strength.tables import ExerciseSet, ProgressRow
from setpoint.workouts.model import Exercise
from setpoint.workouts.service import domain_of
from setpoint.workouts.service import visible as visible_workout
from setpoint.workouts.tables import WorkoutRow


class NotStrength(NotFound):
    code = "not_a_strength_session"


class ProgressTakenOver(Conflict):
    code = "progress_taken_over"


# --- attempts ------------------------------------------------------------------------------


def exercises_of(workout: WorkoutRow) -> tuple[Exercise, ...]:
    return model.planned_exercises(domain_of(workout))


async def begin_attempt(ctx: Context, session: AsyncSession, row: SessionRow) -> None:
    """A new session of a strength workout takes over the athlete's progress of that template
    (made on the first attempt; later ones start pre-filled with the earlier data)."""
    workout = await session.get(WorkoutRow, row.workout_id)
    assert workout is not None  # sessions keep their workout
    plan = exercises_of(workout)
    if not plan:
        return
    stored = await repository.progress_of(session, row.athlete_id, workout.origin_id, lock=True)
    if stored is not None and stored.session_id == row.id:
        return
    if stored is None:
        progress = model.initial_progress(plan)
        stored = ProgressRow(athlete_id=row.athlete_id, template_id=workout.origin_id, revision=0)
        session.add(stored)
    else:
        earlier = await _parse(session, stored)
        progress = model.carry_over(earlier, plan)
    stored.workout_id, stored.session_id = workout.id, row.id
    _write(ctx, row, stored, progress)


# --- reading and writing the progress ------------------------------------------------------


async def _loaded(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, *, lock: bool
) -> tuple[SessionRow, ProgressRow, Progress]:
    row = await sessions_service.visible(session, actor, session_id, lock=lock)
    workout = await session.get(WorkoutRow, row.workout_id)
    assert workout is not None  # sessions keep their workout
    stored = await repository.progress_of(session, row.athlete_id, workout.origin_id, lock=lock)
    if stored is None:
        raise NotStrength(f"session {session_id} has no exercises to log")
    if stored.session_id != row.id and lock:
        raise ProgressTakenOver(
            "a newer attempt of this workout holds the progress now; write to that session"
        )
    return row, stored, await _parse(session, stored)


async def _plan(session: AsyncSession, stored: ProgressRow) -> tuple[Exercise, ...]:
    """The exercises of the workout revision the progress follows."""
    workout = await session.get(WorkoutRow, stored.workout_id)
    assert workout is not None  # sessions keep their workout
    return exercises_of(workout)


async def _parse(session: AsyncSession, stored: ProgressRow) -> Progress:
    return documents.parse_progress(stored.document, await _plan(session, stored))


def _write(ctx: Context, row: SessionRow, stored: ProgressRow, progress: Progress) -> None:
    stored.document = documents.to_doc(progress)
    stored.revision += 1
    stored.updated_at = ctx.clock.now()
    summary = progress.summary
    row.exercises_completed, row.exercises_total = summary.completed, summary.total


async def _checked(
    session: AsyncSession,
    row: SessionRow,
    stored: ProgressRow,
    progress: Progress,
    revision: int | None,
) -> None:
    if revision is not None and revision != stored.revision:
        doc = await _document(session, stored, progress, _attempt_time(row))
        raise StaleRevision(
            f"progress is at revision {stored.revision}, not {revision}: merge and retry",
            progress=doc,
        )


async def _saved(
    ctx: Context, session: AsyncSession, row: SessionRow, stored: ProgressRow, progress: Progress
) -> dict[str, Any]:
    _write(ctx, row, stored, progress)
    at = _attempt_time(row)
    sets = [
        ExerciseSet(
            athlete_id=row.athlete_id,
            session_id=row.id,
            exercise=name,
            weight_kg=s.weight_kg,
            reps=s.reps,
            at=at,
        )
        for name, logged in performed_sets(progress, at).items()
        for s in logged
    ]
    await repository.replace_sets(session, row.id, sets)
    await session.flush()
    return await _document(session, stored, progress, at)


def _attempt_time(row: SessionRow) -> datetime:
    """Sets are dated by their attempt's start (or its creation, before it starts)."""
    if row.started_at is None:
        return row.created_at
    return datetime.fromtimestamp(row.started_at, UTC)


async def _document(
    session: AsyncSession, stored: ProgressRow, progress: Progress, at: datetime
) -> dict[str, Any]:
    """The progress with its revision, each exercise's records (every attempt, this one
    included) and the sets of this attempt that set a record."""
    names = {e.name for e in progress.exercises}
    history: dict[str, list[ExerciseSet]] = defaultdict(list)
    for logged in await repository.sets_of(session, stored.athlete_id, names):
        history[logged.exercise].append(logged)

    def records(keep: Callable[[ExerciseSet], bool]) -> dict[str, PersonalRecords]:
        return {
            name: personal_records(LoggedSet(s.weight_kg, s.reps, s.at) for s in sets if keep(s))
            for name, sets in history.items()
        }

    before = records(lambda s: s.session_id != stored.session_id)
    return {
        "session_id": str(stored.session_id),
        "workout_id": str(stored.workout_id),
        "revision": stored.revision,
        "updated_at": stored.updated_at.isoformat(),
        **documents.to_doc(progress),
        "records": {name: records_doc(r) for name, r in records(lambda _: True).items()},
        "new_records": [
            {
                "position": r.position,
                "set": r.set,
                "weight_kg": r.logged.weight_kg,
                "reps": r.logged.reps,
                "kinds": list(r.kinds),
            }
            for r in new_records(progress, before, at)
        ],
    }


def records_doc(records: PersonalRecords) -> dict[str, Any]:
    best = records.best_1rm
    return {
        "estimated_1rm_kg": None if records.best_1rm_kg is None else round(records.best_1rm_kg, 2),
        "estimated_1rm_from": None
        if best is None
        else {"weight_kg": best.weight_kg, "reps": best.reps, "at": best.at.isoformat()},
        "best_by_reps": [
            {"reps": reps, "weight_kg": s.weight_kg, "at": s.at.isoformat()}
            for reps, s in sorted(records.best_by_reps.items())
        ],
    }


async def get(
    ctx: Context, session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> dict[str, Any]:
    row, stored, progress = await _loaded(session, actor, session_id, lock=False)
    return await _document(session, stored, progress, _attempt_time(row))


async def replace(
    ctx: Context,
    session: AsyncSession,
    actor: Actor,
    session_id: uuid.UUID,
    doc: object,
    revision: int,
) -> dict[str, Any]:
    """The whole document, as of `revision` (else 409 with the current one)."""
    row, stored, current = await _loaded(session, actor, session_id, lock=True)
    await _checked(session, row, stored, current, revision)
    replaced = documents.parse_progress(doc, await _plan(session, stored))
    return await _saved(ctx, session, row, stored, replaced)


async def update_exercise(
    ctx: Context,
    session: AsyncSession,
    actor: Actor,
    session_id: uuid.UUID,
    position: int,
    doc: object,
    revision: int,
) -> dict[str, Any]:
    """One exercise's status, notes or data, as of `revision` (else 409 with the current)."""
    row, stored, current = await _loaded(session, actor, session_id, lock=True)
    await _checked(session, row, stored, current, revision)
    updated = documents.parse_exercise_update(current, position, doc)
    return await _saved(ctx, session, row, stored, updated)


async def complete_set(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    position: int,
    reps: int,
    weight_kg: float | None,
    rpe: float | None,
    revision: int | None,
) -> dict[str, Any]:
    """Record a set; when the live session is on that exercise's set, it moves on to the
    rest (the rest timer is the state's `rest_remaining_s`). The new state and progress."""
    session = uow.session
    row, stored, current = await _loaded(session, actor, session_id, lock=True)
    await _checked(session, row, stored, current, revision)
    progress = await _saved(
        ctx, session, row, stored, recording.record_set(current, position, reps, weight_kg, rpe)
    )
    now = ctx.timeline.now()
    transition = _set_done(ctx, row, position, now)
    if transition is None:
        state = sessions_service.state_of(ctx, row, now)
    else:
        events = sessions_service.apply_transition(ctx, row, transition, now, session)
        state = await sessions_service.announce(ctx, uow, row, events, now)
    await session.flush()
    return {"state": state, "progress": progress}


def _set_done(
    ctx: Context, row: SessionRow, position: int, now: float
) -> machine.Transition | None:
    """The move to the rest, when the running session is on a set of that exercise."""
    if row.status != Status.IN_PROGRESS.value:
        return None
    plan, anchors = plan_of(ctx, row), anchors_of(row)
    exercise = machine.view(plan, anchors, now).segment.exercise
    if exercise is None or exercise.position != position:
        return None
    try:
        return machine.complete_set(plan, anchors, now)
    except InvalidTransition:
        return None  # an EMOM minute or an AMRAP: the clock moves on, not the set


async def history(
    session: AsyncSession, actor: Actor, athlete_id: uuid.UUID, exercise: str, limit: int
) -> dict[str, Any]:
    """An exercise's records and its most recent sets, for the athlete."""
    authz.check_owner(actor, athlete_id, f"athlete {athlete_id}")
    sets = await repository.sets_of(session, athlete_id, [exercise])
    logged = [LoggedSet(s.weight_kg, s.reps, s.at) for s in sets]
    return {
        "exercise": exercise,
        "athlete_id": str(athlete_id),
        "records": records_doc(personal_records(logged)),
        "sets": [
            {
                "session_id": str(s.session_id),
                "weight_kg": s.weight_kg,
                "reps": s.reps,
                "estimated_1rm_kg": _round(epley_1rm(s.weight_kg, s.reps)),
                "at": s.at.isoformat(),
            }
            for s in sets[-limit:][::-1]
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def progress_or_none(
    ctx: Context, session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> dict[str, Any] | None:
    try:
        return await get(ctx, session, actor, session_id)
    except NotStrength:
        return None


async def attempts(
    ctx: Context,
    session: AsyncSession,
    actor: Actor,
    workout_id: uuid.UUID,
    athlete_id: uuid.UUID,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Each attempt of the workout (any revision) by the athlete: seed 002's WorkoutSession."""
    authz.check_owner(actor, athlete_id, f"athlete {athlete_id}")
    workout = await visible_workout(session, actor, workout_id)
    rows, total = await repository.attempts(session, athlete_id, workout.origin_id, limit, offset)
    now = ctx.timeline.now()
    return [_attempt(ctx, row, now) for row in rows], total


def _attempt(ctx: Context, row: SessionRow, now: float) -> dict[str, Any]:
    state = machine.view(plan_of(ctx, row), anchors_of(row), now)
    rests = [
        s["duration_s"]
        for s in row.plan["segments"]
        if (s.get("exercise") or {}).get("kind") == "rest"
    ]
    return {
        "session_id": str(row.id),
        "workout_id": str(row.workout_id),
        "status": state.status.value,
        "started_at": _iso(row.started_at),
        "ended_at": _iso(state.completed_at or row.ended_at),
        "duration_s": round(state.elapsed_s, 3),
        "exercises_completed": row.exercises_completed,
        "exercises_total": row.exercises_total,
        "rest_period_s": rests[0] if rests else None,
    }


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()

"""Strength sessions: the progress document each attempt writes (optimistic concurrency by
`revision`), sets logged with the live session advancing to its rest, the sets log behind
exercise history and personal records. Flushes, never commits."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import Conflict, NotFound, StaleRevision
from setpoint.plans import service as plans_service
from setpoint.sessions import machine
from setpoint.sessions import service as sessions_service
from setpoint.sessions.machine import InvalidTransition, Status
from setpoint.sessions.snapshots import anchors_of, plan_of
from setpoint.sessions.tables import SessionRow
from setpoint.strength import documents, model, recording, repository
from setpoint.strength.model import Progress
from setpoint.strength.plans import ExercisePlans, exercises_of
from setpoint.strength.records import (
    PersonalRecords,
    RepMax,
    epley_1rm,
    new_records,
    performed_sets,
    records_of,
    records_without,
    rep_maxes,
)
from setpoint.strength.repository import StoredProgress
from setpoint.strength.tables import ProgressRow
from setpoint.workouts.service import visible as visible_workout
from setpoint.workouts.tables import WorkoutRow


class NotStrength(NotFound):
    code = "not_a_strength_session"


class ProgressTakenOver(Conflict):
    code = "progress_taken_over"


# --- attempts ------------------------------------------------------------------------------


async def begin_attempt(ctx: Context, session: AsyncSession, row: SessionRow) -> None:
    """A new session of a strength workout takes over the athlete's progress of that template
    (made on the first attempt; later ones start pre-filled with the earlier data)."""
    workout = await session.get(WorkoutRow, row.workout_id)
    assert workout is not None  # sessions keep their workout
    plan = exercises_of(workout)
    if not plan:
        return
    key = await progress_key(session, row, workout)
    stored = await repository.progress_of(session, row.athlete_id, key, lock=True)
    if stored is not None and stored.session_id == row.id:
        return
    if stored is None:
        progress = model.initial_progress(plan)
        stored = ProgressRow(athlete_id=row.athlete_id, template_id=key, revision=0)
        session.add(stored)
    else:
        earlier = await _parse(session, stored)
        progress = model.carry_over(earlier, plan)
    stored.workout_id, stored.session_id = workout.id, row.id
    _write(ctx, row, stored, progress)


async def progress_key(session: AsyncSession, row: SessionRow, workout: WorkoutRow) -> uuid.UUID:
    """A session run from a planned session keeps its progress per planned session; any other
    per template (all revisions of a workout)."""
    planned_id = await plans_service.planned_id_of_session(session, row.id)
    return planned_id or workout.origin_id


# --- reading and writing the progress ------------------------------------------------------
#
# The progress a session writes is found by its `session_id` (one indexed query, with the
# session's owner for the authorization); the plan it follows comes from `ExercisePlans`.
# Writes lock the session and the progress rows, as the optimistic revision rule needs.


async def _read(
    ctx: Context, session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> tuple[StoredProgress, Progress, datetime]:
    """The progress of the session (the one it writes, or else the one of its template),
    and the time its sets are dated by."""
    attempt, stored = await repository.attempt_and_progress(session, session_id)
    owner = attempt.athlete_id if attempt else None
    attempt = authz.owned(actor, attempt, owner, f"session {session_id}")
    if stored is None:
        row = await sessions_service.visible(session, actor, session_id)
        stored = await _progress_of_template(session, row)
    at = _attempt_time(attempt.started_at, attempt.created_at)
    return stored, await _progress(ctx, session, stored), at


async def _locked(
    ctx: Context, session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> tuple[SessionRow, StoredProgress, Progress]:
    """The session and the progress it writes, both locked until the commit."""
    row = await sessions_service.visible(session, actor, session_id, lock=True)
    stored = await repository.progress_held_by(session, row.id, lock=True)
    if stored is None:
        await _progress_of_template(session, row)
        raise ProgressTakenOver(
            "a newer attempt of this workout holds the progress now; write to that session"
        )
    return row, stored, await _progress(ctx, session, stored)


async def _progress_of_template(session: AsyncSession, row: SessionRow) -> StoredProgress:
    """The progress keyed as `begin_attempt` keys it, whichever attempt holds it now."""
    workout = await session.get(WorkoutRow, row.workout_id)
    assert workout is not None  # sessions keep their workout
    key = await progress_key(session, row, workout)
    stored = await repository.progress_of(session, row.athlete_id, key)
    if stored is None:
        raise NotStrength(f"session {row.id} has no exercises to log")
    return StoredProgress.of(stored)


async def _progress(ctx: Context, session: AsyncSession, stored: StoredProgress) -> Progress:
    plan = await ctx.part(ExercisePlans).of(session, stored.workout_id)
    return documents.parse_progress(stored.document, plan)


async def _parse(session: AsyncSession, stored: ProgressRow) -> Progress:
    workout = await session.get(WorkoutRow, stored.workout_id)
    assert workout is not None  # sessions keep their workout
    return documents.parse_progress(stored.document, exercises_of(workout))


def _write(ctx: Context, row: SessionRow, stored: ProgressRow, progress: Progress) -> None:
    stored.document = documents.to_doc(progress)
    stored.revision += 1
    stored.updated_at = ctx.clock.now()
    summary = progress.summary
    row.exercises_completed, row.exercises_total = summary.completed, summary.total


async def _checked(
    session: AsyncSession,
    row: SessionRow,
    stored: StoredProgress,
    progress: Progress,
    revision: int | None,
) -> None:
    if revision is not None and revision != stored.revision:
        at = _attempt_time(row.started_at, row.created_at)
        doc = await _current(session, stored, progress, at)
        raise StaleRevision(
            f"progress is at revision {stored.revision}, not {revision}: merge and retry",
            progress=doc,
        )


async def _saved(
    ctx: Context,
    session: AsyncSession,
    row: SessionRow,
    stored: StoredProgress,
    current: Progress,
    updated: Progress,
) -> dict[str, Any]:
    """Write what changed from `current` to `updated`: the sets of the exercises whose sets
    changed and their records, the document, the session's summary. The new document."""
    at = _attempt_time(row.started_at, row.created_at)
    athlete = stored.athlete_id
    await repository.lock_athlete(session, athlete)
    maxes = await repository.rep_maxes_of(session, athlete, _names(updated))
    before, after = performed_sets(current, at), performed_sets(updated, at)
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, []), after.get(name, [])
        if new == old:
            continue
        if new[: len(old)] == old:  # sets added: the records count them in
            added = await repository.add_sets(
                session, athlete, stored.session_id, name, new[len(old) :]
            )
            counted = rep_maxes(added, maxes.get(name, {}))
            changed = {r: m for r, m in counted.items() if maxes.get(name, {}).get(r) != m}
            await repository.write_rep_maxes(session, athlete, name, changed)
        else:  # sets edited or removed: the exercise's records are counted again
            await repository.delete_sets(session, stored.session_id, name)
            await repository.add_sets(session, athlete, stored.session_id, name, new)
            counted = rep_maxes(await repository.all_sets(session, athlete, name))
            await repository.write_rep_maxes(session, athlete, name, counted, replace_all=True)
        maxes[name] = counted
    saved = await _write_document(ctx, session, stored, current, updated)
    summary = updated.summary
    row.exercises_completed, row.exercises_total = summary.completed, summary.total
    return _document(saved, updated, maxes, at)


async def _write_document(
    ctx: Context, session: AsyncSession, stored: StoredProgress, current: Progress, new: Progress
) -> StoredProgress:
    """Store the new document: when one exercise changed, only that exercise and the summary
    are replaced in the stored document."""
    pairs = zip(current.exercises, new.exercises, strict=True)
    changed = [b for a, b in pairs if a != b]
    document: dict[str, Any] | ColumnElement[Any] = documents.to_doc(new)
    if len(changed) == 1:
        dialect = session.get_bind().dialect.name
        exercise = documents.exercise_doc(changed[0])
        summary = documents.summary_doc(new)
        document = repository.with_exercise(dialect, changed[0].position, exercise, summary)
    now = ctx.clock.now()
    revision = await repository.save_progress(session, stored.id, document, now)
    return dataclasses.replace(stored, revision=revision, updated_at=now)


def _names(progress: Progress) -> set[str]:
    return {e.name for e in progress.exercises}


def _attempt_time(started_at: float | None, created_at: datetime) -> datetime:
    """Sets are dated by their attempt's start (or its creation, before it starts)."""
    if started_at is None:
        return created_at
    return datetime.fromtimestamp(started_at, UTC)


async def _current(
    session: AsyncSession, stored: StoredProgress, progress: Progress, at: datetime
) -> dict[str, Any]:
    maxes = await repository.rep_maxes_of(session, stored.athlete_id, _names(progress))
    return _document(stored, progress, maxes, at)


def _document(
    stored: StoredProgress,
    progress: Progress,
    maxes: Mapping[str, Mapping[int, RepMax]],
    at: datetime,
) -> dict[str, Any]:
    """The progress with its revision, each exercise's records (every attempt, this one
    included) and the sets of this attempt that set a record."""
    before = {name: records_without(m, stored.session_id) for name, m in maxes.items()}
    return {
        "session_id": str(stored.session_id),
        "workout_id": str(stored.workout_id),
        "revision": stored.revision,
        "updated_at": stored.updated_at.isoformat(),
        **documents.to_doc(progress),
        "records": {name: records_doc(_records(m)) for name, m in maxes.items() if m},
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


def _records(maxes: Mapping[int, RepMax]) -> PersonalRecords:
    return records_of(m.best for m in maxes.values())


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
    stored, progress, at = await _read(ctx, session, actor, session_id)
    return await _current(session, stored, progress, at)


async def replace(
    ctx: Context,
    session: AsyncSession,
    actor: Actor,
    session_id: uuid.UUID,
    doc: object,
    revision: int,
) -> dict[str, Any]:
    """The whole document, as of `revision` (else 409 with the current one)."""
    row, stored, current = await _locked(ctx, session, actor, session_id)
    await _checked(session, row, stored, current, revision)
    plan = await ctx.part(ExercisePlans).of(session, stored.workout_id)
    replaced = documents.parse_progress(doc, plan)
    return await _saved(ctx, session, row, stored, current, replaced)


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
    row, stored, current = await _locked(ctx, session, actor, session_id)
    await _checked(session, row, stored, current, revision)
    updated = documents.parse_exercise_update(current, position, doc)
    return await _saved(ctx, session, row, stored, current, updated)


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
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Record a set; when the live session is on that exercise's set, it moves on to the
    rest (the rest timer is the state's `rest_remaining_s`). The new state and progress.
    With an idempotency key, a retry gets the first answer again."""
    session = uow.session
    request = f"set {session_id} {position} {reps} {weight_kg} {rpe} {revision}"
    earlier = await sessions_service.replayed(session, actor, idempotency_key, request)
    if earlier is not None:
        return earlier
    row, stored, current = await _locked(ctx, session, actor, session_id)
    await _checked(session, row, stored, current, revision)
    updated = recording.record_set(current, position, reps, weight_kg, rpe)
    progress = await _saved(ctx, session, row, stored, current, updated)
    now = ctx.timeline.now()
    transition = _set_done(ctx, row, position, now)
    if transition is None:
        state = sessions_service.state_of(ctx, row, now)
    else:
        events = sessions_service.apply_transition(ctx, row, transition, now, session)
        state = await sessions_service.announce(ctx, uow, row, events, now)
    answer = {"state": state, "progress": progress}
    sessions_service.remember(ctx, session, actor, idempotency_key, request, answer)
    await session.flush()
    return answer


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
    session: AsyncSession,
    actor: Actor,
    athlete_id: uuid.UUID,
    exercise: str,
    limit: int,
    before_id: int | None = None,
) -> dict[str, Any]:
    """An exercise's records and a page of its sets, newest first: the latest, or those
    older than the set `before_id` (each page names the next one's `before_id`)."""
    authz.check_owner(actor, athlete_id, f"athlete {athlete_id}")
    before = None
    if before_id is not None:
        before = await repository.set_position(session, athlete_id, exercise, before_id)
        if before is None:
            raise NotFound(f"set {before_id} of {exercise} does not exist")
    sets = await repository.history_page(session, athlete_id, exercise, limit + 1, before)
    page = sets[:limit]
    maxes = await repository.rep_maxes_of(session, athlete_id, [exercise])
    return {
        "exercise": exercise,
        "athlete_id": str(athlete_id),
        "records": records_doc(_records(maxes.get(exercise, {}))),
        "sets": [
            {
                "id": s.id,
                "session_id": str(s.session_id),
                "weight_kg": s.weight_kg,
                "reps": s.reps,
                "estimated_1rm_kg": _round(epley_1rm(s.weight_kg, s.reps)),
                "at": s.at.isoformat(),
            }
            for s in page
        ],
        "next_before_id": page[-1].id if len(sets) > limit else None,
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
    """Each attempt of the workout (any revision) by the athlete."""
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

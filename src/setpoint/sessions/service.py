"""Live sessions: create, read, command, settle deadlines, recover. Flushes, never commits.

Every accepted command is written (anchors, revision, event log, idempotent answer) in the
caller's transaction; the live update and the worker wake-up are registered to run after
it commits.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import BadRequest, Conflict, StaleRevision, Unprocessable
from setpoint.heartrate.live import HeartRates
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify, prefetch_subscribed
from setpoint.plans.tables import PlannedSession
from setpoint.sessions import machine, repository
from setpoint.sessions.machine import Status, Transition
from setpoint.sessions.snapshots import (
    Snapshot,
    Snapshots,
    anchors_of,
    instant,
    plan_of,
    snapshot_of,
)
from setpoint.sessions.tables import IdempotencyKey, SessionEvent, SessionRow
from setpoint.workouts.documents import PLAN_VERSION
from setpoint.workouts.model import Intensity
from setpoint.workouts.service import visible as visible_workout
from setpoint.workouts.tables import WorkoutRow

DEADLINES_JOB = "session-deadlines"


# Boundaries settled in one turn of the event loop: hundreds can fall due in the same instant
# (10k sessions started together), and settling one costs about a millisecond of CPU.
SETTLE_SLICE = 20


class SessionAlreadyActive(Conflict):
    code = "session_already_active"


# --- the state -----------------------------------------------------------------------------


def state_doc(snap: Snapshot, now: float, heart_rates: HeartRates | None = None) -> dict[str, Any]:
    """The authoritative state (docs/api.md), computed from the anchors at `now`, with the
    heart rate this process follows for the session."""
    s = machine.view(snap.plan, snap.anchors, now)
    segments = snap.plan_json["segments"]
    heart_rate = None if heart_rates is None else heart_rates.view(snap.id, now, s.segment_index)
    return {
        **snap.fixed,
        "status": s.status.value,
        "elapsed_s": round(s.elapsed_s, 3),
        "segment_index": s.segment_index,
        "segment_elapsed_s": round(s.segment_elapsed_s, 3),
        "segment_remaining_s": None
        if s.segment_remaining_s is None
        else round(s.segment_remaining_s, 3),
        "rest_remaining_s": round(s.segment_remaining_s, 3)
        if s.segment.intensity is Intensity.REST and s.segment_remaining_s is not None
        else None,
        "segment": segments[s.segment_index],
        "next_segment": segments[s.segment_index + 1]
        if s.segment_index + 1 < len(segments)
        else None,
        "ended_at": instant(
            s.completed_at if s.completed_at is not None else snap.anchors.ended_at
        ),
        "server_time": round(now, 3),
        "revision": snap.revision,
        "heart_rate": heart_rate,
    }


def state_of(ctx: Context, row: SessionRow, now: float) -> dict[str, Any]:
    return state_doc(snapshot_of(ctx, row), now, ctx.part(HeartRates))


def event_doc(event: machine.Event) -> dict[str, Any]:
    return {"type": type(event).__name__, **asdict(event)}


# --- access --------------------------------------------------------------------------------


async def visible(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, *, lock: bool = False
) -> SessionRow:
    row = await repository.get(session, session_id, lock=lock)
    return authz.owned(actor, row, row.athlete_id if row else None, f"session {session_id}")


async def locked(session: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    """The session's row, locked for this transaction (None when it is gone)."""
    return await repository.get(session, session_id, lock=True)


async def snapshot(ctx: Context, actor: Actor, session_id: uuid.UUID) -> Snapshot:
    """The session as last committed, from this process's snapshots when it has one."""
    snap = await known_snapshot(ctx, session_id)
    return authz.owned(actor, snap, snap.athlete_id if snap else None, f"session {session_id}")


async def known_snapshot(ctx: Context, session_id: uuid.UUID) -> Snapshot | None:
    """`snapshot` for a caller that checked who asks (None: no such session)."""
    snapshots = ctx.part(Snapshots)
    snap = snapshots.get(session_id)
    if snap is None:
        async with ctx.db.transaction(write=False) as uow:
            row = await repository.get(uow.session, session_id)
        if row is not None:
            snap = snapshot_of(ctx, row)
            snapshots.put(snap)
    return snap


def _already_active(ctx: Context, row: SessionRow, now: float) -> SessionAlreadyActive:
    return SessionAlreadyActive(
        "this athlete already has an active session: resume it, or abandon it and start a new one",
        active_session=state_of(ctx, row, now),
    )


async def create(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    workout_id: uuid.UUID | None,
    athlete_id: uuid.UUID | None,
    planned_session_id: uuid.UUID | None = None,
) -> SessionRow:
    """A new session of a workout, or of a planned session (its workout, for its athlete; the
    planned session then links to the new session)."""
    session = uow.session
    planned = None
    if planned_session_id is not None:
        planned = await _planned(session, actor, planned_session_id, athlete_id)
        athlete = planned.athlete_id
        workout = await session.get(WorkoutRow, planned.workout_id)
        assert workout is not None  # planned sessions keep their workout
    else:
        assert workout_id is not None
        athlete = authz.athlete(actor, athlete_id)
        workout = await visible_workout(session, actor, workout_id)
    now = ctx.timeline.now()
    active = await repository.active_of(session, athlete)
    if active is not None:
        raise _already_active(ctx, active, now)
    row = SessionRow(
        athlete_id=athlete,
        workout_id=workout.id,
        workout_name=workout.name,
        plan={
            "version": PLAN_VERSION,
            "segments": workout.segments,
            "total_duration_s": workout.total_duration_s,
        },
        status=Status.NOT_STARTED.value,
        active_athlete_id=athlete,
        segment_index=0,
        segment_start_elapsed_s=0.0,
        elapsed_at_anchor_s=0.0,
        anchor_at=None,
        started_at=None,
        ended_at=None,
        next_deadline=None,
        last_seen_at=now,
        revision=1,
        event_seq=0,
        created_at=ctx.clock.now(),
    )
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # a concurrent create won the unique active_athlete_id
        active = await repository.active_of(session, athlete)
        if active is None:
            raise
        raise _already_active(ctx, active, now) from None
    if planned is not None:
        planned.session_id = row.id
        await session.flush()
    return row


async def _planned(
    session: AsyncSession, actor: Actor, planned_id: uuid.UUID, athlete_id: uuid.UUID | None
) -> PlannedSession:
    planned = await session.get(PlannedSession, planned_id, with_for_update=True)
    owner = planned.athlete_id if planned else None
    planned = authz.owned(actor, planned, owner, f"planned session {planned_id}")
    if athlete_id is not None and athlete_id != planned.athlete_id:
        raise Unprocessable(f"athlete_id: planned session {planned_id} is another athlete's")
    return planned


# --- commands ------------------------------------------------------------------------------


def apply_transition(
    ctx: Context, row: SessionRow, transition: Transition, now: float, session: AsyncSession
) -> list[dict[str, Any]]:
    """Write the new anchors and append the events to the log; the events as documents."""
    a = transition.anchors
    row.status = a.status.value
    row.segment_index = a.segment_index
    row.segment_start_elapsed_s = a.segment_start_elapsed_s
    row.elapsed_at_anchor_s = a.elapsed_at_anchor_s
    row.anchor_at = a.anchor_at
    row.started_at = a.started_at
    row.ended_at = a.ended_at
    row.next_deadline = machine.next_deadline(plan_of(ctx, row), a)
    if a.status in (Status.COMPLETED, Status.ABANDONED):
        row.active_athlete_id = None
    row.revision += 1
    row.last_seen_at = max(row.last_seen_at, now)
    docs = [event_doc(event) for event in transition.events]
    log_events(session, row, docs)
    return docs


def log_events(session: AsyncSession, row: SessionRow, docs: list[dict[str, Any]]) -> None:
    """Append events (documents with `type` and `at`) to the session's log."""
    for doc in docs:
        row.event_seq += 1
        session.add(
            SessionEvent(
                session_id=row.id, seq=row.event_seq, type=doc["type"], payload=doc, at=doc["at"]
            )
        )


async def announce(
    ctx: Context,
    uow: UnitOfWork,
    row: SessionRow,
    events: list[dict[str, Any]],
    now: float,
) -> dict[str, Any]:
    """Record the events worth a notification (in this transaction), and after the commit
    keep the new snapshot, push the update to live clients and wake the workers for the next
    deadline. The new state."""
    snap = snapshot_of(ctx, row)
    state = state_doc(snap, now, ctx.part(HeartRates))
    ended = snap.anchors.status in (Status.COMPLETED, Status.ABANDONED)
    if ended:
        await repository.delete_draft(uow.session, row.id)
    for event in events:
        kind = NotificationType.of(event["type"])  # segment changes and completion
        if kind is not None:
            payload = {**event, "session_id": str(row.id), "workout_name": row.workout_name}
            await notify(ctx, uow, row.athlete_id, kind, payload, session_id=row.id)
    message = json.dumps({"type": "update", "state": state, "events": events})
    deadline = row.next_deadline

    async def after() -> None:
        ctx.part(Snapshots).put(snap)
        if ended:
            ctx.part(HeartRates).drop(snap.id)
        await ctx.hub.publish(f"session:{row.id}", message)
        await ctx.wake(DEADLINES_JOB, deadline)

    uow.after_commit(after)
    return state


def parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    cleaned = value.strip().removeprefix("W/").strip('"')
    if not cleaned.isdigit():
        raise BadRequest(f"If-Match: {value!r} is not a session revision")
    return int(cleaned)


async def command(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    name: machine.Command,
    *,
    idempotency_key: str | None = None,
    if_match: int | None = None,
) -> dict[str, Any]:
    """Apply one command; with an idempotency key, a retry gets the first answer again."""
    session = uow.session
    request = f"{name} {session_id}"
    earlier = await replayed(session, actor, idempotency_key, request)
    if earlier is not None:
        return earlier
    row = await visible(session, actor, session_id, lock=True)
    now = ctx.timeline.now()
    if if_match is not None and if_match != row.revision:
        raise StaleRevision(
            f"session is at revision {row.revision}, not {if_match}",
            session=state_of(ctx, row, now),
        )
    transition = machine.COMMANDS[name](plan_of(ctx, row), anchors_of(row), now)
    events = apply_transition(ctx, row, transition, now, session)
    state = await announce(ctx, uow, row, events, now)
    remember(ctx, session, actor, idempotency_key, request, state)
    await session.flush()
    return state


async def replayed(
    session: AsyncSession, actor: Actor, key: str | None, request: str
) -> dict[str, Any] | None:
    """The answer given to an earlier request with this `Idempotency-Key`, if any."""
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise BadRequest("Idempotency-Key: must be 1–200 characters")
    earlier = await repository.idempotent_answer(session, actor.user_id, key)
    if earlier is None:
        return None
    if earlier.request != request:
        raise Conflict(f"Idempotency-Key {key!r} was used for another request ({earlier.request})")
    return {**earlier.body, "replayed": True}


def remember(
    ctx: Context,
    session: AsyncSession,
    actor: Actor,
    key: str | None,
    request: str,
    answer: dict[str, Any],
) -> None:
    """Keep the answer of a request sent with an `Idempotency-Key`, in its transaction."""
    if key is not None:
        session.add(
            IdempotencyKey(
                user_id=actor.user_id,
                key=key,
                request=request,
                status_code=200,
                body=answer,
                created_at=ctx.clock.now(),
            )
        )


# --- the live engine's side: deadlines and recovery -----------------------------------------


async def settle_due(ctx: Context, uow: UnitOfWork, now: float, limit: int = 500) -> int:
    """Apply the boundaries passed by `now` (segment changes, completion) and announce them."""
    rows = await repository.claim_due(uow.session, now, limit)
    await prefetch_subscribed(uow, {row.athlete_id for row in rows})
    for settled, row in enumerate(rows, 1):
        transition = machine.settle(plan_of(ctx, row), anchors_of(row), now)
        events = apply_transition(ctx, row, transition, now, uow.session)
        await announce(ctx, uow, row, events, now)
        if settled % SETTLE_SLICE == 0:
            await asyncio.sleep(0)  # nothing above waits: let sockets and commands in between
    await uow.session.flush()
    return len(rows)


async def recover(ctx: Context, uow: UnitOfWork, now: float) -> int:
    """On start: sessions idle past the stale window come back paused at their last known
    point; the others just continue (their state is computed)."""
    paused = 0
    for row in await repository.running(uow.session):
        if now - row.last_seen_at > ctx.settings.session_stale_after_s:
            transition = machine.pause_at(plan_of(ctx, row), anchors_of(row), row.last_seen_at)
            events = apply_transition(ctx, row, transition, row.last_seen_at, uow.session)
            await announce(ctx, uow, row, events, now)
            paused += 1
    await uow.session.flush()
    return paused


async def history(
    session: AsyncSession, actor: Actor, status: Status | None, limit: int, offset: int
) -> tuple[list[SessionRow], int]:
    athletes = None if actor.is_admin else {actor.user_id} | set(actor.athlete_ids)
    return await repository.history(
        session, athletes, status.value if status else None, limit, offset
    )


async def event_log(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> list[SessionEvent]:
    await visible(session, actor, session_id)
    return await repository.events(session, session_id)

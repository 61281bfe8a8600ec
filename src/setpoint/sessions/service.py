"""Live sessions: create, read, command, settle deadlines, recover. Flushes, never commits.

Every accepted command is written (anchors, revision, event log, idempotent answer) in the
caller's transaction; the live update and the worker wake-up are registered to run after
it commits.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import BadRequest, Conflict, NotFound, StaleRevision
from setpoint.notifications.service import notify
from setpoint.sessions import machine, repository
from setpoint.sessions.machine import Anchors, Status, Transition
from setpoint.sessions.tables import IdempotencyKey, SessionEvent, SessionRow
from setpoint.workouts.normalize import Plan
from setpoint.workouts.schemas import segment_from_json
from setpoint.workouts.service import visible as visible_workout

DEADLINES_JOB = "session-deadlines"
COMMANDS: dict[str, Callable[[Plan, Anchors, float], Transition]] = {
    "start": machine.start,
    "pause": machine.pause,
    "resume": machine.resume,
    "skip": machine.skip,
    "back": machine.back,
    "finish": machine.finish,
    "abandon": machine.abandon,
    "complete_set": machine.complete_set,
}


class SessionAlreadyActive(Conflict):
    code = "session_already_active"


# --- the plan and the state ----------------------------------------------------------------

_plans: OrderedDict[uuid.UUID, Plan] = OrderedDict()
_PLAN_CACHE_SIZE = 20_000


def plan_of(row: SessionRow) -> Plan:
    """The session's plan snapshot (immutable, so parsed once per process)."""
    plan = _plans.get(row.id)
    if plan is None:
        segments = tuple(segment_from_json(s) for s in row.plan["segments"])
        plan = Plan(segments, row.plan["total_duration_s"])
        _plans[row.id] = plan
        if len(_plans) > _PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan


def anchors_of(row: SessionRow) -> Anchors:
    return Anchors(
        status=Status(row.status),
        segment_index=row.segment_index,
        segment_start_elapsed_s=row.segment_start_elapsed_s,
        elapsed_at_anchor_s=row.elapsed_at_anchor_s,
        anchor_at=row.anchor_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def _instant(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def state_doc(row: SessionRow, now: float) -> dict[str, Any]:
    """The authoritative state of DESIGN §5, computed from the anchors at `now`."""
    plan = plan_of(row)
    s = machine.view(plan, anchors_of(row), now)
    segments = row.plan["segments"]
    return {
        "id": str(row.id),
        "workout_id": str(row.workout_id),
        "workout_name": row.workout_name,
        "athlete_id": str(row.athlete_id),
        "status": s.status.value,
        "elapsed_s": round(s.elapsed_s, 3),
        "segment_index": s.segment_index,
        "segment_count": len(segments),
        "segment_elapsed_s": round(s.segment_elapsed_s, 3),
        "segment_remaining_s": None
        if s.segment_remaining_s is None
        else round(s.segment_remaining_s, 3),
        "segment": segments[s.segment_index],
        "next_segment": segments[s.segment_index + 1]
        if s.segment_index + 1 < len(segments)
        else None,
        "total_duration_s": row.plan["total_duration_s"],
        "started_at": _instant(row.started_at),
        "ended_at": _instant(s.completed_at if s.completed_at is not None else row.ended_at),
        "server_time": round(now, 3),
        "revision": row.revision,
        "heart_rate": None,
    }


def event_doc(event: machine.Event) -> dict[str, Any]:
    return {"type": type(event).__name__, **asdict(event)}


# --- access --------------------------------------------------------------------------------


async def visible(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, *, lock: bool = False
) -> SessionRow:
    row = await repository.get(session, session_id, lock=lock)
    if row is None or not actor.acts_for(row.athlete_id):
        raise NotFound(f"session {session_id} does not exist")
    return row


def _already_active(row: SessionRow, now: float) -> SessionAlreadyActive:
    return SessionAlreadyActive(
        "this athlete already has an active session: resume it, or abandon it and start a new one",
        active_session=state_doc(row, now),
    )


async def create(
    ctx: Context, uow: UnitOfWork, actor: Actor, workout_id: uuid.UUID, athlete_id: uuid.UUID | None
) -> SessionRow:
    session = uow.session
    athlete = athlete_id or actor.user_id
    if not actor.acts_for(athlete):
        raise NotFound(f"athlete {athlete} does not exist")
    workout = await visible_workout(session, actor, workout_id)
    now = ctx.timeline.now()
    active = await repository.active_of(session, athlete)
    if active is not None:
        raise _already_active(active, now)
    row = SessionRow(
        athlete_id=athlete,
        workout_id=workout.id,
        workout_name=workout.name,
        plan={"segments": workout.segments, "total_duration_s": workout.total_duration_s},
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
        raise _already_active(active, now) from None
    return row


# --- commands ------------------------------------------------------------------------------


def apply_transition(
    row: SessionRow, transition: Transition, now: float, session: AsyncSession
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
    row.next_deadline = machine.next_deadline(plan_of(row), a)
    if a.status in (Status.COMPLETED, Status.ABANDONED):
        row.active_athlete_id = None
    row.revision += 1
    row.last_seen_at = max(row.last_seen_at, now)
    docs = []
    for event in transition.events:
        row.event_seq += 1
        doc = event_doc(event)
        session.add(
            SessionEvent(
                session_id=row.id, seq=row.event_seq, type=doc["type"], payload=doc, at=event.at
            )
        )
        docs.append(doc)
    return docs


NOTIFIED = frozenset({"SegmentChanged", "SessionCompleted"})


async def announce(
    ctx: Context,
    uow: UnitOfWork,
    row: SessionRow,
    state: dict[str, Any],
    events: list[dict[str, Any]],
) -> None:
    """Record the events worth a notification (in this transaction), and after the commit
    push the update to live clients and wake the workers for the next deadline."""
    for event in events:
        if event["type"] in NOTIFIED:
            payload = {**event, "session_id": str(row.id), "workout_name": row.workout_name}
            await notify(ctx, uow, row.athlete_id, event["type"], payload, row.id)
    message = json.dumps({"type": "update", "state": state, "events": events})
    deadline = row.next_deadline

    async def after() -> None:
        await ctx.hub.publish(f"session:{row.id}", message)
        await ctx.wake(DEADLINES_JOB, deadline)

    uow.after_commit(after)


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
    name: str,
    *,
    idempotency_key: str | None = None,
    if_match: int | None = None,
) -> dict[str, Any]:
    """Apply one command; with an idempotency key, a retry gets the first answer again."""
    session = uow.session
    request = f"{name} {session_id}"
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise BadRequest("Idempotency-Key: must be 1–200 characters")
        earlier = await repository.idempotent_answer(session, actor.user_id, idempotency_key)
        if earlier is not None:
            if earlier.request != request:
                raise Conflict(
                    f"Idempotency-Key {idempotency_key!r} was used for another request "
                    f"({earlier.request})"
                )
            return {**earlier.body, "replayed": True}
    row = await visible(session, actor, session_id, lock=True)
    now = ctx.timeline.now()
    if if_match is not None and if_match != row.revision:
        raise StaleRevision(
            f"session is at revision {row.revision}, not {if_match}", session=state_doc(row, now)
        )
    transition = COMMANDS[name](plan_of(row), anchors_of(row), now)
    events = apply_transition(row, transition, now, session)
    state = state_doc(row, now)
    if idempotency_key is not None:
        session.add(
            IdempotencyKey(
                user_id=actor.user_id,
                key=idempotency_key,
                request=request,
                status_code=200,
                body=state,
                created_at=ctx.clock.now(),
            )
        )
    await session.flush()
    await announce(ctx, uow, row, state, events)
    return state


# --- the live engine's side: deadlines and recovery -----------------------------------------


async def settle_due(ctx: Context, uow: UnitOfWork, now: float, limit: int = 500) -> int:
    """Apply the boundaries passed by `now` (segment changes, completion) and announce them."""
    rows = await repository.claim_due(uow.session, now, limit)
    for row in rows:
        transition = machine.settle(plan_of(row), anchors_of(row), now)
        events = apply_transition(row, transition, now, uow.session)
        await announce(ctx, uow, row, state_doc(row, now), events)
    await uow.session.flush()
    return len(rows)


async def recover(ctx: Context, uow: UnitOfWork, now: float) -> int:
    """On start: sessions idle past the stale window come back paused at their last known
    point; the others just continue (their state is computed)."""
    paused = 0
    for row in await repository.running(uow.session):
        if now - row.last_seen_at > ctx.settings.session_stale_after_s:
            transition = machine.pause_at(plan_of(row), anchors_of(row), row.last_seen_at)
            events = apply_transition(row, transition, row.last_seen_at, uow.session)
            await announce(ctx, uow, row, state_doc(row, now), events)
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

"""Weekly plans and their planned sessions: create, read, list, add, change (and move to another
week), delete. Flushes, never commits.

Saving an ENDURANCE session queues its push to the athlete's device, and deleting one the
withdrawal of the device's copy, in the same transaction (`exports.service`); the save never
waits for the provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth import service as auth_service
from setpoint.auth.model import Actor
from setpoint.auth.tables import User
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import Conflict, Forbidden, Unprocessable
from setpoint.exports import service as exports
from setpoint.heartrate import service as heartrate
from setpoint.plans import model, repository
from setpoint.plans.model import SessionType
from setpoint.plans.tables import PlannedSession, WeeklyPlan
from setpoint.sessions import machine
from setpoint.sessions.machine import Status
from setpoint.sessions.snapshots import anchors_of, plan_of
from setpoint.sessions.tables import SessionRow
from setpoint.workouts import service as workouts

ENDED = frozenset({Status.COMPLETED, Status.ABANDONED})
DEVICE_FIELDS = ("date", "type", "workout_id", "title")  # what the copy on a device holds


class PlanExists(Conflict):
    code = "plan_exists"


class PlanReadOnly(Forbidden):
    code = "plan_read_only"


# --- access --------------------------------------------------------------------------------


async def visible_plan(session: AsyncSession, actor: Actor, plan_id: uuid.UUID) -> WeeklyPlan:
    plan = await repository.plan(session, plan_id)
    return authz.owned(actor, plan, plan.athlete_id if plan else None, f"plan {plan_id}")


async def visible_planned_session(
    session: AsyncSession, actor: Actor, planned_id: uuid.UUID, *, lock: bool = False
) -> PlannedSession:
    planned = await repository.planned_session(session, planned_id, lock=lock)
    owner = planned.athlete_id if planned else None
    return authz.owned(actor, planned, owner, f"planned session {planned_id}")


def check_change(actor: Actor, plan: WeeklyPlan) -> None:
    """Refuse a change to a plan the actor may only read."""
    if not model.may_change(actor.user_id, plan.athlete_id, plan.created_by):
        raise PlanReadOnly(
            f"the plan of the week of {plan.week_start} was made by your coach: "
            "you can read it, not change it"
        )


async def check_workout(
    session: AsyncSession, actor: Actor, athlete_id: uuid.UUID, workout_id: uuid.UUID
) -> None:
    """The workout must be one the caller sees and the athlete may run (their own library or
    their coach's); other areas that plan sessions (schedules) ask the same."""
    workout = await workouts.visible(session, actor, workout_id)
    athlete = actor if actor.user_id == athlete_id else await _actor_of(session, athlete_id)
    if not athlete.can_read_library_of(workout.owner_id):
        raise Unprocessable(
            f"workout_id: workout {workout_id} is in neither the athlete's library "
            "nor their coach's"
        )


async def _actor_of(session: AsyncSession, user_id: uuid.UUID) -> Actor:
    user = await session.get(User, user_id)
    assert user is not None  # plans keep their athlete
    return await auth_service.actor_for_user(session, user)


# --- plans ---------------------------------------------------------------------------------


async def create_plan(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    athlete_id: uuid.UUID | None,
    week_start: date,
    name: str | None,
) -> WeeklyPlan:
    """A new plan for the athlete's week; `PlanExists` (with its id) when there is one."""
    athlete = authz.athlete(actor, athlete_id)
    model.check_week_start(week_start)
    plan = _new_plan(ctx, athlete, week_start, name, actor.user_id)
    stored = await _insert(uow.session, plan)
    if stored is not plan:
        raise PlanExists(
            f"week_start: athlete {athlete} already has a plan for the week of {week_start}",
            plan_id=str(stored.id),
        )
    return plan


async def plan_for_week(
    ctx: Context, uow: UnitOfWork, athlete_id: uuid.UUID, week_start: date, created_by: uuid.UUID
) -> WeeklyPlan:
    """The athlete's plan of that week, made (by `created_by`) when missing."""
    model.check_week_start(week_start)
    return await _insert(uow.session, _new_plan(ctx, athlete_id, week_start, None, created_by))


def _new_plan(
    ctx: Context, athlete_id: uuid.UUID, week_start: date, name: str | None, created_by: uuid.UUID
) -> WeeklyPlan:
    now = ctx.clock.now()
    return WeeklyPlan(
        id=uuid.uuid4(),
        athlete_id=athlete_id,
        week_start=week_start,
        name=name,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )


async def _insert(session: AsyncSession, plan: WeeklyPlan) -> WeeklyPlan:
    """Store `plan`, unless the athlete has one for that week already (perhaps made by a
    concurrent request): then that one, and `plan` is not stored."""
    existing = await repository.plan_of_week(session, plan.athlete_id, plan.week_start)
    if existing is not None:
        return existing
    session.add(plan)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # a concurrent request made it first
        existing = await repository.plan_of_week(session, plan.athlete_id, plan.week_start)
        if existing is None:
            raise
        return existing
    return plan


async def list_plans(
    session: AsyncSession,
    actor: Actor,
    athlete_id: uuid.UUID | None,
    start: date | None,
    end: date | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """The athlete's plans whose week overlaps `start`…`end`, oldest first, as summaries."""
    athlete = authz.athlete(actor, athlete_id)
    if start is not None and end is not None and start > end:
        raise Unprocessable(f"from: {start} is after to {end}")
    plans, total = await repository.plans_page(session, athlete, start, end, limit, offset)
    counts = await repository.session_counts(session, [p.id for p in plans])
    return [plan_doc(actor, p, counts.get(p.id, 0)) for p in plans], total


async def plan_with_sessions(
    ctx: Context, session: AsyncSession, actor: Actor, plan_id: uuid.UUID
) -> dict[str, Any]:
    """The plan and its sessions in date order, each with its export and execution."""
    plan = await visible_plan(session, actor, plan_id)
    planned = await repository.sessions_of_plan(session, plan.id)
    return {
        **plan_doc(actor, plan, len(planned)),
        "sessions": await describe(ctx, session, planned),
    }


async def delete_plan(ctx: Context, uow: UnitOfWork, actor: Actor, plan_id: uuid.UUID) -> None:
    """Delete the plan and its sessions, withdrawing their copies from the device."""
    plan = await visible_plan(uow.session, actor, plan_id)
    check_change(actor, plan)
    for planned in await repository.sessions_of_plan(uow.session, plan.id):
        await _delete(ctx, uow, planned)
    await uow.session.delete(plan)
    await uow.session.flush()


def plan_doc(actor: Actor, plan: WeeklyPlan, session_count: int) -> dict[str, Any]:
    return {
        "id": plan.id,
        "athlete_id": plan.athlete_id,
        "week_start": plan.week_start,
        "week_end": model.week_end(plan.week_start),
        "name": plan.name,
        "created_by": plan.created_by,
        "editable": model.may_change(actor.user_id, plan.athlete_id, plan.created_by),
        "session_count": session_count,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


# --- planned sessions ----------------------------------------------------------------------


async def add_session(
    ctx: Context, uow: UnitOfWork, actor: Actor, plan_id: uuid.UUID, fields: Mapping[str, Any]
) -> PlannedSession:
    """A new session in the plan: `date` (inside the plan's week), `type`, `workout_id`,
    optional `title` and `notes`."""
    plan = await visible_plan(uow.session, actor, plan_id)
    check_change(actor, plan)
    model.check_in_week(fields["date"], plan.week_start)
    await check_workout(uow.session, actor, plan.athlete_id, fields["workout_id"])
    return await add_planned(ctx, uow, plan, fields)


async def add_planned(
    ctx: Context, uow: UnitOfWork, plan: WeeklyPlan, fields: Mapping[str, Any]
) -> PlannedSession:
    """Store a planned session in `plan` (its date and workout already checked), and queue its
    push when it is ENDURANCE."""
    now = ctx.clock.now()
    planned = PlannedSession(
        id=uuid.uuid4(),
        plan_id=plan.id,
        athlete_id=plan.athlete_id,
        date=fields["date"],
        type=SessionType(fields["type"]).value,
        workout_id=fields["workout_id"],
        title=fields.get("title"),
        notes=fields.get("notes"),
        session_id=None,
        created_at=now,
        updated_at=now,
    )
    plan.updated_at = now
    uow.session.add(planned)
    await uow.session.flush()
    await exports.planned_session_saved(ctx, uow, planned)
    await uow.session.flush()
    return planned


async def planned_session(
    ctx: Context, session: AsyncSession, actor: Actor, planned_id: uuid.UUID
) -> dict[str, Any]:
    """One planned session, with its export and execution."""
    planned = await visible_planned_session(session, actor, planned_id)
    return (await describe(ctx, session, [planned]))[0]


async def planned_id_of_session(session: AsyncSession, session_id: uuid.UUID) -> uuid.UUID | None:
    """The planned session a live session was started from, if any."""
    return await repository.planned_id_of_session(session, session_id)


async def change_session(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    planned_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> PlannedSession:
    """Change the fields given. A date in another week moves the session to that week's plan
    (made when missing); a new date, type or workout re-queues the device copy."""
    session = uow.session
    planned = await visible_planned_session(session, actor, planned_id, lock=True)
    plan = await repository.plan(session, planned.plan_id)
    assert plan is not None  # planned sessions keep their plan
    check_change(actor, plan)
    workout_id = changes.get("workout_id", planned.workout_id)
    if workout_id != planned.workout_id:
        await check_workout(session, actor, planned.athlete_id, workout_id)
    now = ctx.clock.now()
    day = changes.get("date", planned.date)
    if model.week_of(day) != plan.week_start:
        plan = await plan_for_week(ctx, uow, planned.athlete_id, model.week_of(day), actor.user_id)
        check_change(actor, plan)
        planned.plan_id = plan.id
    values = {**changes}
    if "type" in values:
        values["type"] = SessionType(values["type"]).value
    device_changed = any(
        name in values and values[name] != getattr(planned, name) for name in DEVICE_FIELDS
    )
    for name, value in values.items():
        setattr(planned, name, value)
    planned.updated_at = plan.updated_at = now
    await session.flush()
    if device_changed:
        await exports.planned_session_saved(ctx, uow, planned)
        await session.flush()
    return planned


async def delete_session(
    ctx: Context, uow: UnitOfWork, actor: Actor, planned_id: uuid.UUID
) -> None:
    """Delete the planned session; its copy on the device is withdrawn."""
    planned = await visible_planned_session(uow.session, actor, planned_id, lock=True)
    plan = await repository.plan(uow.session, planned.plan_id)
    assert plan is not None  # planned sessions keep their plan
    check_change(actor, plan)
    plan.updated_at = ctx.clock.now()
    await _delete(ctx, uow, planned)


async def remove_planned(ctx: Context, uow: UnitOfWork, planned: PlannedSession) -> None:
    """Delete a planned session whose removal the caller has already authorized (a schedule
    withdrawing what it planned); its copy on the device is withdrawn."""
    plan = await repository.plan(uow.session, planned.plan_id)
    if plan is not None:
        plan.updated_at = ctx.clock.now()
    await _delete(ctx, uow, planned)


async def _delete(ctx: Context, uow: UnitOfWork, planned: PlannedSession) -> None:
    await exports.planned_session_deleted(ctx, uow, planned)
    await uow.session.flush()
    await uow.session.delete(planned)  # its export row goes with it (ON DELETE CASCADE)
    await uow.session.flush()


# --- what the plan shows -------------------------------------------------------------------


async def describe(
    ctx: Context, session: AsyncSession, planned: Sequence[PlannedSession]
) -> list[dict[str, Any]]:
    """Each planned session with its workout's name, its `export` block (ENDURANCE; null for
    STRENGTH) and its `execution`."""
    blocks = await exports.export_blocks(session, [p.id for p in planned])
    briefs = await repository.workout_briefs(session, {p.workout_id for p in planned})
    runs = await repository.live_sessions(
        session, {p.session_id for p in planned if p.session_id is not None}
    )
    docs = []
    for p in planned:
        brief = briefs[p.workout_id]
        run = runs.get(p.session_id) if p.session_id is not None else None
        docs.append(
            {
                "id": p.id,
                "plan_id": p.plan_id,
                "athlete_id": p.athlete_id,
                "date": p.date,
                "type": p.type,
                "workout_id": p.workout_id,
                "workout_name": brief.name,
                "title": p.title,
                "notes": p.notes,
                "session_id": p.session_id,
                "created_at": p.created_at,
                "updated_at": p.updated_at,
                "export": blocks.get(p.id) if p.type == SessionType.ENDURANCE else None,
                "execution": await _execution(ctx, session, run, brief.total_duration_s),
            }
        )
    return docs


async def _execution(
    ctx: Context, session: AsyncSession, run: SessionRow | None, planned_s: int | None
) -> dict[str, Any]:
    """What was done: the live session's status and moving time, and once it has ended, its
    compliance with the plan."""
    if run is None:
        return {
            "session_id": None,
            "status": None,
            "duration_s": None,
            "planned_duration_s": planned_s,
            "compliance": None,
        }
    state = machine.view(plan_of(ctx, run), anchors_of(run), ctx.timeline.now())
    compliance = None
    if state.status in ENDED:
        compliance = {
            "colour": model.compliance_colour(planned_s, state.elapsed_s),
            "time_in_target_s": await heartrate.time_in_target_s(ctx, session, run),
        }
    return {
        "session_id": run.id,
        "status": state.status,
        "duration_s": round(state.elapsed_s, 1),
        "planned_duration_s": planned_s,
        "compliance": compliance,
    }

"""Schedules: create, read, list, change (pause, resume), delete, preview; and the due step
the worker runs (`run_due`): plan fires ahead as planned sessions, fire them at their instant.
Flushes, never commits.

Exactly once: every fire instant is one `ScheduleFire` row, unique per (schedule, instant).
A schedule is only planned or fired with its row locked (`FOR UPDATE`; workers skip a
schedule another holds), and a fire's notification is written in the same transaction that
turns the fire from planned to fired: a worker that dies mid-fire leaves nothing, and the
fire is taken again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import Forbidden
from setpoint.heartrate.tables import AthleteProfile
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify, prefetch_subscribed
from setpoint.plans import model as plans_model
from setpoint.plans import service as plans
from setpoint.plans.model import SessionType
from setpoint.plans.tables import PlannedSession
from setpoint.schedules import model, repository
from setpoint.schedules.cron import Fire, parse_cron, parse_time_zone
from setpoint.schedules.model import FireStatus
from setpoint.schedules.tables import Schedule, ScheduleFire
from setpoint.workers.loop import JobClock

FIRE_JOB = "schedule-fires"
NEXT_FIRES = 5  # fires shown with a schedule
# Changing these re-plans the schedule from now: its planned fires are withdrawn.
PLAN_FIELDS = ("cron", "time_zone", "workout_id", "type", "title", "starts_on", "ends_on")


class ScheduleReadOnly(Forbidden):
    code = "schedule_read_only"


# --- access --------------------------------------------------------------------------------


async def visible(
    session: AsyncSession, actor: Actor, schedule_id: uuid.UUID, *, lock: bool = False
) -> Schedule:
    found = await repository.schedule(session, schedule_id, lock=lock)
    owner = found.athlete_id if found else None
    return authz.owned(actor, found, owner, f"schedule {schedule_id}")


def check_change(actor: Actor, schedule: Schedule) -> None:
    """The plan rule: an athlete reads, and may not change, what their coach scheduled."""
    if not plans_model.may_change(actor.user_id, schedule.athlete_id, schedule.created_by):
        raise ScheduleReadOnly(
            f"schedule {schedule.id} was made by your coach: you can read it, not change it"
        )


# --- use cases -----------------------------------------------------------------------------


async def create(
    ctx: Context, uow: UnitOfWork, actor: Actor, fields: Mapping[str, Any]
) -> Schedule:
    """A schedule for the caller or one of their athletes; its fires within the horizon are
    planned at once. The time zone defaults to the athlete's profile's."""
    session = uow.session
    athlete = authz.athlete(actor, fields.get("athlete_id"))
    parse_cron(fields["cron"])
    time_zone = fields.get("time_zone") or await _profile_zone(session, athlete)
    parse_time_zone(time_zone)
    model.check_dates(fields.get("starts_on"), fields.get("ends_on"))
    await plans.check_workout(session, actor, athlete, fields["workout_id"])
    now_dt, now = ctx.clock.now(), ctx.clocks.now(JobClock.WALL)
    schedule = Schedule(
        id=uuid.uuid4(),
        athlete_id=athlete,
        created_by=actor.user_id,
        workout_id=fields["workout_id"],
        cron=fields["cron"].strip(),
        time_zone=time_zone,
        type=SessionType(fields["type"]).value,
        title=fields.get("title"),
        starts_on=fields.get("starts_on"),
        ends_on=fields.get("ends_on"),
        paused=bool(fields.get("paused", False)),
        planned_through=now,
        next_fire_at=None,
        plan_at=None if fields.get("paused") else now,
        due_at=None,
        created_at=now_dt,
        updated_at=now_dt,
    )
    session.add(schedule)
    await session.flush()
    if not schedule.paused:
        await _plan(ctx, uow, schedule, now)
    _wake_after_commit(ctx, uow, schedule)
    return schedule


async def change(
    ctx: Context, uow: UnitOfWork, actor: Actor, schedule_id: uuid.UUID, changes: Mapping[str, Any]
) -> Schedule:
    """Change the fields given. Pausing withdraws the planned fires (and their planned sessions
    not yet started); resuming, or changing what or when it fires, plans again from now."""
    session = uow.session
    schedule = await visible(session, actor, schedule_id, lock=True)
    check_change(actor, schedule)
    values = dict(changes)
    if "cron" in values:
        parse_cron(values["cron"])
        values["cron"] = values["cron"].strip()
    if "time_zone" in values:
        parse_time_zone(values["time_zone"])
    if "type" in values:
        values["type"] = SessionType(values["type"]).value
    model.check_dates(
        values.get("starts_on", schedule.starts_on), values.get("ends_on", schedule.ends_on)
    )
    if values.get("workout_id", schedule.workout_id) != schedule.workout_id:
        await plans.check_workout(session, actor, schedule.athlete_id, values["workout_id"])
    replan = any(
        name in values and values[name] != getattr(schedule, name)
        for name in (*PLAN_FIELDS, "paused")
    )
    for name, value in values.items():
        setattr(schedule, name, value)
    schedule.updated_at = ctx.clock.now()
    if replan:
        now = ctx.clocks.now(JobClock.WALL)
        await _withdraw(ctx, uow, schedule)
        schedule.planned_through = now
        schedule.plan_at = None if schedule.paused else now
        if not schedule.paused:
            await _plan(ctx, uow, schedule, now)
        await _refresh(uow, schedule)
    await session.flush()
    _wake_after_commit(ctx, uow, schedule)
    return schedule


async def delete(ctx: Context, uow: UnitOfWork, actor: Actor, schedule_id: uuid.UUID) -> None:
    """Delete the schedule: its planned sessions still to come and not started are withdrawn
    (with their device copies); those of past fires stay in the plan."""
    schedule = await visible(uow.session, actor, schedule_id, lock=True)
    check_change(actor, schedule)
    await _withdraw(ctx, uow, schedule)
    await uow.session.delete(schedule)
    await uow.session.flush()


async def list_schedules(
    session: AsyncSession, actor: Actor, athlete_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[Schedule], int]:
    """The schedules of `athlete_id`, or of everyone the actor acts for."""
    if athlete_id is not None:
        athletes: set[uuid.UUID] | None = {authz.athlete(actor, athlete_id)}
    else:
        athletes = None if actor.is_admin else {actor.user_id, *actor.athlete_ids}
    return await repository.schedules_page(session, athletes, limit, offset)


async def fires(
    session: AsyncSession,
    actor: Actor,
    schedule_id: uuid.UUID,
    status: FireStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[ScheduleFire], int]:
    """The schedule's fires, latest first: planned, fired, missed and skipped."""
    schedule = await visible(session, actor, schedule_id)
    return await repository.fires_page(
        session, schedule.id, None if status is None else status.value, limit, offset
    )


def preview(cron: str, time_zone: str, start: datetime, count: int) -> list[Fire]:
    """The next `count` fires after `start` (a naive `start` is a wall time in the zone)."""
    expression, zone = parse_cron(cron), parse_time_zone(time_zone)
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    return model.upcoming(expression, zone, start, count)


async def docs(
    ctx: Context, session: AsyncSession, actor: Actor, schedules: list[Schedule]
) -> list[dict[str, Any]]:
    """Each schedule as the API shows it, with its workout's name and its next fires."""
    names = await repository.workout_names(session, {s.workout_id for s in schedules})
    now = ctx.clock.now()
    return [doc(actor, s, names.get(s.workout_id), now) for s in schedules]


def doc(
    actor: Actor, schedule: Schedule, workout_name: str | None, now: datetime
) -> dict[str, Any]:
    upcoming = []
    if not schedule.paused:
        upcoming = model.upcoming(
            parse_cron(schedule.cron),
            parse_time_zone(schedule.time_zone),
            now,
            NEXT_FIRES,
            schedule.starts_on,
            schedule.ends_on,
        )
    return {
        "id": schedule.id,
        "athlete_id": schedule.athlete_id,
        "created_by": schedule.created_by,
        "workout_id": schedule.workout_id,
        "workout_name": workout_name,
        "cron": schedule.cron,
        "time_zone": schedule.time_zone,
        "type": schedule.type,
        "title": schedule.title,
        "starts_on": schedule.starts_on,
        "ends_on": schedule.ends_on,
        "paused": schedule.paused,
        "editable": plans_model.may_change(actor.user_id, schedule.athlete_id, schedule.created_by),
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
        "next_fires": [fire_time(f) for f in upcoming],
    }


def fire_time(fire: Fire) -> dict[str, datetime]:
    return {"at": fire.at, "local": fire.local}


def fire_doc(fire: ScheduleFire) -> dict[str, Any]:
    return {
        "id": fire.id,
        "at": datetime.fromtimestamp(fire.fire_at, UTC),
        "local": datetime.fromisoformat(fire.local),
        "status": fire.status,
        "planned_session_id": fire.planned_session_id,
        "settled_at": fire.settled_at,
    }


# --- the due step (the worker) -------------------------------------------------------------


async def run_due(ctx: Context, uow: UnitOfWork, now: float, limit: int) -> int:
    """Fire, then plan, the schedules due at `now` that no other worker holds; how many."""
    due = await repository.claim_due(uow.session, now, limit)
    # Athlete by athlete: two workers that both make weekly plans then take them in one order,
    # and never wait on each other in a cycle.
    due.sort(key=lambda s: (s.athlete_id, s.id))
    await prefetch_subscribed(uow, [s.athlete_id for s in due])
    await _fire_due(ctx, uow, due, now)
    late: list[Schedule] = []
    for schedule in due:
        if schedule.plan_at is not None and schedule.plan_at <= now:
            await _plan(ctx, uow, schedule, now)
            if schedule.next_fire_at is not None and schedule.next_fire_at <= now:
                late.append(schedule)  # planned late, within the grace
    await _fire_due(ctx, uow, late, now)
    await uow.session.flush()
    return len(due)


async def next_due(session: AsyncSession) -> float | None:
    return await repository.earliest_due(session)


async def _plan(ctx: Context, uow: UnitOfWork, schedule: Schedule, now: float) -> None:
    """Record the fires after the cursor: past ones missed (bar the latest within the grace),
    those within the horizon planned, each with its planned session."""
    session = uow.session
    settings = ctx.settings
    room = model.MAX_AHEAD - await repository.planned_count(session, schedule.id)
    zone = parse_time_zone(schedule.time_zone)
    after = datetime.fromtimestamp(schedule.planned_through, UTC)
    found = model.upcoming(
        parse_cron(schedule.cron),
        zone,
        after,
        model.PLAN_BATCH,
        schedule.starts_on,
        schedule.ends_on,
    )
    planning = model.plan(
        found,
        len(found) < model.PLAN_BATCH,
        now,
        settings.schedule_horizon_days * 86400.0,
        settings.schedule_misfire_grace_s,
        room,
    )
    known = await repository.recorded_instants(
        session, schedule.id, [f.at.timestamp() for f in (*planning.missed, *planning.planned)]
    )
    settled = ctx.clock.now()
    for fire in planning.missed:
        if fire.at.timestamp() not in known:
            session.add(_fire_row(schedule, fire, FireStatus.MISSED, None, settled, settled))
    for fire in planning.planned:
        if fire.at.timestamp() not in known:
            planned = await _planned_session(ctx, uow, schedule, fire)
            if planned is None:  # its week's plan is one the schedule's author may only read
                row = _fire_row(schedule, fire, FireStatus.SKIPPED, None, settled, settled)
            else:
                row = _fire_row(schedule, fire, FireStatus.PLANNED, planned.id, None, settled)
            session.add(row)
    if planning.through is not None:
        schedule.planned_through = planning.through
    await session.flush()
    schedule.next_fire_at = await repository.next_planned_at(session, schedule.id)
    if planning.after_next_fire:
        schedule.plan_at = schedule.next_fire_at if schedule.next_fire_at is not None else now
    else:
        schedule.plan_at = planning.plan_at
    _set_due(schedule)


async def _planned_session(
    ctx: Context, uow: UnitOfWork, schedule: Schedule, fire: Fire
) -> PlannedSession | None:
    """The fire's planned session, on its local date in the athlete's plan of that week (made
    when missing); None when the schedule's author may not change that plan (an athlete's
    schedule meeting a week their coach planned)."""
    day: date = fire.local.date()
    plan = await plans.plan_for_week(
        ctx, uow, schedule.athlete_id, plans_model.week_of(day), schedule.created_by
    )
    if not plans_model.may_change(schedule.created_by, plan.athlete_id, plan.created_by):
        return None
    fields = {
        "date": day,
        "type": schedule.type,
        "workout_id": schedule.workout_id,
        "title": schedule.title,
        "notes": None,
    }
    return await plans.add_planned(ctx, uow, plan, fields)


def _fire_row(
    schedule: Schedule,
    fire: Fire,
    status: FireStatus,
    planned_session_id: uuid.UUID | None,
    settled_at: datetime | None,
    created_at: datetime,
) -> ScheduleFire:
    return ScheduleFire(
        id=uuid.uuid4(),
        schedule_id=schedule.id,
        fire_at=fire.at.timestamp(),
        local=fire.local.isoformat(),
        status=status.value,
        planned_session_id=planned_session_id,
        settled_at=settled_at,
        created_at=created_at,
    )


async def _fire_due(ctx: Context, uow: UnitOfWork, schedules: list[Schedule], now: float) -> None:
    """Settle the planned fires of these schedules that came due: of each schedule's, the
    latest within the grace fires (unless the schedule is paused, or its planned session was
    deleted: skipped), the others are missed.

    A few statements for the whole batch: the due fires with what their announcements say (one
    query); the notifications and their webhook deliveries, pending in the session until the
    next flush (one executemany each); the fires' new statuses (one UPDATE per status); the
    schedules' next fires (one grouped query); their new due times (one executemany UPDATE,
    at the flush)."""
    if not schedules:
        return
    session = uow.session
    due = await repository.due_fires(session, [s.id for s in schedules], now)
    if not due:
        return
    grace = ctx.settings.schedule_misfire_grace_s
    settled: defaultdict[FireStatus, list[uuid.UUID]] = defaultdict(list)
    for schedule in schedules:
        fires = due.get(schedule.id, [])
        to_fire, _ = model.triage([f.fire_at for f in fires], now, grace)
        for fire in fires:
            if fire.fire_at != to_fire:
                status = FireStatus.MISSED
            elif schedule.paused or fire.planned is None:
                status = FireStatus.SKIPPED
            else:
                await _announce(ctx, uow, schedule, fire, fire.planned)
                status = FireStatus.FIRED
            settled[status].append(fire.id)
    await repository.settle_fires(session, settled, ctx.clock.now())
    next_fires = await repository.next_planned(session, due.keys())
    for schedule in schedules:
        if schedule.id in due:
            schedule.next_fire_at = next_fires.get(schedule.id)
            _set_due(schedule)
    await session.flush()


async def _announce(
    ctx: Context,
    uow: UnitOfWork,
    schedule: Schedule,
    fire: repository.DueFire,
    planned: repository.DueSession,
) -> None:
    """`WorkoutReady` to the athlete (inbox, webhooks, open clients)."""
    payload = {
        "schedule_id": str(schedule.id),
        "planned_session_id": str(planned.id),
        "workout_id": str(planned.workout_id),
        "workout_name": planned.workout_name,
        "title": planned.title,
        "type": planned.type,
        "date": planned.day.isoformat(),
        "at": datetime.fromtimestamp(fire.fire_at, UTC).isoformat().replace("+00:00", "Z"),
        "local_start": fire.local,
    }
    await notify(
        ctx,
        uow,
        schedule.athlete_id,
        NotificationType.WORKOUT_READY,
        payload,
        planned_session_id=planned.id,
        schedule_id=schedule.id,
    )


async def _withdraw(ctx: Context, uow: UnitOfWork, schedule: Schedule) -> None:
    """Withdraw the planned fires and their planned sessions (and so their device copies); a
    fire whose session the athlete already started stays, with its session."""
    session = uow.session
    gone = []
    for fire in await repository.planned_fires(session, schedule.id):
        planned = None
        if fire.planned_session_id is not None:
            planned = await session.get(PlannedSession, fire.planned_session_id)
        if planned is not None and planned.session_id is not None:
            continue
        if planned is not None:
            await plans.remove_planned(ctx, uow, planned)
        gone.append(fire.id)
    await repository.delete_fires(session, gone)
    await session.flush()


async def _refresh(uow: UnitOfWork, schedule: Schedule) -> None:
    schedule.next_fire_at = await repository.next_planned_at(uow.session, schedule.id)
    _set_due(schedule)


def _set_due(schedule: Schedule) -> None:
    times = [t for t in (schedule.next_fire_at, schedule.plan_at) if t is not None]
    schedule.due_at = min(times) if times else None


async def _profile_zone(session: AsyncSession, athlete_id: uuid.UUID) -> str:
    profile = await session.get(AthleteProfile, athlete_id)
    return profile.time_zone if profile is not None else "UTC"


def _wake_after_commit(ctx: Context, uow: UnitOfWork, schedule: Schedule) -> None:
    due_at = schedule.due_at

    async def wake() -> None:
        await ctx.wake(FIRE_JOB, due_at)

    uow.after_commit(wake)

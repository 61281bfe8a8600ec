from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.db import paging
from setpoint.plans.tables import PlannedSession, WeeklyPlan
from setpoint.sessions.tables import SessionRow
from setpoint.workouts.tables import WorkoutRow


async def plan(session: AsyncSession, plan_id: uuid.UUID) -> WeeklyPlan | None:
    return await session.get(WeeklyPlan, plan_id)


async def plan_of_week(
    session: AsyncSession, athlete_id: uuid.UUID, week_start: date
) -> WeeklyPlan | None:
    return await session.scalar(
        select(WeeklyPlan).where(
            WeeklyPlan.athlete_id == athlete_id, WeeklyPlan.week_start == week_start
        )
    )


async def plans_page(
    session: AsyncSession,
    athlete_id: uuid.UUID,
    start: date | None,
    end: date | None,
    limit: int,
    offset: int,
) -> tuple[list[WeeklyPlan], int]:
    """The athlete's plans whose week overlaps `start`…`end` (both included), oldest first."""
    conditions: list[ColumnElement[bool]] = [WeeklyPlan.athlete_id == athlete_id]
    if start is not None:
        conditions.append(WeeklyPlan.week_start > start - timedelta(days=7))
    if end is not None:
        conditions.append(WeeklyPlan.week_start <= end)
    query = select(WeeklyPlan).where(*conditions).order_by(WeeklyPlan.week_start, WeeklyPlan.id)
    return await paging.page(session, query, limit, offset)


async def session_counts(
    session: AsyncSession, plan_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(PlannedSession.plan_id, func.count())
        .where(PlannedSession.plan_id.in_(list(plan_ids)))
        .group_by(PlannedSession.plan_id)
    )
    return {plan_id: count for plan_id, count in rows}


async def planned_session(
    session: AsyncSession, planned_id: uuid.UUID, *, lock: bool = False
) -> PlannedSession | None:
    query = select(PlannedSession).where(PlannedSession.id == planned_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def sessions_of_plan(session: AsyncSession, plan_id: uuid.UUID) -> list[PlannedSession]:
    rows = await session.scalars(
        select(PlannedSession)
        .where(PlannedSession.plan_id == plan_id)
        .order_by(PlannedSession.date, PlannedSession.created_at, PlannedSession.id)
    )
    return list(rows)


async def planned_id_of_session(session: AsyncSession, session_id: uuid.UUID) -> uuid.UUID | None:
    """The planned session a live session was started from, if any."""
    return await session.scalar(
        select(PlannedSession.id).where(PlannedSession.session_id == session_id)
    )


async def live_sessions(
    session: AsyncSession, session_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, SessionRow]:
    rows = await session.scalars(select(SessionRow).where(SessionRow.id.in_(list(session_ids))))
    return {row.id: row for row in rows}


class WorkoutBrief(NamedTuple):
    name: str
    total_duration_s: int | None


async def workout_briefs(
    session: AsyncSession, workout_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, WorkoutBrief]:
    """Name and planned duration of each workout (not its definition)."""
    rows = await session.execute(
        select(WorkoutRow.id, WorkoutRow.name, WorkoutRow.total_duration_s).where(
            WorkoutRow.id.in_(list(workout_ids))
        )
    )
    return {id_: WorkoutBrief(name, total) for id_, name, total in rows}

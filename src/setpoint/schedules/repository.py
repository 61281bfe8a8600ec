from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.db import paging
from setpoint.schedules.model import FireStatus
from setpoint.schedules.tables import Schedule, ScheduleFire
from setpoint.workouts.tables import WorkoutRow

PLANNED = FireStatus.PLANNED.value


async def schedule(
    session: AsyncSession, schedule_id: uuid.UUID, *, lock: bool = False
) -> Schedule | None:
    query = select(Schedule).where(Schedule.id == schedule_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def schedules_page(
    session: AsyncSession, athlete_ids: Collection[uuid.UUID] | None, limit: int, offset: int
) -> tuple[list[Schedule], int]:
    """Schedules of these athletes (None: everyone's), oldest first."""
    conditions: list[ColumnElement[bool]] = []
    if athlete_ids is not None:
        conditions.append(Schedule.athlete_id.in_(list(athlete_ids)))
    query = select(Schedule).where(*conditions).order_by(Schedule.created_at, Schedule.id)
    return await paging.page(session, query, limit, offset)


async def claim_due(session: AsyncSession, now: float, limit: int) -> list[Schedule]:
    """Schedules due at `now`, locked (`SKIP LOCKED`: those another worker holds are left to
    it)."""
    rows = await session.scalars(
        select(Schedule)
        .where(Schedule.due_at <= now)
        .order_by(Schedule.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def earliest_due(session: AsyncSession) -> float | None:
    return await session.scalar(select(func.min(Schedule.due_at)))


async def planned_fires(
    session: AsyncSession, schedule_id: uuid.UUID, due_by: float | None = None
) -> list[ScheduleFire]:
    """The schedule's planned fires (those due by `due_by` when given), earliest first."""
    query = select(ScheduleFire).where(
        ScheduleFire.schedule_id == schedule_id, ScheduleFire.status == PLANNED
    )
    if due_by is not None:
        query = query.where(ScheduleFire.fire_at <= due_by)
    return list(await session.scalars(query.order_by(ScheduleFire.fire_at)))


async def planned_count(session: AsyncSession, schedule_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(
            ScheduleFire.schedule_id == schedule_id, ScheduleFire.status == PLANNED
        )
    )
    return int(count or 0)


async def next_planned_at(session: AsyncSession, schedule_id: uuid.UUID) -> float | None:
    return await session.scalar(
        select(func.min(ScheduleFire.fire_at)).where(
            ScheduleFire.schedule_id == schedule_id, ScheduleFire.status == PLANNED
        )
    )


async def recorded_instants(
    session: AsyncSession, schedule_id: uuid.UUID, instants: Collection[float]
) -> set[float]:
    """Which of these instants already have a fire row."""
    if not instants:
        return set()
    rows = await session.scalars(
        select(ScheduleFire.fire_at).where(
            ScheduleFire.schedule_id == schedule_id, ScheduleFire.fire_at.in_(list(instants))
        )
    )
    return set(rows)


async def delete_fires(session: AsyncSession, fire_ids: Collection[uuid.UUID]) -> None:
    if fire_ids:
        await session.execute(delete(ScheduleFire).where(ScheduleFire.id.in_(list(fire_ids))))


async def fires_page(
    session: AsyncSession, schedule_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[list[ScheduleFire], int]:
    """The schedule's fires, latest first."""
    conditions: list[ColumnElement[bool]] = [ScheduleFire.schedule_id == schedule_id]
    if status is not None:
        conditions.append(ScheduleFire.status == status)
    query = (
        select(ScheduleFire)
        .where(*conditions)
        .order_by(ScheduleFire.fire_at.desc(), ScheduleFire.id)
    )
    return await paging.page(session, query, limit, offset)


async def workout_names(
    session: AsyncSession, workout_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(WorkoutRow.id, WorkoutRow.name).where(WorkoutRow.id.in_(list(workout_ids)))
    )
    return {id_: name for id_, name in rows}

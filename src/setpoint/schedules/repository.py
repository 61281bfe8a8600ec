from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.db import paging
from setpoint.plans.tables import PlannedSession
from setpoint.schedules.model import FireStatus
from setpoint.schedules.tables import Schedule, ScheduleFire
from setpoint.workouts.tables import WorkoutRow

PLANNED = FireStatus.PLANNED.value


@dataclass(frozen=True, slots=True)
class DueSession:
    """What a fire's announcement tells of its planned session."""

    id: uuid.UUID
    workout_id: uuid.UUID
    workout_name: str | None
    title: str | None
    type: str
    day: date


@dataclass(frozen=True, slots=True)
class DueFire:
    """A planned fire that came due, with its planned session (None: that session is gone)."""

    id: uuid.UUID
    schedule_id: uuid.UUID
    fire_at: float
    local: str
    planned: DueSession | None


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


async def due_fires(
    session: AsyncSession, schedule_ids: Collection[uuid.UUID], now: float
) -> dict[uuid.UUID, list[DueFire]]:
    """The planned fires of these schedules due by `now`, earliest first, each with its planned
    session and workout name: one query for them all."""
    query = (
        select(
            ScheduleFire.id,
            ScheduleFire.schedule_id,
            ScheduleFire.fire_at,
            ScheduleFire.local,
            PlannedSession.id,
            PlannedSession.workout_id,
            WorkoutRow.name,
            PlannedSession.title,
            PlannedSession.type,
            PlannedSession.date,
        )
        .outerjoin(PlannedSession, PlannedSession.id == ScheduleFire.planned_session_id)
        .outerjoin(WorkoutRow, WorkoutRow.id == PlannedSession.workout_id)
        .where(
            ScheduleFire.schedule_id.in_(list(schedule_ids)),
            ScheduleFire.status == PLANNED,
            ScheduleFire.fire_at <= now,
        )
        .order_by(ScheduleFire.fire_at)
    )
    fires: dict[uuid.UUID, list[DueFire]] = {}
    for fire_id, schedule_id, at, local, planned_id, *about in await session.execute(query):
        planned = None if planned_id is None else DueSession(planned_id, *about)
        fires.setdefault(schedule_id, []).append(DueFire(fire_id, schedule_id, at, local, planned))
    return fires


async def settle_fires(
    session: AsyncSession, settled: Mapping[FireStatus, Collection[uuid.UUID]], at: datetime
) -> None:
    """Give these fires their status, settled at `at`: one UPDATE per status."""
    for status, fire_ids in settled.items():
        if fire_ids:
            await session.execute(
                update(ScheduleFire)
                .where(ScheduleFire.id.in_(list(fire_ids)))
                .values(status=status.value, settled_at=at)
                .execution_options(synchronize_session=False)
            )


async def earliest_due(session: AsyncSession) -> float | None:
    return await session.scalar(select(func.min(Schedule.due_at)))


async def planned_fires(session: AsyncSession, schedule_id: uuid.UUID) -> list[ScheduleFire]:
    """The schedule's planned fires, earliest first."""
    query = select(ScheduleFire).where(
        ScheduleFire.schedule_id == schedule_id, ScheduleFire.status == PLANNED
    )
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


async def next_planned(
    session: AsyncSession, schedule_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """The earliest planned fire of each of these schedules that has one, in one query."""
    rows = await session.execute(
        select(ScheduleFire.schedule_id, func.min(ScheduleFire.fire_at))
        .where(ScheduleFire.schedule_id.in_(list(schedule_ids)), ScheduleFire.status == PLANNED)
        .group_by(ScheduleFire.schedule_id)
    )
    return {schedule_id: at for schedule_id, at in rows}


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

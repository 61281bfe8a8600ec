from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.db import paging
from setpoint.sessions.tables import SessionRow
from setpoint.strength.tables import ExerciseSet, ProgressRow
from setpoint.workouts.tables import WorkoutRow


async def progress_of(
    session: AsyncSession, athlete_id: uuid.UUID, template_id: uuid.UUID, *, lock: bool = False
) -> ProgressRow | None:
    query = select(ProgressRow).where(
        ProgressRow.athlete_id == athlete_id, ProgressRow.template_id == template_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def replace_sets(
    session: AsyncSession, session_id: uuid.UUID, sets: Iterable[ExerciseSet]
) -> None:
    """The session's logged sets become `sets`."""
    await session.execute(delete(ExerciseSet).where(ExerciseSet.session_id == session_id))
    session.add_all(sets)


async def sets_of(
    session: AsyncSession, athlete_id: uuid.UUID, exercises: Collection[str]
) -> list[ExerciseSet]:
    rows = await session.scalars(
        select(ExerciseSet)
        .where(ExerciseSet.athlete_id == athlete_id, ExerciseSet.exercise.in_(list(exercises)))
        .order_by(ExerciseSet.at, ExerciseSet.id)
    )
    return list(rows)


async def attempts(
    session: AsyncSession, athlete_id: uuid.UUID, template_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[SessionRow], int]:
    """The athlete's sessions of any revision of the template, newest first."""
    query = (
        select(SessionRow)
        .join(WorkoutRow, WorkoutRow.id == SessionRow.workout_id)
        .where(SessionRow.athlete_id == athlete_id, WorkoutRow.origin_id == template_id)
        .order_by(SessionRow.created_at.desc(), SessionRow.id)
    )
    return await paging.page(session, query, limit, offset)

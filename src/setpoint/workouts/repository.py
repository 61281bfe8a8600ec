from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from setpoint.db import paging
from setpoint.workouts.tables import WorkoutRow


@dataclass(frozen=True, slots=True)
class WorkoutFilter:
    owner_ids: Collection[uuid.UUID] | None = None  # None: any owner
    sport: str | None = None
    name_contains: str | None = None
    generated: bool | None = None
    latest_only: bool = True


def _is_latest() -> ColumnElement[bool]:
    newer = aliased(WorkoutRow)
    return ~exists().where(
        and_(newer.origin_id == WorkoutRow.origin_id, newer.revision > WorkoutRow.revision)
    )


async def get(session: AsyncSession, workout_id: uuid.UUID) -> WorkoutRow | None:
    return await session.get(WorkoutRow, workout_id)


async def latest_revision(session: AsyncSession, origin_id: uuid.UUID) -> WorkoutRow | None:
    return await session.scalar(
        select(WorkoutRow)
        .where(WorkoutRow.origin_id == origin_id)
        .order_by(WorkoutRow.revision.desc())
        .limit(1)
    )


async def latest_ids(session: AsyncSession, rows: Collection[WorkoutRow]) -> set[uuid.UUID]:
    """Which of these rows are the latest revision of their template."""
    if not rows:
        return set()
    ids = [r.id for r in rows]
    found = await session.scalars(select(WorkoutRow.id).where(WorkoutRow.id.in_(ids), _is_latest()))
    return set(found)


async def page(
    session: AsyncSession, f: WorkoutFilter, limit: int, offset: int
) -> tuple[list[WorkoutRow], int]:
    conditions: list[ColumnElement[bool]] = []
    if f.owner_ids is not None:
        conditions.append(WorkoutRow.owner_id.in_(list(f.owner_ids)))
    if f.sport is not None:
        conditions.append(WorkoutRow.sport == f.sport)
    if f.name_contains:
        escaped = f.name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(WorkoutRow.name.ilike(f"%{escaped}%", escape="\\"))
    if f.generated is not None:
        conditions.append(WorkoutRow.seed.isnot(None) if f.generated else WorkoutRow.seed.is_(None))
    if f.latest_only:
        conditions.append(_is_latest())
    query = select(WorkoutRow).where(*conditions)
    return await paging.page(
        session, query.order_by(WorkoutRow.created_at.desc(), WorkoutRow.id), limit, offset
    )


async def revisions(session: AsyncSession, origin_id: uuid.UUID) -> list[WorkoutRow]:
    rows = await session.scalars(
        select(WorkoutRow).where(WorkoutRow.origin_id == origin_id).order_by(WorkoutRow.revision)
    )
    return list(rows)


async def lineage(session: AsyncSession, lineage_id: uuid.UUID) -> list[WorkoutRow]:
    rows = await session.scalars(
        select(WorkoutRow)
        .where(WorkoutRow.lineage_id == lineage_id)
        .order_by(WorkoutRow.created_at, WorkoutRow.revision)
    )
    return list(rows)

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.db import paging
from setpoint.sessions.machine import Status
from setpoint.sessions.tables import IdempotencyKey, SessionDraft, SessionEvent, SessionRow


async def get(
    session: AsyncSession, session_id: uuid.UUID, *, lock: bool = False
) -> SessionRow | None:
    query = select(SessionRow).where(SessionRow.id == session_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def active_of(session: AsyncSession, athlete_id: uuid.UUID) -> SessionRow | None:
    return await session.scalar(
        select(SessionRow).where(SessionRow.active_athlete_id == athlete_id)
    )


async def history(
    session: AsyncSession,
    athlete_ids: Collection[uuid.UUID] | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[SessionRow], int]:
    conditions: list[ColumnElement[bool]] = []
    if athlete_ids is not None:
        conditions.append(SessionRow.athlete_id.in_(list(athlete_ids)))
    if status is not None:
        conditions.append(SessionRow.status == status)
    query = select(SessionRow).where(*conditions)
    return await paging.page(
        session, query.order_by(SessionRow.created_at.desc(), SessionRow.id), limit, offset
    )


async def claim_due(session: AsyncSession, now: float, limit: int) -> list[SessionRow]:
    """Sessions whose next deadline has passed, locked; rows another worker holds are skipped."""
    rows = await session.scalars(
        select(SessionRow)
        .where(SessionRow.next_deadline <= now)
        .order_by(SessionRow.next_deadline)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def earliest_deadline(session: AsyncSession) -> float | None:
    return await session.scalar(select(func.min(SessionRow.next_deadline)))


async def running(session: AsyncSession) -> list[SessionRow]:
    rows = await session.scalars(
        select(SessionRow).where(SessionRow.status == Status.IN_PROGRESS.value).with_for_update()
    )
    return list(rows)


async def touch(session: AsyncSession, ids: Collection[uuid.UUID], at: float) -> None:
    """Mark sessions as seen at `at`, a few hundred per statement (no ORM objects to keep
    in step: `synchronize_session=False`)."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        await session.execute(
            update(SessionRow)
            .where(SessionRow.id.in_(ordered[start : start + 500]), SessionRow.last_seen_at < at)
            .values(last_seen_at=at)
            .execution_options(synchronize_session=False)
        )


async def events(session: AsyncSession, session_id: uuid.UUID) -> list[SessionEvent]:
    rows = await session.scalars(
        select(SessionEvent).where(SessionEvent.session_id == session_id).order_by(SessionEvent.seq)
    )
    return list(rows)


async def idempotent_answer(
    session: AsyncSession, user_id: uuid.UUID, key: str
) -> IdempotencyKey | None:
    return await session.get(IdempotencyKey, (user_id, key))


async def draft(session: AsyncSession, session_id: uuid.UUID) -> SessionDraft | None:
    return await session.get(SessionDraft, session_id)


async def delete_draft(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(delete(SessionDraft).where(SessionDraft.session_id == session_id))

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.heartrate.live import Row
from setpoint.heartrate.tables import AthleteProfile, HeartRateSample
from setpoint.sessions.tables import SessionEvent

DEVIATION_EVENTS = ("ZoneDeviation", "BackInZone")


SAMPLES_T = HeartRateSample.metadata.tables[HeartRateSample.__tablename__]


async def add_samples(session: AsyncSession, samples: Sequence[tuple[uuid.UUID, Row]]) -> None:
    """Insert samples; one already stored (same session and time, from a retried batch) is
    kept as it was."""
    if not samples:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "session_id": session_id,
            "t": t,
            "bpm": bpm,
            "raw_bpm": raw_bpm,
            "segment_index": segment_index,
            "rr": list(rr) or None,
        }
        for session_id, (t, bpm, raw_bpm, segment_index, rr) in samples
    ]
    # The table, not the entity: a plain executemany, without the ORM's bulk-insert bookkeeping.
    await session.execute(insert(SAMPLES_T).on_conflict_do_nothing(), rows)


async def samples(session: AsyncSession, session_id: uuid.UUID) -> list[HeartRateSample]:
    result = await session.scalars(
        select(HeartRateSample)
        .where(HeartRateSample.session_id == session_id)
        .order_by(HeartRateSample.t)
    )
    return list(result)


async def profiles(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> Sequence[AthleteProfile]:
    return (
        await session.scalars(select(AthleteProfile).where(AthleteProfile.user_id.in_(user_ids)))
    ).all()


async def last_deviation_events(
    session: AsyncSession, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The newest deviation event (`ZoneDeviation` or `BackInZone`) of each session that has
    one."""
    newest = (
        select(SessionEvent.session_id, func.max(SessionEvent.seq).label("seq"))
        .where(SessionEvent.session_id.in_(session_ids), SessionEvent.type.in_(DEVIATION_EVENTS))
        .group_by(SessionEvent.session_id)
        .subquery()
    )
    rows = await session.execute(
        select(SessionEvent.session_id, SessionEvent.payload).join(
            newest,
            (SessionEvent.session_id == newest.c.session_id) & (SessionEvent.seq == newest.c.seq),
        )
    )
    return {session_id: payload for session_id, payload in rows}


async def deviation_counts(session: AsyncSession, session_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(SessionEvent.type, func.count())
        .where(SessionEvent.session_id == session_id, SessionEvent.type.in_(DEVIATION_EVENTS))
        .group_by(SessionEvent.type)
    )
    counts = dict.fromkeys(DEVIATION_EVENTS, 0)
    counts.update({kind: n for kind, n in rows})
    return counts

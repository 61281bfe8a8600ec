from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.heartrate.live import Row
from setpoint.heartrate.tables import HeartRateSample
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


async def last_deviation_event(
    session: AsyncSession, session_id: uuid.UUID
) -> dict[str, Any] | None:
    payload: dict[str, Any] | None = await session.scalar(
        select(SessionEvent.payload)
        .where(SessionEvent.session_id == session_id, SessionEvent.type.in_(DEVIATION_EVENTS))
        .order_by(SessionEvent.seq.desc())
        .limit(1)
    )
    return payload


async def deviation_counts(session: AsyncSession, session_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(SessionEvent.type, func.count())
        .where(SessionEvent.session_id == session_id, SessionEvent.type.in_(DEVIATION_EVENTS))
        .group_by(SessionEvent.type)
    )
    counts = dict.fromkeys(DEVIATION_EVENTS, 0)
    counts.update({kind: n for kind, n in rows})
    return counts

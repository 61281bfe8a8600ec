"""The session-deadline job: settles sessions whose next boundary has passed (segment
changes and completions), so their notifications go out at the boundary instant."""

from __future__ import annotations

from typing import ClassVar

import structlog

from setpoint.context import Context
from setpoint.sessions import checkpoint, repository, service
from setpoint.sessions.presence import Presence
from setpoint.workers.loop import JobClock

BATCH = 500
# Boundaries due within this much of one another are settled in one transaction: at 10k
# sessions (~330 boundaries a second) a transaction per boundary cost more than the work.
SETTLE_GAP_S = 0.02
PRESENCE_FLUSH_S = 15.0
# Sessions per presence transaction: a flush of thousands holds SQLite's single writer for
# tens of milliseconds at a time at most, and commands queue between its transactions.
PRESENCE_CHUNK = 100
log = structlog.get_logger("setpoint.sessions")


class SessionDeadlines:
    """Not a `LeasedJob`: settling a boundary is database work only (no outside call), so
    due sessions are locked and settled in one transaction, on the session timeline."""

    name: ClassVar[str] = service.DEADLINES_JOB
    clock: ClassVar[JobClock] = JobClock.SESSION
    overlap: ClassVar[int] = 1

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def run_due(self, now: float) -> float | None:
        # Most runs are the loop's poll with nothing due: find that out without taking SQLite's
        # single writer, which commands would otherwise queue behind (bench/README.md).
        async with self.ctx.db.transaction(write=False) as uow:
            upcoming = await repository.earliest_deadline(uow.session)
        if upcoming is None or upcoming > now:
            return upcoming
        while True:
            async with self.ctx.db.transaction() as uow:
                if await service.settle_due(self.ctx, uow, now, BATCH) == BATCH:
                    continue
                upcoming = await repository.earliest_deadline(uow.session)
            return None if upcoming is None else max(upcoming, now + SETTLE_GAP_S)


async def recover_sessions(ctx: Context) -> int:
    """At start, before serving: stale running sessions come back paused."""
    async with ctx.db.transaction() as uow:
        await checkpoint.signing_key(ctx, uow.session)  # made once, before any reader needs it
        paused = await service.recover(ctx, uow, ctx.timeline.now())
    if paused:
        log.info("paused stale sessions on start", count=paused)
    return paused


async def flush_seen(ctx: Context) -> None:
    """Writes when clients were last seen, every few seconds (`PRESENCE_FLUSH_S`), in short
    transactions of `PRESENCE_CHUNK` sessions; a crash loses at most that much freshness,
    which only matters against the one-hour stale window. What a failure left unwritten
    waits for the next flush."""
    presence = ctx.part(Presence)
    seen, now = sorted(presence.take()), ctx.timeline.now()
    for start in range(0, len(seen), PRESENCE_CHUNK):
        try:
            async with ctx.db.transaction() as uow:
                await repository.touch(uow.session, seen[start : start + PRESENCE_CHUNK], now)
        except BaseException:
            for session_id in seen[start:]:
                presence.saw(session_id)
            raise

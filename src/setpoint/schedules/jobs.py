"""The schedule job: fires due schedules and moves their planning horizon on (wall clock)."""

from __future__ import annotations

from typing import ClassVar

from setpoint.context import Context
from setpoint.schedules import service
from setpoint.workers.loop import JobClock

BATCH = 200


class ScheduleFires:
    """Not a `LeasedJob`: planning and firing are database work only (the notification is an
    outbox row; webhooks and the live push follow the commit), so due schedules are locked
    and settled in one transaction. A worker that dies mid-way rolls back and releases its
    locks; another takes the same schedules, so each fire happens once."""

    name: ClassVar[str] = service.FIRE_JOB
    clock: ClassVar[JobClock] = JobClock.WALL
    overlap: ClassVar[int] = 1

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def run_due(self, now: float) -> float | None:
        # Most runs are the loop's poll with nothing due: find that out in a read, without
        # taking SQLite's single writer, which commands would otherwise queue behind.
        async with self.ctx.db.transaction(write=False) as uow:
            upcoming = await service.next_due(uow.session)
        if upcoming is None or upcoming > now:
            return upcoming
        while True:
            async with self.ctx.db.transaction() as uow:
                if await service.run_due(self.ctx, uow, now, BATCH) == BATCH:
                    continue
            async with self.ctx.db.transaction(write=False) as uow:
                return await service.next_due(uow.session)

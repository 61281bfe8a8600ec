"""The one way to do deferred work against the outside world: claim due rows with
a lease, act with no transaction open, record the outcome, reschedule failures with backoff.

    claim   one short transaction: due rows whose lease is free are leased until
            `now + lease_s` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never
            take the same row; SQLite has one writer), and what the call needs is copied out;
    act     no transaction open: the slow call (an HTTP request) for each claim, at once;
    record  another short transaction: each outcome is written and the lease released.

A worker that dies between claim and record leaves its rows leased: another takes them when
the lease ends, so every job's `act` must be safe to repeat (idempotent at the receiver, or
adopting what an earlier attempt made).
"""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Select, case, or_
from sqlalchemy.orm import QueryableAttribute

from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.workers.loop import JobClock

Claim = TypeVar("Claim")
Outcome = TypeVar("Outcome")
Row = TypeVarTuple("Row")


def due(
    query: Select[*Row],
    due_at: QueryableAttribute[float | None],
    lease_until: QueryableAttribute[float | None],
    now: float,
) -> Select[*Row]:
    """`query` narrowed to rows due at `now` whose lease is free, oldest first, locked with
    `SKIP LOCKED` (the first entity of the query is the one locked)."""
    return (
        query.where(due_at <= now, or_(lease_until.is_(None), lease_until < now))
        .order_by(due_at)
        .with_for_update(skip_locked=True, of=query.column_descriptions[0]["entity"])
    )


def next_free(
    due_at: QueryableAttribute[float | None], lease_until: QueryableAttribute[float | None]
) -> ColumnElement[float | None]:
    """When a row can next be claimed: its due time, or the end of its lease when later
    (another worker holds it). The minimum of this is a job's `next_due`; the due time
    alone would make a worker spin on rows it cannot claim."""
    return case((lease_until > due_at, lease_until), else_=due_at)


def backoff_s(
    attempt: int, rng: random.Random, base_s: float = 2.0, cap_s: float = 3600.0
) -> float:
    """Delay before retry number `attempt` (1 = the first retry): exponential, capped, with
    full jitter in [0.5, 1.5) so failing receivers are not hit in lockstep."""
    return min(base_s * 2.0 ** (attempt - 1), cap_s) * (0.5 + rng.random())


class LeasedJob(ABC, Generic[Claim, Outcome]):
    name: ClassVar[str]
    clock: ClassVar[JobClock] = JobClock.WALL
    overlap: ClassVar[int] = 1
    batch: ClassVar[int] = 50
    lease_s: ClassVar[float] = 60.0

    def __init__(self, ctx: Context, rng: random.Random | None = None) -> None:
        self.ctx = ctx
        self.rng = rng or random.Random()

    def now(self) -> float:
        return self.ctx.clocks.now(self.clock)

    async def run_due(self, now: float) -> float | None:
        # Most runs are the loop's poll with nothing due: find that out in a read, without
        # taking SQLite's single writer, which commands would otherwise queue behind.
        async with self.ctx.db.transaction(write=False) as uow:
            upcoming = await self.next_due(uow)
        if upcoming is None or upcoming > now:
            return upcoming
        async with self.ctx.db.transaction() as uow:
            claims = await self.claim(uow, now, now + self.lease_s, self.batch)
        if claims:
            outcomes = await asyncio.gather(*(self.act(claim) for claim in claims))
            async with self.ctx.db.transaction() as uow:
                await self.record(uow, claims, outcomes, self.now())
            if len(claims) == self.batch:
                return now  # more may be due: go again at once
        async with self.ctx.db.transaction(write=False) as uow:
            return await self.next_due(uow)

    @abstractmethod
    async def claim(
        self, uow: UnitOfWork, now: float, lease_until: float, limit: int
    ) -> Sequence[Claim]:
        """Lease up to `limit` due rows until `lease_until`; what each call needs, detached
        from the transaction."""

    @abstractmethod
    async def act(self, claim: Claim) -> Outcome:
        """The call, with no transaction open. Expected failures are outcomes, not raised."""

    @abstractmethod
    async def record(
        self,
        uow: UnitOfWork,
        claims: Sequence[Claim],
        outcomes: Sequence[Outcome],
        now: float,
    ) -> None:
        """Write each outcome, release the leases, reschedule failures (`backoff_s`)."""

    @abstractmethod
    async def next_due(self, uow: UnitOfWork) -> float | None:
        """When the next row is due (None: no row waits)."""

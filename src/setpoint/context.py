"""What a running Setpoint process holds (settings, database, clock, hashers), and the
request dependencies that hand it, and one transaction per request, to the endpoints."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from setpoint.auth.model import ActorCache
from setpoint.auth.passwords import Passwords
from setpoint.clock import Clock, Timeline
from setpoint.config import Settings
from setpoint.db.engine import Database, UnitOfWork
from setpoint.heartrate.live import HeartRates
from setpoint.sessions.snapshots import Snapshots
from setpoint.workers.hub import Hub, LocalHub
from setpoint.workers.loop import WorkerLoop, publish_wake

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SNAPSHOT_TTL_WITH_REDIS_S = 60.0


@dataclass(slots=True)
class Context:
    settings: Settings
    db: Database
    clock: Clock
    passwords: Passwords
    hub: Hub = field(default_factory=LocalHub)
    workers: WorkerLoop | None = None
    timeline: Timeline = field(init=False)
    actors: ActorCache = field(default_factory=ActorCache)
    snapshots: Snapshots = field(default_factory=Snapshots)
    heart_rates: HeartRates = field(default_factory=HeartRates)
    # Sessions a client showed up for since the last flush, and sessions with a live socket
    # open here (their count): both are written to `last_seen_at` in batches.
    seen: set[uuid.UUID] = field(default_factory=set)
    watching: dict[uuid.UUID, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.timeline = Timeline(self.clock, self.settings.speed)
        if self.settings.redis_url:  # other processes change sessions too
            self.snapshots = Snapshots(ttl_s=SNAPSHOT_TTL_WITH_REDIS_S)
            self.hub.tap(self.snapshots.on_message)

    def saw(self, session_id: uuid.UUID) -> None:
        self.seen.add(session_id)

    @contextlib.contextmanager
    def watch(self, session_id: uuid.UUID) -> Iterator[None]:
        """A live socket is open on the session: it counts as seen until it closes."""
        self.watching[session_id] = self.watching.get(session_id, 0) + 1
        try:
            yield
        finally:
            self.seen.add(session_id)
            left = self.watching.pop(session_id) - 1
            if left:
                self.watching[session_id] = left

    async def wake(self, job: str, at: float | None) -> None:
        """Work became due at `at`: wake this process's workers, and other nodes' through Redis."""
        if at is None:
            return
        if self.workers is not None:
            self.workers.wake(job, at)
        if self.settings.redis_url:
            await publish_wake(self.hub, job, at)


async def get_context(request: Request) -> Context:
    # `async`, like every dependency here: FastAPI runs plain `def` ones in a thread pool.
    return context_of(request)


def context_of(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request, committed before the response is sent."""
    db = context_of(request).db
    async with db.transaction(write=request.method not in READ_METHODS) as uow:
        yield uow


Ctx = Annotated[Context, Depends(get_context)]
UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]

"""What every area of a running Setpoint process shares: settings, the database, the clocks,
the live hub and the workers' wake-up. Nothing else lives here.

An area that keeps process state of its own (sessions' snapshots and presence, heart-rate
trackers, the actor cache) defines it in its own package and registers it here at start-up
(`setpoint.wiring.build_context`); the area reads it back with `ctx.part(Kind)`. So this
module imports no domain area, and any area may import it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from setpoint.clock import Clock, Timeline
from setpoint.config import Settings
from setpoint.db.engine import Database
from setpoint.workers.hub import Hub, LocalHub
from setpoint.workers.loop import Clocks, WorkerLoop, publish_wake

T = TypeVar("T")


@dataclass(slots=True)
class Context:
    settings: Settings
    db: Database
    clock: Clock
    hub: Hub = field(default_factory=LocalHub)
    workers: WorkerLoop | None = None
    timeline: Timeline = field(init=False)
    clocks: Clocks = field(init=False)
    _parts: dict[type, Any] = field(default_factory=dict, repr=False)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.timeline = Timeline(self.clock, self.settings.speed)
        self.clocks = Clocks(self.clock, self.timeline)

    def register(self, part: object) -> None:
        """Keep an area's process state, found again by its type."""
        self._parts[type(part)] = part

    def part(self, kind: type[T]) -> T:
        part: T = self._parts[kind]
        return part

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Release something a part holds (a connection pool) when the process stops."""
        self._closers.append(closer)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()
        await self.db.dispose()

    async def wake(self, job: str, at: float | None) -> None:
        """Work became due at `at` (in the job's own clock, see `setpoint.workers.loop`): wake
        this process's workers, and other nodes' through the hub."""
        if at is None:
            return
        if self.workers is not None:
            self.workers.wake(job, at)
        if self.settings.redis_url:
            await publish_wake(self.hub, job, at)

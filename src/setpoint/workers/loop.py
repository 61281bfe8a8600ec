"""The due-row worker loop.

All deferred work is a row with a due time. A job claims its due rows in one short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers never take the same
row; SQLite has a single writer), does the work idempotently, commits, and says when it is
next due. The loop sleeps until then, or until a wake-up brings that time forward: a change
that creates work wakes the loop at once, in this process directly and on other nodes
through the hub. A slow poll is the backstop for a wake-up lost with a dead process.

Each job names the clock its due times are in (`JobClock`), in this one place:
- `SESSION`: the session timeline (`Timeline`), which `SETPOINT_SPEED` scales and which never
  steps. Session deadlines (segment boundaries, completion) run on it, so a sped-up demo
  session changes segments at its own pace.
- `WALL`: epoch seconds of the wall clock. Work against the outside world (webhook
  deliveries, device pushes and withdrawals, schedule fires) runs on it: a provider's
  `Retry-After` or 06:30 in Paris do not speed up with a demo.
Due times are stored as epoch seconds (`Double` columns named `*_at`), never as datetimes:
one type compares and indexes the same on SQLite (which keeps datetimes as text) and
PostgreSQL, and the loop reads it without conversion.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import ClassVar, Protocol

import structlog

from setpoint.clock import Clock, Timeline
from setpoint.workers.hub import Hub

log = structlog.get_logger("setpoint.workers")
WAKE_TOPIC = "wake"


class JobClock(StrEnum):
    SESSION = "session"
    WALL = "wall"


class Job(Protocol):
    name: ClassVar[str]
    clock: ClassVar[JobClock]
    # Runners sharing the job's schedule: with more than one, work that comes due while a
    # runner waits on a slow call is taken by another at once (claims keep them apart).
    overlap: ClassVar[int]

    async def run_due(self, now: float) -> float | None:
        """Do the work due at `now` (in the job's clock); return when it is next due
        (None: not known)."""
        ...


# Waits until the event is set or `timeout_s` real seconds have passed; tests inject their own.
Wait = Callable[[asyncio.Event, float], Awaitable[None]]


async def wait_or_timeout(event: asyncio.Event, timeout_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=timeout_s)


class Clocks:
    """Reads each job clock, and says how long a span of it takes in real seconds."""

    def __init__(self, clock: Clock, timeline: Timeline) -> None:
        self.clock = clock
        self.timeline = timeline

    def now(self, which: JobClock) -> float:
        if which is JobClock.SESSION:
            return self.timeline.now()
        return self.clock.now().timestamp()

    def real_seconds(self, which: JobClock, span: float) -> float:
        return self.timeline.real_seconds(span) if which is JobClock.SESSION else span


class _Schedule:
    def __init__(self) -> None:
        self.next_at = 0.0  # run at once on start: whatever came due while we were down
        self.last_run = -math.inf
        self.changed = asyncio.Event()

    def bring_forward(self, at: float) -> None:
        if at < self.next_at:
            self.next_at = at
            self.changed.set()


class WorkerLoop:
    def __init__(
        self,
        jobs: list[Job],
        clocks: Clocks,
        hub: Hub,
        poll_s: float = 5.0,
        wait: Wait = wait_or_timeout,
    ) -> None:
        self.jobs = {job.name: job for job in jobs}
        self.clocks = clocks
        self.hub = hub
        self.poll_s = poll_s
        self._wait = wait
        self._schedules = {name: _Schedule() for name in self.jobs}
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self, job: str, at: float) -> None:
        """This process learned that `job` has work due at `at`."""
        schedule = self._schedules.get(job)
        if schedule is not None:
            schedule.bring_forward(at)

    async def start(self) -> None:
        for name, job in self.jobs.items():
            for _ in range(job.overlap):
                self._tasks.append(asyncio.create_task(self._run(name), name=f"worker-{name}"))
        self._tasks.append(asyncio.create_task(self._listen(), name="worker-wakeups"))

    async def stop(self) -> None:
        """Stops after the work in hand: a job in a transaction finishes or rolls back."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self, name: str) -> None:
        job, schedule = self.jobs[name], self._schedules[name]
        while True:
            # No await between reading the schedule and waiting: no wake-up can slip by.
            schedule.changed.clear()
            now = self.clocks.now(job.clock)
            run_at = min(schedule.next_at, schedule.last_run + self.poll_s)
            if run_at > now:
                await self._wait(
                    schedule.changed, self.clocks.real_seconds(job.clock, run_at - now)
                )
                continue
            schedule.last_run, schedule.next_at = now, math.inf
            try:
                upcoming = await job.run_due(now)
            except Exception:
                log.exception("job failed; retrying after the poll interval", job=name)
                continue
            if upcoming is not None:
                schedule.bring_forward(upcoming)

    async def _listen(self) -> None:
        """Wake-ups from other processes, published by `publish_wake`."""
        with self.hub.subscribe(WAKE_TOPIC, maxsize=4096) as subscription:
            while True:
                message = json.loads(await subscription.get())
                self.wake(message["job"], float(message["at"]))


async def publish_wake(hub: Hub, job: str, at: float) -> None:
    if math.isfinite(at):
        await hub.publish(WAKE_TOPIC, json.dumps({"job": job, "at": at}))


async def every(period_s: float, work: Callable[[], Awaitable[object]]) -> None:
    """Run `work` every `period_s` until cancelled, and once more then (a batch writer
    flushes what it holds on shutdown). A failed run is logged; the next one tries again."""
    try:
        while True:
            await asyncio.sleep(period_s)
            try:
                await work()
            except Exception:
                log.exception("periodic work failed", work=getattr(work, "__name__", str(work)))
    finally:
        await work()

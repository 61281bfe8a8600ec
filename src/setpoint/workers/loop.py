"""The due-row worker loop (DESIGN §6).

All deferred work is a row with a due time. A job claims its due rows in one short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers never take the same
row; SQLite has a single writer), does the work idempotently, commits, and says when it is
next due. The loop sleeps until then, or until a wake-up brings that time forward: a change
that creates work wakes the loop at once, in this process directly and on other nodes
through the hub. A slow poll is the backstop for a wake-up lost with a dead process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog

from setpoint.clock import Timeline
from setpoint.workers.hub import Hub

log = structlog.get_logger("setpoint.workers")
WAKE_TOPIC = "wake"


class Job(Protocol):
    name: str

    async def run_due(self, now: float) -> float | None:
        """Do the work due at `now`; return when this job is next due (None: not known)."""
        ...


class _Schedule:
    def __init__(self) -> None:
        self.next_at = 0.0  # run at once on start: whatever came due while we were down
        self.changed = asyncio.Event()

    def bring_forward(self, at: float) -> None:
        if at < self.next_at:
            self.next_at = at
            self.changed.set()


class WorkerLoop:
    def __init__(self, jobs: list[Job], timeline: Timeline, hub: Hub, poll_s: float = 5.0) -> None:
        self.jobs = {job.name: job for job in jobs}
        self.timeline = timeline
        self.hub = hub
        self.poll_s = poll_s
        self._schedules = {name: _Schedule() for name in self.jobs}
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self, job: str, at: float) -> None:
        """This process learned that `job` has work due at `at`."""
        schedule = self._schedules.get(job)
        if schedule is not None:
            schedule.bring_forward(at)

    async def start(self) -> None:
        for name in self.jobs:
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
        last_run = -math.inf
        while True:
            # No await between reading the schedule and waiting: no wake-up can slip by.
            schedule.changed.clear()
            now = self.timeline.now()
            run_at = min(schedule.next_at, last_run + self.poll_s)
            if run_at > now:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        schedule.changed.wait(), timeout=self.timeline.real_seconds(run_at - now)
                    )
                continue
            last_run, schedule.next_at = now, math.inf
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

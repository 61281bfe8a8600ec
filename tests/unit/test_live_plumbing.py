"""The process-level parts of the live engine: the non-stepping timeline, the hub's bounded
queues, and the worker loop's wake-ups."""

from __future__ import annotations

import asyncio

from setpoint.clock import SystemClock, Timeline
from setpoint.workers.hub import LocalHub
from setpoint.workers.loop import WorkerLoop, publish_wake
from tests.support import FakeClock


def test_a_wall_clock_step_does_not_move_the_timeline() -> None:
    clock = FakeClock()
    timeline = Timeline(clock)
    start = timeline.now()
    assert start == clock.now().timestamp()
    clock.advance(10)
    clock.step_wall(-3600)  # NTP sets the wall clock back an hour
    assert timeline.now() == start + 10
    clock.step_wall(+7200)
    clock.advance(5)
    assert timeline.now() == start + 15


async def test_a_slow_subscriber_loses_its_oldest_messages_not_the_server() -> None:
    hub = LocalHub()
    with hub.subscribe("session:x", maxsize=3) as slow, hub.subscribe("session:x") as fast:
        for i in range(10):
            await hub.publish("session:x", str(i))
        assert [await slow.get() for _ in range(3)] == ["7", "8", "9"]
        assert slow.dropped == 7
        assert [await fast.get() for _ in range(10)] == [str(i) for i in range(10)]
    await hub.publish("session:x", "after")  # nobody left: nothing kept
    assert hub._topics == {}


class Recorder:
    name = "record"

    def __init__(self, timeline: Timeline, next_due: list[float | None]) -> None:
        self.timeline = timeline
        self.next_due = next_due
        self.runs: list[float] = []

    async def run_due(self, now: float) -> float | None:
        self.runs.append(now)
        return self.next_due.pop(0) if self.next_due else None


async def test_the_loop_runs_at_start_at_the_due_time_and_when_woken() -> None:
    timeline = Timeline(SystemClock())
    hub = LocalHub()
    t0 = timeline.now()
    job = Recorder(timeline, [t0 + 0.15])
    loop = WorkerLoop([job], timeline, hub, poll_s=30)
    await loop.start()
    try:
        await asyncio.sleep(0.05)
        assert len(job.runs) == 1  # at start: whatever came due while down
        await asyncio.sleep(0.2)
        assert len(job.runs) == 2 and job.runs[1] - (t0 + 0.15) < 0.05  # on time, not at the poll
        loop.wake("record", timeline.now())
        await asyncio.sleep(0.02)
        assert len(job.runs) == 3
        await publish_wake(hub, "record", timeline.now())  # another node's wake-up, via the hub
        await asyncio.sleep(0.02)
        assert len(job.runs) == 4
        loop.wake("other-job", timeline.now())  # not ours: ignored
        await asyncio.sleep(0.02)
        assert len(job.runs) == 4
    finally:
        await loop.stop()


async def test_a_failing_job_is_retried_after_the_poll_interval() -> None:
    timeline = Timeline(SystemClock())

    class Flaky:
        name = "flaky"
        calls = 0

        async def run_due(self, now: float) -> float | None:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("database went away")
            return None

    loop = WorkerLoop([Flaky()], timeline, LocalHub(), poll_s=0.05)
    await loop.start()
    try:
        await asyncio.sleep(0.2)
    finally:
        await loop.stop()
    assert Flaky.calls >= 2

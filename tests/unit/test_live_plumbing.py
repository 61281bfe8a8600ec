"""The process-level parts of the live engine: the non-stepping timeline, the hub's bounded
queues, the worker loop's wake-ups, the session snapshots and the heart-rate rate limit."""

from __future__ import annotations

import asyncio
import json
import uuid

from setpoint.clock import SystemClock, Timeline
from setpoint.heartrate.live import TokenBucket
from setpoint.sessions.machine import Anchors
from setpoint.sessions.snapshots import Snapshot, Snapshots
from setpoint.workers.hub import LocalHub
from setpoint.workers.loop import WorkerLoop, publish_wake
from setpoint.workouts.normalize import Plan
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


def test_a_sped_up_timeline_runs_faster_and_says_how_long_a_span_takes() -> None:
    clock = FakeClock()
    timeline = Timeline(clock, speed=10)
    start = timeline.now()
    clock.advance(3)
    assert timeline.now() == start + 30
    assert timeline.real_seconds(30) == 3


def _snapshot(session_id: uuid.UUID, revision: int) -> Snapshot:
    return Snapshot(
        session_id,
        athlete_id=uuid.uuid4(),
        workout_id=uuid.uuid4(),
        workout_name="w",
        plan_json={"segments": [], "total_duration_s": 0},
        plan=Plan((), 0),
        anchors=Anchors(),
        revision=revision,
    )


def test_snapshots_never_go_back_to_an_older_revision() -> None:
    now = [0.0]
    snapshots = Snapshots(ttl_s=10, monotonic=lambda: now[0])
    sid = uuid.uuid4()
    snapshots.put(_snapshot(sid, 3))
    snapshots.put(_snapshot(sid, 2))  # a slow read finishing after a newer write
    kept = snapshots.get(sid)
    assert kept is not None and kept.revision == 3
    update = json.dumps({"type": "update", "state": {"revision": 5}})
    snapshots.on_message(f"session:{sid}", update)  # another process committed revision 5
    assert snapshots.get(sid) is None
    snapshots.put(_snapshot(sid, 4))  # read before revision 5 was committed: not kept
    assert snapshots.get(sid) is None
    snapshots.put(_snapshot(sid, 5))
    kept = snapshots.get(sid)
    assert kept is not None and kept.revision == 5
    now[0] += 11  # past the TTL: read again
    assert snapshots.get(sid) is None
    snapshots.on_message(f"session:{sid}", json.dumps({"type": "heart_rate"}))  # ignored
    snapshots.on_message("wake", "{}")


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(capacity=10, rate=2, tokens=10, updated=0.0)
    assert bucket.take(10, 0.0) == 0
    assert bucket.take(1, 0.0) == 0.5  # refused: one token is half a second away
    assert bucket.take(1, 0.5) == 0
    assert bucket.take(4, 1.0) == 1.5  # 1 token there, 3 more take 1.5 s
    assert bucket.take(4, 3.0) == 0

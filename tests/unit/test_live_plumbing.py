"""The process-level parts of the live engine: the non-stepping timeline, the hub's bounded
queues, the worker loop's wake-ups, the session snapshots and the heart-rate rate limit."""

from __future__ import annotations

import asyncio
import json
import uuid

from setpoint.clock import Timeline
from setpoint.heartrate.live import TokenBucket
from setpoint.sessions.machine import Anchors
from setpoint.sessions.snapshots import GAP_SPREAD_S, Snapshot, Snapshots
from setpoint.workers.hub import LocalHub
from setpoint.workers.loop import Clocks, JobClock, WorkerLoop, publish_wake
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
    with hub.subscribe("session:x") as late:  # nothing was kept for later subscribers
        await hub.publish("session:x", "after")
        assert late.queue.qsize() == 1 and await late.get() == "after"


class ManualWaits:
    """The loop's wait, driven by the test: it returns when the loop is woken or when the
    test says time has passed (`elapse`), and records each timeout the loop asked for."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._elapsed = asyncio.Event()

    async def __call__(self, woken: asyncio.Event, timeout_s: float) -> None:
        self.asked.append(timeout_s)
        waits = [asyncio.ensure_future(woken.wait()), asyncio.ensure_future(self._elapsed.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        self._elapsed.clear()

    def elapse(self) -> None:
        self._elapsed.set()


class Recorder:
    name = "record"
    clock = JobClock.SESSION
    overlap = 1

    def __init__(self, next_due: list[float | None]) -> None:
        self.next_due = next_due
        self.runs: list[float] = []
        self.ran = asyncio.Event()

    async def run_due(self, now: float) -> float | None:
        self.runs.append(now)
        self.ran.set()
        return self.next_due.pop(0) if self.next_due else None

    async def next_run(self) -> float:
        await asyncio.wait_for(self.ran.wait(), timeout=5)  # a bound, not a timing
        self.ran.clear()
        return self.runs[-1]


async def test_the_loop_runs_at_start_at_the_due_time_and_when_woken() -> None:
    clock = FakeClock()
    clocks = Clocks(clock, Timeline(clock, speed=10))
    hub, waits = LocalHub(), ManualWaits()
    t0 = clocks.now(JobClock.SESSION)
    job = Recorder([t0 + 30])
    loop = WorkerLoop([job], clocks, hub, poll_s=300, wait=waits)
    await loop.start()
    try:
        assert await job.next_run() == t0  # at start: whatever came due while down
        await asyncio.sleep(0)
        assert waits.asked[-1] == 3  # 30 s of session time at speed 10
        clock.advance(3)
        waits.elapse()
        assert await job.next_run() == t0 + 30  # at the due time, not at the poll
        loop.wake("record", clocks.now(JobClock.SESSION))
        assert await job.next_run() == t0 + 30
        await publish_wake(hub, "record", t0)  # another node's wake-up, via the hub
        assert await job.next_run() == t0 + 30
        loop.wake("other-job", t0)  # not ours: ignored
        await asyncio.sleep(0)
        assert len(job.runs) == 4 and waits.asked[-1] == 30  # next: the poll, in real seconds
    finally:
        await loop.stop()


async def test_a_wall_clock_job_runs_on_wall_time_whatever_the_session_speed() -> None:
    clock = FakeClock()
    clocks = Clocks(clock, Timeline(clock, speed=10))
    waits = ManualWaits()
    job = Recorder([clock.now().timestamp() + 30])
    job.clock = JobClock.WALL
    loop = WorkerLoop([job], clocks, LocalHub(), poll_s=300, wait=waits)
    await loop.start()
    try:
        assert await job.next_run() == clock.now().timestamp()
        await asyncio.sleep(0)
        assert waits.asked[-1] == 30  # 30 s of wall time are 30 real seconds
    finally:
        await loop.stop()


async def test_a_failing_job_is_retried_after_the_poll_interval() -> None:
    clock = FakeClock()
    waits = ManualWaits()
    runs = asyncio.Event()

    class Flaky:
        name = "flaky"
        clock = JobClock.WALL
        overlap = 1
        calls = 0

        async def run_due(self, now: float) -> float | None:
            Flaky.calls += 1
            runs.set()
            if Flaky.calls == 1:
                raise RuntimeError("database went away")
            return None

    loop = WorkerLoop([Flaky()], Clocks(clock, Timeline(clock)), LocalHub(), 5, waits)
    await loop.start()
    try:
        await asyncio.wait_for(runs.wait(), timeout=5)
        runs.clear()
        await asyncio.sleep(0)
        assert waits.asked[-1] == 5  # the failure is retried at the next poll
        clock.advance(5)
        waits.elapse()
        await asyncio.wait_for(runs.wait(), timeout=5)
    finally:
        await loop.stop()
    assert Flaky.calls == 2


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
    snapshots.put(_snapshot(sid, 6))
    snapshots.on_message(f"session:{sid}", json.dumps({"type": "heart_rate"}))  # not a change
    snapshots.on_message("wake", "{}")  # not a session topic
    kept = snapshots.get(sid)
    assert kept is not None and kept.revision == 6


def test_snapshots_read_together_expire_spread_over_half_their_ttl() -> None:
    now = [0.0]
    snapshots = Snapshots(ttl_s=10, monotonic=lambda: now[0])
    ids = [uuid.uuid4() for _ in range(200)]
    for sid in ids:
        snapshots.put(_snapshot(sid, 1))

    def kept_at(t: float) -> int:
        now[0] = t
        return sum(snapshots.get(sid) is not None for sid in ids)

    assert kept_at(5.0) == 200
    assert 0 < kept_at(7.5) < 200
    assert kept_at(10.01) == 0
    for sid in ids:
        snapshots.put(_snapshot(sid, 2))
    snapshots.expire_soon()  # the hub may have missed changes: all are read again, spread
    assert 0 < kept_at(10.01 + GAP_SPREAD_S / 2) < 200
    assert kept_at(10.02 + GAP_SPREAD_S) == 0


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(capacity=10, rate=2, tokens=10, updated=0.0)
    assert bucket.take(10, 0.0) == 0
    assert bucket.take(1, 0.0) == 0.5  # refused: one token is half a second away
    assert bucket.take(1, 0.5) == 0
    assert bucket.take(4, 1.0) == 1.5  # 1 token there, 3 more take 1.5 s
    assert bucket.take(4, 3.0) == 0

"""Heart rate during live sessions, held by the process that receives the samples.

Per session, a `Tracker` runs the pure filter and deviation rules over each sample, keeps the
rate limit, and says what the athlete's display shows (`view`). Accepted samples wait in
`HeartRates` for the next batch write (samples are persisted in batches;
a crash loses at most one batch period). Deviation events are not batched: the caller writes
them at once, with their notification.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from setpoint.heartrate import deviation, filter
from setpoint.heartrate.deviation import BackInZone, Band, DeviationState, ZoneDeviation
from setpoint.heartrate.filter import FilterState, Sample
from setpoint.heartrate.zones import Zone, zone_of

MAX_BATCH = 300  # samples in one request or message
BURST = 300  # samples a session may send at once (a reconnecting client's backlog)
RATE = 5.0  # samples per second a session may send, sustained (a strap sends 1–2)
PUBLISH_EVERY_S = 5.0  # the live view is pushed this often, and whenever it changes
MAX_TRACKERS = 50_000


@dataclass(slots=True)
class TokenBucket:
    capacity: float = BURST
    rate: float = RATE
    tokens: float = BURST
    updated: float = -math.inf

    def take(self, n: int, now: float) -> float:
        """Take `n` tokens at `now` (monotonic seconds): 0.0, or the seconds to wait first."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if n <= self.tokens:
            self.tokens -= n
            return 0.0
        return (n - self.tokens) / self.rate


Row = tuple[float, float, int, int, tuple[float, ...]]  # t, filtered bpm, raw bpm, segment, rr


class StoredSample(NamedTuple):
    """An accepted sample, as stored: `bpm` is the filtered value."""

    t: float
    bpm: float
    raw_bpm: int
    segment_index: int
    rr: tuple[float, ...]


HrEvent = ZoneDeviation | BackInZone


@dataclass(frozen=True, slots=True)
class Fed:
    """What a batch did: the accepted samples to store, the deviation events (with the index
    of the segment they happened in), and the rejected samples counted by reason."""

    stored: list[Row]
    events: list[tuple[int, HrEvent]]
    rejected: dict[str, int]


@dataclass(slots=True)
class Tracker:
    session_id: uuid.UUID
    athlete_id: uuid.UUID
    zones: tuple[Zone, ...] | None
    bands: Sequence[Band | None]  # per segment
    segment_index: int = 0
    deviation: DeviationState = field(default_factory=DeviationState)
    filter: FilterState = field(default_factory=FilterState)
    bucket: TokenBucket = field(default_factory=TokenBucket)
    published: tuple[Any, ...] | None = None  # what the last pushed view showed
    published_at: float = -math.inf

    def feed(
        self, samples: Sequence[Sample], now: float, segment_at: Callable[[float], int]
    ) -> Fed:
        """Run `samples` (sorted by time first) through the filter and the deviation rules."""
        stored: list[Row] = []
        events: list[tuple[int, HrEvent]] = []
        rejected: Counter[str] = Counter()
        for sample in sorted(samples, key=lambda s: s.t):
            index = segment_at(sample.t)
            if index != self.segment_index:
                self.segment_index, self.deviation = index, deviation.reset(self.deviation)
            band = self.bands[index]
            if self.filter.accepted_t is not None and filter.current(self.filter, sample.t) is None:
                self.deviation, _ = deviation.observe(self.deviation, band, None, sample.t)
            self.filter, verdict = filter.step(self.filter, sample, now)
            if verdict.bpm is None:
                rejected[verdict.reason or "rejected"] += 1
                continue
            stored.append((sample.t, verdict.bpm, sample.bpm, index, sample.rr))
            self.deviation, raised = deviation.observe(self.deviation, band, verdict.bpm, sample.t)
            events.extend((index, e) for e in raised)
        return Fed(stored, events, dict(rejected))

    def view(self, now: float, segment_index: int) -> dict[str, Any]:
        """What the session state shows of the heart rate at `now`, in that segment."""
        bpm = filter.current(self.filter, now)
        band = self.bands[segment_index]
        return {
            "bpm": None if bpm is None else round(bpm, 1),
            "zone": None if bpm is None or not self.zones else zone_of(bpm, self.zones),
            "target": None if band is None else {"low": band[0], "high": band[1]},
            "in_target": None if bpm is None or band is None else band[0] <= bpm <= band[1],
            "t": self.filter.accepted_t,
        }

    def due_for_push(self, view: dict[str, Any], now: float) -> bool:
        """Push the view when what it shows changed (known, zone, in target), or every few
        seconds; not on every sample."""
        shown = (view["bpm"] is None, view["zone"], view["in_target"], view["target"])
        if shown != self.published or now - self.published_at >= PUBLISH_EVERY_S:
            self.published, self.published_at = shown, now
            return True
        return False


class HeartRates:
    """The trackers of the sessions this process receives heart rate for, and the accepted
    samples not written yet.

    Waiting samples are plain tuples of numbers, which the garbage collector stops tracking:
    thousands of them a second, each living a few seconds, would otherwise be promoted to
    the oldest generation and make its full collections (pauses of a second with 10,000
    sessions) come far more often."""

    def __init__(self) -> None:
        self._trackers: dict[uuid.UUID, Tracker] = {}
        self._pending: dict[uuid.UUID, list[Row]] = {}
        # Trackers asked for and not made yet (`heartrate.service`): who waits for each, the
        # sessions in the order asked, and the task making them.
        self.making: dict[uuid.UUID, asyncio.Future[Tracker]] = {}
        self.to_make: list[tuple[Any, int]] = []  # (snapshot, segment index)
        self.maker: asyncio.Task[None] | None = None

    def get(self, session_id: uuid.UUID) -> Tracker | None:
        return self._trackers.get(session_id)

    def add(self, tracker: Tracker) -> None:
        if len(self._trackers) >= MAX_TRACKERS:
            self._trackers.pop(next(iter(self._trackers)))
        self._trackers[tracker.session_id] = tracker

    def drop(self, session_id: uuid.UUID) -> None:
        self._trackers.pop(session_id, None)

    def forget_athlete(self, athlete_id: uuid.UUID) -> None:
        for tracker in [t for t in self._trackers.values() if t.athlete_id == athlete_id]:
            self.drop(tracker.session_id)

    def view(self, session_id: uuid.UUID, now: float, segment_index: int) -> dict[str, Any] | None:
        tracker = self._trackers.get(session_id)
        return None if tracker is None else tracker.view(now, segment_index)

    def queue(self, session_id: uuid.UUID, rows: list[Row]) -> None:
        if rows:
            self._pending.setdefault(session_id, []).extend(rows)

    def waiting(self, session_id: uuid.UUID) -> list[StoredSample]:
        return [StoredSample._make(row) for row in self._pending.get(session_id, ())]

    def take_pending(self) -> list[tuple[uuid.UUID, Row]]:
        taken, self._pending = self._pending, {}
        return [(session_id, row) for session_id, rows in taken.items() for row in rows]

    def put_back(self, rows: list[tuple[uuid.UUID, Row]]) -> None:
        """Samples a failed write left: they wait for the next one, before newer samples."""
        newer, self._pending = self._pending, {}
        for session_id, row in rows:
            self._pending.setdefault(session_id, []).append(row)
        for session_id, queued in newer.items():
            self.queue(session_id, queued)

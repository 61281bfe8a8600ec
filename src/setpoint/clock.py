"""The clock port: wall time for records, a monotonic source for measuring intervals.

Domain code never reads the time itself; it is handed `now`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC wall time."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never steps backwards."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class Timeline:
    """Seconds since the Unix epoch that never step: wall time read once, then advanced by the
    monotonic clock. An NTP step inside the process cannot make a session jump or run
    backwards; across restarts the wall clock is the only shared reference, and is used."""

    def __init__(self, clock: Clock, speed: float = 1.0) -> None:
        self._clock = clock
        self._wall0 = clock.now().timestamp()
        self._mono0 = clock.monotonic()
        self.speed = speed  # > 1 only for demos: session time runs that many times faster

    def now(self) -> float:
        return self._wall0 + (self._clock.monotonic() - self._mono0) * self.speed

    def real_seconds(self, span: float) -> float:
        """How long `span` seconds of this timeline take on the real clock."""
        return span / self.speed

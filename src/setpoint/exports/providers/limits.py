"""Client-side request quotas: each provider's published limits, kept by sliding windows.

A `Limiter` is asked before each request; it answers how long to wait (0: go now, and the
request is counted). It never sleeps and never fails: the caller turns a wait into a later
attempt. Time comes from an injected monotonic clock. Quotas are counted per process: with
several worker processes each keeps its own count.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `requests` in any `window_s`; per user account, or for the whole app."""

    requests: int
    window_s: float
    per_account: bool = False


Tier = Literal["evaluation", "production", "off"]

# The providers' published quotas (Garmin: evaluation / production; Wahoo: sandbox /
# production). "off" lifts them, for benchmarks against the fake provider.
QUOTAS: dict[str, dict[Tier, tuple[Quota, ...]]] = {
    "garmin": {
        "evaluation": (Quota(100, MINUTE), Quota(200, DAY, per_account=True)),
        "production": (Quota(3000, MINUTE), Quota(1000, DAY, per_account=True)),
        "off": (),
    },
    "wahoo": {
        "evaluation": (Quota(25, 5 * MINUTE), Quota(100, HOUR), Quota(250, DAY)),
        "production": (Quota(200, 5 * MINUTE), Quota(1000, HOUR), Quota(5000, DAY)),
        "off": (),
    },
}


class Limiter:
    """Sliding-window counters for one provider's quotas."""

    def __init__(self, quotas: Sequence[Quota], clock: Callable[[], float]) -> None:
        self.quotas = tuple(quotas)
        self._clock = clock
        self._sent: dict[tuple[int, str], deque[float]] = {}

    @classmethod
    def for_provider(cls, provider: str, tier: Tier, clock: Callable[[], float]) -> Limiter:
        return cls(QUOTAS[provider][tier], clock)

    def acquire(self, account: str) -> float:
        """0 and the request is counted, or the seconds to wait before asking again."""
        now = self._clock()
        wait = 0.0
        windows = []
        for i, quota in enumerate(self.quotas):
            sent = self._window(i, quota, account, now)
            windows.append(sent)
            if len(sent) >= quota.requests:
                wait = max(wait, sent[len(sent) - quota.requests] + quota.window_s - now)
        if wait > 0:
            return wait
        for sent in windows:
            sent.append(now)
        return 0.0

    def _window(self, index: int, quota: Quota, account: str, now: float) -> deque[float]:
        key = (index, account if quota.per_account else "")
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - quota.window_s:
            sent.popleft()
        return sent

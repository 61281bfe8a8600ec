"""Login throttling, by account and by client address (pure: times are passed in).

Each login attempt counts as a failure for its account and its address before the password
is checked (so a burst of concurrent attempts is counted as it arrives); a good password
takes the count back. Past a few free failures a key must wait before its next attempt, and
the wait doubles with each further failure, up to a cap; a key with no attempt for
`forget_after_s` starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    free: int  # failures allowed before waits start
    base_s: float = 1.0  # the first wait; each further failure doubles it
    cap_s: float = 900.0

    def wait_after(self, failures: int) -> float:
        """Seconds a key must wait, after its latest attempt, once it has `failures`."""
        if failures < self.free:
            return 0.0
        return float(min(self.cap_s, self.base_s * 2.0 ** (failures - self.free)))


ACCOUNT = Limit(free=5)
ADDRESS = Limit(free=20)  # an office or a household may share one address


@dataclass(slots=True)
class _Record:
    failures: int
    last: float


class LoginThrottle:
    def __init__(
        self,
        account: Limit = ACCOUNT,
        address: Limit = ADDRESS,
        forget_after_s: float = 3600.0,
        size: int = 100_000,
    ) -> None:
        self.limits = {"account": account, "address": address}
        self.forget_after_s = forget_after_s
        self.size = size
        self._records: dict[tuple[str, str], _Record] = {}

    def attempt(self, account: str, address: str, now: float) -> float:
        """0.0 when the attempt may check its password (it is counted as a failure until
        `succeeded`), else the seconds to wait (the attempt is not counted)."""
        keys = (("account", account), ("address", address))
        records = [self._record(key, now) for key in keys]
        wait = max(
            record.last + self.limits[kind].wait_after(record.failures) - now
            for (kind, _), record in zip(keys, records, strict=True)
        )
        if wait > 0:
            return wait
        for record in records:
            record.failures += 1
            record.last = now
        return 0.0

    def succeeded(self, account: str, address: str) -> None:
        """The password was right: the account starts clean, the address's count is taken back."""
        self._records.pop(("account", account), None)
        record = self._records.get(("address", address))
        if record is not None:
            record.failures = max(0, record.failures - 1)

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        record = self._records.get(key)
        if record is not None and now - record.last <= self.forget_after_s:
            return record
        if record is None and len(self._records) >= self.size:
            self._records.pop(next(iter(self._records)))
        record = self._records[key] = _Record(0, now)
        return record

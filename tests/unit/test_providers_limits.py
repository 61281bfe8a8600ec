"""The client-side request limiter: sliding windows, per app and per account."""

from __future__ import annotations

from setpoint.exports.providers.limits import DAY, MINUTE, Limiter, Quota
from tests.support import FakeClock


def test_requests_pass_until_the_window_is_full_then_wait_for_the_oldest() -> None:
    clock = FakeClock()
    limiter = Limiter([Quota(3, 10)], clock.monotonic)
    assert limiter.acquire("a") == 0
    clock.advance(4)
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 6  # the first one leaves the window at t=10
    clock.advance(6)
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 4


def test_a_refused_request_is_not_counted() -> None:
    clock = FakeClock()
    limiter = Limiter([Quota(1, 10)], clock.monotonic)
    assert limiter.acquire("a") == 0
    for _ in range(5):
        assert limiter.acquire("a") == 10
    clock.advance(10)
    assert limiter.acquire("a") == 0


def test_per_account_quotas_are_separate_and_app_quotas_shared() -> None:
    clock = FakeClock()
    limiter = Limiter([Quota(3, MINUTE), Quota(1, DAY, per_account=True)], clock.monotonic)
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == DAY
    assert limiter.acquire("b") == 0
    assert limiter.acquire("c") == 0
    assert limiter.acquire("d") == MINUTE  # the app's minute is used up


def test_garmin_evaluation_quota_is_100_a_minute_for_the_app() -> None:
    clock = FakeClock()
    limiter = Limiter.for_provider("garmin", "evaluation", clock.monotonic)
    waits = [limiter.acquire(f"athlete-{i}") for i in range(101)]
    assert waits[:100] == [0] * 100
    assert waits[100] == MINUTE


def test_wahoo_sandbox_quota_is_25_per_5_minutes() -> None:
    clock = FakeClock()
    limiter = Limiter.for_provider("wahoo", "evaluation", clock.monotonic)
    waits = [limiter.acquire("athlete") for _ in range(26)]
    assert waits[25] == 5 * MINUTE


def test_quotas_can_be_lifted() -> None:
    limiter = Limiter.for_provider("garmin", "off", FakeClock().monotonic)
    assert all(limiter.acquire("a") == 0 for _ in range(10_000))

"""Login throttling by account and by address (pure: times are given)."""

from __future__ import annotations

from setpoint.auth.throttle import Limit, LoginThrottle

ACCOUNT = Limit(free=3, base_s=1.0, cap_s=8.0)
ADDRESS = Limit(free=5, base_s=1.0, cap_s=60.0)


def throttle() -> LoginThrottle:
    return LoginThrottle(ACCOUNT, ADDRESS, forget_after_s=600.0)


def test_waits_start_after_the_free_failures_and_double_up_to_the_cap() -> None:
    t, now = throttle(), 0.0
    assert [t.attempt("ana", f"10.0.0.{i}", now) for i in range(3)] == [0.0, 0.0, 0.0]
    waits = []
    for _ in range(6):
        wait = t.attempt("ana", "10.0.0.9", now)
        waits.append(wait)
        now += wait
        assert t.attempt("ana", "10.0.0.9", now) == 0.0  # the wait is over: one more try
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_a_refused_attempt_is_not_counted() -> None:
    t = throttle()
    for _ in range(3):
        t.attempt("ana", "a", 0.0)
    assert t.attempt("ana", "a", 0.0) == 1.0
    assert t.attempt("ana", "a", 0.5) == 0.5  # the same wait, running out
    assert t.attempt("ana", "a", 1.0) == 0.0


def test_concurrent_attempts_count_as_they_arrive() -> None:
    t = throttle()
    allowed = [t.attempt("ana", "a", 0.0) == 0.0 for _ in range(100)]
    assert sum(allowed) == ACCOUNT.free


def test_an_address_is_throttled_across_accounts() -> None:
    t = throttle()
    assert all(t.attempt(f"user{i}", "a", 0.0) == 0.0 for i in range(ADDRESS.free))
    assert t.attempt("someone-else", "a", 0.0) == 1.0
    assert t.attempt("someone-else", "b", 0.0) == 0.0  # another address is not


def test_a_right_password_clears_the_account_and_takes_back_its_count() -> None:
    t = throttle()
    for _ in range(2):
        t.attempt("ana", "a", 0.0)
    t.attempt("ana", "a", 0.0)
    t.succeeded("ana", "a")
    assert [t.attempt("ana", "a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    # the address counts 2 failures + these 3: still within its 5 free ones
    assert t.attempt("bob", "a", 0.0) == 1.0


def test_failures_are_forgotten_after_a_quiet_while() -> None:
    t = throttle()
    for _ in range(3):
        t.attempt("ana", "a", 0.0)
    assert t.attempt("ana", "a", 0.5) == 0.5
    assert t.attempt("ana", "a", 601.0) == 0.0
    assert [t.attempt("ana", "a", 601.0) for _ in range(2)] == [0.0, 0.0]


def test_memory_is_bounded() -> None:
    t = LoginThrottle(ACCOUNT, ADDRESS, size=10)
    for i in range(1000):
        t.attempt(f"user{i}", f"addr{i}", 0.0)
    assert len(t._records) <= 10

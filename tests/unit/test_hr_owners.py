"""The heart-rate ownership rule (`setpoint.heartrate.owners`): two processes' `Owners` on one
hub's claims (`LocalHub`, standing in for Redis) and one fake monotonic clock."""

from __future__ import annotations

import uuid

from setpoint.heartrate.live import HeartRates, Tracker
from setpoint.heartrate.owners import ALIVE_S, BEAT_S, ELSEWHERE_S, OWNER_TTL_S, Owners
from setpoint.workers.hub import LocalHub

SESSION = uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def process(name: str, hub: LocalHub, clock: Clock) -> tuple[Owners, HeartRates]:
    heart_rates = HeartRates()
    return Owners(hub, heart_rates, shared=True, monotonic=clock, process=name), heart_rates


def track(heart_rates: HeartRates) -> None:
    heart_rates.add(Tracker(SESSION, uuid.uuid4(), None, [None]))


async def advance(clock: Clock, seconds: float, *beating: Owners) -> None:
    """`seconds` pass; the `beating` processes announce themselves every BEAT_S meanwhile."""
    end = clock.now + seconds
    while clock.now < end:
        clock.now = min(end, clock.now + BEAT_S)
        for owners in beating:
            await owners.beat()


async def test_the_first_claimant_owns_while_it_announces_itself() -> None:
    clock = Clock()
    hub = LocalHub(clock)
    (a, rates_a), (b, _) = process("a", hub, clock), process("b", hub, clock)
    await a.beat()
    await b.beat()
    assert await a.route(SESSION) and a.holds(SESSION)
    track(rates_a)
    assert not await b.route(SESSION) and not b.holds(SESSION)
    # While A announces itself and samples come, the session stays A's (its tracker too),
    # past the claim's own lifetime.
    for _ in range(int(2 * OWNER_TTL_S / 60)):
        await advance(clock, 60, a, b)
        assert await a.route(SESSION)
        assert not await b.route(SESSION)
    assert rates_a.get(SESSION) is not None


async def test_a_silent_owner_loses_the_session_and_its_tracker() -> None:
    clock = Clock()
    hub = LocalHub(clock)
    (a, rates_a), (b, rates_b) = process("a", hub, clock), process("b", hub, clock)
    await a.beat()
    await b.beat()
    assert await a.route(SESSION)
    track(rates_a)
    assert not await b.route(SESSION)
    # A stops announcing itself (a stalled or dead process): until its announcement lapses,
    # B still forwards; after, B claims the session.
    await advance(clock, ALIVE_S - BEAT_S, b)
    assert not await b.route(SESSION)
    await advance(clock, max(BEAT_S, ELSEWHERE_S), b)
    assert not a.holds(SESSION)  # A counts itself the owner no longer than it could be
    assert await b.route(SESSION) and b.holds(SESSION)
    # A comes back: it asks before using its tracker, loses the session, drops the tracker.
    assert not await a.route(SESSION)
    assert rates_a.get(SESSION) is None
    assert not a.holds(SESSION)
    # B's tracker is the session's from now on.
    track(rates_b)
    await advance(clock, 10 * ALIVE_S, a, b)
    assert await b.route(SESSION) and rates_b.get(SESSION) is not None


async def test_an_owner_that_lapsed_unclaimed_keeps_its_tracker() -> None:
    clock = Clock()
    hub = LocalHub(clock)
    a, rates_a = process("a", hub, clock)
    await a.beat()
    assert await a.route(SESSION)
    track(rates_a)
    await advance(clock, 2 * ALIVE_S)  # no beat: A's announcement lapsed, nobody claimed
    await a.beat()
    assert not a.holds(SESSION)  # asked again before use ...
    assert await a.route(SESSION)  # ... still A's, continuously: the tracker is right
    assert rates_a.get(SESSION) is not None


async def test_a_claim_after_someone_else_owned_the_session_starts_afresh() -> None:
    clock = Clock()
    hub = LocalHub(clock)
    (a, rates_a), (b, _) = process("a", hub, clock), process("b", hub, clock)
    await a.beat()
    assert await a.route(SESSION)
    track(rates_a)
    await advance(clock, 2 * ALIVE_S, b)  # A silent: B takes the session, then leaves
    assert await b.route(SESSION)
    await b.leave()
    await a.beat()
    assert await a.route(SESSION)  # at once: B said it left
    assert rates_a.get(SESSION) is None  # A's old tracker missed what B saw


async def test_without_redis_the_process_owns_every_session() -> None:
    owners = Owners(LocalHub(), HeartRates(), shared=False)
    assert owners.holds(SESSION)
    assert await owners.route(SESSION)

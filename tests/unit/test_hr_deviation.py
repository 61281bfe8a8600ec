"""Zone deviation: one alert per excursion after the debounce, hysteresis, cooldown, no storms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from setpoint.heartrate.deviation import (
    BackInZone,
    DeviationConfig,
    DeviationEvent,
    DeviationState,
    Direction,
    ZoneDeviation,
    deadline,
    observe,
    reset,
)

CONFIG = DeviationConfig(debounce_s=10, hysteresis_bpm=3, cooldown_s=60)
BAND = (140, 160)
T0 = 1_000_000.0

Reading = tuple[float, float | None]  # (at, bpm)


def run(
    readings: Iterable[Reading],
    band: tuple[int, int] | None = BAND,
    state: DeviationState | None = None,
) -> tuple[DeviationState, list[DeviationEvent]]:
    state = DeviationState() if state is None else state
    events: list[DeviationEvent] = []
    for at, bpm in readings:
        state, new = observe(state, band, bpm, at, CONFIG)
        events.extend(new)
    return state, events


def every(seconds: float, bpms: Sequence[float | None], start: float = T0) -> list[Reading]:
    return [(start + i * seconds, bpm) for i, bpm in enumerate(bpms)]


def test_out_of_band_for_the_debounce_raises_one_deviation() -> None:
    _, events = run(every(1, [150, 170, *[171] * 20]))
    assert events == [ZoneDeviation(Direction.ABOVE, 171, 140, 160, T0 + 11)]


def test_the_band_includes_both_ends() -> None:
    _, events = run(every(1, [140] * 30 + [160] * 30))
    assert events == []


def test_back_inside_with_hysteresis_raises_back_in_zone_once() -> None:
    # 158 is inside the band but within 3 bpm of its edge: the excursion is not over.
    readings = every(1, [130] * 11 + [142, 158, 145, 150, 150])
    _, events = run(readings)
    assert events == [
        ZoneDeviation(Direction.BELOW, 130, 140, 160, T0 + 10),
        BackInZone(145, 140, 160, T0 + 13),
    ]


def test_leaving_again_before_settling_is_the_same_excursion() -> None:
    _, events = run(every(1, [170] * 11 + [159] * 5 + [170] * 30))
    assert events == [ZoneDeviation(Direction.ABOVE, 170, 140, 160, T0 + 10)]


def test_a_repeated_alert_waits_for_the_cooldown() -> None:
    # Above at T0 (alert T0+10), back in at T0+11, above again from T0+12: due at T0+22 by the
    # debounce, but the cooldown holds it until T0+70.
    readings = every(1, [170] * 11 + [150] + [170] * 70)
    state, events = run(readings)
    assert [(type(e), e.at) for e in events] == [
        (ZoneDeviation, T0 + 10),
        (BackInZone, T0 + 11),
        (ZoneDeviation, T0 + 70),
    ]
    assert deadline(state, CONFIG) is None


def test_the_cooldown_is_per_direction() -> None:
    _, events = run(every(1, [170] * 11 + [150] + [130] * 11))
    assert [(type(e), getattr(e, "direction", None), e.at) for e in events] == [
        (ZoneDeviation, Direction.ABOVE, T0 + 10),
        (BackInZone, None, T0 + 11),
        (ZoneDeviation, Direction.BELOW, T0 + 22),
    ]


def test_crossing_from_above_to_below_restarts_the_timer() -> None:
    _, events = run(every(1, [170] * 11 + [130] * 11))
    assert [(e.direction, e.at) for e in events if isinstance(e, ZoneDeviation)] == [
        (Direction.ABOVE, T0 + 10),
        (Direction.BELOW, T0 + 21),
    ]


def test_unknown_heart_rate_restarts_the_out_of_band_timer() -> None:
    state, events = run(every(1, ([170] * 9 + [None]) * 10))
    assert events == []
    assert deadline(state, CONFIG) is None


def test_no_band_raises_nothing_and_keeps_the_state() -> None:
    state, _ = run(every(1, [170] * 5))
    after, events = run(every(1, [90] * 100, start=T0 + 5), band=None, state=state)
    assert (after, events) == (state, [])


def test_reset_clears_the_excursion_and_the_cooldowns() -> None:
    state, _ = run(every(1, [170] * 11))
    state = reset(state)
    assert state == DeviationState()
    _, events = run(every(1, [170] * 11, start=T0 + 11), band=BAND, state=state)
    assert events == [ZoneDeviation(Direction.ABOVE, 170, 140, 160, T0 + 21)]


def test_a_narrow_band_can_still_be_settled_in() -> None:
    _, events = run(every(1, [155] * 11 + [151]), band=(150, 152))
    assert [type(e) for e in events] == [ZoneDeviation, BackInZone]


def test_deadline_is_when_the_next_deviation_falls_due() -> None:
    assert deadline(DeviationState(), CONFIG) is None
    state, _ = run([(T0, 170)])
    assert deadline(state, CONFIG) == T0 + 10


# --- properties ---------------------------------------------------------------------------

gaps = st.floats(0.2, 5)


edge = st.floats(150, 157) | st.floats(157, 160) | st.floats(160, 175)


@given(st.lists(st.tuples(gaps, edge, st.integers(1, 20)), max_size=60))
def test_a_noisy_signal_at_the_edge_never_storms(runs: list[tuple[float, float, int]]) -> None:
    """Runs of readings around the top edge: at most one alert per cooldown, and deviation /
    back in alternate."""
    at, readings = T0, []
    for gap, bpm, count in runs:
        for _ in range(count):
            at += gap
            readings.append((at, bpm))
    _, events = run(readings)
    alerts = [e.at for e in events if isinstance(e, ZoneDeviation)]
    assert all(b - a >= CONFIG.cooldown_s for a, b in pairwise(alerts))
    kinds = [type(e) for e in events]
    assert kinds == [ZoneDeviation, BackInZone] * (len(kinds) // 2) + [ZoneDeviation] * (
        len(kinds) % 2
    )


@given(
    st.lists(gaps, min_size=1, max_size=30),
    st.lists(gaps, min_size=1, max_size=60),
    st.floats(140, 160),
    st.sampled_from([Direction.ABOVE, Direction.BELOW]),
    st.floats(0.01, 60),
)
def test_a_step_out_raises_exactly_one_deviation_at_the_debounce(
    inside_gaps: list[float],
    outside_gaps: list[float],
    inside: float,
    direction: Direction,
    by: float,
) -> None:
    out = 160 + by if direction is Direction.ABOVE else 140 - by
    at, readings = T0, []
    for gap in inside_gaps:
        at += gap
        readings.append((at, inside))
    step_at = at + outside_gaps[0]
    out_times = [step_at + sum(outside_gaps[1:i]) for i in range(1, len(outside_gaps) + 1)]
    readings += [(t, out) for t in out_times]
    _, events = run(readings)
    due = [t for t in out_times if t >= step_at + CONFIG.debounce_s]
    expected = [ZoneDeviation(direction, out, 140, 160, due[0])] if due else []
    assert events == expected


@given(gaps, st.floats(161, 250))
def test_an_hour_out_of_band_is_one_alert(gap: float, bpm: float) -> None:
    steps = int(3600 / gap)
    _, events = run(every(gap, [bpm] * steps))
    assert len(events) == 1 and isinstance(events[0], ZoneDeviation)


@given(st.floats(161, 250), st.floats(143, 157), st.integers(1, 300))
def test_going_back_in_raises_exactly_one_back_in_zone(out: float, back: float, n: int) -> None:
    state, events = run(every(1, [out] * 11))
    assert len(events) == 1
    _, events = run(every(1, [back] * n, start=T0 + 11), state=state)
    assert events == [BackInZone(back, 140, 160, T0 + 11)]


@given(st.lists(st.tuples(gaps, st.none() | st.floats(0, 250)), max_size=100))
def test_unknown_heart_rate_raises_nothing(steps: list[tuple[float, float | None]]) -> None:
    """Whatever came before, nothing is raised while the heart rate is unknown."""
    at, state = T0, DeviationState()
    for gap, bpm in steps:
        at += gap
        state, _ = observe(state, BAND, bpm, at, CONFIG)
    _, events = run(every(1, [None] * 100, start=at + 1), state=state)
    assert events == []

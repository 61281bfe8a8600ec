"""The heart-rate filter: hard rejections, median + smoothing, artifacts, dropouts."""

from __future__ import annotations

import statistics
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.heartrate.filter import (
    FilterConfig,
    FilteredHeartRate,
    FilterState,
    Rejection,
    Sample,
    current,
    step,
)

CONFIG = FilterConfig()
T0 = 1_000_000.0


def feed(
    bpms: Iterable[int], state: FilterState | None = None, start: float = T0, dt: float = 1.0
) -> tuple[FilterState, list[FilteredHeartRate]]:
    """One sample per `dt` seconds from `start`, each received as it is taken."""
    state = FilterState() if state is None else state
    results = []
    for i, bpm in enumerate(bpms):
        t = start + i * dt
        state, result = step(state, Sample(t, bpm), t, CONFIG)
        results.append(result)
    return state, results


def outputs(results: Iterable[FilteredHeartRate]) -> list[float]:
    return [r.bpm for r in results if r.bpm is not None]


def test_the_first_sample_is_the_output_and_a_steady_rate_stays() -> None:
    state, results = feed([120] * 10)
    assert outputs(results) == [120.0] * 10
    assert all(r.accepted and r.reason is None for r in results)
    assert current(state, T0 + 9, CONFIG) == 120.0


def test_output_is_smoothed_median() -> None:
    # Window [100, 110] has median 105; smoothing moves 0.4 of the way: 100 + 0.4 * 5 = 102.
    _, results = feed([100, 110])
    assert outputs(results) == [100.0, pytest.approx(102.0)]


@pytest.mark.parametrize(
    ("t_offset", "bpm", "reason"),
    [
        (0, 24, Rejection.OUT_OF_RANGE),
        (0, 251, Rejection.OUT_OF_RANGE),
        (10.5, 120, Rejection.FUTURE),
        (-60.5, 120, Rejection.TOO_OLD),
        (float("nan"), 120, Rejection.BAD_TIME),
        (float("inf"), 120, Rejection.BAD_TIME),
    ],
)
def test_impossible_values_and_times_are_rejected(t_offset: float, bpm: int, reason: str) -> None:
    state, result = step(FilterState(), Sample(T0 + t_offset, bpm), T0, CONFIG)
    assert state == FilterState()
    assert (result.accepted, result.bpm, result.reason) == (False, None, reason)


@pytest.mark.parametrize(("t_offset", "bpm"), [(0, 25), (0, 250), (10, 120), (-60, 120)])
def test_the_limits_themselves_are_accepted(t_offset: float, bpm: int) -> None:
    _, result = step(FilterState(), Sample(T0 + t_offset, bpm), T0, CONFIG)
    assert result.accepted and result.bpm == bpm


def test_duplicate_and_earlier_timestamps_are_rejected() -> None:
    state, _ = feed([120, 121])
    last_t = T0 + 1
    _, dup = step(state, Sample(last_t, 150), last_t, CONFIG)
    _, old = step(state, Sample(last_t - 0.5, 150), last_t, CONFIG)
    assert (dup.accepted, dup.reason) == (False, Rejection.DUPLICATE)
    assert (old.accepted, old.reason) == (False, Rejection.OUT_OF_ORDER)


def test_a_jump_is_an_artifact_until_it_persists_then_it_is_real() -> None:
    state, _ = feed([100] * 5)
    state, results = feed([160, 161, 159, 160], state, start=T0 + 5)
    assert [r.reason for r in results] == [Rejection.ARTIFACT, Rejection.ARTIFACT, None, None]
    assert results[2].bpm == 160.0  # the window restarts from the three suspects
    assert current(state, T0 + 8, CONFIG) == pytest.approx(160.0)


def test_spikes_that_disagree_with_each_other_never_become_real() -> None:
    state, _ = feed([100] * 5)
    state, results = feed([160, 40, 200, 160], state, start=T0 + 5, dt=0.5)
    assert not any(r.accepted for r in results)
    assert current(state, T0 + 6.5, CONFIG) == 100.0


def test_a_suspect_counts_for_ordering_but_does_not_keep_the_rate_known() -> None:
    state, _ = feed([100] * 5)  # last accepted at T0 + 4
    state, results = feed([200] * 2, state, start=T0 + 5, dt=3)  # suspects at T0 + 5, T0 + 8
    assert [r.reason for r in results] == [Rejection.ARTIFACT] * 2
    _, late = step(state, Sample(T0 + 7, 100), T0 + 9, CONFIG)
    assert late.reason == Rejection.OUT_OF_ORDER
    assert current(state, T0 + 9.5, CONFIG) is None


def test_after_a_dropout_the_filter_starts_afresh() -> None:
    state, _ = feed([100] * 5)  # last accepted at T0 + 4
    t = T0 + 4 + CONFIG.dropout_s + 1
    assert current(state, t, CONFIG) is None
    state, result = step(state, Sample(t, 170), t, CONFIG)
    assert (result.accepted, result.bpm) == (True, 170.0)


# --- properties ---------------------------------------------------------------------------

raw_samples = st.lists(
    st.tuples(st.floats(-5, 5), st.integers(-50, 400), st.floats(-70, 20)), max_size=60
)


@given(raw_samples)
def test_output_is_always_a_possible_heart_rate_when_known(
    raw: list[tuple[float, int, float]],
) -> None:
    """Any stream: jittery, reordered, out of range, late or early samples."""
    state, t, now = FilterState(), T0, T0
    for dt, bpm, lag in raw:
        t, now = t + dt, max(now, t + dt) + 0.1
        state, result = step(state, Sample(t + lag, bpm), now, CONFIG)
        assert result.accepted == (result.bpm is not None)
        for value in (result.bpm, current(state, now, CONFIG)):
            assert value is None or 25 <= value <= 250


@given(st.lists(st.integers(25, 250), min_size=1, max_size=10), st.integers(25, 250))
def test_a_constant_input_converges_to_it(before: list[int], constant: int) -> None:
    state, _ = feed(before)
    state, results = feed([constant] * 20, state, start=T0 + len(before))
    assert results[-1].bpm == pytest.approx(constant, abs=0.5)
    assert current(state, T0 + len(before) + 19, CONFIG) == pytest.approx(constant, abs=0.5)


@given(
    st.integers(60, 200),
    st.lists(st.integers(-2, 2), min_size=5, max_size=20),
    st.integers(25, 250),
    st.lists(st.integers(-2, 2), min_size=1, max_size=20),
)
def test_a_single_spike_never_moves_the_output_beyond_the_noise(
    baseline: int, noise_before: list[int], spike: int, noise_after: list[int]
) -> None:
    """Once the window is full, one spike of any size moves the output by at most the noise."""
    bpms = [baseline + n for n in noise_before] + [spike] + [baseline + n for n in noise_after]
    _, results = feed(bpms)
    assert all(baseline - 2 <= v <= baseline + 2 for v in outputs(results))


def states() -> st.SearchStrategy[FilterState]:
    """A filter state after a plausible stream (its last samples may be suspects)."""
    bpms = st.lists(st.integers(40, 220), min_size=1, max_size=15)
    return bpms.map(lambda values: feed(values)[0])


@given(states(), st.floats(0, 30), st.integers(-100, 400))
def test_out_of_order_samples_never_change_the_state(
    state: FilterState, back: float, bpm: int
) -> None:
    assert state.last_t is not None
    t = state.last_t - back
    after, result = step(state, Sample(t, bpm), state.last_t + 1, CONFIG)
    assert after == state
    assert not result.accepted and result.bpm is None
    if 25 <= bpm <= 250:
        expected = Rejection.DUPLICATE if t == state.last_t else Rejection.OUT_OF_ORDER
        assert result.reason == expected


@given(states().filter(lambda s: not s.suspects), st.floats(0, 600), st.integers(0, 9))
def test_a_dropout_makes_the_heart_rate_unknown(
    state: FilterState, gap: float, spikes: int
) -> None:
    """Known up to `dropout_s` after the last accepted sample, unknown after, even while
    rejected samples (spikes that never agree with each other) keep arriving."""
    accepted_t, last_t = state.accepted_t, state.last_t
    assert accepted_t is not None and last_t is not None
    assert current(state, accepted_t + min(gap, CONFIG.dropout_s), CONFIG) is not None
    median = round(statistics.median(state.window))
    for i in range(spikes):
        t = max(last_t, accepted_t + 0.5 * i) + 0.25
        bpm = median + (40 if i % 2 else 80) * (1 if median < 137 else -1)
        state, result = step(state, Sample(t, bpm), t, CONFIG)
        assert not result.accepted
        last_t = t
    unknown_at = accepted_t + CONFIG.dropout_s + 0.001 + gap
    assert current(state, unknown_at, CONFIG) is None

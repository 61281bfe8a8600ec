"""The simulated heart: determinism, lag, bounds, and the rates of its imperfections."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.heartrate.simulator import (
    INTENSITY_RESERVE,
    MAX_BPM,
    MIN_BPM,
    HeartConfig,
    HeartModel,
    intensity_of,
)

CONFIG = HeartConfig(resting_bpm=55, max_bpm=190)
CLEAN = replace(CONFIG, noise_bpm=0.0, artifact_rate=0.0, dropout_every_s=1e12)


def run(model: HeartModel, seconds: int, intensity: float) -> list[float | None]:
    return [model.step(1.0, intensity) for _ in range(seconds)]


def test_same_seed_same_samples() -> None:
    plan = [0.5] * 300 + [0.9] * 300 + [0.35] * 300
    first, second, other = HeartModel(CONFIG, 7), HeartModel(CONFIG, 7), HeartModel(CONFIG, 8)
    a = [first.step(1.0, i) for i in plan]
    assert a == [second.step(1.0, i) for i in plan]
    assert a != [other.step(1.0, i) for i in plan]


def test_starts_at_rest() -> None:
    assert HeartModel(CONFIG, 1).bpm == 55


def test_lags_behind_a_step_up() -> None:
    model = HeartModel(CLEAN, 1)
    run(model, 600, 0.5)  # warmed up: ~122.5
    target = CLEAN.target_bpm(0.9)  # 176.5
    run(model, 5, 0.9)
    assert target - model.bpm > 5
    run(model, 3 * 30 - 5, 0.9)
    assert abs(model.bpm - target) < 5


def test_comes_down_slower_than_it_goes_up() -> None:
    up, down = HeartModel(CLEAN, 1), HeartModel(CLEAN, 1)
    run(down, 600, 1.0)
    start = down.bpm
    run(up, 30, 1.0)
    run(down, 30, 0.0)
    rise, fall = up.bpm - 55, start - down.bpm
    assert rise / (start - 55) > fall / (start - 55)


def test_drift_raises_the_heart_rate_during_long_work() -> None:
    model = HeartModel(CLEAN, 1)
    run(model, 600, 0.7)
    after_10_min = model.bpm
    run(model, 3000, 0.7)
    # 50 more minutes at 0.7: about 0.05 * 0.7 * 50 = 1.75 bpm of drift
    assert 1.5 < model.bpm - after_10_min < 2.0


@given(
    seed=st.integers(0, 2**32),
    plan=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 120)), min_size=1, max_size=10),
)
def test_reported_values_stay_in_bounds(seed: int, plan: list[tuple[float, int]]) -> None:
    model = HeartModel(replace(CONFIG, resting_bpm=40, max_bpm=220), seed)
    for intensity, seconds in plan:
        for bpm in run(model, seconds, intensity):
            assert bpm is None or MIN_BPM <= bpm <= MAX_BPM


def test_noise_is_about_a_bpm_and_a_half() -> None:
    model = HeartModel(replace(CONFIG, artifact_rate=0.0, dropout_every_s=1e12), 3)
    run(model, 600, 0.5)  # settle
    errors = []
    for _ in range(5000):
        bpm = model.step(1.0, 0.5)
        assert bpm is not None
        errors.append(bpm - model.bpm)
    sd = (sum(e * e for e in errors) / len(errors)) ** 0.5
    assert 1.3 < sd < 1.7


def test_artifacts_and_dropouts_at_their_rates() -> None:
    model = HeartModel(replace(CONFIG, noise_bpm=0.0), 11)
    hours = 10
    samples = [(model.step(1.0, 0.7), model.bpm) for _ in range(hours * 3600)]
    artifacts = sum(1 for bpm, true in samples if bpm is not None and abs(bpm - true) > 30)
    gaps = sum(1 for (a, _), (b, _) in pairwise(samples) if a is not None and b is None)
    missing = sum(1 for bpm, _ in samples if bpm is None)
    assert 0.7 * 0.005 * len(samples) < artifacts < 1.3 * 0.005 * len(samples)  # ~180
    assert 0.7 * hours * 6 < gaps < 1.3 * hours * 6  # one per 10 min: ~60
    assert 3 * gaps <= missing <= 8 * gaps  # each gap lasts 3–8 s


def segment(intensity: str, *targets: dict[str, object]) -> dict[str, object]:
    """A segment as the server's state sends it."""
    return {"index": 0, "name": None, "intensity": intensity, "duration_s": 180,
            "offset_s": 0, "targets": list(targets)}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INTENSITY_RESERVE))
def test_intensity_from_the_segment_intensity(name: str) -> None:
    assert intensity_of(segment(name), 55, 190) == INTENSITY_RESERVE[name]


def test_hr_range_target_wins_over_the_intensity() -> None:
    seg = segment("warmup", {"type": "speed", "low": 3, "high": 4},
                  {"type": "hr_range", "low": 150, "high": 165})  # fmt: skip
    # middle 157.5 → (157.5 - 55) / 135
    assert intensity_of(seg, 55, 190) == pytest.approx(102.5 / 135)


def test_hr_zone_target_uses_the_middle_of_the_hrmax_zone() -> None:
    # max 190 → zone 2 is 114–133, middle 123.5
    assert intensity_of(segment("active", {"type": "hr_zone", "zone": 2}), 55, 190) == (
        pytest.approx((123.5 - 55) / 135)
    )


def test_intensity_is_clamped_to_the_reserve() -> None:
    low = segment("rest", {"type": "hr_range", "low": 40, "high": 50})
    high = segment("interval", {"type": "hr_range", "low": 195, "high": 200})
    assert (intensity_of(low, 55, 190), intensity_of(high, 55, 190)) == (0.0, 1.0)


def test_unknown_intensity_is_an_active_effort() -> None:
    assert intensity_of({"targets": []}, 55, 190) == INTENSITY_RESERVE["active"]

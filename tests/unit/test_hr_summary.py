"""A session's heart-rate summary: coverage, time in zones and target, compliance, series."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.heartrate.deviation import Band
from setpoint.heartrate.summary import HeartRateSummary, summarize, to_doc
from setpoint.heartrate.zones import Zone

T0 = 1_700_000_000.0
BAND = (130, 150)
# 95–114, 114–133, 133–152, 152–171, 171–190: %HRmax zones of max 190.
ZONES = tuple(
    Zone(n, low, high)
    for n, (low, high) in enumerate([(95, 114), (114, 133), (133, 152), (152, 171), (171, 190)], 1)
)


@dataclass(frozen=True)
class StoredHeartRate:
    t: float
    bpm: float
    segment_index: int = 0


def at_1hz(*bpms: float, segment: int = 0, start: float = 0.0) -> list[StoredHeartRate]:
    """One sample a second from `start` seconds into the session."""
    return [StoredHeartRate(T0 + start + i, bpm, segment) for i, bpm in enumerate(bpms)]


def summary_of(
    samples: Sequence[StoredHeartRate],
    bands: Sequence[Band | None] = (BAND,),
    zones: Sequence[Zone] | None = ZONES,
    dropout_s: float = 5.0,
) -> HeartRateSummary:
    return summarize(samples, bands, zones, dropout_s=dropout_s)


# --- coverage -----------------------------------------------------------------------------------


def test_each_sample_covers_until_the_next_and_the_last_the_median_interval() -> None:
    # Samples every 2 s at 0, 2, 4: 2 + 2, and the last one the median interval, 2.
    samples = [StoredHeartRate(T0 + t, 140) for t in (0, 2, 4)]
    assert summary_of(samples).totals.covered_s == 6


def test_a_gap_counts_only_up_to_the_dropout() -> None:
    # 0, 1, 2, then nothing until 20, 21: 1 + 1 + 5 (capped) + 1 + 1 (last: median 1).
    samples = at_1hz(140, 140, 140) + at_1hz(160, 160, start=20)
    summary = summary_of(samples, dropout_s=5.0)
    assert summary.totals.covered_s == 9
    assert summary.segments[0].covered_s == 9
    assert summary.segments[0].in_target_s == 7
    assert summary.segments[0].above_s == 2
    assert summary.time_in_zones is not None
    zone_s = {z.zone.number: z.time_s for z in summary.time_in_zones.zones}
    assert zone_s == {1: 0, 2: 0, 3: 7, 4: 2, 5: 0}


def test_no_interval_is_longer_than_the_dropout() -> None:
    # Every 2 s with a 1.5 s dropout: each sample (the last too) covers 1.5 s.
    samples = [StoredHeartRate(T0 + t, 140) for t in (0, 2, 4)]
    assert summary_of(samples, dropout_s=1.5).totals.covered_s == 4.5


def test_a_lone_sample_covers_one_second() -> None:
    summary = summary_of(at_1hz(140))
    assert summary.totals.covered_s == 1
    assert summary.totals.avg_bpm == 140


def test_average_is_weighted_by_time() -> None:
    # 100 for 2 s (0 → 2), then 160 at 2, 3, 4 for 1 s each (the last: median interval 1):
    # (200 + 480) / 5 = 136, where the mean of the samples would be 145.
    samples = [StoredHeartRate(T0 + t, bpm) for t, bpm in ((0, 100), (2, 160), (3, 160), (4, 160))]
    totals = summary_of(samples).totals
    assert totals.avg_bpm == pytest.approx(136)
    assert (totals.samples, totals.min_bpm, totals.max_bpm) == (4, 100, 160)


# --- target and compliance ----------------------------------------------------------------------


def test_constant_heart_rate_in_the_band_is_full_compliance() -> None:
    summary = summary_of(at_1hz(*[140] * 10))
    segment = summary.segments[0]
    assert (segment.covered_s, segment.in_target_s, segment.above_s, segment.below_s) == (
        10,
        10,
        0,
        0,
    )
    assert segment.compliance == 1.0
    assert summary.time_in_target.fraction == 1.0


def test_half_the_time_above_is_half_compliance() -> None:
    summary = summary_of(at_1hz(*[140] * 5, *[160] * 5))
    segment = summary.segments[0]
    assert segment.compliance == 0.5
    assert (segment.in_target_s, segment.above_s, segment.below_s) == (5, 5, 0)
    assert segment.avg_bpm == 150


def test_below_the_band_is_below_and_both_ends_are_in() -> None:
    # 129 below, 130 and 150 on the ends (in), 151 above.
    segment = summary_of(at_1hz(129, 130, 150, 151)).segments[0]
    assert (segment.in_target_s, segment.above_s, segment.below_s) == (2, 1, 1)


def test_a_sample_counts_for_its_own_segment_and_each_segment_is_reported() -> None:
    # Segment 0 (band) for 3 s, segment 1 (no band) for 2 s, segment 2 never reached.
    samples = at_1hz(140, 140, 140) + at_1hz(170, 170, segment=1, start=3)
    summary = summary_of(samples, bands=(BAND, None, (150, 170)))
    first, second, third = summary.segments
    assert [s.index for s in summary.segments] == [0, 1, 2]
    assert (first.covered_s, first.compliance) == (3, 1.0)
    assert (second.covered_s, second.band, second.compliance, second.avg_bpm) == (
        2,
        None,
        None,
        170,
    )
    assert (third.covered_s, third.compliance, third.avg_bpm) == (0, None, None)
    # Only segments with a band count for the time in target.
    target = summary.time_in_target
    assert (target.target_s, target.in_target_s, target.fraction) == (3, 3, 1.0)


def test_without_any_band_there_is_no_target_fraction() -> None:
    summary = summary_of(at_1hz(140, 140), bands=(None,))
    assert summary.time_in_target.target_s == 0
    assert summary.time_in_target.fraction is None


# --- zones --------------------------------------------------------------------------------------


def test_zone_times_below_zone_1_and_above_the_top_sum_to_the_covered_time() -> None:
    # 90 below zone 1; 100 Z1; 114 Z2 (its low end); 151.9 Z3; 200 above the top is Z5.
    summary = summary_of(at_1hz(90, 100, 114, 151.9, 200, 200))
    zones = summary.time_in_zones
    assert zones is not None
    assert zones.below_zone_1_s == 1
    assert [z.time_s for z in zones.zones] == [1, 1, 1, 0, 2]
    assert zones.below_zone_1_s + sum(z.time_s for z in zones.zones) == summary.totals.covered_s


def test_unknown_zones_give_no_time_in_zones() -> None:
    assert summary_of(at_1hz(140), zones=None).time_in_zones is None


# --- series -------------------------------------------------------------------------------------


def test_an_hour_at_1hz_gives_at_most_300_points() -> None:
    series = summary_of(at_1hz(*[140] * 3600)).series
    assert series.bucket_s == pytest.approx(3599 / 300)
    assert 290 <= len(series.points) <= 300


def test_four_hours_at_1hz_give_at_most_300_points() -> None:
    bpms = [100 + (i % 90) for i in range(4 * 3600)]
    summary = summary_of(at_1hz(*bpms))
    assert len(summary.series.points) <= 300
    assert summary.totals.covered_s == 4 * 3600


def test_series_points_are_bucket_mean_and_max() -> None:
    # A 20 s session in 5 s buckets (at least the dropout): 0–4, 5–9, 10–14, 15–19, 20.
    series = summary_of(at_1hz(*range(100, 121))).series
    assert series.bucket_s == 5
    assert [(p.t - T0, p.bpm, p.max_bpm) for p in series.points] == [
        (0, 102, 104),
        (5, 107, 109),
        (10, 112, 114),
        (15, 117, 119),
        (20, 120, 120),
    ]


def test_a_steady_heart_rate_plots_as_itself() -> None:
    # 3 × 100.03 / 3 is 100.03000000000002 in floats: the point must not rise above its max.
    point = summary_of(at_1hz(100.03, 100.03, 100.03)).series.points[0]
    assert point.bpm == point.max_bpm == 100.03


def test_a_dropout_leaves_a_hole_in_the_series() -> None:
    # 0–59 s, then nothing until 120 s: the buckets between are omitted.
    samples = at_1hz(*[140] * 60) + at_1hz(*[150] * 60, start=120)
    series = summary_of(samples).series
    gaps = [b.t - a.t for a, b in zip(series.points, series.points[1:], strict=False)]
    assert len([g for g in gaps if g > series.bucket_s * 1.5]) == 1
    assert max(gaps) >= 60 - series.bucket_s


# --- empty and invalid input --------------------------------------------------------------------


def test_no_samples_give_zeros_and_nulls() -> None:
    summary = summary_of([], bands=(BAND, None))
    totals = summary.totals
    assert (totals.samples, totals.covered_s) == (0, 0)
    assert (totals.avg_bpm, totals.max_bpm, totals.min_bpm) == (None, None, None)
    assert [(s.covered_s, s.compliance, s.avg_bpm) for s in summary.segments] == [
        (0, None, None),
        (0, None, None),
    ]
    assert summary.time_in_target.fraction is None
    assert summary.series.points == ()
    doc = to_doc(summary)
    assert doc["time_in_zones"] == {
        "below_zone_1_s": 0,
        "zones": [
            {"zone": z.number, "low_bpm": z.low_bpm, "high_bpm": z.high_bpm, "time_s": 0}
            for z in ZONES
        ],
    }


def test_a_sample_outside_the_segments_is_refused() -> None:
    with pytest.raises(ValueError, match="segment 1 of 1"):
        summary_of(at_1hz(140, segment=1))


def test_unsorted_samples_are_refused() -> None:
    with pytest.raises(ValueError, match="sorted"):
        summary_of(list(reversed(at_1hz(140, 141))))


# --- the document -------------------------------------------------------------------------------


def test_document_is_json_with_rounded_numbers() -> None:
    # Samples 1/3 s apart: the covered time and the average have long decimals.
    samples = [StoredHeartRate(T0 + i / 3, bpm) for i, bpm in enumerate((140, 141, 160))]
    doc = json.loads(json.dumps(to_doc(summary_of(samples, bands=(BAND, None)))))
    assert doc["totals"] == {
        "samples": 3,
        "covered_s": 1.0,
        "avg_bpm": 147.0,
        "max_bpm": 160,
        "min_bpm": 140,
    }
    assert doc["time_in_target"] == {
        "target_s": 1.0,
        "in_target_s": 0.7,
        "above_s": 0.3,
        "below_s": 0,
        "fraction": 0.667,
    }
    assert doc["segments"] == [
        {
            "index": 0,
            "band": {"low": 130, "high": 150},
            "covered_s": 1.0,
            "in_target_s": 0.7,
            "above_s": 0.3,
            "below_s": 0,
            "compliance": 0.667,
            "avg_bpm": 147.0,
        },
        {
            "index": 1,
            "band": None,
            "covered_s": 0,
            "in_target_s": 0,
            "above_s": 0,
            "below_s": 0,
            "compliance": None,
            "avg_bpm": None,
        },
    ]
    assert doc["series"] == {
        "bucket_s": 5.0,
        "points": [{"t": T0, "bpm": 147.0, "max_bpm": 160}],
    }
    assert [z["time_s"] for z in doc["time_in_zones"]["zones"]] == [0, 0, 0.7, 0.3, 0]


# --- properties ---------------------------------------------------------------------------------

SEGMENTS = 4


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[StoredHeartRate], list[Band | None]]:
    """Samples at random intervals (some past the dropout), in random segments and bands."""
    gaps = draw(st.lists(st.sampled_from([0.0, 0.3, 1.0, 1.0, 2.5, 7.0, 40.0]), max_size=60))
    t = T0
    samples = []
    for gap in gaps:
        t += gap
        bpm = draw(st.floats(40, 220, allow_nan=False))
        samples.append(StoredHeartRate(t, bpm, draw(st.integers(0, SEGMENTS - 1))))
    low = st.integers(60, 180)
    band = st.one_of(st.none(), st.tuples(low, st.integers(0, 40)).map(lambda b: (b[0], sum(b))))
    bands = draw(st.lists(band, min_size=SEGMENTS, max_size=SEGMENTS))
    return samples, bands


@given(sessions(), st.sampled_from([1.0, 5.0, 30.0]))
def test_segments_share_out_the_covered_time(
    session: tuple[list[StoredHeartRate], list[Band | None]], dropout_s: float
) -> None:
    samples, bands = session
    summary = summarize(samples, bands, ZONES, dropout_s=dropout_s)
    covered = summary.totals.covered_s
    assert sum(s.covered_s for s in summary.segments) == pytest.approx(covered)
    if samples:
        assert covered <= samples[-1].t - samples[0].t + dropout_s + 1e-6
        assert covered <= len(samples) * dropout_s + 1e-6


@given(sessions())
def test_banded_segments_split_their_time_into_in_above_below(
    session: tuple[list[StoredHeartRate], list[Band | None]],
) -> None:
    samples, bands = session
    summary = summarize(samples, bands, ZONES)
    for s in summary.segments:
        parts = s.in_target_s + s.above_s + s.below_s
        assert parts == pytest.approx(s.covered_s if s.band is not None else 0)
        if s.compliance is not None:
            assert 0 <= s.compliance <= 1
    banded = sum(s.covered_s for s in summary.segments if s.band is not None)
    assert summary.time_in_target.target_s == pytest.approx(banded)


@given(sessions())
def test_zone_times_sum_to_the_covered_time(
    session: tuple[list[StoredHeartRate], list[Band | None]],
) -> None:
    samples, bands = session
    summary = summarize(samples, bands, ZONES)
    zones = summary.time_in_zones
    assert zones is not None
    total = zones.below_zone_1_s + sum(z.time_s for z in zones.zones)
    assert total == pytest.approx(summary.totals.covered_s)


@given(sessions(), st.integers(1, 40))
def test_series_is_short_and_within_the_heart_rates_seen(
    session: tuple[list[StoredHeartRate], list[Band | None]], max_points: int
) -> None:
    samples, bands = session
    summary = summarize(samples, bands, None, max_points=max_points)
    points = summary.series.points
    assert len(points) <= max_points
    assert bool(points) == bool(samples)
    times = [p.t for p in points]
    assert times == sorted(set(times))
    low, high = summary.totals.min_bpm, summary.totals.max_bpm
    for p in points:
        assert low is not None and high is not None
        assert low <= p.bpm <= p.max_bpm <= high

"""A session's heart-rate summary (pure): totals, time in zones and in target, per-segment
compliance and a downsampled series, from the stored (filtered, accepted) samples.

Coverage: a sample stands for the heart rate from its `t` until the next sample, at most
`dropout_s` later, like the live filter's `current` (known for `dropout_s` after the last
accepted sample). The rest of a longer gap is unknown heart rate and counts nowhere. The last
sample covers the median interval between samples (1 s with a single sample), at most
`dropout_s`: the session may well have ended right after it. Every covered second belongs to
the sample's `segment_index`, even when the segment changed before the next sample.

A segment's band includes both ends (`low <= bpm <= high`), as in `deviation`. Zones follow
`zone_of`: under zone 1 is "below zone 1", above the top zone is the top zone.

Series: time buckets `bucket_s` wide from the first sample, `bucket_s` being the span over
`max_points` but at least `dropout_s`; each non-empty bucket is a point (bucket start, mean
and max bpm). Empty buckets are omitted, and as a bucket is at least `dropout_s` wide, an
omitted bucket always means the heart rate was unknown for a while: a chart breaks its line
where two points are more than `bucket_s` apart. A dropout shorter than two buckets may not show.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

from setpoint.heartrate.deviation import Band
from setpoint.heartrate.zones import Zone, zone_of

DROPOUT_S = 5.0
MAX_POINTS = 300
SINGLE_SAMPLE_S = 1.0  # what a lone sample covers (a typical strap sends one a second)


class StoredSample(Protocol):
    """A stored sample: `bpm` is the filtered heart rate, `segment_index` where the athlete was."""

    @property
    def t(self) -> float: ...
    @property
    def bpm(self) -> float: ...
    @property
    def segment_index(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Totals:
    samples: int
    covered_s: float  # time with a known heart rate
    avg_bpm: float | None  # time-weighted; None without coverage
    max_bpm: float | None
    min_bpm: float | None


@dataclass(frozen=True, slots=True)
class ZoneTime:
    zone: Zone
    time_s: float


@dataclass(frozen=True, slots=True)
class ZoneTimes:
    below_zone_1_s: float
    zones: tuple[ZoneTime, ...]


@dataclass(frozen=True, slots=True)
class TargetTime:
    """Covered time in segments with a band (`target_s`), and where it was against the band."""

    target_s: float
    in_target_s: float
    above_s: float
    below_s: float

    @property
    def fraction(self) -> float | None:
        return self.in_target_s / self.target_s if self.target_s > 0 else None


@dataclass(frozen=True, slots=True)
class SegmentCompliance:
    """One segment; without a band, `in_target_s`, `above_s` and `below_s` are 0."""

    index: int
    band: Band | None
    covered_s: float
    in_target_s: float
    above_s: float
    below_s: float
    avg_bpm: float | None

    @property
    def compliance(self) -> float | None:
        if self.band is None or self.covered_s <= 0:
            return None
        return self.in_target_s / self.covered_s


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    t: float  # the bucket's start
    bpm: float  # the mean of the bucket's samples
    max_bpm: float


@dataclass(frozen=True, slots=True)
class Series:
    bucket_s: float
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True, slots=True)
class HeartRateSummary:
    totals: Totals
    time_in_zones: ZoneTimes | None  # None when the athlete's zones are unknown
    time_in_target: TargetTime
    segments: tuple[SegmentCompliance, ...]
    series: Series


@dataclass(slots=True)
class _Tally:
    """What one segment has accumulated so far."""

    covered_s: float = 0.0
    bpm_s: float = 0.0  # bpm × seconds, for the time-weighted mean
    in_target_s: float = 0.0
    above_s: float = 0.0
    below_s: float = 0.0


def summarize(
    samples: Sequence[StoredSample],
    bands: Sequence[Band | None],
    zones: Sequence[Zone] | None,
    *,
    dropout_s: float = DROPOUT_S,
    max_points: int = MAX_POINTS,
) -> HeartRateSummary:
    """The summary of `samples` (sorted by `t`) over a session whose segment `i` has the target
    band `bands[i]` (one per segment, so `len(bands)` is the segment count)."""
    if dropout_s <= 0 or max_points < 1:
        raise ValueError("dropout_s must be positive and max_points at least 1")
    covers = _coverage(samples, dropout_s)
    tallies = [_Tally() for _ in bands]
    zone_s = dict.fromkeys((z.number for z in zones or ()), 0.0)
    below_zone_1_s = 0.0
    for sample, cover_s in zip(samples, covers, strict=True):
        index = sample.segment_index
        if not 0 <= index < len(bands):
            raise ValueError(f"sample at {sample.t} is in segment {index} of {len(bands)}")
        _add(tallies[index], bands[index], sample.bpm, cover_s)
        if zones is not None:
            number = zone_of(sample.bpm, zones)
            if number is None:
                below_zone_1_s += cover_s
            else:
                zone_s[number] += cover_s

    segments = tuple(_segment(i, bands[i], tally) for i, tally in enumerate(tallies))
    banded = [s for s in segments if s.band is not None]
    return HeartRateSummary(
        totals=_totals(samples, covers),
        time_in_zones=None
        if zones is None
        else ZoneTimes(below_zone_1_s, tuple(ZoneTime(z, zone_s[z.number]) for z in zones)),
        time_in_target=TargetTime(
            target_s=math.fsum(s.covered_s for s in banded),
            in_target_s=math.fsum(s.in_target_s for s in banded),
            above_s=math.fsum(s.above_s for s in banded),
            below_s=math.fsum(s.below_s for s in banded),
        ),
        segments=segments,
        series=_series(samples, dropout_s, max_points),
    )


def to_doc(summary: HeartRateSummary) -> dict[str, Any]:
    """The summary as JSON-ready dicts: seconds and bpm to 0.1, fractions to 0.001."""
    totals, target, zones = summary.totals, summary.time_in_target, summary.time_in_zones
    return {
        "totals": {
            "samples": totals.samples,
            "covered_s": _r1(totals.covered_s),
            "avg_bpm": _r1(totals.avg_bpm),
            "max_bpm": _r1(totals.max_bpm),
            "min_bpm": _r1(totals.min_bpm),
        },
        "time_in_zones": None
        if zones is None
        else {
            "below_zone_1_s": _r1(zones.below_zone_1_s),
            "zones": [
                {
                    "zone": z.zone.number,
                    "low_bpm": z.zone.low_bpm,
                    "high_bpm": z.zone.high_bpm,
                    "time_s": _r1(z.time_s),
                }
                for z in zones.zones
            ],
        },
        "time_in_target": {
            "target_s": _r1(target.target_s),
            "in_target_s": _r1(target.in_target_s),
            "above_s": _r1(target.above_s),
            "below_s": _r1(target.below_s),
            "fraction": _r3(target.fraction),
        },
        "segments": [
            {
                "index": s.index,
                "band": None if s.band is None else {"low": s.band[0], "high": s.band[1]},
                "covered_s": _r1(s.covered_s),
                "in_target_s": _r1(s.in_target_s),
                "above_s": _r1(s.above_s),
                "below_s": _r1(s.below_s),
                "compliance": _r3(s.compliance),
                "avg_bpm": _r1(s.avg_bpm),
            }
            for s in summary.segments
        ],
        "series": {
            "bucket_s": round(summary.series.bucket_s, 3),
            "points": [
                {"t": round(p.t, 3), "bpm": _r1(p.bpm), "max_bpm": _r1(p.max_bpm)}
                for p in summary.series.points
            ],
        },
    }


def _coverage(samples: Sequence[StoredSample], dropout_s: float) -> list[float]:
    """The seconds of known heart rate each sample stands for (see the module docstring)."""
    if not samples:
        return []
    gaps = [b.t - a.t for a, b in pairwise(samples)]
    if any(gap < 0 for gap in gaps):
        raise ValueError("samples must be sorted by t")
    last = statistics.median(gaps) if gaps else SINGLE_SAMPLE_S
    return [min(gap, dropout_s) for gap in gaps] + [min(last, dropout_s)]


def _add(tally: _Tally, band: Band | None, bpm: float, cover_s: float) -> None:
    tally.covered_s += cover_s
    tally.bpm_s += bpm * cover_s
    if band is None:
        return
    low, high = band
    if bpm > high:
        tally.above_s += cover_s
    elif bpm < low:
        tally.below_s += cover_s
    else:
        tally.in_target_s += cover_s


def _segment(index: int, band: Band | None, tally: _Tally) -> SegmentCompliance:
    return SegmentCompliance(
        index=index,
        band=band,
        covered_s=tally.covered_s,
        in_target_s=tally.in_target_s,
        above_s=tally.above_s,
        below_s=tally.below_s,
        avg_bpm=tally.bpm_s / tally.covered_s if tally.covered_s > 0 else None,
    )


def _totals(samples: Sequence[StoredSample], covers: Sequence[float]) -> Totals:
    covered_s = math.fsum(covers)
    bpm_s = math.fsum(s.bpm * c for s, c in zip(samples, covers, strict=True))
    bpms = [s.bpm for s in samples]
    return Totals(
        samples=len(samples),
        covered_s=covered_s,
        avg_bpm=bpm_s / covered_s if covered_s > 0 else None,
        max_bpm=max(bpms, default=None),
        min_bpm=min(bpms, default=None),
    )


def _series(samples: Sequence[StoredSample], dropout_s: float, max_points: int) -> Series:
    """Mean and max bpm per time bucket, in one pass (samples are sorted, so are buckets)."""
    if not samples:
        return Series(dropout_s, ())
    t0 = samples[0].t
    bucket_s = max((samples[-1].t - t0) / max_points, dropout_s)
    points: list[SeriesPoint] = []
    bucket: list[float] = []
    current = 0
    for sample in samples:
        index = min(int((sample.t - t0) / bucket_s), max_points - 1)
        if index != current:
            points.append(_point(t0 + current * bucket_s, bucket))
            bucket = []
        current = index
        bucket.append(sample.bpm)
    points.append(_point(t0 + current * bucket_s, bucket))
    return Series(bucket_s, tuple(points))


def _point(t: float, bpms: Sequence[float]) -> SeriesPoint:
    low, high = min(bpms), max(bpms)
    mean = math.fsum(bpms) / len(bpms)  # may miss [low, high] by a rounding error: clamp
    return SeriesPoint(t, min(max(mean, low), high), high)


def _r1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _r3(value: float | None) -> float | None:
    return None if value is None else round(value, 3)

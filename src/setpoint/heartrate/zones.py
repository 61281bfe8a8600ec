"""Heart-rate zones of an athlete and the bpm band of a segment's HR target (pure).

Zones are half-open: zone n holds `low_bpm <= bpm < high_bpm` and the next zone starts at this
zone's `high_bpm`, so the five zones are contiguous for any (fractional) filtered bpm and read
like published tables (max 190 → Z2 114–133, i.e. 114 up to but not including 133). Boundaries
are percentages rounded half up to whole beats, in integer arithmetic.

Models, five zones each:
- `hrmax`: 50, 60, 70, 80, 90 and 100 % of max_hr.
- `karvonen`: resting_hr + the same percentages of the reserve (max_hr − resting_hr).
- `lthr`: Joe Friel's run zones, % of LTHR: Z1 < 85, Z2 85–89, Z3 90–94, Z4 95–99, Z5 ≥ 100.
  Friel's Z1 has no floor, so its `low_bpm` is 0 (a Z1 target is never "below"). His Z5 has no
  ceiling, so its `high_bpm` is max_hr when that is known and above LTHR, else 110 % of LTHR.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from setpoint.heartrate.model import Profile, ZoneModel
from setpoint.workouts.model import Target, TargetType
from setpoint.workouts.normalize import Plan

RESERVE_PCTS = (50, 60, 70, 80, 90, 100)  # hrmax and karvonen boundaries
FRIEL_RUN_PCTS = (85, 90, 95, 100)  # LTHR boundaries between Z1..Z5
LTHR_TOP_PCT = 110  # Z5's top when max_hr is unknown


@dataclass(frozen=True, slots=True)
class Zone:
    """Zone `number` (1–5) holds `low_bpm <= bpm < high_bpm`; the top zone also its high."""

    number: int
    low_bpm: int
    high_bpm: int


def zones_for(profile: Profile) -> tuple[Zone, ...] | None:
    """The athlete's five zones, or None when the profile lacks what its model needs."""
    max_hr, resting_hr, lthr = profile.max_hr, profile.resting_hr, profile.lthr
    if profile.zone_model is ZoneModel.HRMAX:
        if max_hr is None:
            return None
        return _zones([_pct(max_hr, p) for p in RESERVE_PCTS])
    if profile.zone_model is ZoneModel.KARVONEN:
        if max_hr is None or resting_hr is None or resting_hr >= max_hr:
            return None
        reserve = max_hr - resting_hr
        return _zones([resting_hr + _pct(reserve, p) for p in RESERVE_PCTS])
    if lthr is None:
        return None
    top = max_hr if max_hr is not None and max_hr > lthr else _pct(lthr, LTHR_TOP_PCT)
    return _zones([0, *(_pct(lthr, p) for p in FRIEL_RUN_PCTS), top])


def zone_of(bpm: float, zones: Sequence[Zone]) -> int | None:
    """The zone number holding `bpm`; None below zone 1. Above the top zone is the top zone:
    a heart rate over the recorded maximum means the maximum is out of date, not "no zone"."""
    if not zones or bpm < zones[0].low_bpm:
        return None
    for zone in zones[:-1]:
        if bpm < zone.high_bpm:
            return zone.number
    return zones[-1].number


def target_band(targets: Iterable[Target], zones: Sequence[Zone] | None) -> tuple[int, int] | None:
    """The bpm band `(low, high)` of the first HR target (a band includes both ends).

    An `hr_range` is its rounded low and high; an `hr_zone` is the zone's low and high bpm.
    None when there is no HR target, or a zone target without zones (or with no such zone).
    """
    for target in targets:
        if target.type is TargetType.HR_RANGE:
            if target.low is None or target.high is None:
                return None
            return _half_up(target.low), _half_up(target.high)
        if target.type is TargetType.HR_ZONE:
            zone = next((z for z in zones or () if z.number == target.zone), None)
            return None if zone is None else (zone.low_bpm, zone.high_bpm)
    return None


def segment_bands(plan: Plan, zones: Sequence[Zone] | None) -> list[tuple[int, int] | None]:
    """Each segment's HR target band (`target_band`), in plan order."""
    return [target_band(segment.targets, zones) for segment in plan.segments]


def _zones(bounds: Sequence[int]) -> tuple[Zone, ...]:
    return tuple(Zone(n, low, high) for n, (low, high) in enumerate(pairwise(bounds), 1))


def _pct(value: int, pct: int) -> int:
    """`pct` % of `value`, rounded half up, without float error (0.7 * 185 is 129.4999...)."""
    return (2 * value * pct + 100) // 200


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)

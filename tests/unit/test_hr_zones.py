"""Heart-rate zones against published zone tables, worked out by hand below."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.heartrate.model import Profile, ZoneModel
from setpoint.heartrate.zones import Zone, target_band, zone_of, zones_for
from setpoint.workouts.model import Target, TargetType


def table(*bounds: int) -> tuple[Zone, ...]:
    """Zones 1..5 from their six boundaries."""
    return tuple(Zone(n, bounds[n - 1], bounds[n]) for n in range(1, 6))


def hrmax(max_hr: int) -> Profile:
    return Profile(max_hr=max_hr, zone_model=ZoneModel.HRMAX)


def test_hrmax_zones_are_tens_of_percent_of_max() -> None:
    # 50/60/70/80/90/100 % of 190 = 95, 114, 133, 152, 171, 190.
    assert zones_for(hrmax(190)) == table(95, 114, 133, 152, 171, 190)


def test_boundaries_round_half_up_without_float_error() -> None:
    # 185 × 50 % = 92.5 → 93, × 60 % = 111, × 70 % = 129.5 → 130, × 80 % = 148,
    # × 90 % = 166.5 → 167 (banker's rounding would give 92 and 166; 0.7 * 185 in floats 129).
    assert zones_for(hrmax(185)) == table(93, 111, 130, 148, 167, 185)


def test_karvonen_zones_are_percentages_of_the_reserve_plus_resting() -> None:
    # Reserve 190 − 60 = 130: 60 + 65, 78, 91, 104, 117, 130.
    profile = Profile(max_hr=190, resting_hr=60, zone_model=ZoneModel.KARVONEN)
    assert zones_for(profile) == table(125, 138, 151, 164, 177, 190)


def test_lthr_zones_are_friels_run_zones_capped_at_max_hr() -> None:
    # LTHR 170: 85 % = 144.5 → 145, 90 % = 153, 95 % = 161.5 → 162, 100 % = 170; so in whole
    # beats Z2 145–152, Z3 153–161, Z4 162–169, Z5 170 up to the max 185. Z1 has no floor.
    profile = Profile(max_hr=185, lthr=170, zone_model=ZoneModel.LTHR)
    assert zones_for(profile) == table(0, 145, 153, 162, 170, 185)


def test_lthr_zone_5_tops_at_110_percent_without_a_usable_max() -> None:
    # 110 % of 170 = 187.
    assert zones_for(Profile(lthr=170, zone_model=ZoneModel.LTHR)) == table(
        0, 145, 153, 162, 170, 187
    )
    at_max = Profile(max_hr=170, lthr=170, zone_model=ZoneModel.LTHR)
    assert zones_for(at_max) == table(0, 145, 153, 162, 170, 187)


@pytest.mark.parametrize(
    "profile",
    [
        Profile(lthr=170, resting_hr=50, zone_model=ZoneModel.HRMAX),
        Profile(max_hr=190, zone_model=ZoneModel.KARVONEN),
        Profile(resting_hr=60, zone_model=ZoneModel.KARVONEN),
        Profile(max_hr=100, resting_hr=100, zone_model=ZoneModel.KARVONEN),
        Profile(max_hr=190, resting_hr=60, zone_model=ZoneModel.LTHR),
    ],
)
def test_no_zones_without_what_the_model_needs(profile: Profile) -> None:
    assert zones_for(profile) is None


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    """Any profile `check_profile` accepts that has what its model needs."""
    max_hr = draw(st.integers(100, 230))
    resting = draw(st.integers(25, min(120, max_hr - 1)))
    lthr = draw(st.integers(80, min(225, max_hr)))
    model = draw(st.sampled_from(ZoneModel))
    return Profile(max_hr=max_hr, resting_hr=resting, lthr=lthr, zone_model=model)


@given(profiles(), st.floats(0, 260))
def test_zones_are_five_contiguous_and_zone_of_agrees(profile: Profile, bpm: float) -> None:
    zones = zones_for(profile)
    assert zones is not None
    assert [z.number for z in zones] == [1, 2, 3, 4, 5]
    assert all(a.high_bpm == b.low_bpm for a, b in pairwise(zones))
    assert all(z.low_bpm <= z.high_bpm for z in zones)
    assert profile.max_hr is not None and profile.lthr is not None
    if profile.zone_model is ZoneModel.LTHR and profile.lthr == profile.max_hr:
        assert zones[-1].high_bpm == (profile.lthr * 11 + 5) // 10
    else:
        assert zones[-1].high_bpm == profile.max_hr
    number = zone_of(bpm, zones)
    if bpm < zones[0].low_bpm:
        assert number is None
    else:
        assert number is not None
        zone = zones[number - 1]
        assert zone.low_bpm <= bpm
        assert bpm < zone.high_bpm or number == 5


@pytest.mark.parametrize(
    ("bpm", "number"),
    [(94.9, None), (95, 1), (113.9, 1), (114, 2), (132.99, 2), (133, 3), (171, 5), (190, 5)],
)
def test_zone_of_uses_half_open_zones(bpm: float, number: int | None) -> None:
    assert zone_of(bpm, table(95, 114, 133, 152, 171, 190)) == number


def test_above_the_top_zone_is_the_top_zone_and_no_zones_is_none() -> None:
    assert zone_of(205, table(95, 114, 133, 152, 171, 190)) == 5
    assert zone_of(150, ()) is None


ZONES_190 = table(95, 114, 133, 152, 171, 190)


def test_target_band_of_a_zone_target_is_the_zone() -> None:
    power = Target(TargetType.POWER, low=200, high=250)
    assert target_band((power, Target(TargetType.HR_ZONE, zone=2)), ZONES_190) == (114, 133)
    assert target_band((Target(TargetType.HR_ZONE, zone=5),), ZONES_190) == (171, 190)


def test_target_band_of_a_range_target_is_the_range_rounded() -> None:
    assert target_band((Target(TargetType.HR_RANGE, low=150, high=165),), None) == (150, 165)
    assert target_band((Target(TargetType.HR_RANGE, low=149.5, high=165.4),), None) == (150, 165)


def test_no_band_without_an_hr_target_or_zones() -> None:
    assert target_band((), ZONES_190) is None
    assert target_band((Target(TargetType.POWER, low=200, high=250),), ZONES_190) is None
    assert target_band((Target(TargetType.HR_ZONE, zone=2),), None) is None
    assert target_band((Target(TargetType.HR_ZONE, zone=6),), ZONES_190) is None

"""Zwift `.zwo` files, parsed back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.errors import CannotExport
from setpoint.exports.formats import ExportContext
from setpoint.exports.formats.zwo import zwo_bytes
from setpoint.workouts import model as m
from setpoint.workouts.normalize import normalize
from tests.strategies import endurance_workouts
from tests.unit.exports import zwo_reader as z
from tests.unit.exports.corpus import ENDURANCE, STRENGTH
from tests.unit.exports.factories import (
    cadence,
    ctx,
    distance,
    hr,
    open_step,
    over_unders_bike,
    pct,
    rep,
    speed,
    sweet_spot_bike,
    timed,
    watts,
    workout,
    zone,
)
from tests.unit.exports.power_strategies import bike_power_workouts


def attrs(el: ET.Element) -> dict[str, str]:
    return dict(el.attrib)


def test_ramps_intervals_and_cadence() -> None:
    root = z.parse(zwo_bytes(sweet_spot_bike(), ctx()))
    assert root.findtext("name") == "Sweet spot 3x10"
    assert root.findtext("description") == "Three sweet-spot blocks"
    warm, intervals, cool = z.elements(root)
    assert (warm.tag, attrs(warm)) == (
        "Warmup",
        {"Duration": "600", "PowerLow": "0.5", "PowerHigh": "0.75"},
    )
    assert warm.find("textevent") is not None
    assert intervals.tag == "IntervalsT"
    assert attrs(intervals) == {
        "Repeat": "3",
        "OnDuration": "600",
        "OffDuration": "300",
        "OnPower": "0.905",
        "OffPower": "0.55",
        "Cadence": "90",
    }
    assert (cool.tag, attrs(cool)) == (
        "Cooldown",
        {"Duration": "300", "PowerLow": "0.6", "PowerHigh": "0.4"},
    )
    assert z.total_seconds(root) == normalize(sweet_spot_bike()).total_duration_s


def test_watts_become_fractions_of_ftp_and_other_repeats_expand() -> None:
    root = z.parse(zwo_bytes(over_unders_bike(), ctx(ftp_w=250)))
    tags = [el.tag for el in z.elements(root)]
    assert tags == [
        "Warmup",
        "IntervalsT",
        "SteadyState",
        "IntervalsT",
        "SteadyState",
        "SteadyState",
        "Cooldown",
    ]
    first = z.elements(root)[1]
    assert (first.get("OnPower"), first.get("OffPower")) == ("1.04", "0.88")
    assert z.elements(root)[5].get("Power") == "1.7"
    assert z.total_seconds(root) == normalize(over_unders_bike()).total_duration_s


def test_a_step_without_power_is_free_ride() -> None:
    root = z.parse(zwo_bytes(workout("F", "bike", timed(600, "active", cadence(80, 90))), ctx()))
    (el,) = z.elements(root)
    assert (el.tag, attrs(el)) == ("FreeRide", {"Duration": "600", "Cadence": "85"})


def test_names_become_text_events() -> None:
    w = workout("N", "bike", timed(60, "active", pct(60, 60), name="Spin\x01 up"))
    (el,) = z.elements(z.parse(zwo_bytes(w, ctx())))
    event = el.find("textevent")
    assert event is not None and event.get("message") == "Spin up"


@pytest.mark.parametrize(
    ("w", "context", "words"),
    [
        (workout("H", "bike", timed(60, "active", zone(3))), ctx(), "no heart-rate targets"),
        (workout("H", "bike", timed(60, "active", hr(120, 140))), ctx(), "heart-rate workout"),
        (workout("W", "bike", timed(60, "active", watts(200, 210))), ctx(), "FTP (profile ftp_w)"),
        (workout("O", "bike", open_step()), ctx(), "an open (lap-button) step cannot"),
        (workout("D", "bike", distance(1000)), ctx(), "a distance step cannot"),
        (workout("S", "bike", timed(60, "active", speed(8, 9))), ctx(), "no speed targets"),
        (
            workout("2", "bike", rep(2, timed(60, "active", pct(90, 95), watts(230, 240)))),
            ctx(ftp_w=250),
            "steps[0].steps[0]: ZWO holds one power target",
        ),
        (ENDURANCE["design-example"], ctx(), "bike workouts; run workouts are not"),
        (STRENGTH["strength-day"], ctx(), "strength workouts are not"),
    ],
)
def test_what_zwo_cannot_hold(w: m.Workout, context: ExportContext, words: str) -> None:
    with pytest.raises(CannotExport) as raised:
        zwo_bytes(w, context)
    assert words in raised.value.detail


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(bike_power_workouts(), endurance_workouts()),
    st.sampled_from([ctx(), ctx(ftp_w=250), ctx(ftp_w=250)]),
)
def test_any_workout_is_written_whole_or_refused(
    workout: m.Workout, context: ExportContext
) -> None:
    if z.expressible(workout, context):
        root = z.parse(zwo_bytes(workout, context))
        assert z.total_seconds(root) == normalize(workout).total_duration_s
    else:
        with pytest.raises(CannotExport):
            zwo_bytes(workout, context)

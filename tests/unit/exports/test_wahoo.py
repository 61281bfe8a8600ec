"""Wahoo plan JSON: shape (JSON Schema), repeat counts, relative targets and the profile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from setpoint.errors import CannotExport
from setpoint.exports.formats import ExportContext, json_schema
from setpoint.exports.formats.wahoo import plan_json
from setpoint.workouts import model as m
from tests.strategies import endurance_workouts
from tests.unit.exports.corpus import ENDURANCE, STRENGTH
from tests.unit.exports.factories import (
    ctx,
    distance,
    full_ctx,
    hr,
    incline,
    pace,
    rep,
    rpe,
    speed,
    sweet_spot_bike,
    threshold_run,
    timed,
    workout,
    zone,
)

VALIDATOR = Draft202012Validator(json_schema("wahoo"))


def threshold_run_timed() -> m.Workout:
    """The design example without its open last step (a plan step must end on time/distance)."""
    return replace(threshold_run(), steps=threshold_run().steps[:3])


def expressible(workout: m.Workout, context: ExportContext) -> bool:
    """What a Wahoo plan can hold, written from the notes independently of the writer."""
    if workout.sport not in (m.Sport.RUN, m.Sport.TREADMILL, m.Sport.BIKE):
        return False
    for step in m.iter_steps(workout.steps):
        if step.duration is None or step.duration.type not in ("time", "distance"):
            return False
        kinds = {t.type for t in step.targets}
        if m.TargetType.POWER_PCT_FTP in kinds and context.ftp_w is None:
            return False
        if m.TargetType.HR_ZONE in kinds and context.max_hr is None and not context.hr_zones_bpm:
            return False
    return True


def intervals(body: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in body["intervals"]:
        out.append(item)
        if "intervals" in item:
            out.extend(intervals(item))
    return out


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json_schema("wahoo"))


def test_the_design_example_with_a_full_profile() -> None:
    body = plan_json(threshold_run_timed(), full_ctx())
    VALIDATOR.validate(body)
    assert body["header"] == {
        "name": "5x3 min threshold",
        "version": "1.0.0",
        "workout_type_family": 1,
        "workout_type_location": 1,
        "ftp": 250,
        "threshold_hr": 170,
        "max_hr": 190,
    }
    warm, repeat, cool = body["intervals"]
    assert warm["targets"] == [{"type": "max_hr", "low": 0.6, "high": 0.7}]
    assert (warm["exit_trigger_type"], warm["exit_trigger_value"]) == ("time", 600)
    assert (repeat["exit_trigger_type"], repeat["exit_trigger_value"]) == ("repeat", 4)
    assert repeat["intervals"][0]["targets"] == [{"type": "hr", "low": 150, "high": 165}]
    assert (cool["exit_trigger_type"], cool["exit_trigger_value"]) == ("distance", 1000)
    assert cool["intensity_type"] == "cd"


@pytest.mark.parametrize(("count", "after_first"), [(1, 0), (2, 1), (5, 4), (100, 99)])
def test_a_repeat_counts_the_passes_after_the_first(count: int, after_first: int) -> None:
    body = plan_json(workout("R", "run", rep(count, timed(60), timed(30))), ctx())
    VALIDATOR.validate(body)
    assert body["intervals"][0]["exit_trigger_value"] == after_first


def test_nested_repeats_nest() -> None:
    w = workout("N", "bike", rep(3, rep(2, timed(60), timed(30)), timed(120)))
    body = plan_json(w, ctx())
    VALIDATOR.validate(body)
    outer = body["intervals"][0]
    assert outer["exit_trigger_value"] == 2
    assert outer["intervals"][0]["exit_trigger_value"] == 1


def test_ftp_percent_becomes_a_fraction_of_the_header_ftp() -> None:
    body = plan_json(sweet_spot_bike(), ctx(ftp_w=280))
    VALIDATOR.validate(body)
    assert body["header"]["ftp"] == 280
    interval = body["intervals"][1]["intervals"][0]
    assert interval["targets"] == [
        {"type": "ftp", "low": 0.88, "high": 0.93},
        {"type": "rpm", "low": 85, "high": 95},
    ]


def test_zones_use_the_callers_zone_bounds_when_given() -> None:
    zones = ((100, 120), (120, 140), (140, 155), (155, 170), (170, 190))
    body = plan_json(workout("Z", "run", timed(60, "active", zone(4))), ctx(hr_zones_bpm=zones))
    assert body["intervals"][0]["targets"] == [{"type": "hr", "low": 155, "high": 170}]


def test_pace_speed_and_rpe() -> None:
    w = workout(
        "S",
        "run",
        distance(1000, "active", pace(250, 250), rpe(8)),
        timed(9, "active", speed(3, 4)),
    )
    body = plan_json(w, ctx())
    VALIDATOR.validate(body)
    first, second = body["intervals"]
    assert first["targets"] == [
        {"type": "speed", "low": 4.0, "high": 4.0},
        {"type": "rpe", "low": 8, "high": 8},
    ]
    assert second["targets"] == [{"type": "speed", "low": 3, "high": 4}]


def test_incline_sets_a_grade_on_every_interval_once_used() -> None:
    w = workout("H", "treadmill", timed(60, "active", speed(3, 3), incline(4)), timed(60))
    body = plan_json(w, ctx())
    VALIDATOR.validate(body)
    assert [i["controls"] for i in body["intervals"]] == [
        [{"type": "grade", "value": 0.04}],
        [{"type": "grade", "value": 0}],
    ]
    assert body["header"]["workout_type_location"] == 0
    assert "controls" not in plan_json(threshold_run_timed(), full_ctx())["intervals"][0]


@pytest.mark.parametrize(
    ("w", "context", "words"),
    [
        (workout("Z", "run", timed(60, "active", zone(2))), ctx(), "max HR (profile max_hr)"),
        (sweet_spot_bike(), ctx(max_hr=190), "FTP (profile ftp_w)"),
        (
            threshold_run(),
            full_ctx(),
            "steps[3]: Wahoo plan steps end on time or distance; an open (lap-button) step",
        ),
        (ENDURANCE["reps-durations"], ctx(), "other workouts cannot be exported"),
        (ENDURANCE["row-pace"], ctx(), "row workouts cannot be exported"),
        (STRENGTH["strength-day"], ctx(), "strength workouts cannot be exported"),
    ],
)
def test_what_a_plan_cannot_hold(w: m.Workout, context: ExportContext, words: str) -> None:
    with pytest.raises(CannotExport) as raised:
        plan_json(w, context)
    assert words in raised.value.detail


def test_heart_rate_ranges_need_no_profile() -> None:
    body = plan_json(workout("H", "run", timed(60, "active", hr(140, 150))), ctx())
    assert "max_hr" not in body["header"]


@settings(max_examples=100, deadline=None)
@given(endurance_workouts(), st.sampled_from([ctx(), full_ctx()]))
def test_any_endurance_workout_is_a_valid_plan_or_refused(
    workout: m.Workout, context: ExportContext
) -> None:
    if expressible(workout, context):
        body = plan_json(workout, context)
        VALIDATOR.validate(body)
        steps = [i for i in intervals(body) if i["exit_trigger_type"] != "repeat"]
        assert len(steps) == len(list(m.iter_steps(workout.steps)))
    else:
        with pytest.raises(CannotExport):
            plan_json(workout, context)

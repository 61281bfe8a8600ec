"""Garmin Training API workout JSON: shape (JSON Schema), repeats, units, targets."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from setpoint.exports.formats import ExportContext, json_schema
from setpoint.exports.formats.garmin import workout_json
from setpoint.workouts import model as m
from tests.strategies import endurance_workouts, strength_workouts
from tests.unit.exports.corpus import ENDURANCE, STRENGTH
from tests.unit.exports.factories import (
    CREATED_AT,
    ctx,
    full_ctx,
    incline,
    pace,
    pct,
    rpe,
    threshold_run,
    timed,
    watts,
    workout,
)

VALIDATOR = Draft202012Validator(json_schema("garmin"))


def orders(steps: list[dict[str, Any]]) -> list[int]:
    out: list[int] = []
    for step in steps:
        out.append(step["stepOrder"])
        out.extend(orders(step.get("steps", [])))
    return out


def check(body: dict[str, Any]) -> None:
    VALIDATOR.validate(body)
    (segment,) = body["segments"]
    numbers = orders(segment["steps"])
    assert numbers == list(range(1, len(numbers) + 1))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json_schema("garmin"))


@pytest.mark.parametrize("name", sorted(ENDURANCE | STRENGTH))
def test_every_corpus_workout_matches_the_schema(name: str) -> None:
    check(workout_json((ENDURANCE | STRENGTH)[name], full_ctx()))


def test_the_design_example() -> None:
    body = workout_json(threshold_run(), full_ctx())
    assert body == {
        "workoutName": "5x3 min threshold",
        "sport": "RUNNING",
        "workoutProvider": "Setpoint",
        "workoutSourceId": "setpoint-golden",
        "segments": [
            {
                "segmentOrder": 1,
                "sport": "RUNNING",
                "steps": [
                    {
                        "type": "WorkoutStep", "stepOrder": 1, "intensity": "WARMUP",
                        "description": "Warm up", "durationType": "TIME", "durationValue": 600,
                        "targetType": "HEART_RATE", "targetValue": 2,
                    },
                    {
                        "type": "WorkoutRepeatStep", "stepOrder": 2,
                        "repeatType": "REPEAT_UNTIL_STEPS_CMPLT", "repeatValue": 5,
                        "steps": [
                            {
                                "type": "WorkoutStep", "stepOrder": 3, "intensity": "INTERVAL",
                                "durationType": "TIME", "durationValue": 180,
                                "targetType": "HEART_RATE", "targetValueLow": 150,
                                "targetValueHigh": 165,
                            },
                            {
                                "type": "WorkoutStep", "stepOrder": 4, "intensity": "RECOVERY",
                                "durationType": "TIME", "durationValue": 120, "targetType": "OPEN",
                            },
                        ],
                    },
                    {
                        "type": "WorkoutStep", "stepOrder": 5, "intensity": "COOLDOWN",
                        "durationType": "DISTANCE", "durationValue": 1000,
                        "durationValueType": "METER", "targetType": "OPEN",
                    },
                    {
                        "type": "WorkoutStep", "stepOrder": 6, "intensity": "ACTIVE",
                        "description": "Strides", "durationType": "OPEN", "targetType": "OPEN",
                    },
                ],
            }
        ],
    }  # fmt: skip


def test_estimated_duration_is_given_when_every_step_is_timed() -> None:
    body = workout_json(workout("Z2", "bike", timed(3600, "active", watts(150, 180))), ctx())
    assert body["estimatedDurationInSecs"] == 3600
    assert "workoutSourceId" not in body


def test_pace_is_a_speed_range_and_ftp_percent_is_marked() -> None:
    body = workout_json(
        workout("P", "run", timed(60, "active", pace(240, 300), pct(80, 90))), ctx()
    )
    (step,) = body["segments"][0]["steps"]
    assert (step["targetType"], step["targetValueLow"], step["targetValueHigh"]) == (
        "PACE", 3.333, 4.167
    )  # fmt: skip
    assert step["secondaryTargetType"] == "POWER"
    assert step["secondaryTargetValueType"] == "PERCENT"
    assert (step["secondaryTargetValueLow"], step["secondaryTargetValueHigh"]) == (80, 90)


def test_targets_without_a_field_go_into_the_description() -> None:
    body = workout_json(
        workout("H", "treadmill", timed(60, "active", incline(4), rpe(7), name="Hill")), ctx()
    )
    (step,) = body["segments"][0]["steps"]
    assert step["targetType"] == "OPEN"
    assert step["description"] == "Hill; also incline 4%, RPE 7"


def test_strength_becomes_reps_steps_with_category_and_weight() -> None:
    body = workout_json(STRENGTH["strength-day"], ctx())
    assert body["sport"] == "STRENGTH_TRAINING"
    squat_sets = body["segments"][0]["steps"][0]
    assert squat_sets["type"] == "WorkoutRepeatStep" and squat_sets["repeatValue"] == 3
    work, rest = squat_sets["steps"]
    assert (work["durationType"], work["durationValue"]) == ("REPS", 5)
    assert (work["exerciseCategory"], work["weightValue"]) == ("SQUAT", 100)
    assert (rest["intensity"], rest["durationValue"]) == ("REST", 120)


def test_a_source_id_longer_than_20_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="20"):
        ExportContext(created_at=CREATED_AT, source_id="x" * 21)


@pytest.mark.parametrize(
    "change",
    [
        {"targetValueLow": 1},  # a zone and a range at once
        {"durationValue": None},
        {"durationType": "SECONDS"},
        {"stepName": "Warm up"},  # a field the API does not know
    ],
)
def test_the_schema_catches_a_drift_in_shape(change: dict[str, Any]) -> None:
    body = workout_json(threshold_run(), full_ctx())
    body["segments"][0]["steps"][0].update(change)
    assert not VALIDATOR.is_valid(body)


@settings(max_examples=100, deadline=None)
@given(st.one_of(endurance_workouts(), strength_workouts()))
def test_any_workout_matches_the_schema(workout: m.Workout) -> None:
    check(workout_json(workout, full_ctx()))

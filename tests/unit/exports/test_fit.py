"""FIT workout files, read back with Garmin's official Decoder."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.errors import CannotExport
from setpoint.exports.formats.fit import fit_bytes
from setpoint.workouts import model as m
from tests.strategies import endurance_workouts, strength_workouts
from tests.unit.exports import fit_reader as r
from tests.unit.exports.corpus import ENDURANCE, STRENGTH
from tests.unit.exports.factories import CREATED_AT, ctx, threshold_run
from tests.unit.exports.generated import generated_workouts

GENERATED = generated_workouts()


def round_trip(workout: m.Workout) -> tuple[dict[str, Any], list[Any]]:
    messages = r.decode(fit_bytes(workout, ctx()))
    steps = messages["workout_step_mesgs"]
    (head,) = messages["workout_mesgs"]
    assert head["num_valid_steps"] == len(steps)
    assert head["wkt_name"] == r.fit_string(workout.name)
    (file_id,) = messages["file_id_mesgs"]
    assert file_id["type"] == "workout" and file_id["manufacturer"] == "development"
    assert file_id["time_created"] == CREATED_AT
    return head, r.step_tree(steps)


def test_the_corpus_is_large_enough() -> None:
    assert len(ENDURANCE) + len(STRENGTH) + len(GENERATED) >= 20


@pytest.mark.parametrize("name", sorted(ENDURANCE | GENERATED))
def test_endurance_workouts_decode_to_the_authored_steps(name: str) -> None:
    workout = (ENDURANCE | GENERATED)[name]
    _, tree = round_trip(workout)
    r.assert_tree(tree, workout.steps)
    assert r.fit_timeline(tree) == r.plan_timeline(workout)


@pytest.mark.parametrize("name", sorted(STRENGTH))
def test_strength_workouts_decode_to_the_session_timeline(name: str) -> None:
    workout = STRENGTH[name]
    head, tree = round_trip(workout)
    assert r.fit_timeline(tree) == r.plan_timeline(workout)
    if workout.sport is m.Sport.STRENGTH:
        assert (head["sport"], head["sub_sport"]) == ("training", "strength_training")


def test_strength_steps_carry_exercise_category_and_weight() -> None:
    messages = r.decode(fit_bytes(STRENGTH["strength-day"], ctx()))
    steps = messages["workout_step_mesgs"]
    squat = steps[0]
    assert squat["wkt_step_name"] == "Back squat"
    assert (squat["duration_type"], squat["duration_value"]) == ("reps", 5)
    assert squat["exercise_category"] == "squat"
    assert squat["exercise_weight"] == 100.0 and squat["weight_display_unit"] == "kilogram"
    assert steps[1]["duration_type"] == "time" and steps[1]["duration_value"] == 120_000
    assert steps[2]["repeat_steps"] == 3 and steps[2]["duration_value"] == 0
    emom = steps[3]
    assert "10 reps at the start of each minute" in emom["notes"]
    assert emom["exercise_category"] == "total_body"
    plank = next(s for s in steps if s.get("wkt_step_name") == "Plank")
    assert "exercise_category" in plank and "part of Core circuit" in plank["notes"]


@pytest.mark.parametrize(
    ("sport", "expected"),
    [
        ("run", ("running", None)),
        ("treadmill", ("running", "treadmill")),
        ("bike", ("cycling", None)),
        ("row", ("rowing", None)),
        ("other", ("generic", None)),
    ],
)
def test_sports_map_to_fit_sport_and_sub_sport(sport: str, expected: tuple[str, Any]) -> None:
    workout = m.Workout("S", m.Sport(sport), (threshold_run().steps[0],))
    head, _ = round_trip(workout)
    assert (head["sport"], head.get("sub_sport")) == expected


def test_a_flipped_byte_fails_integrity() -> None:
    data = bytearray(fit_bytes(threshold_run(), ctx()))
    data[40] ^= 0xFF
    from garmin_fit_sdk import Decoder, Stream

    assert not Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()


def test_the_same_inputs_give_the_same_bytes() -> None:
    assert fit_bytes(threshold_run(), ctx()) == fit_bytes(threshold_run(), ctx())


@settings(max_examples=150, deadline=None)
@given(endurance_workouts())
def test_any_endurance_workout_round_trips(workout: m.Workout) -> None:
    _, tree = round_trip(workout)
    r.assert_tree(tree, workout.steps)
    assert r.fit_timeline(tree) == r.plan_timeline(workout)


@settings(max_examples=60, deadline=None)
@given(st.one_of(strength_workouts()))
def test_any_strength_workout_plays_out_as_its_session(workout: m.Workout) -> None:
    _, tree = round_trip(workout)
    assert r.fit_timeline(tree) == r.plan_timeline(workout)


def test_targets_in_notes_survive_a_long_note() -> None:
    step = m.Step(
        m.Intensity.ACTIVE,
        m.Duration(m.DurationType.TIME, seconds=60),
        targets=(m.Target(m.TargetType.INCLINE, value=3),),
        notes="n" * 400,
    )
    messages = r.decode(fit_bytes(m.Workout("Long", m.Sport.TREADMILL, (step,)), ctx()))
    notes = messages["workout_step_mesgs"][0]["notes"]
    assert notes.startswith("also incline 3%; nnn") and len(notes.encode()) == 254


def test_a_weight_fit_cannot_hold_is_refused_not_wrapped() -> None:
    heavy = m.Exercise("Leg press", m.ExerciseType.STANDARD, sets=1, reps=5, weight_kg=700.0)
    w = m.Workout("Heavy", m.Sport.STRENGTH, (m.Step(m.Intensity.ACTIVE, exercise=heavy),))
    with pytest.raises(CannotExport, match=r"up to 655\.34 kg, not 700 kg"):
        fit_bytes(w, ctx())

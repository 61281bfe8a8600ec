"""Strength progress rules: building, recording, JSON validation and personal records."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.strength.documents import parse_exercise_update, parse_progress, to_doc
from setpoint.strength.model import (
    AmrapData,
    CircuitData,
    EmomData,
    ExerciseData,
    ExerciseProgress,
    ExerciseStatus,
    Progress,
    ProgressError,
    StandardData,
    carry_over,
    initial_progress,
    planned_exercises,
)
from setpoint.strength.recording import record_set
from setpoint.strength.records import (
    HeldSet,
    LoggedSet,
    NewRecord,
    PersonalRecords,
    epley_1rm,
    new_records,
    performed_sets,
    personal_records,
    records_of,
    records_without,
    rep_maxes,
)
from setpoint.workouts.model import (
    CircuitMove,
    Exercise,
    ExerciseType,
    Intensity,
    Repeat,
    Sport,
    Step,
    Workout,
)
from setpoint.workouts.normalize import normalize
from tests.strategies import strength_workouts

T0 = datetime(2025, 1, 6, 18, 0, tzinfo=UTC)
S = ExerciseStatus

SQUAT = Exercise("Back squat", ExerciseType.STANDARD, sets=3, reps=5, weight_kg=100.0, rest_s=90)
BURPEES = Exercise("Burpees", ExerciseType.EMOM, minutes=2, reps=10)
CINDY = Exercise("Cindy", ExerciseType.AMRAP, cap_s=600)
FINISHER = Exercise(
    "Finisher",
    ExerciseType.CIRCUIT,
    rounds=2,
    rest_s=60,
    exercises=(CircuitMove("Push-up", 10), CircuitMove("Row", 12, 20.0)),
)
PLAN = (SQUAT, BURPEES, CINDY, FINISHER)


def problems_of(call: Any, *args: Any) -> list[str]:
    with pytest.raises(ProgressError) as caught:
        call(*args)
    return caught.value.problems


def doc_of(progress: Progress) -> dict[str, Any]:
    """The document as a client receives it: through real JSON."""
    return json.loads(json.dumps(to_doc(progress)))  # type: ignore[no-any-return]


def squat_progress(*sets: tuple[int, float | None, float | None]) -> Progress:
    progress = initial_progress(PLAN)
    for reps, weight, rpe in sets:
        progress = record_set(progress, 0, reps, weight, rpe)
    return progress


# --- strategies -------------------------------------------------------------------------------

reps = st.integers(0, 1000)
weights = st.none() | st.floats(0, 1000, allow_nan=False)
rpes = st.none() | st.integers(2, 20).map(lambda n: n / 2)


def data_for(kind: ExerciseType) -> st.SearchStrategy[ExerciseData]:
    if kind is ExerciseType.STANDARD:
        sets = st.lists(st.tuples(reps, weights, rpes), max_size=8)
        return sets.map(lambda s: StandardData(*(tuple(col) for col in zip(*s, strict=True))))
    if kind is ExerciseType.EMOM:
        return st.builds(EmomData, st.lists(reps, max_size=8).map(tuple), rpes)
    if kind is ExerciseType.AMRAP:
        return st.builds(AmrapData, st.integers(0, 100_000), st.integers(0, 100), rpes)
    return st.builds(CircuitData, st.lists(reps, max_size=8).map(tuple), weights, rpes)


@st.composite
def progresses(draw: st.DrawFn) -> tuple[tuple[Exercise, ...], Progress]:
    plan = planned_exercises(draw(strength_workouts()))
    exercises = tuple(
        ExerciseProgress(
            i, ex, draw(data_for(ex.type)), draw(st.sampled_from(S)), draw(st.text(max_size=40))
        )
        for i, ex in enumerate(plan)
    )
    return plan, Progress(exercises)


# --- plan and building ------------------------------------------------------------------------


@settings(max_examples=100)
@given(strength_workouts())
def test_positions_line_up_with_the_normalized_plan(workout: Workout) -> None:
    plan = planned_exercises(workout)
    tags = [s.exercise for s in normalize(workout).segments if s.exercise is not None]
    assert sorted({t.position for t in tags}) == list(range(len(plan)))
    for tag in tags:
        assert (tag.name, tag.type) == (plan[tag.position].name, plan[tag.position].type)


def test_an_exercise_inside_a_repeat_is_one_position() -> None:
    workout = Workout(
        "W",
        Sport.STRENGTH,
        (
            Repeat(3, (Step(Intensity.ACTIVE, exercise=SQUAT),)),
            Step(Intensity.ACTIVE, exercise=BURPEES),
        ),
    )
    assert planned_exercises(workout) == (SQUAT, BURPEES)


def test_a_step_object_used_twice_is_one_position_as_in_normalize() -> None:
    step = Step(Intensity.ACTIVE, exercise=SQUAT)
    workout = Workout("W", Sport.STRENGTH, (step, Step(Intensity.ACTIVE, exercise=CINDY), step))
    tags = [s.exercise for s in normalize(workout).segments if s.exercise is not None]
    assert sorted({t.position for t in tags}) == [0, 1]
    assert planned_exercises(workout) == (SQUAT, CINDY)


def test_initial_progress_is_every_planned_exercise_not_started_and_empty() -> None:
    progress = initial_progress(PLAN)
    assert [(e.position, e.name, e.type) for e in progress.exercises] == [
        (0, "Back squat", ExerciseType.STANDARD),
        (1, "Burpees", ExerciseType.EMOM),
        (2, "Cindy", ExerciseType.AMRAP),
        (3, "Finisher", ExerciseType.CIRCUIT),
    ]
    assert [e.data for e in progress.exercises] == [
        StandardData(),
        EmomData(),
        AmrapData(),
        CircuitData(),
    ]
    assert {e.status for e in progress.exercises} == {S.NOT_STARTED}
    assert progress.exercises[0].config == {"sets": 3, "reps": 5, "weight_kg": 100.0, "rest_s": 90}
    assert progress.exercises[3].config == {
        "rounds": 2,
        "rest_s": 60,
        "exercises": [
            {"name": "Push-up", "reps": 10},
            {"name": "Row", "reps": 12, "weight_kg": 20},
        ],
    }


@given(progresses())
def test_summary_counts_match_the_statuses(case: tuple[tuple[Exercise, ...], Progress]) -> None:
    _, progress = case
    summary = progress.summary
    statuses = [e.status for e in progress.exercises]
    assert summary.total == len(statuses)
    assert summary.completed == statuses.count(S.COMPLETED)
    assert summary.in_progress == statuses.count(S.IN_PROGRESS)
    assert summary.skipped == statuses.count(S.SKIPPED)
    assert summary.not_started == statuses.count(S.NOT_STARTED)


def test_carry_over_prefills_matching_exercises_and_starts_every_one_again() -> None:
    progress = record_set(squat_progress((5, 100.0, 8.0)), 1, 12)
    progress = parse_exercise_update(progress, 0, {"notes": "belt on", "status": "completed"})
    progress = parse_exercise_update(progress, 2, {"status": "skipped"})
    swapped = Exercise("Thrusters", ExerciseType.EMOM, minutes=3, reps=8)
    again = carry_over(progress, (SQUAT, swapped, CINDY))

    assert [e.status for e in again.exercises] == [S.NOT_STARTED] * 3
    assert again.exercises[0].data == StandardData((5,), (100.0,), (8.0,))
    assert again.exercises[0].notes == "belt on"
    assert again.exercises[1].data == EmomData()  # another exercise at that position now
    assert again.exercises[1].name == "Thrusters"
    assert len(again.exercises) == 3  # the finisher is no longer planned


def test_recording_on_a_prefilled_exercise_starts_this_attempt_from_empty() -> None:
    again = carry_over(squat_progress((5, 100.0, None), (5, 100.0, None)), PLAN)
    progress = record_set(again, 0, 3, 105.0)
    assert progress.exercises[0].data == StandardData((3,), (105.0,), (None,))
    assert progress.exercises[0].status is S.IN_PROGRESS


# --- recording --------------------------------------------------------------------------------


def test_standard_sets_append_and_complete_at_the_planned_sets() -> None:
    progress = squat_progress((5, 100.0, 7.0), (5, 102.5, None))
    squat = progress.exercises[0]
    assert squat.status is S.IN_PROGRESS
    assert squat.data == StandardData((5, 5), (100.0, 102.5), (7.0, None))
    assert squat.data.sets_completed == 2

    progress = record_set(progress, 0, 4, 105.0, 9.5)
    assert progress.exercises[0].status is S.COMPLETED
    extra = record_set(progress, 0, 8, 80.0)
    assert extra.exercises[0].status is S.COMPLETED
    assert extra.exercises[0].data.sets_completed == 4  # type: ignore[union-attr]
    assert extra.exercises[1:] == progress.exercises[1:]


def test_an_exercise_marked_completed_stays_completed_when_more_is_recorded() -> None:
    progress = parse_exercise_update(squat_progress((5, 100.0, None)), 0, {"status": "completed"})
    progress = record_set(progress, 0, 5, 100.0)  # 2 of 3 planned sets
    assert progress.exercises[0].status is S.COMPLETED


def test_emom_appends_the_minutes_reps_and_keeps_the_latest_rpe() -> None:
    progress = record_set(initial_progress(PLAN), 1, 10, rpe=6.0)
    assert progress.exercises[1].status is S.IN_PROGRESS
    progress = record_set(progress, 1, 9)
    assert progress.exercises[1].data == EmomData((10, 9), 6.0)
    assert progress.exercises[1].status is S.COMPLETED  # 2 planned minutes


def test_amrap_adds_reps_and_a_round_and_is_never_completed_by_recording() -> None:
    progress = initial_progress(PLAN)
    for _ in range(5):
        progress = record_set(progress, 2, 15, rpe=8.5)
    assert progress.exercises[2].data == AmrapData(total_reps=75, rounds=5, rpe=8.5)
    assert progress.exercises[2].status is S.IN_PROGRESS


def test_circuit_adds_a_round_and_completes_at_the_planned_rounds() -> None:
    progress = record_set(initial_progress(PLAN), 3, 22, 20.0)
    assert progress.exercises[3].status is S.IN_PROGRESS
    progress = record_set(progress, 3, 20, rpe=9.0)
    assert progress.exercises[3].data == CircuitData((22, 20), 20.0, 9.0)
    assert progress.exercises[3].data.rounds_completed == 2
    assert progress.exercises[3].status is S.COMPLETED


def test_recording_refuses_unknown_positions_skipped_exercises_and_bad_values() -> None:
    progress = initial_progress(PLAN)
    assert problems_of(record_set, progress, 4, 5) == ["position: no exercise at position 4"]
    assert problems_of(record_set, progress, -1, 5) == ["position: no exercise at position -1"]
    skipped = parse_exercise_update(progress, 0, {"status": "skipped"})
    assert problems_of(record_set, skipped, 0, 5) == [
        "position: Back squat (position 0) is skipped; un-skip it first"
    ]
    assert problems_of(record_set, progress, 0, -3, 1001.0, 10.5) == [
        "reps: -3 is below 0",
        "weight_kg: 1001 is above 1000",
        "rpe: 10.5 is above 10",
    ]
    assert problems_of(record_set, progress, 0, 5, None, 7.25) == [
        "rpe: 7.25 is not a multiple of 0.5"
    ]
    assert problems_of(record_set, progress, 1, 10, 20.0) == [
        "weight_kg: emom exercises record no weight"
    ]


def test_recording_refuses_a_101st_set() -> None:
    progress = initial_progress(PLAN)
    for _ in range(100):
        progress = record_set(progress, 0, 1, 20.0)
    assert problems_of(record_set, progress, 0, 1, 20.0) == [
        "data.reps_per_set: has 101 entries, more than 100"
    ]


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), reps, weights, rpes, st.sampled_from([None, *S])),
        max_size=30,
    )
)
def test_whatever_is_recorded_or_updated_is_a_valid_document(
    steps: list[tuple[int, int, float | None, float | None, S | None]],
) -> None:
    progress = initial_progress(PLAN)
    for position, count, weight, rpe, status in steps:
        if status is not None:
            progress = parse_exercise_update(progress, position, {"status": status.value})
        elif progress.exercises[position].status is not S.SKIPPED:
            kind = progress.exercises[position].type
            weighed = kind in (ExerciseType.STANDARD, ExerciseType.CIRCUIT)
            progress = record_set(progress, position, count, weight if weighed else None, rpe)
    assert parse_progress(doc_of(progress), PLAN) == progress


# --- JSON -------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(progresses())
def test_documents_round_trip(case: tuple[tuple[Exercise, ...], Progress]) -> None:
    plan, progress = case
    assert parse_progress(doc_of(progress), plan) == progress


def test_the_document_shape() -> None:
    progress = parse_exercise_update(squat_progress((5, 100.0, 8.0)), 0, {"notes": "ok"})
    doc = doc_of(progress)
    assert doc["exercises"][0] == {
        "position": 0,
        "name": "Back squat",
        "type": "standard",
        "config": {"sets": 3, "reps": 5, "weight_kg": 100.0, "rest_s": 90},
        "status": "in_progress",
        "notes": "ok",
        "data": {
            "sets_completed": 1,
            "reps_per_set": [5],
            "weight_per_set": [100.0],
            "rpe_per_set": [8.0],
        },
    }
    assert [e["data"] for e in doc["exercises"][1:]] == [
        {"reps_per_minute": [], "rpe": None},
        {"total_reps": 0, "rounds": 0, "rpe": None},
        {"rounds_completed": 0, "reps_per_round": [], "weight_kg": None, "rpe": None},
    ]
    assert doc["summary"] == {
        "total": 4,
        "completed": 0,
        "in_progress": 1,
        "skipped": 0,
        "not_started": 3,
    }


def test_validation_names_the_path_of_every_problem() -> None:
    doc = doc_of(squat_progress((5, 100.0, 8.0), (5, 100.0, 8.0)))
    squat = doc["exercises"][0]["data"]
    squat["reps_per_set"][1] = -3
    squat["weight_per_set"][0] = 1000.5
    squat["rpe_per_set"] = [0.5, 7.3]
    doc["exercises"][1]["data"]["reps_per_minute"] = [10, 2.5, "x", True]
    doc["exercises"][2]["data"]["total_reps"] = 100_001
    doc["exercises"][3]["data"]["weight_kg"] = "heavy"
    doc["exercises"][3]["notes"] = "x" * 2001
    doc["exercises"][3]["status"] = "done"
    assert problems_of(parse_progress, doc, PLAN) == [
        "exercises[0].data.reps_per_set[1]: -3 is below 0",
        "exercises[0].data.weight_per_set[0]: 1000.5 is above 1000",
        "exercises[0].data.rpe_per_set[0]: 0.5 is below 1",
        "exercises[0].data.rpe_per_set[1]: 7.3 is not a multiple of 0.5",
        "exercises[1].data.reps_per_minute[1]: 2.5 is not a whole number",
        'exercises[1].data.reps_per_minute[2]: "x" is not a whole number',
        "exercises[1].data.reps_per_minute[3]: true is not a whole number",
        "exercises[2].data.total_reps: 100001 is above 100000",
        'exercises[3].status: "done" is not one of not_started, in_progress, completed, skipped',
        "exercises[3].notes: is 2001 characters, more than 2000",
        'exercises[3].data.weight_kg: "heavy" is not a number',
    ]


def test_counts_must_match_the_entries_but_not_the_plan() -> None:
    doc = doc_of(squat_progress(*[(5, 100.0, None)] * 5))  # 5 sets where 3 are planned
    assert parse_progress(doc, PLAN).exercises[0].data.sets_completed == 5  # type: ignore[union-attr]
    squat = doc["exercises"][0]["data"]
    squat["sets_completed"] = 4
    squat["rpe_per_set"] = [None]
    doc["exercises"][3]["data"]["rounds_completed"] = 1
    assert problems_of(parse_progress, doc, PLAN) == [
        "exercises[0].data.sets_completed: 4 but reps_per_set has 5 entries",
        "exercises[0].data.rpe_per_set: has 1 entries, reps_per_set has 5",
        "exercises[3].data.rounds_completed: 1 but reps_per_round has 0 entries",
    ]


def test_data_must_have_the_shape_of_the_exercise_type() -> None:
    doc = doc_of(initial_progress(PLAN))
    doc["exercises"][0]["data"] = {"reps_per_minute": [10], "rpe": None}
    assert problems_of(parse_progress, doc, PLAN) == [
        "exercises[0].data.reps_per_set: is required",
        "exercises[0].data.rpe_per_set: is required",
        "exercises[0].data.sets_completed: is required",
        "exercises[0].data.weight_per_set: is required",
        "exercises[0].data.reps_per_minute: is not a known field",
        "exercises[0].data.rpe: is not a known field",
    ]


def test_positions_must_match_the_plan() -> None:
    doc = doc_of(initial_progress(PLAN))
    first, _, third, fourth = doc["exercises"]
    doc["exercises"] = [fourth, dict(third, position=7), first, dict(first), "squat", {}]
    assert problems_of(parse_progress, doc, PLAN) == [
        "exercises[1].position: 7 is not a position of the plan",
        "exercises[3].position: 0 appears twice",
        'exercises[4]: "squat" is not an object',
        "exercises[5].position: null is not a whole number",
        "exercises: position 1 (Burpees) is missing",
        "exercises: position 2 (Cindy) is missing",
    ]


def test_exercises_may_come_in_any_order_and_plan_echoes_must_match() -> None:
    progress = squat_progress((5, 100.0, None))
    doc = doc_of(progress)
    doc["exercises"].reverse()
    del doc["summary"]
    assert parse_progress(doc, PLAN) == progress
    doc["exercises"][0].update(type="standard", name="Finisher", config={"rounds": 9})
    assert problems_of(parse_progress, doc, PLAN) == [
        'exercises[0].type: "standard" does not match the plan\'s "circuit"',
        'exercises[0].config: {"rounds": 9} does not match the plan\'s '
        '{"rest_s": 60, "rounds": 2, "exercises": [{"name": "Push-up", "reps": 10}, '
        '{"name": "Row", "reps": 12, "weight_kg": 20.0}]}',
    ]


def test_a_document_must_be_an_object_with_exercises() -> None:
    assert problems_of(parse_progress, [], PLAN) == ["[] is not an object"]
    assert problems_of(parse_progress, {"exercise": []}, PLAN) == [
        "exercises: is required",
        "exercise: is not a known field",
    ]
    assert problems_of(parse_progress, {"exercises": {}}, PLAN) == [
        "exercises: {} is not a list",
        "exercises: position 0 (Back squat) is missing",
        "exercises: position 1 (Burpees) is missing",
        "exercises: position 2 (Cindy) is missing",
        "exercises: position 3 (Finisher) is missing",
    ]


def test_an_update_replaces_only_the_parts_it_gives() -> None:
    progress = squat_progress((5, 100.0, 8.0))
    noted = parse_exercise_update(progress, 0, {"notes": "felt fast", "position": 0})
    assert noted.exercises[0].notes == "felt fast"
    assert noted.exercises[0].data == progress.exercises[0].data
    assert noted.exercises[0].status is S.IN_PROGRESS

    data = {"total_reps": 120, "rounds": 8, "rpe": 9}
    done = parse_exercise_update(noted, 2, {"status": "completed", "data": data})
    assert done.exercises[2].data == AmrapData(120, 8, 9.0)
    assert done.summary.completed == 1
    assert done.exercises[:2] == noted.exercises[:2]


def test_an_update_names_paths_from_the_exercise() -> None:
    progress = initial_progress(PLAN)
    assert problems_of(parse_exercise_update, progress, 9, {}) == [
        "position: no exercise at position 9"
    ]
    bad = {"position": 1, "data": {"reps_per_minute": [-1], "rpe": 4}, "videos": []}
    assert problems_of(parse_exercise_update, progress, 0, bad) == [
        "videos: is not a known field",
        "position: 1 does not match the plan's 0",
        "data.reps_per_set: is required",
        "data.rpe_per_set: is required",
        "data.sets_completed: is required",
        "data.weight_per_set: is required",
        "data.reps_per_minute: is not a known field",
        "data.rpe: is not a known field",
    ]


# --- personal records -------------------------------------------------------------------------


def test_epley_by_hand() -> None:
    assert epley_1rm(100.0, 5) == pytest.approx(116.67, abs=0.005)  # 100 × (1 + 5/30)
    assert epley_1rm(80.0, 10) == pytest.approx(106.67, abs=0.005)  # 80 × (1 + 10/30)
    assert epley_1rm(60.0, 30) == pytest.approx(120.0)
    assert epley_1rm(140.0, 1) == 140.0
    assert epley_1rm(140.0, 0) is None


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


def test_records_keep_the_heaviest_set_per_rep_count_and_the_best_estimate() -> None:
    records = personal_records(
        [
            LoggedSet(100.0, 5, at(3)),
            LoggedSet(90.0, 5, at(0)),
            LoggedSet(100.0, 5, at(1)),  # ties the later 100 × 5: the first keeps it
            LoggedSet(120.0, 1, at(2)),  # 1RM 120 > 116.67
            LoggedSet(80.0, 10, at(4)),
            LoggedSet(200.0, 0, at(5)),  # a failed set is no record
        ]
    )
    assert records.best_by_reps == {
        5: LoggedSet(100.0, 5, at(1)),
        1: LoggedSet(120.0, 1, at(2)),
        10: LoggedSet(80.0, 10, at(4)),
    }
    assert records.best_1rm == LoggedSet(120.0, 1, at(2))
    assert records.best_1rm_kg == 120.0
    assert personal_records([]) == PersonalRecords()
    assert PersonalRecords().best_1rm_kg is None


def test_performed_sets_are_the_weighted_sets_done() -> None:
    progress = squat_progress((5, 100.0, None), (8, None, None), (3, 110.0, None))
    progress = record_set(progress, 3, 22, 20.0)
    assert performed_sets(progress, T0) == {
        "Back squat": [LoggedSet(100.0, 5, T0), LoggedSet(110.0, 3, T0)]
    }
    assert performed_sets(carry_over(progress, PLAN), T0) == {}  # a pre-fill was not done


def test_new_records_flag_the_sets_that_beat_earlier_ones() -> None:
    previous = {"Back squat": personal_records([LoggedSet(100.0, 5, at(0))])}
    progress = squat_progress((5, 100.0, None), (5, 102.5, None), (5, 101.0, None), (3, 90.0, None))
    assert new_records(progress, previous, at(7)) == [
        # 102.5 × 5 beats 100 × 5; 101 × 5 beats 100 but not 102.5, done just before
        NewRecord(0, 2, LoggedSet(102.5, 5, at(7)), ("rep_max", "estimated_1rm")),
        NewRecord(0, 4, LoggedSet(90.0, 3, at(7)), ("rep_max",)),  # 1RM 99 < 119.58
    ]
    assert new_records(progress, {}, at(7))[0] == NewRecord(
        0, 1, LoggedSet(100.0, 5, at(7)), ("rep_max", "estimated_1rm")
    )


def test_new_records_ignore_skipped_and_not_started_exercises() -> None:
    progress = squat_progress((5, 100.0, None))
    skipped = parse_exercise_update(progress, 0, {"status": "skipped"})
    assert new_records(skipped, {}, T0) == []
    assert new_records(carry_over(progress, PLAN), {}, T0) == []
    assert [(r.position, r.set) for r in new_records(progress, {}, T0)] == [(0, 1)]


SESSIONS = [uuid.UUID(int=n) for n in range(3)]
held_sets = st.lists(
    st.tuples(
        st.sampled_from(SESSIONS),
        st.sampled_from([60.0, 80.0, 100.0, 102.5]),
        st.integers(0, 6),
        st.integers(0, 3),
    ),
    max_size=30,
).map(
    lambda items: [
        HeldSet(i + 1, session, weight, reps, at(day))
        for i, (session, weight, reps, day) in enumerate(items)
    ]
)


@settings(max_examples=300)
@given(held_sets, st.randoms(use_true_random=False))
def test_records_kept_set_by_set_are_those_of_the_whole_history(
    sets: list[HeldSet], rnd: random.Random
) -> None:
    """Rep maxes folded in any order give the records `personal_records` finds in the whole
    history (sets in the order they were logged), and without any one session's sets."""
    in_order = sorted(sets, key=lambda s: (s.at, s.set_id))
    shuffled = list(sets)
    rnd.shuffle(shuffled)
    maxes = rep_maxes(shuffled)
    assert maxes == rep_maxes(in_order)
    assert records_of(m.best for m in maxes.values()) == personal_records(
        s.logged for s in in_order
    )
    for session in SESSIONS:
        others = [s.logged for s in in_order if s.session_id != session]
        assert records_without(maxes, session) == personal_records(others)
    half = len(shuffled) // 2
    assert rep_maxes(shuffled[half:], rep_maxes(shuffled[:half])) == maxes

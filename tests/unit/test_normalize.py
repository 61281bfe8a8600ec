from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.workouts import model as m
from setpoint.workouts.normalize import normalize
from setpoint.workouts.schemas import WorkoutIn
from tests.documents import THRESHOLD
from tests.strategies import endurance_workouts, strength_workouts

any_workout = st.one_of(endurance_workouts(), strength_workouts())


def timed(seconds: int, intensity: m.Intensity = m.Intensity.ACTIVE, **kw: object) -> m.Step:
    return m.Step(intensity, m.Duration(m.DurationType.TIME, seconds=seconds), **kw)  # type: ignore[arg-type]


def expanded_count(blocks: tuple[m.Block, ...]) -> int:
    """Reference count, written independently of the normalizer: a naive recursive walk."""
    return sum(
        b.count * expanded_count(b.steps) if isinstance(b, m.Repeat) else len(list(_work(b)))
        for b in blocks
    )


def _work(step: m.Step) -> list[str]:
    ex = step.exercise
    if ex is None:
        return ["x"]
    if ex.type is m.ExerciseType.STANDARD:
        return ["set", "rest"] * (ex.sets or 0) if ex.rest_s else ["set"] * (ex.sets or 0)
    if ex.type is m.ExerciseType.EMOM:
        return ["minute"] * (ex.minutes or 0)
    if ex.type is m.ExerciseType.AMRAP:
        return ["cap"]
    moves = ["move"] * len(ex.exercises) * (ex.rounds or 0)
    return moves + ["rest"] * ((ex.rounds or 1) - 1 if ex.rest_s else 0)


@settings(max_examples=200)
@given(any_workout)
def test_offsets_are_the_running_sum_of_known_durations(workout: m.Workout) -> None:
    plan = normalize(workout)
    running = 0
    for i, segment in enumerate(plan.segments):
        assert segment.index == i
        assert segment.offset_s == running
        running += segment.duration_s or 0


@settings(max_examples=200)
@given(any_workout)
def test_total_is_the_sum_or_unknown_when_any_segment_is_open(workout: m.Workout) -> None:
    plan = normalize(workout)
    durations = [s.duration_s for s in plan.segments]
    if None in durations:
        assert plan.total_duration_s is None
    else:
        assert plan.total_duration_s == sum(d for d in durations if d is not None)


@settings(max_examples=200)
@given(any_workout)
def test_repeats_expand_to_the_right_count(workout: m.Workout) -> None:
    assert len(normalize(workout).segments) == expanded_count(workout.steps)
    assert len(normalize(workout).segments) == m.segment_count(workout)


@settings(max_examples=100)
@given(any_workout)
def test_the_json_form_round_trips_to_the_same_workout(workout: m.Workout) -> None:
    assert WorkoutIn.from_domain(workout).to_domain() == workout


def test_design_example_expands_repeats_and_keeps_targets() -> None:
    workout = WorkoutIn.model_validate(THRESHOLD).to_domain()
    assert m.validate(workout) == []
    plan = normalize(workout)
    assert len(plan.segments) == 1 + 10 + 1 + 1
    assert [s.offset_s for s in plan.segments[:4]] == [0, 600, 780, 900]
    assert plan.segments[1].targets == (m.Target(m.TargetType.HR_RANGE, low=150, high=165),)
    assert plan.segments[2].name == "Recovery"
    assert plan.segments[11].distance_m == 1000 and plan.segments[11].duration_s is None
    assert plan.segments[12].duration_s is None
    assert plan.total_duration_s is None


def test_distance_with_a_speed_or_pace_target_gets_a_duration() -> None:
    by_speed = m.Step(
        m.Intensity.ACTIVE,
        m.Duration(m.DurationType.DISTANCE, meters=1000),
        targets=(m.Target(m.TargetType.SPEED, low=3.0, high=5.0),),
    )
    by_pace = m.Step(
        m.Intensity.ACTIVE,
        m.Duration(m.DurationType.DISTANCE, meters=2000),
        targets=(m.Target(m.TargetType.PACE, low=290, high=310),),
    )
    plan = normalize(m.Workout("d", m.Sport.RUN, (by_speed, by_pace)))
    assert [s.duration_s for s in plan.segments] == [250, 600]
    assert plan.total_duration_s == 850


def test_strength_types_become_timelines() -> None:
    workout = m.Workout(
        "Strength",
        m.Sport.STRENGTH,
        (
            m.Step(
                m.Intensity.ACTIVE,
                exercise=m.Exercise(
                    "Squat", m.ExerciseType.STANDARD, sets=3, reps=5, weight_kg=100, rest_s=120
                ),
            ),
            m.Step(
                m.Intensity.ACTIVE,
                exercise=m.Exercise("Burpees", m.ExerciseType.EMOM, minutes=4, reps=10),
            ),
            m.Step(
                m.Intensity.ACTIVE, exercise=m.Exercise("Mixed", m.ExerciseType.AMRAP, cap_s=600)
            ),
            m.Step(
                m.Intensity.ACTIVE,
                exercise=m.Exercise(
                    "Circuit",
                    m.ExerciseType.CIRCUIT,
                    rounds=2,
                    rest_s=60,
                    exercises=(m.CircuitMove("Push-up", 10), m.CircuitMove("Row", 12, 20.0)),
                ),
            ),
        ),
    )
    assert m.validate(workout) == []
    segs = normalize(workout).segments
    names = [s.name for s in segs]
    assert names[:6] == [
        "Squat · set 1/3",
        "Rest",
        "Squat · set 2/3",
        "Rest",
        "Squat · set 3/3",
        "Rest",
    ]
    assert [s.duration_s for s in segs[:6]] == [None, 120, None, 120, None, 120]
    assert segs[0].exercise is not None and segs[0].exercise.weight_kg == 100
    emom = segs[6:10]
    assert all(s.duration_s == 60 for s in emom) and emom[3].name == "Burpees · minute 4/4"
    assert segs[10].duration_s == 600
    circuit = segs[11:]
    assert [s.name for s in circuit] == [
        "Push-up · round 1/2",
        "Row · round 1/2",
        "Rest",
        "Push-up · round 2/2",
        "Row · round 2/2",
    ]
    assert {s.exercise.position for s in segs if s.exercise} == {0, 1, 2, 3}


def test_validate_names_the_step_path_and_the_rule() -> None:
    bad_range = timed(60, targets=(m.Target(m.TargetType.HR_RANGE, low=170, high=160),))
    workout = m.Workout(
        "w", m.Sport.RUN, (timed(60), timed(60), timed(60), m.Repeat(2, (timed(30), bad_range)))
    )
    assert [str(p) for p in m.validate(workout)] == [
        "steps[3].steps[1].targets[0]: low 170 > high 160"
    ]


def test_validate_rules() -> None:
    cases: list[tuple[m.Workout, str]] = [
        (m.Workout("w", m.Sport.RUN, ()), "steps: a workout needs at least one step"),
        (
            m.Workout("w", m.Sport.RUN, (timed(0),)),
            "steps[0].duration.seconds: 0 is outside 1–86400",
        ),
        (
            m.Workout(
                "w",
                m.Sport.RUN,
                (timed(60, targets=(m.Target(m.TargetType.HR_RANGE, low=20, high=160),)),),
            ),
            "steps[0].targets[0].low: 20 is outside 30–230",
        ),
        (
            m.Workout(
                "w",
                m.Sport.RUN,
                (timed(60, targets=(m.Target(m.TargetType.CADENCE, low=80, high=90),)),),
            ),
            "steps[0].targets[0]: cadence targets are for bike workouts, not run",
        ),
        (
            m.Workout(
                "w", m.Sport.RUN, (timed(60, targets=(m.Target(m.TargetType.HR_ZONE, zone=6),)),)
            ),
            "steps[0].targets[0].zone: 6 is outside 1–5",
        ),
        (
            m.Workout("w", m.Sport.RUN, (m.Step(m.Intensity.ACTIVE),)),
            "steps[0].duration: is required for a step without an exercise",
        ),
        (
            m.Workout("w", m.Sport.RUN, (m.Repeat(0, (timed(5),)),)),
            "steps[0].repeat: 0 is outside 1–100",
        ),
        (
            m.Workout(
                "w",
                m.Sport.RUN,
                (
                    m.Step(
                        m.Intensity.ACTIVE,
                        exercise=m.Exercise("Squat", m.ExerciseType.STANDARD, sets=3, reps=5),
                    ),
                ),
            ),
            "steps[0].exercise: exercises need sport strength or other, not run",
        ),
        (
            m.Workout(
                "w",
                m.Sport.STRENGTH,
                (
                    m.Step(
                        m.Intensity.ACTIVE,
                        exercise=m.Exercise("Squat", m.ExerciseType.EMOM, reps=5),
                    ),
                ),
            ),
            "steps[0].exercise.minutes: is required",
        ),
        (
            m.Workout("w", m.Sport.RUN, (m.Repeat(100, (m.Repeat(100, (timed(5),)),)),)),
            "steps: expands to 10000 segments, more than 2000",
        ),
        (
            m.Workout(
                "w",
                m.Sport.RUN,
                (
                    timed(
                        5,
                        targets=(
                            m.Target(m.TargetType.RPE, value=7),
                            m.Target(m.TargetType.RPE, value=8),
                        ),
                    ),
                ),
            ),
            "steps[0].targets[1]: a second rpe target in the same step",
        ),
    ]
    for workout, expected in cases:
        assert expected in [str(p) for p in m.validate(workout)], (expected, m.validate(workout))

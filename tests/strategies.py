"""Hypothesis strategies that build valid workouts of the domain model."""

from __future__ import annotations

from hypothesis import strategies as st

from setpoint.workouts import model as m

ENDURANCE_SPORTS = [m.Sport.RUN, m.Sport.TREADMILL, m.Sport.BIKE, m.Sport.ROW]


def durations() -> st.SearchStrategy[m.Duration]:
    return st.one_of(
        st.builds(m.Duration, st.just(m.DurationType.TIME), seconds=st.integers(1, 3600)),
        st.builds(
            m.Duration, st.just(m.DurationType.DISTANCE), meters=st.integers(1, 42195).map(float)
        ),
        st.just(m.Duration(m.DurationType.OPEN)),
    )


@st.composite
def ranges(draw: st.DrawFn, low: int, high: int) -> tuple[float, float]:
    a = draw(st.integers(low, high))
    b = draw(st.integers(a, high))
    return float(a), float(b)


@st.composite
def targets(draw: st.DrawFn, sport: m.Sport) -> tuple[m.Target, ...]:
    """Up to three targets of distinct types that are valid for the sport."""
    kinds = [
        m.TargetType.HR_ZONE,
        m.TargetType.HR_RANGE,
        m.TargetType.SPEED,
        m.TargetType.PACE,
        m.TargetType.POWER,
        m.TargetType.POWER_PCT_FTP,
        m.TargetType.INCLINE,
        m.TargetType.RPE,
    ]
    if sport in m.CADENCE_SPORTS:
        kinds.append(m.TargetType.CADENCE)
    chosen = draw(st.lists(st.sampled_from(kinds), max_size=3, unique=True))
    if m.TargetType.HR_ZONE in chosen and m.TargetType.HR_RANGE in chosen:
        chosen.remove(m.TargetType.HR_RANGE)
    out = []
    for kind in chosen:
        if kind is m.TargetType.HR_ZONE:
            out.append(m.Target(kind, zone=draw(st.integers(1, 5))))
        elif kind in m.VALUE_TARGETS:
            lo, hi = m.TARGET_BOUNDS[kind]
            out.append(m.Target(kind, value=float(draw(st.integers(int(lo), int(hi))))))
        else:
            lo, hi = m.TARGET_BOUNDS[kind]
            low, high = draw(ranges(max(int(lo), 1), int(hi)))
            out.append(m.Target(kind, low=low, high=high))
    return tuple(out)


@st.composite
def steps(draw: st.DrawFn, sport: m.Sport) -> m.Step:
    return m.Step(
        intensity=draw(st.sampled_from(list(m.Intensity))),
        duration=draw(durations()),
        name=draw(st.none() | st.text(min_size=1, max_size=20).filter(str.strip)),
        targets=draw(targets(sport)),
    )


def blocks(sport: m.Sport, depth: int = 2) -> st.SearchStrategy[m.Block]:
    step = steps(sport)
    if depth == 0:
        return step
    repeat = st.builds(
        m.Repeat,
        st.integers(1, 6),
        st.lists(blocks(sport, depth - 1), min_size=1, max_size=3).map(tuple),
    )
    return st.one_of(step, step, repeat)


@st.composite
def endurance_workouts(draw: st.DrawFn) -> m.Workout:
    """A valid endurance workout with nested repeats and any targets its sport allows."""
    sport = draw(st.sampled_from(ENDURANCE_SPORTS))
    items = draw(st.lists(blocks(sport), min_size=1, max_size=5))
    return m.Workout(draw(st.text(min_size=1, max_size=30).filter(str.strip)), sport, tuple(items))


def exercises() -> st.SearchStrategy[m.Exercise]:
    name = st.sampled_from(["Back squat", "Bench press", "Burpees", "Row", "Push-up"])
    return st.one_of(
        st.builds(
            m.Exercise,
            name,
            st.just(m.ExerciseType.STANDARD),
            sets=st.integers(1, 6),
            reps=st.integers(1, 15),
            weight_kg=st.none() | st.integers(0, 200).map(float),
            rest_s=st.integers(0, 180),
        ),
        st.builds(
            m.Exercise,
            name,
            st.just(m.ExerciseType.EMOM),
            minutes=st.integers(1, 12),
            reps=st.integers(1, 20),
        ),
        st.builds(m.Exercise, name, st.just(m.ExerciseType.AMRAP), cap_s=st.integers(60, 1200)),
        st.builds(
            m.Exercise,
            name,
            st.just(m.ExerciseType.CIRCUIT),
            rounds=st.integers(1, 5),
            rest_s=st.integers(0, 120),
            exercises=st.lists(
                st.builds(m.CircuitMove, name, st.integers(1, 20)), min_size=1, max_size=4
            ).map(tuple),
        ),
    )


@st.composite
def strength_workouts(draw: st.DrawFn) -> m.Workout:
    items: list[m.Block] = []
    for ex in draw(st.lists(exercises(), min_size=1, max_size=4)):
        step = m.Step(m.Intensity.ACTIVE, exercise=ex)
        items.append(m.Repeat(draw(st.integers(1, 3)), (step,)) if draw(st.booleans()) else step)
    return m.Workout("Strength", m.Sport.STRENGTH, tuple(items))

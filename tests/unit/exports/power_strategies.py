"""Hypothesis strategies for timed bike workouts with power targets (ZWO, ERG, MRC)."""

from __future__ import annotations

from hypothesis import strategies as st

from setpoint.workouts import model as m
from tests.strategies import ranges

T = m.TargetType


@st.composite
def power_targets(draw: st.DrawFn) -> tuple[m.Target, ...]:
    """Mostly one power target; sometimes none, a cadence too, or one more unsupported one."""
    out: list[m.Target] = []
    if draw(st.integers(0, 19)) > 0:
        kind = draw(st.sampled_from([T.POWER, T.POWER_PCT_FTP]))
        low, high = draw(ranges(0, int(m.TARGET_BOUNDS[kind][1])))
        out.append(m.Target(kind, low=low, high=high))
    extra = draw(st.sampled_from([*[None] * 12, T.CADENCE, T.CADENCE, T.HR_ZONE]))
    if extra is T.CADENCE:
        low, high = draw(ranges(40, 130))
        out.append(m.Target(T.CADENCE, low=low, high=high))
    elif extra is T.HR_ZONE:
        out.append(m.Target(T.HR_ZONE, zone=draw(st.integers(1, 5))))
    return tuple(out)


@st.composite
def power_steps(draw: st.DrawFn) -> m.Step:
    return m.Step(
        intensity=draw(st.sampled_from(list(m.Intensity))),
        duration=m.Duration(m.DurationType.TIME, seconds=draw(st.integers(1, 3600))),
        name=draw(st.none() | st.text(min_size=1, max_size=12).filter(str.strip)),
        targets=draw(power_targets()),
    )


def power_blocks(depth: int = 2) -> st.SearchStrategy[m.Block]:
    step = power_steps()
    if depth == 0:
        return step
    repeat = st.builds(
        m.Repeat,
        st.integers(1, 5),
        st.lists(power_blocks(depth - 1), min_size=1, max_size=3).map(tuple),
    )
    return st.one_of(step, step, repeat)


@st.composite
def bike_power_workouts(draw: st.DrawFn) -> m.Workout:
    items = draw(st.lists(power_blocks(), min_size=1, max_size=5))
    name = draw(st.text(min_size=1, max_size=20).filter(str.strip))
    return m.Workout(name, m.Sport.BIKE, tuple(items))

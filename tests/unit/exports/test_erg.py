"""ERG and MRC course files, parsed back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.errors import CannotExport
from setpoint.exports.formats import ExportContext
from setpoint.exports.formats.erg import erg_text, mrc_text
from setpoint.workouts import model as m
from setpoint.workouts.normalize import normalize
from tests.strategies import endurance_workouts
from tests.unit.exports.corpus import STRENGTH
from tests.unit.exports.factories import (
    cadence,
    ctx,
    distance,
    hr,
    over_unders_bike,
    pct,
    rep,
    sweet_spot_bike,
    timed,
    watts,
    workout,
)
from tests.unit.exports.power_strategies import bike_power_workouts

T = m.TargetType
POWER = {T.POWER, T.POWER_PCT_FTP}
Writer = Callable[[m.Workout, ExportContext, str], str]


def parse(text: str) -> tuple[dict[str, str], str, list[tuple[float, float]]]:
    """Header `KEY = value` lines, the column line, and the (minute, value) points."""
    lines = text.splitlines()
    assert lines[0] == "[COURSE HEADER]" and lines[-1] == "[END COURSE DATA]"
    end = lines.index("[END COURSE HEADER]")
    assert lines[end + 1] == "[COURSE DATA]"
    header = dict(line.split(" = ", 1) for line in lines[1:end] if " = " in line)
    (columns,) = [line for line in lines[1:end] if " = " not in line]
    points = []
    for line in lines[end + 2 : -1]:
        minute, value = line.split("\t")
        points.append((float(minute), float(value)))
    return header, columns, points


def assert_points_follow_the_plan(points: list[tuple[float, float]], w: m.Workout) -> None:
    segments = normalize(w).segments
    assert len(points) == 2 * len(segments)
    for i, seg in enumerate(segments):
        assert seg.duration_s is not None
        start, end = points[2 * i][0], points[2 * i + 1][0]
        assert abs(start - seg.offset_s / 60) < 1e-4
        assert abs(end - (seg.offset_s + seg.duration_s) / 60) < 1e-4
        if i:  # a step change is two points at the same minute
            assert points[2 * i - 1][0] == start


def expressible(w: m.Workout, context: ExportContext, converted: T) -> bool:
    """What ERG (converted = %FTP) or MRC (converted = watts) hold, from the notes."""
    for step in m.iter_steps(w.steps):
        if step.duration is None or step.duration.type is not m.DurationType.TIME:
            return False
        kinds = [t.type for t in step.targets]
        if len(kinds) != 1 or kinds[0] not in POWER:
            return False
        if kinds[0] is converted and context.ftp_w is None:
            return False
    return True


def test_erg_header_and_points() -> None:
    text = erg_text(sweet_spot_bike(with_cadence=False), ctx(ftp_w=200), "sweet-spot-3x10.erg")
    header, columns, points = parse(text)
    assert header == {
        "VERSION": "2",
        "UNITS": "METRIC",
        "DESCRIPTION": "Three sweet-spot blocks",
        "FILE NAME": "sweet-spot-3x10.erg",
    }
    assert columns == "MINUTES WATTS"
    assert points[:4] == [(0.0, 100.0), (10.0, 150.0), (10.0, 181.0), (20.0, 181.0)]
    assert points[-2:] == [(55.0, 120.0), (60.0, 80.0)]  # the cooldown ramps down
    assert_points_follow_the_plan(points, sweet_spot_bike(with_cadence=False))


def test_mrc_holds_percent_and_converts_watts() -> None:
    _, columns, points = parse(mrc_text(over_unders_bike(), ctx(ftp_w=250), "o.mrc"))
    assert columns == "MINUTES PERCENT"
    assert points[:4] == [(0.0, 48.0), (5.0, 72.0), (5.0, 104.0), (7.0, 104.0)]
    assert_points_follow_the_plan(points, over_unders_bike())


def test_short_steps_keep_their_seconds() -> None:
    w = workout(
        "S", "bike", rep(3, timed(1, "interval", pct(150, 150)), timed(59, "rest", pct(40, 40)))
    )
    _, _, points = parse(mrc_text(w, ctx(), "s.mrc"))
    assert [p[0] for p in points[:4]] == [0.0, 0.0167, 0.0167, 1.0]
    assert_points_follow_the_plan(points, w)


@pytest.mark.parametrize(
    ("writer", "w", "context", "words"),
    [
        (
            erg_text,
            sweet_spot_bike(with_cadence=False),
            ctx(),
            "ERG files hold watts; % FTP targets need",
        ),
        (mrc_text, over_unders_bike(), ctx(), "MRC files hold % FTP; watts need"),
        (erg_text, STRENGTH["strength-day"], ctx(), "steps are timed; an exercise cannot"),
        (
            erg_text,
            workout("D", "bike", distance(500, "active", watts(200, 200))),
            ctx(),
            "a distance step",
        ),
        (
            erg_text,
            workout("H", "bike", timed(60, "active", hr(120, 130))),
            ctx(),
            "a hr_range target",
        ),
        (
            mrc_text,
            workout("C", "bike", timed(60, "active", pct(80, 80), cadence(90, 90))),
            ctx(),
            "steps[0].targets[1]: MRC files hold power only; a cadence target",
        ),
        (erg_text, workout("F", "bike", timed(60)), ctx(), "steps[0]: ERG sets a power"),
        (
            erg_text,
            workout("2", "bike", timed(60, "active", watts(200, 200), pct(80, 80))),
            ctx(ftp_w=250),
            "one power per step",
        ),
    ],
)
def test_what_erg_and_mrc_cannot_hold(
    writer: Writer, w: m.Workout, context: ExportContext, words: str
) -> None:
    with pytest.raises(CannotExport) as raised:
        writer(w, context, "x")
    assert words in raised.value.detail


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(bike_power_workouts(), endurance_workouts()),
    st.sampled_from([ctx(), ctx(ftp_w=250), ctx(ftp_w=250)]),
    st.booleans(),
)
def test_any_workout_is_written_whole_or_refused(
    w: m.Workout, context: ExportContext, as_mrc: bool
) -> None:
    writer, converted = (mrc_text, T.POWER) if as_mrc else (erg_text, T.POWER_PCT_FTP)
    if expressible(w, context, converted):
        _, _, points = parse(writer(w, context, "x"))
        assert_points_follow_the_plan(points, w)
    else:
        with pytest.raises(CannotExport):
            writer(w, context, "x")

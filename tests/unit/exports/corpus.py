"""Hand-authored workouts covering every duration and target type and their edge values."""

from __future__ import annotations

from setpoint.workouts import model as m
from tests.unit.exports.factories import (
    cadence,
    distance,
    exercise_step,
    hr,
    incline,
    open_step,
    over_unders_bike,
    pace,
    pct,
    rep,
    reps,
    rpe,
    speed,
    standard,
    strength_day,
    sweet_spot_bike,
    threshold_run,
    timed,
    watts,
    workout,
    zone,
)

ENDURANCE: dict[str, m.Workout] = {
    "design-example": threshold_run(),
    "sweet-spot": sweet_spot_bike(),
    "over-unders-nested": over_unders_bike(),
    "one-second": workout("1 s", "run", timed(1)),
    "twenty-four-hours": workout("24 h", "run", timed(24 * 3600, "active", zone(1))),
    "hr-bounds": workout(
        "HR bounds",
        "run",
        timed(60, "warmup", hr(30, 30)),
        timed(60, "interval", hr(230, 230)),
        timed(60, "recovery", hr(30, 230)),
        timed(60, "active", zone(1)),
        timed(60, "active", zone(5)),
    ),
    "power-bounds": workout(
        "Power bounds",
        "bike",
        timed(60, "rest", watts(0, 0)),
        timed(60, "interval", watts(2500, 2500)),
        timed(60, "active", pct(0, 0)),
        timed(60, "interval", pct(300, 300)),
    ),
    "speed-bounds": workout(
        "Speed bounds",
        "treadmill",
        timed(60, "active", speed(0.1, 0.1)),
        timed(60, "active", speed(30, 30)),
        timed(60, "active", speed(3.25, 3.755)),
    ),
    "pace-bounds": workout(
        "Pace bounds",
        "run",
        distance(400, "interval", pace(60, 60)),
        distance(400, "recovery", pace(1800, 1800)),
        distance(1000, "active", pace(240, 270)),
    ),
    "cadence-bounds": workout(
        "Cadence",
        "bike",
        timed(60, "active", cadence(0, 0)),
        timed(60, "active", cadence(250, 250)),
        timed(60, "active", watts(200, 220), cadence(85, 95)),
    ),
    "incline-and-rpe": workout(
        "Hills by feel",
        "treadmill",
        timed(300, "active", speed(2.5, 2.5), incline(-10)),
        timed(300, "active", incline(40)),
        timed(300, "active", rpe(1)),
        timed(300, "active", rpe(10), incline(2.5)),
    ),
    "three-targets": workout(
        "Three targets",
        "bike",
        timed(600, "interval", watts(250, 260), cadence(90, 100), zone(4)),
        timed(600, "interval", zone(3), pct(70, 75), incline(3), rpe(6)),
    ),
    "deep-nesting": workout(
        "Deep",
        "run",
        rep(
            2,
            rep(3, rep(4, timed(30, "interval", zone(5)), timed(30, "rest")), timed(60)),
            distance(200),
        ),
        timed(60, "cooldown"),
    ),
    "repeat-first-and-last": workout(
        "Edges",
        "run",
        rep(3, rep(2, timed(10, "interval"), timed(20, "rest"))),
        rep(2, timed(5, "active"), rep(2, timed(15, "interval"), timed(15, "recovery"))),
    ),
    "distance-bounds": workout(
        "Distance bounds",
        "run",
        distance(1, "active"),
        distance(1_000_000, "active"),
        distance(1609.344, "active", name="A mile"),
    ),
    "reps-durations": workout("Drills", "other", reps(20, "active", name="Skips"), reps(1000)),
    "open-only": workout("Open", "row", open_step("active", zone(2)), open_step("rest")),
    "row-pace": workout(
        "Row 4x500",
        "row",
        rep(4, distance(500, "interval", pace(105, 110)), open_step("rest", name="Rest")),
    ),
    "repeat-counts": workout(
        "Counts", "bike", rep(100, timed(1, "interval", watts(300, 300))), rep(1, timed(30))
    ),
    "long-unicode-names": workout(
        "Ünïcödé 🚴 " + "x" * 300,
        "bike",
        timed(60, "active", name="Sprint 🔥 " + "é" * 200),
        timed(60, "active", name="nul\x00inside"),
        description="Description with ümlauts",
    ),
}

STRENGTH: dict[str, m.Workout] = {
    "strength-day": strength_day(),
    "strength-single-set": workout(
        "One set",
        "strength",
        exercise_step(standard("Deadlift", 1, 3, 140.5, 0), name="Heavy single"),
        rep(2, exercise_step(standard("Bench press", 2, 8, 60.0, 90))),
    ),
    "other-mixed": workout(
        "Mixed",
        "other",
        timed(300, "warmup", name="Jog"),
        exercise_step(m.Exercise("Kettlebell swing", m.ExerciseType.AMRAP, cap_s=600)),
    ),
}

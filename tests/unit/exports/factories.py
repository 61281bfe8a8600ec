"""Small factories for export tests: steps, targets, repeats, workouts and a context."""

from __future__ import annotations

from datetime import UTC, datetime

from setpoint.exports.formats import ExportContext
from setpoint.workouts import model as m

T = m.TargetType
CREATED_AT = datetime(2025, 1, 6, 7, 30, tzinfo=UTC)


def ctx(**profile: object) -> ExportContext:
    """A context with a fixed creation time and the given profile values."""
    return ExportContext(created_at=CREATED_AT, **profile)  # type: ignore[arg-type]


def full_ctx() -> ExportContext:
    return ctx(ftp_w=250, max_hr=190, threshold_hr=170, resting_hr=50, source_id="setpoint-golden")


def timed(
    seconds: int, intensity: str = "active", *targets: m.Target, name: str | None = None
) -> m.Step:
    duration = m.Duration(m.DurationType.TIME, seconds=seconds)
    return m.Step(m.Intensity(intensity), duration, name, targets)


def distance(
    meters: float, intensity: str = "active", *targets: m.Target, name: str | None = None
) -> m.Step:
    duration = m.Duration(m.DurationType.DISTANCE, meters=meters)
    return m.Step(m.Intensity(intensity), duration, name, targets)


def open_step(intensity: str = "active", *targets: m.Target, name: str | None = None) -> m.Step:
    return m.Step(m.Intensity(intensity), m.Duration(m.DurationType.OPEN), name, targets)


def reps(
    count: int, intensity: str = "active", *targets: m.Target, name: str | None = None
) -> m.Step:
    duration = m.Duration(m.DurationType.REPS, reps=count)
    return m.Step(m.Intensity(intensity), duration, name, targets)


def zone(z: int) -> m.Target:
    return m.Target(T.HR_ZONE, zone=z)


def rng(kind: m.TargetType, low: float, high: float) -> m.Target:
    return m.Target(kind, low=low, high=high)


def hr(low: float, high: float) -> m.Target:
    return rng(T.HR_RANGE, low, high)


def watts(low: float, high: float) -> m.Target:
    return rng(T.POWER, low, high)


def pct(low: float, high: float) -> m.Target:
    return rng(T.POWER_PCT_FTP, low, high)


def speed(low: float, high: float) -> m.Target:
    return rng(T.SPEED, low, high)


def pace(low: float, high: float) -> m.Target:
    return rng(T.PACE, low, high)


def cadence(low: float, high: float) -> m.Target:
    return rng(T.CADENCE, low, high)


def incline(value: float) -> m.Target:
    return m.Target(T.INCLINE, value=value)


def rpe(value: float) -> m.Target:
    return m.Target(T.RPE, value=value)


def rep(count: int, *steps: m.Block) -> m.Repeat:
    return m.Repeat(count, steps)


def workout(name: str, sport: str, *blocks: m.Block, description: str | None = None) -> m.Workout:
    return m.Workout(name, m.Sport(sport), blocks, description)


def exercise_step(ex: m.Exercise, name: str | None = None) -> m.Step:
    return m.Step(m.Intensity.ACTIVE, name=name, exercise=ex)


def standard(name: str, sets: int, count: int, weight_kg: float | None, rest_s: int) -> m.Exercise:
    return m.Exercise(
        name, m.ExerciseType.STANDARD, sets=sets, reps=count, weight_kg=weight_kg, rest_s=rest_s
    )


def threshold_run() -> m.Workout:
    """The workout."""
    return workout(
        "5x3 min threshold",
        "run",
        timed(600, "warmup", zone(2), name="Warm up"),
        rep(5, timed(180, "interval", hr(150, 165)), timed(120, "recovery")),
        distance(1000, "cooldown"),
        open_step("active", name="Strides"),
    )


def sweet_spot_bike(with_cadence: bool = True) -> m.Workout:
    """%FTP warmup and cooldown ramps, 3 x (10 min + 5 min); ERG/MRC need it without cadence."""
    cues = (cadence(85, 95),) if with_cadence else ()
    return workout(
        "Sweet spot 3x10",
        "bike",
        timed(600, "warmup", pct(50, 75), name="Warm up"),
        rep(
            3,
            timed(600, "interval", pct(88, 93), *cues),
            timed(300, "recovery", pct(55, 55)),
        ),
        timed(300, "cooldown", pct(40, 60)),
        description="Three sweet-spot blocks",
    )


def over_unders_bike() -> m.Workout:
    return workout(
        "Over-unders",
        "bike",
        timed(300, "warmup", watts(120, 180)),
        rep(
            2,
            rep(3, timed(120, "interval", watts(260, 260)), timed(60, "interval", watts(220, 220))),
            timed(240, "rest", watts(120, 120)),
        ),
        timed(30, "active", watts(400, 450), name="Sprint"),
        timed(300, "cooldown", watts(100, 150)),
    )


def strength_day() -> m.Workout:
    circuit = m.Exercise(
        "Core circuit",
        m.ExerciseType.CIRCUIT,
        rounds=3,
        rest_s=60,
        exercises=(m.CircuitMove("Plank", 1), m.CircuitMove("Push-up", 12, 0.0)),
    )
    return workout(
        "Strength A",
        "strength",
        exercise_step(standard("Back squat", 3, 5, 100.0, 120)),
        exercise_step(m.Exercise("Burpees", m.ExerciseType.EMOM, minutes=5, reps=10)),
        exercise_step(m.Exercise("Row", m.ExerciseType.AMRAP, cap_s=300, weight_kg=24.0)),
        exercise_step(circuit),
    )


def treadmill_hills() -> m.Workout:
    """Speed and incline (as generated treadmill workouts have), a zone, a nested repeat."""
    return workout(
        "Treadmill hills",
        "treadmill",
        timed(600, "warmup", speed(2.5, 2.8), incline(1), name="Easy"),
        rep(
            4,
            timed(120, "interval", speed(3.2, 3.2), incline(6), zone(4), name="Climb"),
            timed(90, "recovery", speed(2.4, 2.4), incline(0)),
        ),
        timed(300, "cooldown", speed(2.2, 2.2), name="Walk"),
    )

"""The workout generator's promises, proven on its output."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import combinations, takewhile
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from setpoint.errors import InvalidGeneration
from setpoint.workouts.generate import (
    BIKE_LEVEL_FACTOR,
    GOALS,
    LEVELS,
    SPORTS,
    THRESHOLD_SPEED_MPS,
    Constraints,
    GenerationInputs,
    apply_defaults,
    generate,
    inputs_document,
    inputs_from_document,
)
from setpoint.workouts.model import (
    DurationType,
    Intensity,
    Sport,
    Step,
    Target,
    TargetType,
    Workout,
    validate,
)

MAIN = (Intensity.ACTIVE, Intensity.INTERVAL, Intensity.RECOVERY)
seeds = st.integers(0, 2**53 - 1)


# --- factories and readers ------------------------------------------------------------------


def inputs(
    sport: str = "treadmill",
    minutes: Any = 30,
    goal: str = "intervals",
    level: str = "intermediate",
    **constraints: Any,
) -> GenerationInputs:
    return GenerationInputs(sport, minutes, goal, level, Constraints(**constraints))


def steps(workout: Workout) -> list[Step]:
    out = [s for s in workout.steps if isinstance(s, Step)]
    assert len(out) == len(workout.steps), "a generated workout is a flat list of steps"
    return out


def seconds(step: Step) -> int:
    assert step.duration is not None and step.duration.seconds is not None
    return step.duration.seconds


def target(step: Step, kind: TargetType) -> Target:
    found = [t for t in step.targets if t.type is kind]
    assert len(found) == 1, f"{step.name} has no single {kind} target"
    return found[0]


def speed(step: Step) -> float:
    t = target(step, TargetType.SPEED)
    assert t.low == t.high and t.low is not None
    return t.low


def incline(step: Step) -> float:
    value = target(step, TargetType.INCLINE).value
    assert value is not None
    return value


def power(step: Step) -> float:
    """The middle of the bike power target, in % FTP (or W when an FTP was given)."""
    kinds = {t.type for t in step.targets} & {TargetType.POWER, TargetType.POWER_PCT_FTP}
    t = target(step, kinds.pop())
    assert t.low is not None and t.high is not None
    return (t.low + t.high) / 2


def effort(step: Step, given: GenerationInputs) -> float:
    """The step's effort as a fraction of the athlete's threshold (speed by level, or FTP
    scaled by level): comparable across sports and levels."""
    if given.sport == "treadmill":
        return speed(step) / THRESHOLD_SPEED_MPS[given.level]
    per_unit = given.constraints.ftp_w or 100  # W per FTP, or % FTP per FTP
    return power(step) / per_unit / BIKE_LEVEL_FACTOR[given.level]


def main_set(workout: Workout) -> list[Step]:
    return [s for s in steps(workout) if s.intensity in MAIN]


def plan(workout: Workout) -> tuple[Step, ...]:
    return tuple(steps(workout))


# --- strategies ------------------------------------------------------------------------------


@st.composite
def any_inputs(draw: st.DrawFn, sport: str | None = None) -> GenerationInputs:
    """Every valid input, awkward constraints included (narrow or odd segment bounds,
    speed limits below every target, a flat belt)."""
    sport = sport or draw(st.sampled_from(SPORTS))
    minutes = draw(st.integers(10, 300))
    lo = draw(st.none() | st.integers(10, min(3600, minutes * 20)))
    floor = lo or 10
    hi = draw(st.none() | st.integers(floor, floor + 20) | st.integers(floor, 3600))
    kw: dict[str, object] = {"min_segment_s": lo, "max_segment_s": hi}
    if sport == "treadmill":
        low = draw(st.none() | st.floats(0.3, 10.0))
        kw["min_speed_mps"] = low
        kw["max_speed_mps"] = draw(st.none() | st.floats(low or 0.3, 10.0))
        kw["max_incline_pct"] = draw(st.none() | st.just(0.0) | st.floats(0.0, 30.0))
    else:
        kw["ftp_w"] = draw(st.none() | st.integers(50, 1000))
    given = inputs(
        sport, minutes, draw(st.sampled_from(GOALS)), level=draw(st.sampled_from(LEVELS)), **kw
    )
    try:
        apply_defaults(given)
    except InvalidGeneration:
        assume(False)  # the segment bounds cannot fill this time; tested separately
    return given


def typical_inputs(
    minutes: st.SearchStrategy[int] = st.integers(20, 180), goal: str | None = None
) -> st.SearchStrategy[GenerationInputs]:
    """Default constraints (bike with or without an FTP): the everyday request."""
    return st.builds(
        lambda sport, m, goal, level, ftp: inputs(
            sport, m, goal, level=level, ftp_w=ftp if sport == "bike" else None
        ),
        st.sampled_from(SPORTS),
        minutes,
        st.just(goal) if goal else st.sampled_from(GOALS),
        st.sampled_from(LEVELS),
        st.none() | st.integers(100, 400),
    )


# --- determinism -----------------------------------------------------------------------------


@given(any_inputs(), seeds)
def test_same_inputs_and_seed_give_the_identical_workout(
    given_inputs: GenerationInputs, seed: int
) -> None:
    rebuilt = inputs_from_document(json.loads(json.dumps(inputs_document(given_inputs))))
    assert generate(given_inputs, seed) == generate(rebuilt, seed)


@given(typical_inputs(), seeds, seeds)
def test_a_different_seed_gives_a_different_plan(
    given_inputs: GenerationInputs, a: int, b: int
) -> None:
    assume(a != b)
    assert plan(generate(given_inputs, a)) != plan(generate(given_inputs, b))


def test_thirty_seeds_of_one_request_give_thirty_plans() -> None:
    given_inputs = inputs("bike", 20, "tempo", level="beginner")
    assert len({plan(generate(given_inputs, seed)) for seed in range(30)}) == 30


@pytest.mark.parametrize("sport", SPORTS)
def test_any_change_of_inputs_gives_a_different_plan(sport: str) -> None:
    base: dict[str, Any] = {"sport": sport, "minutes": 40, "goal": "intervals"}
    variants = [
        base,
        {**base, "minutes": 41},
        *({**base, "goal": goal} for goal in GOALS if goal != "intervals"),
        *({**base, "level": level} for level in LEVELS if level != "intermediate"),
        {**base, "min_segment_s": 40},
        {**base, "max_segment_s": 900},
        # limits that no target of the default plan reaches still change the plan
        *(
            [{**base, "max_speed_mps": 6.5}, {**base, "max_incline_pct": 12.0}]
            if sport == "treadmill"
            else [{**base, "ftp_w": 250}, {**base, "ftp_w": 251}]
        ),
    ]
    plans = [plan(generate(inputs(**v), 7)) for v in variants]
    for (i, p), (j, q) in combinations(enumerate(plans), 2):
        assert p != q, f"{variants[i]} and {variants[j]} gave the same plan"


# --- shape and constraints -------------------------------------------------------------------


@given(any_inputs(), seeds)
@settings(max_examples=200)
def test_plan_is_valid_timed_steps_that_fill_the_time_within_the_segment_bounds(
    given_inputs: GenerationInputs, seed: int
) -> None:
    workout = generate(given_inputs, seed)
    c = apply_defaults(given_inputs).constraints
    assert c.min_segment_s is not None and c.max_segment_s is not None
    assert validate(workout) == []
    assert workout.sport is Sport(given_inputs.sport)
    assert all(
        s.duration is not None and s.duration.type is DurationType.TIME for s in steps(workout)
    )
    durations = [seconds(s) for s in steps(workout)]
    assert sum(durations) == given_inputs.duration_min * 60
    assert all(c.min_segment_s <= d <= c.max_segment_s for d in durations)
    if c.min_segment_s % 5 == 0 and c.max_segment_s % 5 == 0:
        assert all(d % 5 == 0 for d in durations), "quantised to 5 s when the bounds allow"


def test_name_says_sport_goal_and_duration() -> None:
    assert generate(inputs("treadmill", 30, "intervals"), 1).name == "Treadmill intervals · 30 min"
    assert generate(inputs("bike", 45, "fat_burn"), 1).name == "Bike fat burn · 45 min"


@given(any_inputs("treadmill"), seeds)
def test_treadmill_speed_and_incline_stay_within_the_constraints(
    given_inputs: GenerationInputs, seed: int
) -> None:
    c = apply_defaults(given_inputs).constraints
    assert c.min_speed_mps is not None and c.max_speed_mps is not None
    assert c.max_incline_pct is not None
    for step in steps(generate(given_inputs, seed)):
        assert c.min_speed_mps <= speed(step) <= c.max_speed_mps
        assert 0.0 <= incline(step) <= c.max_incline_pct
        assert {t.type for t in step.targets} == {TargetType.SPEED, TargetType.INCLINE}
        if c.max_speed_mps - c.min_speed_mps >= 0.05:
            assert speed(step) * 20 == pytest.approx(round(speed(step) * 20)), "0.05 m/s steps"


@given(any_inputs("bike"), seeds)
def test_bike_power_stays_sane_relative_to_ftp(given_inputs: GenerationInputs, seed: int) -> None:
    ftp = given_inputs.constraints.ftp_w
    for step in steps(generate(given_inputs, seed)):
        kind = TargetType.POWER if ftp else TargetType.POWER_PCT_FTP
        t = target(step, kind)
        assert t.low is not None and t.high is not None
        scale = ftp / 100 if ftp else 1.0
        assert 30 * scale <= t.low < t.high <= 150 * scale
        assert not {TargetType.SPEED, TargetType.INCLINE} & {x.type for x in step.targets}


@given(any_inputs(), seeds)
def test_a_warm_up_opens_and_a_cool_down_closes_every_workout(
    given_inputs: GenerationInputs, seed: int
) -> None:
    all_steps = steps(generate(given_inputs, seed))
    kinds = [s.intensity for s in all_steps]
    head = len(list(takewhile(lambda k: k is Intensity.WARMUP, kinds)))
    tail = len(list(takewhile(lambda k: k is Intensity.COOLDOWN, reversed(kinds))))
    middle = kinds[head : len(kinds) - tail]
    assert head >= 1 and tail >= 1
    assert middle and all(k in MAIN for k in middle), "the main set lies in between"
    value = speed if given_inputs.sport == "treadmill" else power
    warm_up = [value(s) for s in all_steps[:head]]
    cool_down = [value(s) for s in all_steps[len(all_steps) - tail :]]
    assert warm_up == sorted(warm_up), "the warm-up ramps up"
    assert cool_down == sorted(cool_down, reverse=True), "the cool-down ramps down"


def test_a_short_maximum_makes_the_warm_up_ramp_in_several_steps() -> None:
    workout = generate(inputs("treadmill", 60, "endurance", max_segment_s=120), 3)
    warm = [s for s in steps(workout) if s.intensity is Intensity.WARMUP]
    assert len(warm) >= 3
    assert speed(warm[-1]) > speed(warm[0]), "the warm-up ramps up"


# --- goals -----------------------------------------------------------------------------------


@given(typical_inputs(st.integers(20, 300), "intervals"), seeds)
def test_intervals_alternate_hard_reps_and_easy_recoveries(
    given_inputs: GenerationInputs, seed: int
) -> None:
    main = main_set(generate(given_inputs, seed))
    reps = [s for s in main if s.intensity is not Intensity.ACTIVE]
    assert main[len(main) - len(reps) :] == reps, "a steady lead-in may only come first"
    assert len(reps) >= 6 and len(reps) % 2 == 0
    for hard, easy in zip(reps[::2], reps[1::2], strict=True):
        assert (hard.intensity, easy.intensity) == (Intensity.INTERVAL, Intensity.RECOVERY)
        assert effort(hard, given_inputs) >= 1.0, "hard reps at or above threshold"
        assert effort(easy, given_inputs) < 0.8, "easy recoveries"


@given(typical_inputs(st.integers(20, 300), "hills"), seeds)
def test_hills_climb(given_inputs: GenerationInputs, seed: int) -> None:
    main = main_set(generate(given_inputs, seed))
    climbs = [s for s in main if s.intensity is Intensity.INTERVAL]
    flats = [s for s in main if s.intensity is Intensity.RECOVERY]
    assert len(climbs) >= 3
    if given_inputs.sport == "treadmill":
        assert all(incline(s) >= 4.0 for s in climbs)
        assert all(incline(s) <= 1.0 for s in flats)
    else:
        assert all((target(s, TargetType.CADENCE).high or 999) <= 75 for s in climbs)
        assert all((target(s, TargetType.CADENCE).low or 0) >= 85 for s in flats)
        assert min(power(s) for s in climbs) > max(power(s) for s in flats)


@given(typical_inputs(st.integers(30, 300), "tempo"), seeds)
def test_tempo_holds_long_sustained_blocks_at_tempo_effort(
    given_inputs: GenerationInputs, seed: int
) -> None:
    main = main_set(generate(given_inputs, seed))
    at_tempo = [0.8 <= effort(s, given_inputs) <= 0.98 for s in main]
    tempo_s = sum(seconds(s) for s, t in zip(main, at_tempo, strict=True) if t)
    assert tempo_s >= 0.6 * sum(seconds(s) for s in main)
    runs, run = [], 0
    for s, t in zip(main, at_tempo, strict=True):
        run = run + seconds(s) if t else 0
        runs.append(run)
    assert max(runs) >= 8 * 60, "at least one unbroken tempo block of 8 minutes"


@given(typical_inputs(st.integers(20, 300), "endurance"), seeds)
def test_endurance_is_long_steady_moderate_blocks(
    given_inputs: GenerationInputs, seed: int
) -> None:
    main = main_set(generate(given_inputs, seed))
    efforts = [effort(s, given_inputs) for s in main]
    assert all(s.intensity is Intensity.ACTIVE and seconds(s) >= 5 * 60 for s in main)
    assert all(0.62 <= e <= 0.9 for e in efforts)
    assert max(efforts) - min(efforts) <= 0.08


@given(any_inputs(), seeds)
def test_recovery_never_goes_above_easy(given_inputs: GenerationInputs, seed: int) -> None:
    given_inputs = replace(given_inputs, goal="recovery")
    workout = generate(given_inputs, seed)
    assert Intensity.INTERVAL not in {s.intensity for s in steps(workout)}
    if given_inputs.sport == "bike":
        assert all(effort(s, given_inputs) <= 0.55 for s in steps(workout))
    else:  # unless the slowest speed allowed (in 0.05 m/s steps) is faster than easy
        floor = apply_defaults(given_inputs).constraints.min_speed_mps or 0.0
        easy = max(0.75 * THRESHOLD_SPEED_MPS[given_inputs.level], floor + 0.05)
        assert all(speed(s) <= easy and incline(s) <= 1.0 for s in steps(workout))


@given(typical_inputs(st.integers(20, 300), "fat_burn"), seeds)
def test_fat_burn_is_steady_zone_two_with_gentle_undulation(
    given_inputs: GenerationInputs, seed: int
) -> None:
    main = main_set(generate(given_inputs, seed))
    efforts = [effort(s, given_inputs) for s in main]
    assert len(main) >= 3 and all(s.intensity is Intensity.ACTIVE for s in main)
    assert all(0.55 <= e <= 0.9 for e in efforts)
    assert 0 < max(efforts) - min(efforts) <= 0.15
    for before, lift, after in zip(efforts[::2], efforts[1::2], efforts[2::2], strict=False):
        assert lift > before and lift > after, "every other block lifts"


@given(st.sampled_from(SPORTS), st.sampled_from(GOALS), st.integers(10, 300), seeds)
def test_advanced_is_harder_than_beginner(sport: str, goal: str, minutes: int, seed: int) -> None:
    def measure(level: str) -> tuple[float, float]:
        all_steps = steps(generate(inputs(sport, minutes, goal, level=level), seed))
        value = speed if sport == "treadmill" else power
        mean = sum(value(s) * seconds(s) for s in all_steps) / (minutes * 60)
        return max(value(s) for s in all_steps), mean

    (peak_b, mean_b), (peak_a, mean_a) = measure("beginner"), measure("advanced")
    assert peak_a > peak_b and mean_a > mean_b


# --- inputs ----------------------------------------------------------------------------------


def test_defaults_are_filled_per_sport() -> None:
    treadmill = apply_defaults(inputs("treadmill", 30, "tempo")).constraints
    assert treadmill == Constraints(6.7, 0.8, 15.0, None, 30, 1200)
    bike = apply_defaults(inputs("bike", 30, "tempo", ftp_w=250)).constraints
    assert bike == Constraints(ftp_w=250, min_segment_s=30, max_segment_s=1200)
    # a given bound moves the default on its other side out of the way
    assert apply_defaults(inputs(max_segment_s=20)).constraints.min_segment_s == 20
    assert apply_defaults(inputs(min_speed_mps=7.0)).constraints.max_speed_mps == 7.0


@given(any_inputs())
def test_applying_defaults_twice_changes_nothing(given_inputs: GenerationInputs) -> None:
    applied = apply_defaults(given_inputs)
    assert apply_defaults(applied) == applied
    assert inputs_from_document(inputs_document(applied)) == applied


@pytest.mark.parametrize(
    ("given_inputs", "problem"),
    [
        (inputs(minutes=3), "duration_min: 3 is outside 10–300"),
        (inputs(minutes=301), "duration_min: 301 is outside 10–300"),
        (inputs(minutes=30.5), "duration_min: must be a whole number"),
        (inputs(sport="run"), "sport: 'run' is not one of treadmill, bike"),
        (inputs(goal="sprint"), "goal: 'sprint' is not one of endurance"),
        (inputs(level="elite"), "level: 'elite' is not one of beginner"),
        (
            inputs(min_segment_s=400, max_segment_s=300),
            "constraints.min_segment_s: 400 > max_segment_s 300",
        ),
        (
            inputs(minutes=30, min_segment_s=900),
            "constraints.min_segment_s: 3 segments of at least 900 s do not fit in 30 min",
        ),
        (
            inputs(minutes=17, min_segment_s=300, max_segment_s=310),
            "constraints.max_segment_s: no number of segments of 300–310 s adds up to 17 min",
        ),
        (inputs(min_segment_s=5), "constraints.min_segment_s: 5 is outside 10–3600"),
        (inputs(max_segment_s=4000), "constraints.max_segment_s: 4000 is outside 10–3600"),
        (inputs(max_segment_s=True), "constraints.max_segment_s: must be a whole number"),
        (
            inputs(max_speed_mps=1.0, min_speed_mps=2.0),
            "constraints.max_speed_mps: 1 < min_speed_mps 2",
        ),
        (inputs(max_speed_mps=float("nan")), "constraints.max_speed_mps: nan is outside 0.3–10"),
        (inputs(max_speed_mps="fast"), "constraints.max_speed_mps: must be a number"),
        (inputs(max_incline_pct=-1.0), "constraints.max_incline_pct: -1 is outside 0–30"),
        (inputs(ftp_w=250), "constraints.ftp_w applies to bike only"),
        (
            inputs("bike", max_incline_pct=5.0),
            "constraints.max_incline_pct applies to treadmill only",
        ),
        (inputs("bike", max_speed_mps=5.0), "constraints.max_speed_mps applies to treadmill only"),
        (inputs("bike", ftp_w=20), "constraints.ftp_w: 20 is outside 50–1000"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(
    given_inputs: GenerationInputs, problem: str
) -> None:
    with pytest.raises(InvalidGeneration) as refused:
        apply_defaults(given_inputs)
    assert any(p.startswith(problem) for p in refused.value.extra["problems"]), refused.value.detail
    with pytest.raises(InvalidGeneration):
        generate(given_inputs, 1)


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidGeneration) as refused:
        apply_defaults(inputs("bike", 3, "sprint", level="elite", max_speed_mps=5.0))
    fields = [p.split(":")[0].split(" ")[0] for p in refused.value.extra["problems"]]
    assert fields == ["goal", "level", "duration_min", "constraints.max_speed_mps"]


@given(st.integers(10, 300), st.integers(10, 3600), st.integers(10, 3600))
def test_segment_bounds_are_refused_exactly_when_no_segment_count_fits(
    minutes: int, lo: int, hi: int
) -> None:
    assume(lo <= hi)
    total = minutes * 60
    fits = any(n * lo <= total <= n * hi for n in range(3, total // lo + 1))
    given_inputs = inputs("bike", minutes, "endurance", min_segment_s=lo, max_segment_s=hi)
    try:
        apply_defaults(given_inputs)
        accepted = True
    except InvalidGeneration:
        accepted = False
    assert accepted == fits
    if accepted:
        assert sum(seconds(s) for s in steps(generate(given_inputs, 0))) == total


def test_inputs_document_is_json_with_constraints_nested() -> None:
    applied = apply_defaults(inputs("bike", 45, "hills", level="advanced", ftp_w=280))
    doc = inputs_document(applied)
    assert json.loads(json.dumps(doc)) == {
        "sport": "bike",
        "duration_min": 45,
        "goal": "hills",
        "level": "advanced",
        "constraints": {"ftp_w": 280, "min_segment_s": 30, "max_segment_s": 1200},
    }
    assert inputs_from_document(doc) == applied
    assert inputs_from_document({"sport": "bike", "duration_min": 45, "goal": "hills"}) == inputs(
        "bike", 45, "hills"
    )


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"duration_min": 30, "goal": "tempo"}, "sport: is required"),
        ({"sport": "bike", "duration_min": 30, "goal": "tempo", "seed": 4}, "seed: is not"),
        (
            {"sport": "bike", "duration_min": 30, "goal": "tempo", "constraints": {"watts": 1}},
            "constraints.watts: is not a constraint",
        ),
        ({"sport": "bike", "duration_min": 30, "goal": "tempo", "constraints": 5}, "constraints:"),
        ([1, 2], "inputs: must be an object"),
    ],
)
def test_documents_of_the_wrong_shape_are_refused(doc: object, problem: str) -> None:
    with pytest.raises(InvalidGeneration) as refused:
        inputs_from_document(doc)  # type: ignore[arg-type]
    assert any(p.startswith(problem) for p in refused.value.extra["problems"])

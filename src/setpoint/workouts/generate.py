"""Generated treadmill and bike workouts: pure and deterministic.

`generate(inputs, seed)` checks the inputs and fills their defaults (`apply_defaults`), then
draws a goal-shaped plan from a `random.Random` seeded with the seed *and* the applied inputs:
the same inputs and seed give the same workout, and changing either gives another one (even a
constraint no target reaches). Efforts are fractions of the athlete's threshold (treadmill: a
speed per level; bike: FTP, scaled per level). Durations are fitted last, so every segment
stays within the segment bounds and together they fill the requested time to the second.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from setpoint.errors import InvalidGeneration
from setpoint.workouts.model import (
    Duration,
    DurationType,
    Intensity,
    Sport,
    Step,
    Target,
    TargetType,
    Workout,
)

T = TypeVar("T")

SPORTS = ("treadmill", "bike")
GOALS = ("endurance", "intervals", "hills", "tempo", "recovery", "fat_burn")
LEVELS = ("beginner", "intermediate", "advanced")
DURATION_MIN = (10, 300)
DEFAULT_SEGMENT_S = (30, 1200)
DEFAULT_SPEED_MPS = (0.8, 6.7)
DEFAULT_MAX_INCLINE_PCT = 15.0
# Each constraint: the values accepted, whole numbers only, the sport it applies to (None: both).
CONSTRAINTS: dict[str, tuple[tuple[float, float], bool, str | None]] = {
    "max_speed_mps": ((0.3, 10.0), False, "treadmill"),
    "min_speed_mps": ((0.3, 10.0), False, "treadmill"),
    "max_incline_pct": ((0.0, 30.0), False, "treadmill"),
    "ftp_w": ((50, 1000), True, "bike"),
    "min_segment_s": ((10, 3600), True, None),
    "max_segment_s": ((10, 3600), True, None),
}
THRESHOLD_SPEED_MPS = {"beginner": 2.8, "intermediate": 3.4, "advanced": 4.0}
BIKE_LEVEL_FACTOR = {"beginner": 0.9, "intermediate": 1.0, "advanced": 1.08}
CLIMB_INCLINE_PCT = {"beginner": 6.0, "intermediate": 8.0, "advanced": 10.0}
QUANTUM_S = 5
# Effort of each kind of segment: (fraction of threshold speed, fraction of FTP).
EFFORT = {
    "warm": (0.62, 0.42),
    "easy": (0.70, 0.50),
    "zone2": (0.78, 0.62),
    "steady": (0.84, 0.70),
    "tempo": (0.92, 0.85),
    "climb": (0.80, 0.92),
    "hard": (1.08, 1.10),
}
# Work/rest pairs per level (beginner, intermediate, advanced): work length (s), rest/work.
PAIRS = {
    "intervals": (((60, 120), (1.0, 1.5)), ((60, 240), (0.75, 1.0)), ((120, 300), (0.5, 0.75))),
    "hills": (((60, 120), (1.0, 1.3)), ((90, 180), (0.8, 1.1)), ((120, 240), (0.6, 0.9))),
}


@dataclass(frozen=True, slots=True)
class Constraints:
    max_speed_mps: float | None = None
    min_speed_mps: float | None = None
    max_incline_pct: float | None = None
    ftp_w: int | None = None
    min_segment_s: int | None = None
    max_segment_s: int | None = None


@dataclass(frozen=True, slots=True)
class GenerationInputs:
    sport: str
    duration_min: int
    goal: str
    level: str = "intermediate"
    constraints: Constraints = Constraints()


# --- inputs ---------------------------------------------------------------------------------


def apply_defaults(inputs: GenerationInputs) -> GenerationInputs:
    """The inputs as applied: checked, every constraint default of the sport filled in.
    Raises `InvalidGeneration` naming each bad field, or the fields that cannot all hold."""
    problems: list[str] = []
    for name, allowed in (("sport", SPORTS), ("goal", GOALS), ("level", LEVELS)):
        if (value := getattr(inputs, name)) not in allowed:
            problems.append(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    _check_number(problems, "duration_min", inputs.duration_min, DURATION_MIN, whole=True)
    for name, (bounds, whole, sport) in CONSTRAINTS.items():
        if (value := getattr(inputs.constraints, name)) is not None:
            _check_number(problems, f"constraints.{name}", value, bounds, whole)
            if sport not in (None, inputs.sport) and inputs.sport in SPORTS:
                problems.append(f"constraints.{name} applies to {sport} only")
    if problems:
        raise InvalidGeneration(problems)
    c = _filled(inputs.sport, inputs.constraints)
    lo, hi, minutes = c.min_segment_s or 0, c.max_segment_s or 0, inputs.duration_min
    low_mps, high_mps = c.min_speed_mps or 0.0, c.max_speed_mps or 0.0
    if high_mps < low_mps:  # both 0.0 for bike
        problems.append(f"constraints.max_speed_mps: {high_mps:g} < min_speed_mps {low_mps:g}")
    if lo > hi:
        problems.append(f"constraints.min_segment_s: {lo} > max_segment_s {hi}")
    elif 3 * lo > minutes * 60:
        problems.append(
            f"constraints.min_segment_s: 3 segments of at least {lo} s do not fit in {minutes} min"
        )
    elif _segment_counts(minutes * 60, lo, hi) is None:
        problems.append(
            f"constraints.max_segment_s: no number of segments of {_between(lo, hi)} s "
            f"adds up to {minutes} min"
        )
    if problems:
        raise InvalidGeneration(problems)
    return replace(inputs, constraints=c)


def _check_number(
    problems: list[str], path: str, value: object, bounds: tuple[float, float], whole: bool
) -> None:
    if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
        problems.append(f"{path}: must be {'a whole number' if whole else 'a number'}")
    elif not bounds[0] <= value <= bounds[1]:  # also refuses NaN
        problems.append(f"{path}: {value:g} is outside {_between(*bounds)}")


def _between(low: float, high: float) -> str:
    return f"{low:g}\N{EN DASH}{high:g}"


def _filled(sport: str, c: Constraints) -> Constraints:
    """Defaults that make way for a given bound (a max_segment_s of 20 lowers the minimum)."""
    lo = _given(c.min_segment_s, min(DEFAULT_SEGMENT_S[0], c.max_segment_s or 3600))
    hi = _given(c.max_segment_s, max(DEFAULT_SEGMENT_S[1], lo))
    if sport == "bike":
        return Constraints(ftp_w=c.ftp_w, min_segment_s=lo, max_segment_s=hi)
    low = float(_given(c.min_speed_mps, min(DEFAULT_SPEED_MPS[0], c.max_speed_mps or 10.0)))
    high = float(_given(c.max_speed_mps, max(DEFAULT_SPEED_MPS[1], low)))
    incline = float(_given(c.max_incline_pct, DEFAULT_MAX_INCLINE_PCT))
    return Constraints(high, low, incline, None, lo, hi)


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


def _segment_counts(total_s: int, lo: int, hi: int) -> tuple[int, int] | None:
    """The fewest and most segments (at least 3) that can fill total_s within [lo, hi]."""
    fewest, most = max(3, -(-total_s // hi)), total_s // lo
    return (fewest, most) if fewest <= most else None


def inputs_document(inputs: GenerationInputs) -> dict[str, Any]:
    """The inputs as a JSON-able dict, constraints nested and unset ones left out.
    Pass `apply_defaults(inputs)` to record the inputs as applied."""
    doc = {f.name: getattr(inputs, f.name) for f in fields(GenerationInputs)}
    values = {name: getattr(inputs.constraints, name) for name in CONSTRAINTS}
    return doc | {"constraints": {k: v for k, v in values.items() if v is not None}}


def inputs_from_document(doc: Mapping[str, Any]) -> GenerationInputs:
    """The inverse of `inputs_document`. Checks the shape only (required and unknown fields);
    `apply_defaults` (which `generate` calls) checks the values."""
    if not isinstance(doc, Mapping):
        raise InvalidGeneration(["inputs: must be an object"])
    known = [f.name for f in fields(GenerationInputs)]
    problems = [f"{key}: is not a generation input" for key in doc if key not in known]
    problems += [f"{key}: is required" for key in known[:3] if key not in doc]
    raw = _given(doc.get("constraints"), {})
    if not isinstance(raw, Mapping):
        problems.append("constraints: must be an object")
    else:
        problems += [f"constraints.{k}: is not a constraint" for k in raw if k not in CONSTRAINTS]
    if problems:
        raise InvalidGeneration(problems)
    level = _given(doc.get("level"), "intermediate")
    return GenerationInputs(
        doc["sport"], doc["duration_min"], doc["goal"], level, Constraints(**raw)
    )


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draft:
    """A segment before its duration is fitted; `effort` is a fraction of threshold or FTP."""

    intensity: Intensity
    name: str
    seconds: float
    effort: float
    incline_pct: float | None = None  # None: the workout's flat incline
    cadence_rpm: int | None = None
    flex: bool = True  # takes up leftover time before work/rest pairs do


@dataclass(frozen=True, slots=True)
class _Ctx:
    inputs: GenerationInputs
    rng: random.Random
    lo: int
    hi: int
    flat_pct: float  # per workout: the incline of "flat" treadmill running
    vigour: float  # per workout: scales every effort

    @property
    def rank(self) -> int:
        return LEVELS.index(self.inputs.level)

    def effort(self, kind: str, wobble: float = 0.02) -> float:
        """A freshly drawn effort of this kind for this sport."""
        base = EFFORT[kind][SPORTS.index(self.inputs.sport)]
        return base * self.rng.uniform(1 - wobble, 1 + wobble)

    def span(self, low_s: int, high_s: int) -> int:
        """A random multiple of 5 s from low_s to high_s, kept within the segment bounds."""
        low = -(-min(max(low_s, self.lo), self.hi) // QUANTUM_S)
        return self.rng.randint(low, max(low, min(high_s, self.hi) // QUANTUM_S)) * QUANTUM_S


def generate(inputs: GenerationInputs, seed: int) -> Workout:
    """The workout for these inputs (defaults applied first) and seed."""
    applied = apply_defaults(inputs)
    c, total_s = applied.constraints, applied.duration_min * 60
    lo, hi = c.min_segment_s or 0, c.max_segment_s or 0
    rng = random.Random(f"{seed}|{json.dumps(inputs_document(applied), sort_keys=True)}")
    ctx = _Ctx(applied, rng, lo, hi, rng.choice((0.0, 0.5, 1.0)), rng.uniform(0.97, 1.03))
    warm_s = max(lo, min(max(total_s * rng.uniform(0.1, 0.22), 60), 900))
    cool_s = max(lo, min(max(total_s * rng.uniform(0.06, 0.15), 60), 600))
    drafts = [
        *_ramp(ctx, Intensity.WARMUP, "Warm up", warm_s, "warm", "easy"),
        *MAIN_SETS[applied.goal](ctx, round(total_s - warm_s - cool_s)),
        *_ramp(ctx, Intensity.COOLDOWN, "Cool down", cool_s, "easy", "warm"),
    ]
    counts = _segment_counts(total_s, lo, hi)
    assert counts is not None, "apply_defaults checked that the time can be split"
    drafts = _fit_count(drafts, *counts)
    seconds = _fit_seconds([d.seconds for d in drafts], [d.flex for d in drafts], total_s, lo, hi)
    steps = tuple(
        Step(d.intensity, Duration(DurationType.TIME, seconds=s), d.name, _targets(ctx, d))
        for d, s in zip(drafts, seconds, strict=True)
    )
    goal = applied.goal.replace("_", " ")
    name = f"{applied.sport.capitalize()} {goal} · {applied.duration_min} min"
    return Workout(name, Sport(applied.sport), steps, f"Generated {applied.level} {goal} session.")


def _blocks(ctx: _Ctx, budget: float, length_s: float, at_least: int = 1) -> list[list[float]]:
    """`budget` cut into uneven blocks of about `length_s` (`at_least` of them while each stays
    above two minutes and the minimum), each block in equal pieces within the maximum."""
    n = max(1, round(budget / length_s), min(at_least, int(budget // max(ctx.lo, 120))))
    weights = [ctx.rng.uniform(0.85, 1.15) for _ in range(n)]
    blocks = [budget * w / sum(weights) for w in weights]
    return [[s / k] * k for s in blocks for k in [math.ceil(s / ctx.hi)]]


def _run(
    block: list[float], name: str, effort: float, incline: float | None = None
) -> list[_Draft]:
    """The pieces of one block: a single active effort."""
    return [_Draft(Intensity.ACTIVE, name, s, effort, incline) for s in block]


def _ramp(
    ctx: _Ctx, intensity: Intensity, name: str, seconds: float, start: str, end: str
) -> list[_Draft]:
    """One to three steps (more if the maximum forces it) from the start to the end effort."""
    blocks = _blocks(ctx, seconds, seconds / min(3, max(1, seconds // max(ctx.lo, 90))))
    pieces = [s for block in blocks for s in block]
    k, a, b = len(pieces), ctx.effort(start), ctx.effort(end)
    return [
        _Draft(
            intensity, f"{name} {i + 1}/{k}" if k > 1 else name, s, a + (b - a) * (i + 1) / (k + 1)
        )
        for i, s in enumerate(pieces)
    ]


def _pairs(
    ctx: _Ctx, budget: int, work: Callable[[int, int], _Draft], rest: Callable[[int, int], _Draft]
) -> list[_Draft]:
    """Work/rest pairs (at least three when they fit), leftover time as a steady lead-in."""
    work_s, ratio = PAIRS[ctx.inputs.goal][ctx.rank]
    rep = ctx.span(*work_s)
    rec = ctx.span(round(rep * ratio[0]), round(rep * ratio[1]))
    if budget < 3 * (rep + rec):
        scale = budget / (3 * (rep + rec))
        rep, rec = (max(ctx.lo, int(x * scale) // QUANTUM_S * QUANTUM_S) for x in (rep, rec))
    reps = min((8, 12, 16)[ctx.rank], budget // (rep + rec))
    if reps == 0:
        return [work(0, budget)]
    lead = budget - reps * (rep + rec)
    drafts: list[_Draft] = []
    for block in _blocks(ctx, lead, 900) if lead >= max(ctx.lo, 180) else []:
        drafts += _run(block, "Steady", ctx.effort("steady"))
    for i in range(reps):
        drafts += [work(i, rep), rest(i, rec)]
    return drafts


def _intervals(ctx: _Ctx, budget: int) -> list[_Draft]:
    hard, easy = ctx.effort("hard"), ctx.effort("easy")
    return _pairs(
        ctx,
        budget,
        lambda i, s: _Draft(Intensity.INTERVAL, f"Hard {i + 1}", s, hard, flex=False),
        lambda i, s: _Draft(Intensity.RECOVERY, "Easy", s, easy, flex=False),
    )


def _hills(ctx: _Ctx, budget: int) -> list[_Draft]:
    """Treadmill: climbs of 4 % or more; bike: climbs at higher power and low cadence."""
    rng, bike = ctx.rng, ctx.inputs.sport == "bike"
    top = min(CLIMB_INCLINE_PCT[ctx.inputs.level], ctx.inputs.constraints.max_incline_pct or 0.0)
    climb, flat = ctx.effort("climb"), ctx.effort("easy")

    def up(i: int, s: int) -> _Draft:
        incline = 0.0 if bike else rng.uniform(min(4.0, top), top)
        cadence = rng.choice((55, 60, 65)) if bike else None
        return _Draft(Intensity.INTERVAL, f"Climb {i + 1}", s, climb, incline, cadence, False)

    def down(i: int, s: int) -> _Draft:
        cadence = rng.choice((85, 90)) if bike else None
        return _Draft(Intensity.RECOVERY, "Flat", s, flat, None, cadence, False)

    return _pairs(ctx, budget, up, down)


def _tempo(ctx: _Ctx, budget: int) -> list[_Draft]:
    """Long tempo blocks of 8 minutes or more, short easy breaks between them."""
    block_s = ctx.rng.randint(*((8, 12), (10, 16), (12, 20))[ctx.rank]) * 60
    rest = ctx.span(120, 240)
    n = max(1, (budget + rest) // (block_s + rest))
    drafts: list[_Draft] = []
    for i in range(n):
        if i:
            drafts.append(_Draft(Intensity.RECOVERY, "Easy", rest, ctx.effort("easy"), flex=False))
        for block in _blocks(ctx, (budget - (n - 1) * rest) / n, math.inf, 2):
            drafts += _run(block, f"Tempo {i + 1}", ctx.effort("tempo"))
    return drafts


def _endurance(ctx: _Ctx, budget: int) -> list[_Draft]:
    blocks = _blocks(ctx, budget, ctx.rng.randint(600, 1200), 2)
    return [d for block in blocks for d in _run(block, "Steady", ctx.effort("steady"))]


def _fat_burn(ctx: _Ctx, budget: int) -> list[_Draft]:
    """Zone 2 with gentle undulation: every other block a little quicker (and steeper)."""
    base, lift = ctx.effort("zone2", 0.01), ctx.rng.uniform(1.04, 1.08)
    tilt = ctx.flat_pct + ctx.rng.choice((0.0, 1.0, 2.0))
    drafts: list[_Draft] = []
    for i, block in enumerate(_blocks(ctx, budget, ctx.rng.randint(180, 360), 3)):
        if i % 2:
            drafts += _run(block, "Zone 2 lift", base * lift, tilt)
        else:
            drafts += _run(block, "Zone 2", base * ctx.rng.uniform(0.99, 1.01))
    return drafts


def _recovery(ctx: _Ctx, budget: int) -> list[_Draft]:
    easy, blocks = ctx.effort("easy", 0.0), _blocks(ctx, budget, ctx.rng.randint(240, 480), 2)
    return [d for block in blocks for d in _run(block, "Easy", easy * ctx.rng.uniform(0.9, 1.0))]


MAIN_SETS: dict[str, Callable[[_Ctx, int], list[_Draft]]] = {
    "endurance": _endurance,
    "intervals": _intervals,
    "hills": _hills,
    "tempo": _tempo,
    "recovery": _recovery,
    "fat_burn": _fat_burn,
}


# --- fitting --------------------------------------------------------------------------------


def _fit_count(drafts: list[_Draft], fewest: int, most: int) -> list[_Draft]:
    """Drop main-set segments from the end (then extra ramp steps), or halve the longest
    segment, until there are between `fewest` and `most` segments."""
    ramps = (Intensity.WARMUP, Intensity.COOLDOWN)
    main = [i for i, d in enumerate(drafts) if d.intensity not in ramps]
    drop = set(main[max(1, len(main) - (len(drafts) - most)) :])  # keeps one
    drafts = [d for i, d in enumerate(drafts) if i not in drop]
    while len(drafts) > most:  # one main segment left: a ramp has more than one step
        drafts.pop(0 if drafts[1].intensity is Intensity.WARMUP else -1)
    while len(drafts) < fewest:
        i = max(range(len(drafts)), key=lambda j: drafts[j].seconds)
        drafts[i : i + 1] = [replace(drafts[i], seconds=drafts[i].seconds / 2)] * 2
    return drafts


def _fit_seconds(
    desired: list[float], flex: list[bool], total_s: int, lo: int, hi: int
) -> list[int]:
    """Whole seconds in [lo, hi] summing to total_s; multiples of 5 s when the bounds allow."""
    n, q = len(desired), QUANTUM_S
    qlo, qhi = -(-lo // q) * q, hi // q * q
    if total_s % q or not n * qlo <= total_s <= n * qhi:
        q, qlo, qhi = 1, lo, hi
    seconds = [min(max(round(d / q) * q, qlo), qhi) for d in desired]
    for group in ([i for i in range(n) if flex[i]], list(range(n))):
        _spread(seconds, group, total_s, q, qlo, qhi)
    assert sum(seconds) == total_s, "the segment count allows the total"
    return seconds


def _spread(seconds: list[int], group: list[int], total_s: int, q: int, lo: int, hi: int) -> None:
    """Share the difference to total_s evenly over the group, within each segment's room."""
    diff = total_s - sum(seconds)
    while diff:
        sign = 1 if diff > 0 else -1
        movable = [i for i in group if lo <= seconds[i] + sign * q <= hi]
        if not movable:
            return
        share = max(q, abs(diff) // len(movable) // q * q)
        for i in movable:
            room = hi - seconds[i] if sign > 0 else seconds[i] - lo
            change = sign * min(share, room, abs(diff))
            seconds[i], diff = seconds[i] + change, diff - change


# --- targets --------------------------------------------------------------------------------


def _targets(ctx: _Ctx, d: _Draft) -> tuple[Target, ...]:
    level, c = ctx.inputs.level, ctx.inputs.constraints
    effort = d.effort * ctx.vigour
    if ctx.inputs.sport == "treadmill":
        speed = _stepped(THRESHOLD_SPEED_MPS[level] * effort, 20, c.min_speed_mps, c.max_speed_mps)
        incline = _stepped(_given(d.incline_pct, ctx.flat_pct), 2, 0.0, c.max_incline_pct)
        speed_target = Target(TargetType.SPEED, low=speed, high=speed)
        return speed_target, Target(TargetType.INCLINE, value=incline)
    pct = 100 * effort * BIKE_LEVEL_FACTOR[level]
    if c.ftp_w:
        low, high = round((pct - 2.5) * c.ftp_w / 100), round((pct + 2.5) * c.ftp_w / 100)
        power = Target(TargetType.POWER, low=low, high=high)
    else:
        power = Target(TargetType.POWER_PCT_FTP, low=round(pct - 2.5), high=round(pct + 2.5))
    if d.cadence_rpm is None:
        return (power,)
    return power, Target(TargetType.CADENCE, low=d.cadence_rpm, high=d.cadence_rpm + 10)


def _stepped(value: float, per_unit: int, low: float | None, high: float | None) -> float:
    """`value` rounded to a 1/per_unit step within [low, high] (unrounded if no step fits)."""
    low, high = low or 0.0, high or 0.0
    n = round(value * per_unit)
    if n / per_unit > high:
        n = math.floor(high * per_unit)
        n = n - 1 if n / per_unit > high else n
    if n / per_unit < low:
        n = math.ceil(low * per_unit)
        n = n + 1 if n / per_unit < low else n
    return n / per_unit if low <= n / per_unit <= high else min(max(value, low), high)

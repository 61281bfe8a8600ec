"""Zone deviation (pure): the filtered heart rate against a segment's target band.

`observe` is called with each filtered heart rate (or None when it is unknown) and returns the
new state and the events that happened, so an alert is raised once per excursion, never on
every tick:
- out of the band (`low <= bpm <= high`, both ends inside) on the same side continuously for
  `debounce_s` → one `ZoneDeviation`, at the first observation at or after
  `out_since + debounce_s`; staying out raises nothing more;
- back inside the band shrunk by the hysteresis (`low + h <= bpm <= high - h`, `h` at most half
  the band's width) after a `ZoneDeviation` → one `BackInZone`; in the band but not that far in,
  the excursion is not over, so leaving again on the same side raises nothing new;
- two `ZoneDeviation`s on the same side are at least `cooldown_s` apart: a deviation due sooner
  waits (it is raised at the first observation after the cooldown, if still out);
- an unknown heart rate (None) raises nothing and restarts the out-of-band timer;
- no band (the segment has no HR target) → nothing.
The caller calls `reset` when the segment changes: a new target starts with a clean slate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Direction(StrEnum):
    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True, slots=True)
class DeviationConfig:
    debounce_s: float = 10.0
    hysteresis_bpm: float = 3.0
    cooldown_s: float = 60.0


DEFAULT_CONFIG = DeviationConfig()


@dataclass(frozen=True, slots=True)
class ZoneDeviation:
    direction: Direction
    bpm: float
    low: int
    high: int
    at: float


@dataclass(frozen=True, slots=True)
class BackInZone:
    bpm: float
    low: int
    high: int
    at: float


DeviationEvent = ZoneDeviation | BackInZone
Band = tuple[int, int]


@dataclass(frozen=True, slots=True)
class DeviationState:
    """`DeviationState()` is a segment with nothing observed yet."""

    out: Direction | None = None  # the side of the band the heart rate is on, if outside
    out_since: float | None = None  # since when, continuously and known
    raised: Direction | None = None  # a ZoneDeviation not yet followed by BackInZone
    above_at: float | None = None  # when the last "above" ZoneDeviation was raised
    below_at: float | None = None  # when the last "below" ZoneDeviation was raised


def observe(
    state: DeviationState,
    band: Band | None,
    bpm: float | None,
    now: float,
    config: DeviationConfig = DEFAULT_CONFIG,
) -> tuple[DeviationState, tuple[DeviationEvent, ...]]:
    """The heart rate `bpm` (None: unknown) at `now` against `band`; new state and events."""
    if band is None:
        return state, ()
    if bpm is None:
        return replace(state, out=None, out_since=None), ()
    low, high = band
    side = Direction.ABOVE if bpm > high else Direction.BELOW if bpm < low else None
    if side is None:
        state = replace(state, out=None, out_since=None)
        if state.raised is None or not _settled(bpm, band, config):
            return state, ()
        return replace(state, raised=None), (BackInZone(bpm, low, high, now),)
    if state.out is not side or state.out_since is None:
        state = replace(state, out=side, out_since=now)
    due = deadline(state, config)
    if due is None or now < due:
        return state, ()
    if side is Direction.ABOVE:
        state = replace(state, raised=side, above_at=now)
    else:
        state = replace(state, raised=side, below_at=now)
    return state, (ZoneDeviation(side, bpm, low, high, now),)


def deadline(state: DeviationState, config: DeviationConfig = DEFAULT_CONFIG) -> float | None:
    """When a `ZoneDeviation` falls due if the heart rate stays where it is; None if none will."""
    if state.out is None or state.out_since is None or state.raised is state.out:
        return None
    due = state.out_since + config.debounce_s
    last = state.above_at if state.out is Direction.ABOVE else state.below_at
    return due if last is None else max(due, last + config.cooldown_s)


def reset(state: DeviationState) -> DeviationState:
    """The state for a new segment: timers, the raised alert and the cooldowns all cleared."""
    return DeviationState()


def _settled(bpm: float, band: Band, config: DeviationConfig) -> bool:
    low, high = band
    h = min(config.hysteresis_bpm, (high - low) / 2)
    return low + h <= bpm <= high - h

"""The heart-rate filter (pure): raw samples in, `FilteredHeartRate` out, one `step` each.

For each sample, in order:
1. Hard rejections leave the state untouched: a bpm outside `min_bpm`–`max_bpm`, a timestamp
   that is not finite, more than `max_future_s` after `now` or more than `max_past_s` before
   it, and a timestamp at or before the last plausible sample's (`duplicate`, `out_of_order`).
2. A dropout (no accepted sample for more than `dropout_s` before this one) starts the filter
   afresh: the old window says nothing about the heart rate now.
3. Artifact rejection: a value more than `jump_bpm` from the median of the window is a suspect
   and is rejected, unless `jump_samples` consecutive suspects agree with each other (each
   within `jump_bpm` of their median): then the jump is real, the sample is accepted and the
   window and output restart from the suspects. A suspect counts as a plausible sample for
   the ordering rule, but it does not keep the heart rate known (it is not accepted).
4. The value joins the window of the last `window` accepted raw values; the output is an
   exponential smoothing (`alpha`) of the window's median.

`current` is the heart rate at `now`: None until a sample is accepted and during a dropout.
RR intervals are carried on `Sample` for the caller; the filter does not use them yet.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum


class Rejection(StrEnum):
    OUT_OF_RANGE = "out_of_range"
    BAD_TIME = "bad_time"
    FUTURE = "future"
    TOO_OLD = "too_old"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    ARTIFACT = "artifact"


@dataclass(frozen=True, slots=True)
class FilterConfig:
    min_bpm: int = 25
    max_bpm: int = 250
    max_future_s: float = 10.0
    max_past_s: float = 60.0
    window: int = 5
    alpha: float = 0.4
    jump_bpm: float = 30.0
    jump_samples: int = 3
    dropout_s: float = 5.0


DEFAULT_CONFIG = FilterConfig()


@dataclass(frozen=True, slots=True)
class Sample:
    t: float
    bpm: int
    rr: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class FilterState:
    """`FilterState()` is a filter that has seen nothing."""

    window: tuple[int, ...] = ()  # the last accepted raw values, oldest first
    smoothed: float | None = None  # the output after the last accepted sample
    accepted_t: float | None = None  # when the last accepted sample was taken
    last_t: float | None = None  # when the last plausible sample (accepted or suspect) was taken
    suspects: tuple[int, ...] = ()  # consecutive jump candidates, oldest first


@dataclass(frozen=True, slots=True)
class FilteredHeartRate:
    """One sample's verdict: `bpm` is the filtered value after an accepted sample, else None."""

    t: float
    bpm: float | None
    raw_bpm: int
    accepted: bool
    reason: str | None = None


def step(
    state: FilterState, sample: Sample, now: float, config: FilterConfig = DEFAULT_CONFIG
) -> tuple[FilterState, FilteredHeartRate]:
    """Feed one raw sample received at `now`; the new state and the sample's verdict."""
    reason = _hard_rejection(state, sample, now, config)
    if reason is not None:
        return state, _rejected(sample, reason)
    if _dropped_out(state, sample.t, config):
        state = FilterState()
    if state.window and abs(sample.bpm - _median(state.window)) > config.jump_bpm:
        suspects = _suspects(state.suspects, sample.bpm, config)
        if len(suspects) < config.jump_samples:
            state = replace(state, last_t=sample.t, suspects=suspects)
            return state, _rejected(sample, Rejection.ARTIFACT)
        window = suspects[-config.window :]
        smoothed = _median(window)
    else:
        window = (*state.window, sample.bpm)[-config.window :]
        median = _median(window)
        previous = median if state.smoothed is None else state.smoothed
        smoothed = previous + config.alpha * (median - previous)
    state = FilterState(window, smoothed, accepted_t=sample.t, last_t=sample.t)
    return state, FilteredHeartRate(sample.t, smoothed, sample.bpm, accepted=True)


def current(state: FilterState, now: float, config: FilterConfig = DEFAULT_CONFIG) -> float | None:
    """The filtered heart rate at `now`; None (unknown) before any sample and in a dropout."""
    if state.accepted_t is None or _dropped_out(state, now, config):
        return None
    return state.smoothed


def _hard_rejection(
    state: FilterState, sample: Sample, now: float, config: FilterConfig
) -> Rejection | None:
    if not config.min_bpm <= sample.bpm <= config.max_bpm:
        return Rejection.OUT_OF_RANGE
    if not math.isfinite(sample.t):
        return Rejection.BAD_TIME
    if sample.t > now + config.max_future_s:
        return Rejection.FUTURE
    if sample.t < now - config.max_past_s:
        return Rejection.TOO_OLD
    if state.last_t is not None and sample.t <= state.last_t:
        return Rejection.DUPLICATE if sample.t == state.last_t else Rejection.OUT_OF_ORDER
    return None


def _dropped_out(state: FilterState, t: float, config: FilterConfig) -> bool:
    return state.accepted_t is not None and t - state.accepted_t > config.dropout_s


def _suspects(suspects: tuple[int, ...], bpm: int, config: FilterConfig) -> tuple[int, ...]:
    """The run of suspects with `bpm` added; a value that disagrees with the run starts anew."""
    if suspects and abs(bpm - _median(suspects)) > config.jump_bpm:
        return (bpm,)
    return (*suspects, bpm)


def _median(values: Sequence[int]) -> float:
    return float(statistics.median(values))


def _rejected(sample: Sample, reason: Rejection) -> FilteredHeartRate:
    return FilteredHeartRate(sample.t, None, sample.bpm, accepted=False, reason=reason)

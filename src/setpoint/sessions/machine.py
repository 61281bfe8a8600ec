"""The live session as a pure state machine: time is computed from anchors and `now`, never counted.

A session persists only its `Anchors`. What a client sees is `view(plan, anchors, now)`; every
command is a function `(plan, anchors, now) -> Transition`: new anchors settled at `now` and the
past-tense events that happened, the segment boundaries passed since the last anchor first.

`now` is seconds on a timeline the caller supplies: it must not step, and every process that
touches the session must share it (the machine never reads a clock). A `now` earlier than the
last anchor is read as the anchor itself, so a skewed caller never makes time run backwards.

Floats: a boundary's instant is the first float `now` at which the computed moving time reaches
the boundary, so `next_deadline` is exactly the `now` at which `view` changes segment.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from setpoint.errors import Conflict
from setpoint.workouts.model import DurationType
from setpoint.workouts.normalize import Plan, Segment


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


RUNNING = frozenset({Status.IN_PROGRESS, Status.PAUSED})


class InvalidTransition(Conflict):
    """A command the session's status (or current segment) does not allow; 409."""

    code = "invalid_transition"
    status = 409


@dataclass(frozen=True, slots=True)
class Anchors:
    """All a session persists. `Anchors()` is a session not started yet.

    Elapsed values are moving time (pauses excluded), instants are on the caller's `now`
    timeline. While in progress, moving time at `now` is
    `elapsed_at_anchor_s + (now - anchor_at)`; otherwise it is frozen at `elapsed_at_anchor_s`.
    """

    status: Status = Status.NOT_STARTED
    segment_index: int = 0
    segment_start_elapsed_s: float = 0.0
    elapsed_at_anchor_s: float = 0.0
    anchor_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None


ChangeReason = Literal["auto", "skip", "back", "set"]
CompletionReason = Literal["finished_plan", "finish"]


@dataclass(frozen=True, slots=True)
class SessionStarted:
    at: float


@dataclass(frozen=True, slots=True)
class SessionPaused:
    at: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class SessionResumed:
    at: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class SegmentChanged:
    from_index: int
    to_index: int
    reason: ChangeReason
    at: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class SessionCompleted:
    at: float
    elapsed_s: float
    reason: CompletionReason


@dataclass(frozen=True, slots=True)
class SessionAbandoned:
    at: float
    elapsed_s: float


Event = (
    SessionStarted
    | SessionPaused
    | SessionResumed
    | SegmentChanged
    | SessionCompleted
    | SessionAbandoned
)


@dataclass(frozen=True, slots=True)
class Transition:
    anchors: Anchors
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class State:
    status: Status
    elapsed_s: float
    segment_index: int
    segment_elapsed_s: float
    segment_remaining_s: float | None
    segment: Segment
    next_segment: Segment | None
    completed_at: float | None


# --- time -------------------------------------------------------------------------------


def _clamp(anchors: Anchors, now: float) -> float:
    return now if anchors.anchor_at is None else max(now, anchors.anchor_at)


def _elapsed(anchors: Anchors, now: float) -> float:
    """Moving time at `now`."""
    if anchors.status is not Status.IN_PROGRESS or anchors.anchor_at is None:
        return anchors.elapsed_at_anchor_s
    return anchors.elapsed_at_anchor_s + (max(now, anchors.anchor_at) - anchors.anchor_at)


def _instant(anchors: Anchors, elapsed: float) -> float:
    """The first float `now` at which the moving time of in-progress `anchors` is >= `elapsed`.

    `anchor_at + (elapsed - elapsed_at_anchor_s)` can land an ulp or more to either side, and
    one ulp of `now` may be far less than one ulp of moving time: gallop, then bisect.
    """
    assert anchors.anchor_at is not None
    lo = anchors.anchor_at
    if _elapsed(anchors, lo) >= elapsed:
        return lo
    guess = max(lo, lo + (elapsed - anchors.elapsed_at_anchor_s))
    step = math.ulp(guess)
    if _elapsed(anchors, guess) >= elapsed:
        hi = guess
        while _elapsed(anchors, below := max(lo, guess - step)) >= elapsed:
            hi, step = below, step * 2
        lo = below
    else:
        lo = guess
        while _elapsed(anchors, hi := guess + step) < elapsed:
            lo, step = hi, step * 2
    while lo < (mid := lo + (hi - lo) / 2) < hi:
        if _elapsed(anchors, mid) >= elapsed:
            hi = mid
        else:
            lo = mid
    return hi


def _end(plan: Plan, index: int, start: float) -> float | None:
    """Moving time at which segment `index`, started at `start`, ends; None if open."""
    duration = plan.segments[index].duration_s
    return None if duration is None else start + duration


# --- reading ----------------------------------------------------------------------------


def settle(plan: Plan, anchors: Anchors, now: float) -> Transition:
    """Apply the boundaries passed by `now`: each one exactly, at its own instant.

    Returns anchors settled at `now` (or at the completion instant when the plan ended) with
    the `auto` `SegmentChanged` and `finished_plan` `SessionCompleted` events. A session that
    is not in progress is returned unchanged.
    """
    if anchors.status is not Status.IN_PROGRESS:
        return Transition(anchors)
    now = _clamp(anchors, now)
    elapsed = _elapsed(anchors, now)
    index, start = anchors.segment_index, anchors.segment_start_elapsed_s
    events: list[Event] = []
    while (end := _end(plan, index, start)) is not None and elapsed >= end:
        at = _instant(anchors, end)
        if index == len(plan.segments) - 1:
            events.append(SessionCompleted(at, end, "finished_plan"))
            done = replace(
                anchors,
                status=Status.COMPLETED,
                segment_index=index,
                segment_start_elapsed_s=start,
                elapsed_at_anchor_s=end,
                anchor_at=at,
                ended_at=at,
            )
            return Transition(done, tuple(events))
        events.append(SegmentChanged(index, index + 1, "auto", at, end))
        index, start = index + 1, end
    settled = Anchors(  # built, not `replace`d: every state read comes here, and that is 5× slower
        status=anchors.status,
        segment_index=index,
        segment_start_elapsed_s=start,
        elapsed_at_anchor_s=elapsed,
        anchor_at=now,
        started_at=anchors.started_at,
        ended_at=anchors.ended_at,
    )
    return Transition(settled, tuple(events))


def view(plan: Plan, anchors: Anchors, now: float) -> State:
    """The session as it is at `now`: the same state `settle(plan, anchors, now)` anchors."""
    a = settle(plan, anchors, now).anchors
    segment = plan.segments[a.segment_index]
    duration = segment.duration_s
    segment_elapsed = max(0.0, a.elapsed_at_anchor_s - a.segment_start_elapsed_s)
    if duration is not None:  # in floats, (start + d) - start can exceed d by an ulp
        segment_elapsed = min(segment_elapsed, float(duration))
    following = a.segment_index + 1
    return State(
        status=a.status,
        elapsed_s=a.elapsed_at_anchor_s,
        segment_index=a.segment_index,
        segment_elapsed_s=segment_elapsed,
        segment_remaining_s=None if duration is None else duration - segment_elapsed,
        segment=segment,
        next_segment=plan.segments[following] if following < len(plan.segments) else None,
        completed_at=a.ended_at if a.status is Status.COMPLETED else None,
    )


def next_deadline(plan: Plan, anchors: Anchors) -> float | None:
    """The `now` of the next boundary (segment change or completion) if nobody acts.

    None when the session is not in progress or its current segment is open.
    """
    if anchors.status is not Status.IN_PROGRESS:
        return None
    end = _end(plan, anchors.segment_index, anchors.segment_start_elapsed_s)
    return None if end is None else _instant(anchors, end)


# --- commands ---------------------------------------------------------------------------


def _settled(
    plan: Plan, anchors: Anchors, now: float, verb: str, allowed: frozenset[Status]
) -> tuple[Anchors, float, tuple[Event, ...]]:
    """Settle at `now`, then check the command is allowed in the resulting status."""
    settled = settle(plan, anchors, now)
    a = settled.anchors
    if a.status not in allowed:
        raise InvalidTransition(f"cannot {verb} a session that is {a.status.replace('_', ' ')}")
    return a, _clamp(a, now), settled.events


def _move(
    plan: Plan, a: Anchors, now: float, to: int, reason: ChangeReason, events: tuple[Event, ...]
) -> Transition:
    """Start segment `to` at `now` (past the last one: complete); moving time is unchanged."""
    elapsed = a.elapsed_at_anchor_s
    if to == len(plan.segments):
        done = replace(a, status=Status.COMPLETED, anchor_at=now, ended_at=now)
        return Transition(done, (*events, SessionCompleted(now, elapsed, "finished_plan")))
    moved = replace(a, segment_index=to, segment_start_elapsed_s=elapsed, anchor_at=now)
    return Transition(moved, (*events, SegmentChanged(a.segment_index, to, reason, now, elapsed)))


def start(plan: Plan, anchors: Anchors, now: float) -> Transition:
    if anchors.status is not Status.NOT_STARTED:
        raise InvalidTransition(
            f"cannot start a session that is {anchors.status.replace('_', ' ')}"
        )
    if not plan.segments:
        raise InvalidTransition("cannot start a session whose plan has no segments")
    started = Anchors(Status.IN_PROGRESS, anchor_at=now, started_at=now)
    return Transition(started, (SessionStarted(now),))


def pause(plan: Plan, anchors: Anchors, now: float) -> Transition:
    a, now, events = _settled(plan, anchors, now, "pause", frozenset({Status.IN_PROGRESS}))
    paused = replace(a, status=Status.PAUSED)
    return Transition(paused, (*events, SessionPaused(now, a.elapsed_at_anchor_s)))


def resume(plan: Plan, anchors: Anchors, now: float) -> Transition:
    a, now, events = _settled(plan, anchors, now, "resume", frozenset({Status.PAUSED}))
    resumed = replace(a, status=Status.IN_PROGRESS, anchor_at=now)
    return Transition(resumed, (*events, SessionResumed(now, a.elapsed_at_anchor_s)))


def skip(plan: Plan, anchors: Anchors, now: float) -> Transition:
    """The next segment starts now; skipping the last segment completes the session."""
    a, now, events = _settled(plan, anchors, now, "skip", RUNNING)
    return _move(plan, a, now, a.segment_index + 1, "skip", events)


def back(plan: Plan, anchors: Anchors, now: float) -> Transition:
    """Restart the previous segment (the current one at index 0); moving time keeps going."""
    a, now, events = _settled(plan, anchors, now, "go back in", RUNNING)
    return _move(plan, a, now, max(a.segment_index - 1, 0), "back", events)


def complete_set(plan: Plan, anchors: Anchors, now: float) -> Transition:
    """Finish the set of an open reps/work segment: advance like `skip`, reason `set`."""
    a, now, events = _settled(plan, anchors, now, "complete a set in", RUNNING)
    segment = plan.segments[a.segment_index]
    if not segment.is_open:
        raise InvalidTransition("cannot complete a set on a timed segment")
    if segment.duration_type not in (DurationType.REPS, DurationType.OPEN) or (
        segment.exercise is not None and segment.exercise.kind != "work"
    ):
        raise InvalidTransition("cannot complete a set on a segment that is not a set")
    return _move(plan, a, now, a.segment_index + 1, "set", events)


def finish(plan: Plan, anchors: Anchors, now: float) -> Transition:
    """Complete the session now, wherever it is in the plan."""
    a, now, events = _settled(plan, anchors, now, "finish", RUNNING)
    done = replace(a, status=Status.COMPLETED, anchor_at=now, ended_at=now)
    return Transition(done, (*events, SessionCompleted(now, a.elapsed_at_anchor_s, "finish")))


def abandon(plan: Plan, anchors: Anchors, now: float) -> Transition:
    allowed = RUNNING | {Status.NOT_STARTED}
    a, now, events = _settled(plan, anchors, now, "abandon", allowed)
    done = replace(a, status=Status.ABANDONED, anchor_at=now, ended_at=now)
    return Transition(done, (*events, SessionAbandoned(now, a.elapsed_at_anchor_s)))


Command = Literal["start", "pause", "resume", "skip", "back", "finish", "abandon"]
# What a client may ask of a session (`POST /api/sessions/{id}/{command}`, the live socket);
# the keys are checked against `Command` by the type checker, and a test checks that each
# name of `Command` has its function.
COMMANDS: dict[Command, Callable[[Plan, Anchors, float], Transition]] = {
    "start": start,
    "pause": pause,
    "resume": resume,
    "skip": skip,
    "back": back,
    "finish": finish,
    "abandon": abandon,
}


def pause_at(plan: Plan, anchors: Anchors, at: float) -> Transition:
    """Crash recovery: bring an in-progress session back paused at its last known point `at`.

    Boundaries passed before `at` are applied first; a session whose plan ended before `at`
    comes back completed. Any other session is returned unchanged, so recovery can repeat.
    """
    settled = settle(plan, anchors, at)
    if settled.anchors.status is not Status.IN_PROGRESS:
        return settled
    paused = pause(plan, settled.anchors, at)
    return Transition(paused.anchors, settled.events + paused.events)

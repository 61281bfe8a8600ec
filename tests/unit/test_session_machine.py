"""The live session machine: time computed from anchors and `now`, checked against counted time.

The stateful test drives random plans with random commands and waits, on a dyadic timeline (all
instants are multiples of 1/64 s) where float arithmetic is exact, and compares every state with
a reference that counts time in exact fractions. The float test repeats the invariants that must
also hold for arbitrary float instants.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Sequence
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from setpoint.sessions import machine as sm
from setpoint.sessions.machine import (
    Anchors,
    Event,
    InvalidTransition,
    SegmentChanged,
    SessionAbandoned,
    SessionCompleted,
    SessionPaused,
    SessionResumed,
    SessionStarted,
    Status,
    Transition,
)
from setpoint.workouts import model as m
from setpoint.workouts.normalize import Plan, Segment, normalize

Command = Callable[[Plan, Anchors, float], Transition]
T0 = 1000.0


def plan_of(
    durations: Sequence[int | None], open_type: m.DurationType = m.DurationType.REPS
) -> Plan:
    """Timed segments of the given seconds; None is an open (reps) segment."""
    segments, offset = [], 0
    for i, seconds in enumerate(durations):
        kind = m.DurationType.TIME if seconds is not None else open_type
        segments.append(Segment(i, f"s{i}", m.Intensity.ACTIVE, kind, seconds, offset))
        offset += seconds or 0
    return Plan(tuple(segments), None if None in durations else offset)


def run(plan: Plan, *steps: tuple[Command, float]) -> Transition:
    """Apply commands in order from a fresh session; the events are those of the last one."""
    t = Transition(Anchors())
    for command, now in steps:
        t = command(plan, t.anchors, now)
    return t


def settled_key(plan: Plan, anchors: Anchors, now: float) -> tuple[Status, int]:
    state = sm.view(plan, anchors, now)
    return state.status, state.segment_index


durations_st = st.lists(
    st.integers(1, 600) | st.integers(1, 20) | st.none(), min_size=1, max_size=8
)


# --- stateful: random plans, commands and waits against an exact counting reference ----------


class Reference:
    """How the session should behave, counting time forward in exact fractions."""

    def __init__(self, durations: list[int | None], base: Fraction) -> None:
        self.durations = durations
        self.now = base
        self.status = Status.NOT_STARTED
        self.index = 0
        self.segment_start = Fraction(0)
        self.elapsed = Fraction(0)
        self.paused_s = Fraction(0)
        self.started_at: Fraction | None = None
        self.ended_at: Fraction | None = None
        self.pending: list[Event] = []  # auto events the machine has not anchored yet
        self.pristine = True  # no skip, back, set or finish

    def advance(self, dt: Fraction) -> None:
        self.now += dt
        if self.status is Status.PAUSED:
            self.paused_s += dt
        if self.status is not Status.IN_PROGRESS:
            return
        self.elapsed += dt
        while (
            d := self.durations[self.index]
        ) is not None and self.elapsed >= self.segment_start + d:
            end = self.segment_start + d
            at = float(self.now - (self.elapsed - end))
            if self.index == len(self.durations) - 1:
                self.status, self.elapsed, self.ended_at = Status.COMPLETED, end, Fraction(at)
                self.pending.append(SessionCompleted(at, float(end), "finished_plan"))
                return
            self.pending.append(SegmentChanged(self.index, self.index + 1, "auto", at, float(end)))
            self.index, self.segment_start = self.index + 1, end

    def move(self, to: int, reason: sm.ChangeReason) -> list[Event]:
        self.pristine = False
        now, elapsed = float(self.now), float(self.elapsed)
        if to == len(self.durations):
            self.status, self.ended_at = Status.COMPLETED, self.now
            return [SessionCompleted(now, elapsed, "finished_plan")]
        change = SegmentChanged(self.index, to, reason, now, elapsed)
        self.index, self.segment_start = to, self.elapsed
        return [change]

    def end(self, status: Status) -> list[Event]:
        now, elapsed = float(self.now), float(self.elapsed)
        self.status, self.ended_at = status, self.now
        if status is Status.ABANDONED:
            return [SessionAbandoned(now, elapsed)]
        self.pristine = False
        return [SessionCompleted(now, elapsed, "finish")]


RUNNING = {Status.IN_PROGRESS, Status.PAUSED}
dyadic = st.integers(0, 64 * 5).map(lambda n: Fraction(n, 64))
dyadic_long = st.integers(0, 64 * 700).map(lambda n: Fraction(n, 64))


class SessionMachine(RuleBasedStateMachine):
    plan: Plan
    ref: Reference
    anchors: Anchors
    last_elapsed: float

    @initialize(
        durations=durations_st,
        base=st.sampled_from([Fraction(0), Fraction(86_400_25, 100), Fraction(1_700_000_000)]),
    )
    def setup(self, durations: list[int | None], base: Fraction) -> None:
        self.plan = plan_of(durations)
        self.ref = Reference(durations, base)
        self.anchors = Anchors()
        self.last_elapsed = 0.0

    def command(self, fn: Command, ok: bool, expect: Callable[[], list[Event]]) -> None:
        now = float(self.ref.now)
        if not ok:
            with pytest.raises(InvalidTransition) as refused:
                fn(self.plan, self.anchors, now)
            assert refused.value.code == "invalid_transition" and refused.value.status == 409
            assert refused.value.detail.startswith("cannot ")
            return
        t = fn(self.plan, self.anchors, now)
        pending, self.ref.pending = self.ref.pending, []
        assert t.events == (*pending, *expect())
        self.anchors = t.anchors

    # waiting
    @rule(dt=dyadic | dyadic_long)
    def wait(self, dt: Fraction) -> None:
        self.ref.advance(dt)

    @rule(early=st.sampled_from([Fraction(0), Fraction(1, 64)]))
    def wait_for_deadline(self, early: Fraction) -> None:
        settled = sm.settle(self.plan, self.anchors, float(self.ref.now)).anchors
        deadline = sm.next_deadline(self.plan, settled)
        if deadline is not None:
            self.ref.advance(max(Fraction(0), Fraction(deadline) - self.ref.now - early))

    @rule()
    def settle(self) -> None:
        self.command(sm.settle, True, list)

    # commands
    @rule()
    def start(self) -> None:
        ref = self.ref

        def expect() -> list[Event]:
            ref.status, ref.started_at = Status.IN_PROGRESS, ref.now
            return [SessionStarted(float(ref.now))]

        self.command(sm.start, ref.status is Status.NOT_STARTED, expect)

    @rule()
    def pause(self) -> None:
        ref = self.ref

        def expect() -> list[Event]:
            ref.status = Status.PAUSED
            return [SessionPaused(float(ref.now), float(ref.elapsed))]

        self.command(sm.pause, ref.status is Status.IN_PROGRESS, expect)

    @rule()
    def resume(self) -> None:
        ref = self.ref

        def expect() -> list[Event]:
            ref.status = Status.IN_PROGRESS
            return [SessionResumed(float(ref.now), float(ref.elapsed))]

        self.command(sm.resume, ref.status is Status.PAUSED, expect)

    @rule()
    def skip(self) -> None:
        ref = self.ref
        self.command(sm.skip, ref.status in RUNNING, lambda: ref.move(ref.index + 1, "skip"))

    @rule()
    def back(self) -> None:
        ref = self.ref
        self.command(
            sm.back, ref.status in RUNNING, lambda: ref.move(max(ref.index - 1, 0), "back")
        )

    @rule()
    def complete_set(self) -> None:
        ref = self.ref
        ok = ref.status in RUNNING and ref.durations[ref.index] is None
        self.command(sm.complete_set, ok, lambda: ref.move(ref.index + 1, "set"))

    @precondition(lambda self: self.ref.status is not Status.NOT_STARTED)
    @rule()
    def finish(self) -> None:
        ref = self.ref
        self.command(sm.finish, ref.status in RUNNING, lambda: ref.end(Status.COMPLETED))

    @precondition(lambda self: self.ref.status is not Status.NOT_STARTED)
    @rule()
    def abandon(self) -> None:
        ref = self.ref
        ok = ref.status not in (Status.COMPLETED, Status.ABANDONED)
        self.command(sm.abandon, ok, lambda: ref.end(Status.ABANDONED))

    # invariants
    @invariant()
    def state_matches_the_counting_reference(self) -> None:
        ref, now = self.ref, float(self.ref.now)
        state = sm.view(self.plan, self.anchors, now)
        assert (state.status, state.segment_index) == (ref.status, ref.index)
        assert state.elapsed_s == ref.elapsed
        assert state.segment_elapsed_s == ref.elapsed - ref.segment_start
        assert state.completed_at == (ref.ended_at if ref.status is Status.COMPLETED else None)

    @invariant()
    def elapsed_is_wall_time_minus_pauses_and_never_decreases(self) -> None:
        ref = self.ref
        state = sm.view(self.plan, self.anchors, float(ref.now))
        assert state.elapsed_s >= self.last_elapsed
        self.last_elapsed = state.elapsed_s
        if ref.started_at is not None:
            until = ref.ended_at if ref.ended_at is not None else ref.now
            assert state.elapsed_s == until - ref.started_at - ref.paused_s

    @invariant()
    def segment_stays_in_range(self) -> None:
        state = sm.view(self.plan, self.anchors, float(self.ref.now))
        assert 0 <= state.segment_index < len(self.plan.segments)
        assert state.segment is self.plan.segments[state.segment_index]
        duration = state.segment.duration_s
        assert state.segment_elapsed_s >= 0
        if duration is None:
            assert state.segment_remaining_s is None
        else:
            assert state.segment_elapsed_s <= duration
            assert state.segment_remaining_s == duration - state.segment_elapsed_s

    @invariant()
    def untouched_timed_plan_completes_at_its_planned_total(self) -> None:
        ref, total = self.ref, self.plan.total_duration_s
        if ref.status is Status.COMPLETED and ref.pristine and total is not None:
            state = sm.view(self.plan, self.anchors, float(ref.now))
            assert state.elapsed_s == total
            assert ref.started_at is not None
            assert state.completed_at == ref.started_at + ref.paused_s + total

    @invariant()
    def view_is_what_settle_anchors(self) -> None:
        now = float(self.ref.now)
        settled = sm.settle(self.plan, self.anchors, now).anchors
        assert sm.view(self.plan, settled, now) == sm.view(self.plan, self.anchors, now)
        assert sm.settle(self.plan, settled, now) == Transition(settled)

    @invariant()
    def next_deadline_is_exactly_when_the_view_changes(self) -> None:
        ref, now = self.ref, float(self.ref.now)
        settled = sm.settle(self.plan, self.anchors, now).anchors
        deadline = sm.next_deadline(self.plan, settled)
        timed = ref.durations[ref.index] is not None
        if ref.status is not Status.IN_PROGRESS or not timed:
            assert deadline is None
            return
        assert deadline is not None and deadline > now
        current = (ref.status, ref.index)
        for anchors in (self.anchors, settled):
            assert settled_key(self.plan, anchors, math.nextafter(deadline, -math.inf)) == current
            assert settled_key(self.plan, anchors, deadline) != current


TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


# --- arbitrary float instants ----------------------------------------------------------------

ACTIONS: dict[str, Command] = {
    "pause": sm.pause,
    "resume": sm.resume,
    "skip": sm.skip,
    "back": sm.back,
    "set": sm.complete_set,
    "settle": sm.settle,
}


@settings(max_examples=150, deadline=None)
@given(
    durations=durations_st,
    base=st.floats(0, 2e9),
    steps=st.lists(
        st.tuples(st.sampled_from([*ACTIONS, "wait", "deadline"]), st.floats(0, 900)), max_size=40
    ),
)
def test_invariants_hold_at_arbitrary_float_instants(
    durations: list[int | None], base: float, steps: list[tuple[str, float]]
) -> None:
    plan, now = plan_of(durations), base
    t = sm.start(plan, Anchors(), now)
    anchors, last, paused_s, paused_at = t.anchors, 0.0, 0.0, None
    for action, dt in steps:
        deadline = sm.next_deadline(plan, sm.settle(plan, anchors, now).anchors)
        now = deadline if action == "deadline" and deadline is not None else now + dt
        if action in ACTIONS:
            try:
                t = ACTIONS[action](plan, anchors, now)
            except InvalidTransition:
                continue
            anchors = t.anchors
            for event in t.events:
                if isinstance(event, SessionPaused):
                    paused_at = event.at
                elif isinstance(event, SessionResumed):
                    assert paused_at is not None
                    paused_s, paused_at = paused_s + event.at - paused_at, None
        state = sm.view(plan, anchors, now)
        assert state.elapsed_s >= last
        last = state.elapsed_s
        settled = sm.settle(plan, anchors, now).anchors
        until = now
        if paused_at is not None:
            until = paused_at
        elif settled.ended_at is not None:
            until = settled.ended_at
        assert state.elapsed_s == pytest.approx(until - base - paused_s, abs=1e-5)
        assert sm.view(plan, settled, now) == state
        deadline = sm.next_deadline(plan, settled)
        if deadline is not None:
            before = settled_key(plan, settled, math.nextafter(deadline, -math.inf))
            assert before == (state.status, state.segment_index)
            assert settled_key(plan, settled, deadline) != before
        if state.segment.duration_s is not None:
            assert 0 <= state.segment_elapsed_s <= state.segment.duration_s


@settings(max_examples=300, deadline=None)
@given(
    anchor_at=st.floats(0, 2e9) | st.floats(0, 10),
    elapsed=st.floats(0, 1e6) | st.floats(0, 5000),
    into=st.floats(0, 1),
    duration=st.integers(1, 600),
)
def test_the_deadline_is_the_first_float_instant_at_which_the_segment_changes(
    anchor_at: float, elapsed: float, into: float, duration: int
) -> None:
    """Rounding makes `anchor_at + (end - elapsed)` land an ulp off; the deadline must not."""
    plan = plan_of([duration, duration])
    start = elapsed - into * duration * (1 - 1e-9)
    anchors = Anchors(Status.IN_PROGRESS, 0, start, elapsed, anchor_at, started_at=anchor_at)
    deadline = sm.next_deadline(plan, anchors)
    assert deadline is not None and deadline >= anchor_at
    just_before = sm.view(plan, anchors, math.nextafter(deadline, -math.inf))
    assert just_before.segment_index == 0 or deadline == anchor_at
    assert 0 <= just_before.segment_elapsed_s <= duration
    at_deadline = sm.view(plan, anchors, deadline)
    assert at_deadline.segment_index == 1 and at_deadline.segment_elapsed_s < 1e-6
    assert sm.settle(plan, anchors, deadline).events[0] == SegmentChanged(
        0, 1, "auto", deadline, start + duration
    )


@settings(max_examples=100, deadline=None)
@given(
    offset=st.floats(0, 1e6),
    instants=st.lists(st.floats(0, 5000), min_size=1, max_size=30).map(sorted),
    toggles=st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_a_60_minute_plan_stays_within_a_millisecond_of_wall_minus_pauses(
    offset: float, instants: list[float], toggles: list[bool]
) -> None:
    plan = plan_of([300] * 12)
    base = 1_700_000_000.123456789 + offset
    anchors = sm.start(plan, Anchors(), base).anchors
    paused_s = Fraction(0)
    paused_since: float | None = None
    for at, toggle in zip(instants, toggles, strict=False):
        now = base + at
        state = sm.view(plan, anchors, now)
        if state.status is Status.COMPLETED:
            assert state.elapsed_s == 3600
            break
        running_until = paused_since if paused_since is not None else now
        truth = Fraction(running_until) - Fraction(base) - paused_s
        assert abs(Fraction(state.elapsed_s) - truth) < Fraction(1, 1000)
        if abs(truth / 300 - round(truth / 300)) > Fraction(1, 100):
            assert state.segment_index == int(truth // 300)
        if not toggle:
            continue
        if paused_since is None:
            anchors, paused_since = sm.pause(plan, anchors, now).anchors, now
        else:
            anchors = sm.resume(plan, anchors, now).anchors
            paused_s += Fraction(now) - Fraction(paused_since)
            paused_since = None


# --- examples --------------------------------------------------------------------------------


def test_seed_004_timer_rules() -> None:
    plan = plan_of([60, 30, 45])
    started = sm.start(plan, Anchors(), T0).anchors
    at_59 = sm.view(plan, started, T0 + 59)
    assert (at_59.segment_index, at_59.elapsed_s, at_59.segment_elapsed_s) == (0, 59, 59)
    assert at_59.segment_remaining_s == 1 and at_59.next_segment is plan.segments[1]
    at_60 = sm.view(plan, started, T0 + 60)  # segment_elapsed_s >= duration: next segment
    assert (at_60.segment_index, at_60.elapsed_s, at_60.segment_elapsed_s) == (1, 60, 0)
    paused = sm.pause(plan, started, T0 + 70).anchors
    assert sm.view(plan, paused, T0 + 500).elapsed_s == 70  # pauses add no time
    resumed = sm.resume(plan, paused, T0 + 500).anchors
    later = sm.view(plan, resumed, T0 + 510)
    assert (later.elapsed_s, later.segment_index, later.segment_elapsed_s) == (80, 1, 20)
    done = sm.view(plan, resumed, T0 + 10_000)
    assert done.status is Status.COMPLETED and done.elapsed_s == 135
    assert done.completed_at == T0 + 135 + 430 and done.next_segment is None


def test_completes_at_the_exact_boundary_even_when_now_is_long_after() -> None:
    plan = plan_of([60, 30])
    started = sm.start(plan, Anchors(), T0).anchors
    t = sm.settle(plan, started, T0 + 86_400)
    assert t.events == (
        SegmentChanged(0, 1, "auto", T0 + 60, 60),
        SessionCompleted(T0 + 90, 90, "finished_plan"),
    )
    assert t.anchors.status is Status.COMPLETED and t.anchors.ended_at == T0 + 90
    state = sm.view(plan, t.anchors, T0 + 99_999)
    assert (state.elapsed_s, state.completed_at, state.segment_index) == (90, T0 + 90, 1)
    assert state.segment_elapsed_s == 30 and state.segment_remaining_s == 0
    assert sm.next_deadline(plan, t.anchors) is None


def test_segment_time_never_overshoots_its_duration_under_rounding() -> None:
    plan = plan_of([5000, 390])
    skip_at = 3717.933555623072  # (skip_at + 390) - skip_at == 390.00000000000045 in floats
    t = run(plan, (sm.start, 0.0), (sm.skip, skip_at))
    state = sm.view(plan, t.anchors, 99_999)
    assert state.status is Status.COMPLETED and state.elapsed_s == skip_at + 390
    assert state.segment_elapsed_s == 390 and state.segment_remaining_s == 0


def test_many_boundaries_passed_unobserved_are_all_applied() -> None:
    plan = plan_of([7] * 500)
    started = sm.start(plan, Anchors(), T0).anchors
    t = sm.settle(plan, started, T0 + 7 * 300 + 3)
    assert [e.at for e in t.events] == [T0 + 7 * k for k in range(1, 301)]
    assert sm.view(plan, t.anchors, T0 + 7 * 300 + 3).segment_elapsed_s == 3
    assert sm.next_deadline(plan, t.anchors) == T0 + 7 * 301


def test_skip_starts_the_next_segment_now_and_skipping_the_last_completes() -> None:
    plan = plan_of([60, 30])
    t = run(plan, (sm.start, T0), (sm.skip, T0 + 10))
    assert t.events == (SegmentChanged(0, 1, "skip", T0 + 10, 10),)
    state = sm.view(plan, t.anchors, T0 + 15)
    assert (state.segment_index, state.elapsed_s, state.segment_elapsed_s) == (1, 15, 5)
    assert sm.next_deadline(plan, t.anchors) == T0 + 40
    t = sm.skip(plan, t.anchors, T0 + 20)
    assert t.events == (SessionCompleted(T0 + 20, 20, "finished_plan"),)
    assert sm.view(plan, t.anchors, T0 + 99).completed_at == T0 + 20


def test_back_restarts_the_previous_segment_without_taking_elapsed_back() -> None:
    plan = plan_of([60, 30, 30])
    t = run(plan, (sm.start, T0), (sm.back, T0 + 70))
    assert t.events == (
        SegmentChanged(0, 1, "auto", T0 + 60, 60),
        SegmentChanged(1, 0, "back", T0 + 70, 70),
    )
    state = sm.view(plan, t.anchors, T0 + 75)
    assert (state.segment_index, state.elapsed_s, state.segment_elapsed_s) == (0, 75, 5)
    t = sm.back(plan, t.anchors, T0 + 80)  # at index 0: restart the current segment
    assert t.events == (SegmentChanged(0, 0, "back", T0 + 80, 80),)
    assert sm.next_deadline(plan, t.anchors) == T0 + 140


def test_pausing_exactly_on_a_boundary_pauses_at_the_start_of_the_next_segment() -> None:
    plan = plan_of([60, 30])
    t = run(plan, (sm.start, T0), (sm.pause, T0 + 60))
    assert t.events == (SegmentChanged(0, 1, "auto", T0 + 60, 60), SessionPaused(T0 + 60, 60))
    assert sm.next_deadline(plan, t.anchors) is None
    state = sm.view(plan, t.anchors, T0 + 1000)
    assert (state.segment_index, state.segment_elapsed_s, state.elapsed_s) == (1, 0, 60)
    resumed = sm.resume(plan, t.anchors, T0 + 1000).anchors
    assert sm.next_deadline(plan, resumed) == T0 + 1030
    with pytest.raises(InvalidTransition, match="cannot pause a session that is completed"):
        sm.pause(plan, resumed, T0 + 1030)  # the plan ended at that very instant


def test_open_segments_wait_for_a_set_and_never_advance_by_time() -> None:
    plan = plan_of([None, 30])
    started = sm.start(plan, Anchors(), T0).anchors
    assert sm.next_deadline(plan, started) is None
    state = sm.view(plan, started, T0 + 10_000)
    assert (state.segment_index, state.segment_elapsed_s, state.segment_remaining_s) == (
        0,
        10_000,
        None,
    )
    t = sm.complete_set(plan, started, T0 + 40)
    assert t.events == (SegmentChanged(0, 1, "set", T0 + 40, 40),)
    assert sm.next_deadline(plan, t.anchors) == T0 + 70


def test_a_normalized_strength_workout_runs_set_by_set() -> None:
    squat = m.Exercise("Squat", m.ExerciseType.STANDARD, sets=2, reps=5, weight_kg=100, rest_s=90)
    workout = m.Workout("Legs", m.Sport.STRENGTH, (m.Step(m.Intensity.ACTIVE, exercise=squat),))
    plan = normalize(workout)
    t = run(plan, (sm.start, T0), (sm.complete_set, T0 + 30))
    assert sm.view(plan, t.anchors, T0 + 30).segment.name == "Rest"
    with pytest.raises(InvalidTransition, match="timed segment"):
        sm.complete_set(plan, t.anchors, T0 + 40)
    assert sm.settle(plan, t.anchors, T0 + 125).events == (
        SegmentChanged(1, 2, "auto", T0 + 120, 120),
    )
    t = sm.complete_set(plan, t.anchors, T0 + 200)  # set 2/2, then its rest ends the plan
    assert t.events[-1] == SegmentChanged(2, 3, "set", T0 + 200, 200)
    assert sm.settle(plan, t.anchors, T0 + 999).events == (
        SessionCompleted(T0 + 290, 290, "finished_plan"),
    )


def test_finish_and_abandon_end_the_session_now() -> None:
    plan = plan_of([60, 30])
    finished = run(plan, (sm.start, T0), (sm.finish, T0 + 10))
    assert finished.events == (SessionCompleted(T0 + 10, 10, "finish"),)
    abandoned = run(plan, (sm.start, T0), (sm.pause, T0 + 5), (sm.abandon, T0 + 50))
    assert abandoned.events == (SessionAbandoned(T0 + 50, 5),)
    state = sm.view(plan, abandoned.anchors, T0 + 99)
    assert state.status is Status.ABANDONED and state.completed_at is None
    assert sm.abandon(plan, Anchors(), T0).anchors.status is Status.ABANDONED


def test_a_now_before_the_last_anchor_never_runs_time_backwards() -> None:
    plan = plan_of([60, 30])
    t = run(plan, (sm.start, T0), (sm.skip, T0 + 10))
    assert sm.view(plan, t.anchors, T0 + 5).elapsed_s == 10
    assert sm.pause(plan, t.anchors, T0 + 2).events == (SessionPaused(T0 + 10, 10),)


def test_stale_sessions_come_back_paused_at_their_last_known_point() -> None:
    plan = plan_of([600, 600])
    started = sm.start(plan, Anchors(), T0).anchors
    t = sm.pause_at(plan, started, T0 + 700)
    assert t.events == (SegmentChanged(0, 1, "auto", T0 + 600, 600), SessionPaused(T0 + 700, 700))
    assert sm.pause_at(plan, t.anchors, T0 + 800) == Transition(t.anchors)
    ended = sm.pause_at(plan, started, T0 + 5000)
    assert ended.anchors.status is Status.COMPLETED and ended.anchors.ended_at == T0 + 1200


def _at(status: str) -> Anchors:
    plan = plan_of([60, 30])
    steps: dict[str, list[Command]] = {
        "not_started": [],
        "in_progress": [sm.start],
        "paused": [sm.start, sm.pause],
        "completed": [sm.start, sm.finish],
        "abandoned": [sm.start, sm.abandon],
    }
    return run(plan, *((c, T0) for c in steps[status])).anchors


@pytest.mark.parametrize(
    ("status", "command", "detail"),
    [
        ("in_progress", sm.start, "cannot start a session that is in progress"),
        ("paused", sm.pause, "cannot pause a session that is paused"),
        ("not_started", sm.pause, "cannot pause a session that is not started"),
        ("in_progress", sm.resume, "cannot resume a session that is in progress"),
        ("not_started", sm.skip, "cannot skip a session that is not started"),
        ("not_started", sm.back, "cannot go back in a session that is not started"),
        ("not_started", sm.finish, "cannot finish a session that is not started"),
        ("completed", sm.start, "cannot start a session that is completed"),
        ("completed", sm.skip, "cannot skip a session that is completed"),
        ("completed", sm.abandon, "cannot abandon a session that is completed"),
        ("abandoned", sm.resume, "cannot resume a session that is abandoned"),
        ("abandoned", sm.finish, "cannot finish a session that is abandoned"),
        ("in_progress", sm.complete_set, "cannot complete a set on a timed segment"),
    ],
)
def test_invalid_transitions_name_the_rule(status: str, command: Command, detail: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        command(plan_of([60, 30]), _at(status), T0 + 1)
    assert refused.value.detail == detail
    assert refused.value.body() == {"error": "invalid_transition", "detail": detail}
    assert refused.value.status == 409


def test_complete_set_needs_a_set_not_an_open_distance() -> None:
    plan = plan_of([None], open_type=m.DurationType.DISTANCE)
    started = sm.start(plan, Anchors(), T0).anchors
    with pytest.raises(InvalidTransition, match="not a set"):
        sm.complete_set(plan, started, T0 + 1)


def test_every_command_a_client_may_send_has_its_rule() -> None:
    assert set(sm.COMMANDS) == set(typing.get_args(sm.Command))

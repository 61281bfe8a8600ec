"""Crash recovery of a real `setpoint serve` process ("every accepted
command is committed before it is acknowledged").

Run 1 serves 20 athletes driving one session each with a seeded random mix of commands, all
at once, each with an Idempotency-Key, and is killed with SIGKILL in the middle of it; the
clients keep retrying their unanswered request against the dead port, as a phone would.
Run 2 starts on the same database with the default (1 h) stale window: every acknowledged
command is there, the request in flight at the crash applies at most once, and the clocks
are right (a paused session exactly where it was acknowledged, a running one further by the
wall time since). Run 2 is killed too and stays down longer than a short stale window; run 3,
started with that window, brings the sessions back paused at their last known point instead
of running through the downtime.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.procs import (
    Processes,
    Server,
    bearer,
    create_athletes,
    login,
    new_session,
    processes,
    time_steps,
)

SEED = 20260302
ATHLETES = 20
DURATIONS: list[int | None] = [3, 2, 3, 2, 3, 600, None]  # short ones advance during the test
LAST = len(DURATIONS) - 1
IDLE_DURATIONS: list[int | None] = [600, 600, None]
TOLERANCE_S = 1.0
STALE_AFTER_S = 2.0
COMMAND_EVENTS = {
    "start": ("SessionStarted", None),
    "pause": ("SessionPaused", None),
    "resume": ("SessionResumed", None),
    "skip": ("SegmentChanged", "skip"),
    "back": ("SegmentChanged", "back"),
}


@dataclass
class Ack:
    command: str
    key: str
    state: dict[str, Any]  # the answer, without `replayed`

    @property
    def at(self) -> float:
        """When the command took effect: the server's word for it, checked against our clock
        by `ack_of` to lie between sending the request and receiving the answer."""
        return float(self.state["server_time"])


@dataclass
class Athlete:
    token: str
    session_id: str
    rng: random.Random
    acks: list[Ack] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    pending: tuple[str, str] | None = None  # (command, key) sent, not answered
    failures: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    @property
    def last(self) -> Ack:
        return self.acks[-1]


def choose(a: Athlete) -> str:
    if not a.acks:
        return "start"
    state = a.last.state
    if state["status"] == "in_progress":
        options = ["pause"] * 3 + ["back"] * 3 + ["skip"] * 3
    else:
        options = ["resume"] * 4 + ["back"] * 2 + ["skip"] * 2
    if state["segment_index"] >= LAST:  # skipping the open last segment would complete it
        options = [o for o in options if o != "skip"]
    return a.rng.choice(options)


CLOCK_SLACK_S = 0.05  # the server's timeline and ours are the same wall clock


def ack_of(command: str, key: str, response: httpx.Response) -> Ack:
    body = dict(response.json())
    if not body.pop("replayed", False):  # a replayed answer was given earlier, at its own time
        assert_answered_within(body, response)
    return Ack(command, key, body)


def assert_answered_within(state: dict[str, Any], response: httpx.Response) -> None:
    sent, received = response.extensions["sent_at"], response.extensions["received_at"]
    assert sent - CLOCK_SLACK_S <= state["server_time"] <= received + CLOCK_SLACK_S, (
        f"server_time {state['server_time']} is outside the request [{sent}, {received}]"
    )


async def timed(request: Any) -> httpx.Response:
    sent = time.time()
    response: httpx.Response = await request
    response.extensions["sent_at"], response.extensions["received_at"] = sent, time.time()
    return response


async def send(client: httpx.AsyncClient, a: Athlete, command: str, key: str) -> httpx.Response:
    return await timed(
        client.post(
            f"/api/sessions/{a.session_id}/{command}",
            headers={**a.headers, "Idempotency-Key": key},
        )
    )


async def drive(client: httpx.AsyncClient, a: Athlete, stop: asyncio.Event) -> None:
    """One client: a command at a time; an unanswered one is retried with the same key."""
    while not stop.is_set():
        if a.pending is None:
            a.pending = (choose(a), uuid.uuid4().hex)
        command, key = a.pending
        try:
            response = await send(client, a, command, key)
        except httpx.TransportError:
            a.failures += 1
            await asyncio.sleep(0.05)
            continue
        if response.status_code == 200:
            a.acks.append(ack_of(command, key, response))
        elif response.status_code == 409:
            a.rejected.append(f"{command}: {response.text}")
        else:
            raise AssertionError(f"{command} answered {response.status_code}: {response.text}")
        a.pending = None
        await asyncio.sleep(a.rng.uniform(0.03, 0.2))


def segment_after(state: dict[str, Any], moving_s: float, durations: list[int | None]) -> int:
    """The segment a running session reaches after `moving_s` more seconds."""
    index: int = state["segment_index"]
    left: float | None = state["segment_remaining_s"]
    while left is not None and moving_s >= left and index < len(durations) - 1:
        moving_s -= left
        index += 1
        left = durations[index]
    return index


def command_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["type"] in ("SessionStarted", "SessionPaused", "SessionResumed")
        or (e["type"] == "SegmentChanged" and e["payload"]["reason"] in ("skip", "back"))
    ]


async def get_json(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def timed_state(client: httpx.AsyncClient, a: Athlete) -> tuple[dict[str, Any], float]:
    """The state, and the wall time it was read at (checked against our clock)."""
    response = await timed(client.get(f"/api/sessions/{a.session_id}", headers=a.headers))
    assert response.status_code == 200, response.text
    state = response.json()
    assert_answered_within(state, response)
    return state, float(state["server_time"])


def brief(state: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "status", "elapsed_s", "segment_index", "segment_elapsed_s", "revision")
    return {k: state[k] for k in (*keys, "server_time")}


def assert_matches(
    state: dict[str, Any],
    now: float,
    truth: Ack,
    durations: list[int | None],
    errors: list[float],
) -> None:
    """`state`, read at `now`, is what `truth` (the last effective ack) implies."""
    expected = truth.state
    where = f"{truth.command} {truth.key}: got {brief(state)}, acknowledged {brief(expected)}"
    assert state["status"] == expected["status"], where
    assert state["revision"] >= expected["revision"], where
    if expected["status"] == "paused":
        assert abs(state["elapsed_s"] - expected["elapsed_s"]) <= 0.002, where
        assert state["segment_index"] == expected["segment_index"], where
        errors.append(abs(state["elapsed_s"] - expected["elapsed_s"]))
        return
    moving = now - truth.at
    error = state["elapsed_s"] - (expected["elapsed_s"] + moving)
    errors.append(abs(error))
    assert abs(error) <= TOLERANCE_S, f"elapsed off by {error:.3f} s: {where}"
    lowest = segment_after(expected, moving - TOLERANCE_S, durations)
    highest = segment_after(expected, moving + TOLERANCE_S, durations)
    assert lowest <= state["segment_index"] <= highest, where


def assert_logged(events: list[dict[str, Any]], acks: list[Ack]) -> None:
    """The event log is append-only and holds one event per acknowledged command."""
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    logged = command_events(events)
    assert len(logged) == len(acks), (len(logged), [a.command for a in acks], logged)
    for ack in acks:
        kind, reason = COMMAND_EVENTS[ack.command]
        matches = [
            e
            for e in logged
            if e["type"] == kind
            and abs(e["at"] - ack.state["server_time"]) <= 0.002
            and (reason is None or e["payload"]["reason"] == reason)
        ]
        assert len(matches) == 1, f"{ack.command} {ack.key} at {ack.state['server_time']}: {logged}"


async def start_server(procs: Processes, name: str, **env: str) -> Server:
    server = procs.serve(name, **env)
    await procs.up(server)
    return server


def client_of(server: Server) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return httpx.AsyncClient(base_url=server.url, timeout=15, limits=limits)


async def test_sigkill_loses_no_acknowledged_command_and_keeps_time(
    database_url: str, tmp_path: Path
) -> None:
    emails = [f"athlete{i}@example.com" for i in range(ATHLETES)]
    await create_athletes(database_url, [*emails, "idle@example.com"])
    with processes(tmp_path, database_url) as procs:
        # --- run 1: concurrent commands, SIGKILL in the middle -----------------------------
        run1 = await start_server(procs, "run1")
        async with client_of(run1) as client:
            tokens = await asyncio.gather(*(login(client, e) for e in emails))
            ids = await asyncio.gather(
                *(new_session(client, t, time_steps(*DURATIONS)) for t in tokens)
            )
            athletes = [
                Athlete(t, sid, random.Random(SEED + i))
                for i, (t, sid) in enumerate(zip(tokens, ids, strict=True))
            ]
            idle = Athlete(await login(client, "idle@example.com"), "", random.Random(SEED))
            idle.session_id = await new_session(client, idle.token, time_steps(*IDLE_DURATIONS))
            started = await send(client, idle, "start", "idle-start")
            assert started.status_code == 200, started.text
            idle.acks.append(ack_of("start", "idle-start", started))

            stop = asyncio.Event()
            drivers = asyncio.gather(*(drive(client, a, stop) for a in athletes))
            try:
                deadline = time.monotonic() + 30
                while not all(a.acks for a in athletes):
                    assert time.monotonic() < deadline, "the sessions did not all start in 30 s"
                    await asyncio.sleep(0.05)
                await asyncio.sleep(random.Random(SEED).uniform(1.5, 2.5))
                run1.stop(signal.SIGKILL)
                killed_at = time.time()
                await asyncio.sleep(0.3)  # the clients keep trying against the dead port
            finally:
                stop.set()
                await drivers
        print(
            f"run 1: {sum(len(a.acks) for a in athletes)} acks, "
            f"{sum(len(a.rejected) for a in athletes)} refusals, "
            f"{sum(a.pending is not None for a in athletes)} unanswered at the crash"
        )
        assert sum(a.failures for a in athletes) >= ATHLETES, "every client saw the crash"

        # --- run 2: same database, default stale window: everything continues ---------------
        run2 = await start_server(procs, "run2")
        errors: list[float] = []
        in_flight: list[str] = []
        async with client_of(run2) as client:

            async def check(a: Athlete) -> None:
                state, now = await timed_state(client, a)
                events = await get_json(client, f"/api/sessions/{a.session_id}/events", a.headers)
                if a.pending is not None:
                    # The retry a client makes after reconnecting: the same key applies at
                    # most once, whether or not the crash came before the commit.
                    command, key = a.pending
                    retry = await send(client, a, command, key)
                    assert retry.status_code == 200, retry.text
                    a.acks.append(ack_of(command, key, retry))
                    a.pending = None
                    if retry.json().get("replayed"):  # committed before the crash
                        in_flight.append(command)
                        committed = len(a.acks)
                    else:
                        committed = len(a.acks) - 1
                else:
                    committed = len(a.acks)
                assert_matches(state, now, a.acks[committed - 1], DURATIONS, errors)
                assert_logged(events, a.acks[:committed])
                for ack in a.acks:  # every acknowledged key answers the same again
                    again = await send(client, a, ack.command, ack.key)
                    assert again.status_code == 200, again.text
                    body = again.json()
                    assert body.pop("replayed") is True and body == ack.state, (body, ack)
                events = await get_json(client, f"/api/sessions/{a.session_id}/events", a.headers)
                assert_logged(events, a.acks)  # and the replays applied nothing

            await asyncio.gather(*(check(a) for a in athletes))
            print(
                f"run 2: elapsed_s within {max(errors):.3f} s of the truth; "
                f"{len(in_flight)} commands committed but unanswered at the crash"
            )

            # The idle session ran on through the crash; a command anchors it once more.
            state, now = await timed_state(client, idle)
            assert_matches(state, now, idle.last, IDLE_DURATIONS, errors)
            skipped = await send(client, idle, "skip", "idle-skip")
            assert skipped.status_code == 200, skipped.text
            idle.acks.append(ack_of("skip", "idle-skip", skipped))
            assert idle.last.state["segment_index"] == 1
            assert abs(idle.last.state["elapsed_s"] - (idle.last.at - idle.acks[0].at)) < 1
        run2.stop(signal.SIGKILL)
        killed_at = time.time()

        # --- run 3: down longer than the stale window: running sessions come back paused ------
        await asyncio.sleep(max(0.0, killed_at + STALE_AFTER_S + 0.3 - time.time()))
        run3 = await start_server(procs, "run3", SETPOINT_SESSION_STALE_AFTER_S=str(STALE_AFTER_S))
        async with client_of(run3) as client:
            state, _ = await timed_state(client, idle)
            skip = idle.last.state
            assert state["status"] == "paused", state
            assert state["segment_index"] == 1, state
            assert abs(state["elapsed_s"] - skip["elapsed_s"]) <= 0.05, (state, skip)
            events = await get_json(client, f"/api/sessions/{idle.session_id}/events", idle.headers)
            assert events[-1]["type"] == "SessionPaused", events
            assert abs(events[-1]["at"] - skip["server_time"]) <= 0.05, (events[-1], skip)

            async def check_paused(a: Athlete) -> None:
                state, _ = await timed_state(client, a)
                truth = a.last.state
                assert state["status"] == "paused", (brief(state), brief(truth))
                if truth["status"] == "paused":
                    assert abs(state["elapsed_s"] - truth["elapsed_s"]) <= 0.002, (
                        brief(state),
                        brief(truth),
                    )
                    return
                # Paused at its last known point: no earlier than its last command, no later
                # than the crash of run 2, and far from where running on would have taken it.
                latest = truth["elapsed_s"] + (killed_at - a.last.at) + 0.5
                assert truth["elapsed_s"] - 0.002 <= state["elapsed_s"] <= latest, (
                    brief(state),
                    brief(truth),
                )

            await asyncio.gather(*(check_paused(a) for a in athletes))

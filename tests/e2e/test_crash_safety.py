"""Crash safety under load: a real `setpoint serve` with 50 athletes each driving a session
(a seeded random mix of commands, each with an Idempotency-Key, as in test_recovery.py) and
sending heart-rate batches, half of them `durable`, killed with SIGKILL at a random moment
and restarted on the same database, for several rounds.

After each restart, for every session: every acknowledged command is in the state and once in
the event log (the request in flight at the crash applies at most once when retried with its
key), the revision never goes back, the elapsed time is within 1 s of what the last
acknowledged command implies, and every heart-rate sample answered as `stored` is in the
database. Samples answered as accepted but not stored may be lost (the batch-write window);
the test counts them.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from setpoint.db.engine import Database
from setpoint.heartrate.tables import HeartRateSample
from tests.e2e.procs import create_athletes, login, new_session, processes, time_steps
from tests.e2e.test_recovery import (
    DURATIONS,
    SEED,
    Athlete,
    ack_of,
    assert_logged,
    assert_matches,
    drive,
    get_json,
    send,
    start_server,
    timed_state,
)

ATHLETES = 50
ROUNDS = 4
RUN_S = (1.0, 2.5)  # how long the load runs before the kill, drawn per round
HR_EVERY_S = 0.5  # a batch of HR_BATCH samples, then a pause (well under the session's rate)
HR_BATCH = 2


@dataclass
class Heart:
    """One session's heart-rate sender and what the server said about each batch."""

    athlete: Athlete
    durable: bool
    next_t: float = 0.0
    stored: set[float] = field(default_factory=set)  # answered as written before the answer
    unstored: int = 0  # accepted, answered as waiting for the batch write
    refused: int = 0  # the session was paused (409), or rate-limited


def batch(heart: Heart) -> list[dict[str, float | int]]:
    now = round(time.time(), 3)
    heart.next_t = max(heart.next_t, now - 0.2)
    samples = []
    for i in range(HR_BATCH):
        heart.next_t = round(heart.next_t + 0.01 + i * 0.001, 3)
        samples.append({"t": heart.next_t, "bpm": 140 + (i % 2)})
    return samples


async def beat(client: httpx.AsyncClient, heart: Heart, stop: asyncio.Event) -> None:
    """Sends a batch every HR_EVERY_S until `stop`; a batch lost to the crash is not retried
    (a strap's samples are not precious; the test is what the server promised)."""
    a = heart.athlete
    while not stop.is_set():
        samples = batch(heart)
        try:
            response = await client.post(
                f"/api/sessions/{a.session_id}/heart-rate",
                headers=a.headers,
                json={"samples": samples, "durable": heart.durable},
            )
        except httpx.TransportError:
            await asyncio.sleep(0.05)
            continue
        if response.status_code == 200:
            body = response.json()
            if body["stored"] == len(samples):  # every sample accepted and written
                heart.stored.update(s["t"] for s in samples)
            else:
                assert body["stored"] == 0 or heart.durable, body
                heart.unstored += body["accepted"] - body["stored"]
        elif response.status_code in (409, 429):
            heart.refused += 1
        else:
            raise AssertionError(f"heart-rate answered {response.status_code}: {response.text}")
        await asyncio.sleep(HR_EVERY_S)


async def stored_samples(database_url: str) -> dict[str, set[float]]:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(select(HeartRateSample.session_id, HeartRateSample.t))
            found: dict[str, set[float]] = {}
            for session_id, t in rows:
                found.setdefault(str(session_id), set()).add(round(t, 3))
            return found
    finally:
        await db.dispose()


async def check(
    client: httpx.AsyncClient, a: Athlete, revisions: dict[str, int], errors: list[float]
) -> None:
    """The state and log after a restart agree with every acknowledgement; the command in
    flight at the crash is retried with its key and applies at most once."""
    state, now = await timed_state(client, a)
    events = await get_json(client, f"/api/sessions/{a.session_id}/events", a.headers)
    committed = len(a.acks)
    if a.pending is not None:
        command, key = a.pending
        retry = await send(client, a, command, key)
        if retry.status_code == 200:
            a.acks.append(ack_of(command, key, retry))
            committed = len(a.acks) if retry.json().get("replayed") else len(a.acks) - 1
        else:  # refused now (409): it was never applied before the crash either
            assert retry.status_code == 409, retry.text
            a.rejected.append(f"{command}: {retry.text}")
        a.pending = None
    assert state["revision"] >= revisions.get(a.session_id, 0), "the revision went back"
    revisions[a.session_id] = state["revision"]
    if committed:
        assert_matches(state, now, a.acks[committed - 1], DURATIONS, errors)
    assert_logged(events, a.acks[:committed])
    if a.acks:  # the last acknowledged key still answers the same
        last = a.acks[-1]
        again = await send(client, a, last.command, last.key)
        body = again.json()
        assert again.status_code == 200 and body.pop("replayed") is True, again.text
        assert body == last.state, (body, last.state)


async def test_sigkill_rounds_under_load_lose_nothing_acknowledged(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    emails = [f"load{i}@example.com" for i in range(ATHLETES)]
    await create_athletes(database_url, emails)
    limits = httpx.Limits(max_connections=2 * ATHLETES + 8, max_keepalive_connections=0)
    revisions: dict[str, int] = {}
    errors: list[float] = []
    with processes(tmp_path, database_url) as procs:
        server = await start_server(procs, "round0")
        async with httpx.AsyncClient(base_url=server.url, timeout=15, limits=limits) as client:
            # One login at a time: each counts against the address until it succeeds,
            # and one address may have 20 in flight before the throttle answers 429.
            tokens = [await login(client, e) for e in emails]
            ids = await asyncio.gather(
                *(new_session(client, t, time_steps(*DURATIONS)) for t in tokens)
            )
        athletes = [
            Athlete(t, sid, random.Random(SEED + i))
            for i, (t, sid) in enumerate(zip(tokens, ids, strict=True))
        ]
        hearts = [Heart(a, durable=i % 2 == 0) for i, a in enumerate(athletes)]
        for n in range(1, ROUNDS + 1):
            async with httpx.AsyncClient(base_url=server.url, timeout=15, limits=limits) as client:
                stop = asyncio.Event()
                load: list[Awaitable[None]] = [drive(client, a, stop) for a in athletes]
                load += [beat(client, h, stop) for h in hearts]
                running = asyncio.gather(*load)
                try:
                    await asyncio.sleep(rng.uniform(*RUN_S))
                    server.stop(signal.SIGKILL)
                    await asyncio.sleep(0.2)  # the clients keep trying against the dead port
                finally:
                    stop.set()
                    await running
            server = await start_server(procs, f"round{n}")
            async with httpx.AsyncClient(base_url=server.url, timeout=15, limits=limits) as client:
                await asyncio.gather(*(check(client, a, revisions, errors) for a in athletes))
            found = await stored_samples(database_url)
            lost = {
                h.athlete.session_id: sorted(h.stored - found.get(h.athlete.session_id, set()))
                for h in hearts
            }
            assert not any(lost.values()), f"stored samples lost: {lost}"
            print(
                f"round {n}: {sum(len(a.acks) for a in athletes)} acks, "
                f"{sum(len(h.stored) for h in hearts)} samples stored, "
                f"{sum(h.unstored for h in hearts)} accepted to be written later, "
                f"elapsed within {max(errors, default=0):.3f} s"
            )
        assert all(a.acks for a in athletes), "every session saw commands"
        assert sum(len(h.stored) for h in hearts) > 0, "durable batches were stored"

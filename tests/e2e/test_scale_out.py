"""Scale-out: several `setpoint serve` processes and a `setpoint worker` on one
PostgreSQL database, sharing the live stream and the worker wake-ups through Redis.

PostgreSQL and Redis only: these tests take their own scratch database, and are deselected
(with a line saying so) when SETPOINT_TEST_DATABASE_URL or SETPOINT_TEST_REDIS_URL is not set.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from setpoint.db import migrate
from setpoint.db.engine import Database
from tests.e2e.procs import (
    Listener,
    Server,
    bearer,
    create_athletes,
    has_segment_change,
    login,
    new_session,
    processes,
    time_steps,
)
from tests.support import scratch_postgres

pytestmark = pytest.mark.services

LATE_S = 0.25  # a boundary is announced less than this after its instant
EARLY_S = 0.05  # and never before it (slack for the processes' clocks)


@pytest.fixture(scope="module")
async def pg_redis() -> AsyncIterator[tuple[str, str]]:
    """A migrated scratch PostgreSQL database, and the Redis URL."""
    async with scratch_postgres() as url:
        db = Database(url)
        await migrate.upgrade(db)  # before the servers start, so they never race to migrate
        await db.dispose()
        yield url, os.environ["SETPOINT_TEST_REDIS_URL"]


async def command(server: Server, token: str, session_id: str, name: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.post(f"/api/sessions/{session_id}/{name}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def state_on(server: Server, token: str, session_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.get(f"/api/sessions/{session_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def announced_at_boundary(
    listener: Listener, to_index: int, boundary: float, start: int = 0
) -> float:
    """Waits for the automatic change into `to_index`, due at `boundary` (epoch s); checks
    the event names that instant and the message came on time. Returns the lateness."""
    received = await listener.next_matching(
        has_segment_change(to_index), within_s=max(0.0, boundary - time.time()) + 2, start=start
    )
    event = next(e for e in received.message["events"] if e["type"] == "SegmentChanged")
    assert abs(event["at"] - boundary) < 0.002, (event, boundary)
    lateness = received.at - boundary
    assert -EARLY_S < lateness < LATE_S, f"announced {lateness:+.3f} s from the boundary"
    return lateness


async def test_processes_share_the_live_stream_and_boundaries(
    pg_redis: tuple[str, str], tmp_path: Path
) -> None:
    database_url, redis_url = pg_redis
    email = "shared-stream@example.com"
    await create_athletes(database_url, [email])
    with processes(tmp_path, database_url, SETPOINT_REDIS_URL=redis_url) as procs:
        a, b = procs.serve("a"), procs.serve("b")
        await procs.up(a, b)
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as client:
            token = await login(client, email)
            sid = await new_session(client, token, time_steps(2, 60, None))
        on_b = await Listener.open(b, sid, token)
        on_a = await Listener.open(a, sid, token)
        try:
            # A command over HTTP to A reaches B's client.
            sent = time.time()
            started = await command(a, token, sid, "start")
            update = await on_b.next_matching(
                lambda m: m["type"] == "update" and m["state"]["revision"] == started["revision"],
                within_s=1,
            )
            assert update.at - sent < 1, f"B's client got the start {update.at - sent:.3f} s late"
            assert [e["type"] for e in update.message["events"]] == ["SessionStarted"]
            assert update.message["state"] == started
            # B had the session's state in memory (its client connected before the start):
            # the update dropped it, so B serves the new state at once.
            assert (await state_on(b, token, sid))["revision"] == started["revision"]

            # The boundary the start scheduled on A is announced to B's client at its instant.
            boundary = started["server_time"] + started["segment_remaining_s"]
            lateness = await announced_at_boundary(on_b, 1, boundary)
            print(
                f"start on A seen by B after {update.at - sent:.3f} s; boundary {lateness:+.3f} s"
            )

            # A command on B's socket reaches A's client.
            seen = len(on_a.messages)
            await on_b.ws.send(json.dumps({"type": "command", "command": "pause"}))
            ack = await on_b.next_matching(lambda m: m["type"] in ("ack", "error"), within_s=5)
            assert ack.message["type"] == "ack", ack.message
            paused = await on_a.next_matching(
                lambda m: m["type"] == "update" and m["state"]["status"] == "paused",
                within_s=1,
                start=seen,
            )
            assert paused.message["state"]["revision"] == ack.message["state"]["revision"]
            assert (await state_on(a, token, sid))["status"] == "paused"

            # Two processes ran workers: the boundary was settled, and announced, once.
            assert len(on_a.segment_changes(1)) == len(on_b.segment_changes(1)) == 1
            async with httpx.AsyncClient(base_url=b.url, timeout=10) as client:
                events = await client.get(f"/api/sessions/{sid}/events", headers=bearer(token))
            assert [e["type"] for e in events.json()] == [
                "SessionStarted",
                "SegmentChanged",
                "SessionPaused",
            ], events.text
        finally:
            await on_a.close()
            await on_b.close()


async def test_a_worker_process_alone_drives_boundaries(
    pg_redis: tuple[str, str], tmp_path: Path
) -> None:
    database_url, redis_url = pg_redis
    email = "worker-only@example.com"
    await create_athletes(database_url, [email])
    with processes(
        tmp_path, database_url, SETPOINT_REDIS_URL=redis_url, SETPOINT_RUN_WORKERS="false"
    ) as procs:
        a, b = procs.serve("a"), procs.serve("b")
        await procs.up(a, b)
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as client:
            token = await login(client, email)
            sid = await new_session(client, token, time_steps(1, 60, 1, 60, None))
        on_a = await Listener.open(a, sid, token)
        on_b = await Listener.open(b, sid, token)
        try:
            # With no worker anywhere, a boundary passes unannounced.
            started = await command(a, token, sid, "start")
            first = started["server_time"] + started["segment_remaining_s"]
            await asyncio.sleep(max(0.0, first + 0.5 - time.time()))
            assert on_a.segment_changes(1) == on_b.segment_changes(1) == [], on_b.messages

            # The worker settles the overdue boundary as soon as it starts, at its own instant.
            # Its poll is 60 s: from then on only a wake-up can make it act in time.
            worker = procs.worker("worker", SETPOINT_WORKER_POLL_S="60")
            await worker.wait_for_log("worker running")
            overdue = await on_b.next_matching(has_segment_change(1), within_s=5)
            assert overdue.message["events"][0]["at"] == pytest.approx(first, abs=0.002)

            # A command on B schedules a boundary earlier than any the worker knows of: B's
            # wake-up reaches the worker through Redis, and the boundary is on time.
            skipped = await command(b, token, sid, "skip")
            assert skipped["segment_index"] == 2
            boundary = skipped["server_time"] + skipped["segment_remaining_s"]
            late_b = await announced_at_boundary(on_a, 3, boundary)

            # The same from A (once B has this first change too, so it is not mistaken for
            # the next one).
            await on_b.next_matching(has_segment_change(3), within_s=5)
            seen = len(on_b.messages)
            back = await command(a, token, sid, "back")
            assert back["segment_index"] == 2
            boundary = back["server_time"] + back["segment_remaining_s"]
            late_a = await announced_at_boundary(on_b, 3, boundary, start=seen)
            print(f"boundaries announced {late_b:+.3f} s (wake from B), {late_a:+.3f} s (from A)")
        finally:
            await on_a.close()
            await on_b.close()


async def test_a_token_revoked_on_one_process_closes_its_sockets_on_the_others(
    pg_redis: tuple[str, str], tmp_path: Path
) -> None:
    database_url, redis_url = pg_redis
    email = "revoked-everywhere@example.com"
    await create_athletes(database_url, [email])
    with processes(tmp_path, database_url, SETPOINT_REDIS_URL=redis_url) as procs:
        a, b = procs.serve("a"), procs.serve("b")
        await procs.up(a, b)
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as client:
            token = await login(client, email)
            sid = await new_session(client, token, time_steps(60))
        on_b = await Listener.open(b, sid, token)
        try:
            assert (await state_on(b, token, sid))["status"] == "not_started"  # cached on B
            async with httpx.AsyncClient(base_url=a.url, timeout=10) as client:
                revoked = await client.delete("/api/auth/token", headers=bearer(token))
            assert revoked.status_code == 204
            refused = await on_b.next_matching(lambda m: m["type"] == "error", within_s=5)
            assert refused.message["error"] == "not_authenticated"
            with pytest.raises(ConnectionClosed):  # the server closed the socket
                await asyncio.wait_for(on_b._task, 5)
            assert on_b.ws.close_code == 4401
            async with httpx.AsyncClient(base_url=b.url, timeout=10) as client:
                after = await client.get(f"/api/sessions/{sid}", headers=bearer(token))
            assert after.status_code == 401  # B forgot the token at once, not after its cache
        finally:
            await on_b.close()

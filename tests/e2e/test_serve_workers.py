"""Several server processes (`setpoint serve --workers N`, or separate `serve` processes on one
PostgreSQL database and one Redis): a session's heart rate is tracked in one process, its
owner, whichever process the samples reach (`setpoint.heartrate.owners`).

PostgreSQL and Redis only (marker `services`), except the refusal to start without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from websockets.asyncio.client import ClientConnection, connect

from setpoint.db import migrate
from setpoint.db.engine import Database
from tests.e2e.procs import (
    FAST_HASHING,
    Listener,
    Server,
    bearer,
    create_athletes,
    login,
    processes,
)
from tests.e2e.test_cli_and_server import run
from tests.support import scratch_postgres

BAND = (150, 165)
IN, ABOVE, BELOW = 155, 175, 140
# One sample a second: an excursion above (raised, then back), and one below left open.
FIRST = [IN] * 5 + [ABOVE] * 16 + [IN] * 8 + [BELOW] * 16
# After the owner stops: still below (not raised again by the new owner), then back.
AFTER = [BELOW] * 6 + [IN] * 8
DURABLE = len(FIRST) - 4  # the last sample sent over HTTP to B (samples go round 4 ways)


@pytest.fixture(scope="module")
async def pg_redis() -> AsyncIterator[tuple[str, str]]:
    async with scratch_postgres() as url:
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()
        yield url, os.environ["SETPOINT_TEST_REDIS_URL"]


def test_several_workers_need_postgresql_and_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SETPOINT_REDIS_URL"}
    env["SETPOINT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    done = run(["serve", "--workers", "2"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line
    assert "PostgreSQL" in done.stderr and "SETPOINT_REDIS_URL is not set" in done.stderr
    assert not (tmp_path / "x.db").exists()  # refused before migrating anything


async def running_session(server: Server, email: str) -> tuple[str, str]:
    """A token and a started session whose first step targets BAND for ten minutes."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        token = await login(client, email)
        steps = [
            {
                "intensity": "interval",
                "duration": {"type": "time", "seconds": 600},
                "targets": [{"type": "hr_range", "low": BAND[0], "high": BAND[1]}],
            },
            {"intensity": "cooldown", "duration": {"type": "open"}},
        ]
        workout = await client.post(
            "/api/workouts",
            headers=bearer(token),
            json={"name": "hr", "sport": "run", "steps": steps},
        )
        assert workout.status_code == 201, workout.text
        created = await client.post(
            "/api/sessions", headers=bearer(token), json={"workout_id": workout.json()["id"]}
        )
        assert created.status_code == 201, created.text
        sid = str(created.json()["id"])
        started = await client.post(f"/api/sessions/{sid}/start", headers=bearer(token))
        assert started.status_code == 200, started.text
    return token, sid


class Sender:
    """Sends samples one at a time over HTTP or a session socket, each taken (or refused)
    before the next is sent: over a socket, a ping after the samples answers once they
    were handled."""

    def __init__(self, url: str, token: str, sid: str, ws: ClientConnection | None) -> None:
        self.url, self.token, self.sid, self.ws = url, token, sid, ws
        self.answers: list[dict[str, Any]] = []

    async def send(self, t: float, bpm: int, durable: bool = False) -> None:
        sample = {"t": t, "bpm": bpm}
        if self.ws is None:
            async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
                r = await client.post(
                    f"/api/sessions/{self.sid}/heart-rate",
                    headers=bearer(self.token),
                    json={"samples": [sample], "durable": durable},
                )
            assert r.status_code == 200, r.text
            self.answers.append(r.json())
            return
        await self.ws.send(json.dumps({"type": "hr", "samples": [sample]}))
        await self.ws.send(json.dumps({"type": "ping"}))
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            assert message["type"] != "error", message
            if message["type"] == "pong":
                return


async def count_messages(pubsub: PubSub) -> int:
    """The messages a Redis subscription received so far."""
    seen, deadline = 0, time.monotonic() + 1
    while time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        seen += message is not None
    return seen


def deviations(listener: Listener) -> list[tuple[str, str | None]]:
    return [
        (e["type"], e.get("direction"))
        for r in listener.messages
        if r.message["type"] == "heart_rate"
        for e in r.message["events"]
    ]


async def get(server: Server, token: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.get(path, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.services
async def test_a_sessions_heart_rate_is_tracked_once_across_processes(
    pg_redis: tuple[str, str], tmp_path: Path
) -> None:
    database_url, redis_url = pg_redis
    email = "hr-two-processes@example.com"
    await create_athletes(database_url, [email])
    redis = Redis.from_url(redis_url)
    with processes(tmp_path, database_url, SETPOINT_REDIS_URL=redis_url) as procs:
        a, b = procs.serve("a"), procs.serve("b")
        await procs.up(a, b)
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as client:
            token = await login(client, email)
            r = await client.patch("/api/me/profile", headers=bearer(token), json={"max_hr": 190})
            assert r.status_code == 200, r.text
        token, sid = await running_session(a, email)
        # Samples forwarded to the owner cross Redis: counted here, they show where the
        # samples landed without asking the processes.
        forwarded = redis.pubsub()
        await forwarded.subscribe(f"setpoint:hr:{sid}")
        on_a, on_b = await Listener.open(a, sid, token), await Listener.open(b, sid, token)
        ws_a = await connect(f"{a.ws_url}/api/sessions/{sid}/live?token={token}")
        ws_b = await connect(f"{b.ws_url}/api/sessions/{sid}/live?token={token}")
        try:
            for ws in (ws_a, ws_b):
                assert json.loads(await ws.recv())["type"] == "state"
            http_a, http_b = Sender(a.url, token, sid, None), Sender(b.url, token, sid, None)
            senders = [
                http_a,
                http_b,
                Sender(a.url, token, sid, ws_a),
                Sender("", token, sid, ws_b),
            ]
            start = time.time() - 55  # samples may be a minute old: one a second, sent at once
            for i, bpm in enumerate(FIRST):  # A gets the first sample: A owns the session
                await senders[i % 4].send(start + i, bpm, durable=i == DURABLE)
            # B's HTTP answers are the owner's: what its filter took, and (durable) stored.
            assert all(answer["accepted"] == 1 for answer in http_a.answers + http_b.answers)
            durable = http_b.answers[-1]  # forwarded by B, written by A before it answered
            assert durable["stored"] == durable["accepted"] == 1
            want = [("ZoneDeviation", "above"), ("BackInZone", None), ("ZoneDeviation", "below")]
            for listener in (on_a, on_b):  # each client saw each alert once
                await listener.next_matching(
                    lambda m: any(e.get("direction") == "below" for e in m.get("events", ())),
                    within_s=5,
                )
                assert deviations(listener) == want
            sent_to_b = sum(1 for i in range(len(FIRST)) if i % 4 in (1, 3))
            assert await count_messages(forwarded) == sent_to_b

            # The owner stops (gracefully): B takes the session over from the database, does
            # not raise the open alert again, and announces the return into the band once.
            await ws_a.close()
            await on_a.close()
            assert a.stop(signal.SIGTERM) == -signal.SIGTERM
            assert "Application shutdown complete" in a.tail()
            after = len(FIRST)
            b_senders = [http_b, Sender("", token, sid, ws_b)]
            for i, bpm in enumerate(AFTER):
                await b_senders[i % 2].send(start + after + i, bpm)
            await on_b.next_matching(
                lambda m: len(deviations(on_b)) >= 4,
                within_s=5,
            )
            await asyncio.sleep(0.5)
            assert deviations(on_b) == [*want, ("BackInZone", None)]
            events = await get(b, token, f"/api/sessions/{sid}/events")
            alerts = [
                (e["type"], e["payload"].get("direction")) for e in events if "Zone" in e["type"]
            ]
            assert alerts == [*want, ("BackInZone", None)], events
            await asyncio.sleep(2.5)  # the batch write
            summary = await get(b, token, f"/api/sessions/{sid}/summary")
            assert summary["alerts"] == {"ZoneDeviation": 2, "BackInZone": 2}
            assert summary["heart_rate"]["totals"]["samples"] == len(FIRST) + len(AFTER)
        finally:
            await forwarded.aclose()
            await redis.aclose()
            for ws in (ws_a, ws_b):
                with contextlib.suppress(Exception):
                    await ws.close()
            await on_a.close()
            await on_b.close()


@pytest.mark.services
async def test_serve_workers_runs_processes_on_one_port(
    pg_redis: tuple[str, str], tmp_path: Path
) -> None:
    """`serve --workers 2`: both processes serve the one port (each its own process, seen in
    the log), heart rate from many connections raises each alert once, and SIGTERM stops it."""
    database_url, redis_url = pg_redis
    email = "hr-workers@example.com"
    await create_athletes(database_url, [email])
    with processes(tmp_path, database_url, SETPOINT_REDIS_URL=redis_url, **FAST_HASHING) as procs:
        server = procs.serve("workers", "--workers", "2")
        await procs.up(server)
        await server.wait_for_log("Started parent process")
        deadline = time.monotonic() + 30
        while server.tail(1_000_000).count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.tail()
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            token = await login(client, email)
            r = await client.patch("/api/me/profile", headers=bearer(token), json={"max_hr": 190})
            assert r.status_code == 200, r.text
        token, sid = await running_session(server, email)
        redis = Redis.from_url(redis_url)
        forwarded = redis.pubsub()
        await forwarded.subscribe(f"setpoint:hr:{sid}")
        listeners = [await Listener.open(server, sid, token) for _ in range(4)]
        sockets = [
            await connect(f"{server.ws_url}/api/sessions/{sid}/live?token={token}")
            for _ in range(4)
        ]
        try:
            for ws in sockets:
                assert json.loads(await ws.recv())["type"] == "state"
            senders = [Sender(server.url, token, sid, None)] + [
                Sender("", token, sid, ws) for ws in sockets
            ]
            start = time.time() - 55
            for i, bpm in enumerate(FIRST):
                await senders[i % len(senders)].send(start + i, bpm)
            want = [("ZoneDeviation", "above"), ("BackInZone", None), ("ZoneDeviation", "below")]
            for listener in listeners:
                await listener.next_matching(
                    lambda m: any(e.get("direction") == "below" for e in m.get("events", ())),
                    within_s=5,
                )
            await asyncio.sleep(0.5)
            for listener in listeners:
                assert deviations(listener) == want
            events = await get(server, token, f"/api/sessions/{sid}/events")
            alerts = [
                (e["type"], e["payload"].get("direction")) for e in events if "Zone" in e["type"]
            ]
            assert alerts == want
            seen = await count_messages(forwarded)
            # The kernel spreads connections over the two processes' sockets by address: with
            # 13 connections, all on the owner is a 1-in-8,000 chance.
            print(f"{seen} of {len(FIRST)} samples reached the process not owning the session")
            assert seen > 0
        finally:
            await forwarded.aclose()
            await redis.aclose()
            for ws in sockets:
                with contextlib.suppress(Exception):
                    await ws.close()
            for listener in listeners:
                await listener.close()
        assert server.stop(signal.SIGTERM, timeout=30) == 0
        log = server.tail(1_000_000)
        assert log.count("Application shutdown complete") == 2 and "Stopping parent process" in log

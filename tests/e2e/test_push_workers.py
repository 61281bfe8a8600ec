"""Device pushes with two `setpoint worker` processes on one PostgreSQL database:
every planned session reaches the fake provider exactly once, and every copy is withdrawn
exactly once. One `setpoint serve` (no workers of its own) takes the saves; its wake-ups
reach both workers through Redis at the same moment, so both claim from the same rows.

PostgreSQL and Redis only, like the scale-out tests: deselected (with a line saying so) when
SETPOINT_TEST_DATABASE_URL or SETPOINT_TEST_REDIS_URL is not set.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.exports.providers.fake import FakeProviderServer
from setpoint.exports.tables import ExportWithdrawal
from tests.e2e.procs import bearer, create_athletes, login, processes, time_steps
from tests.support import scratch_postgres

pytestmark = pytest.mark.services

PROVIDERS = ("garmin", "wahoo")
ATHLETES_PER_PROVIDER = 3
SESSIONS_PER_ATHLETE = 5  # 30 planned sessions in all
MONDAY = "2026-03-02"
WITHIN_S = 30.0  # bound of every wait for the workers


@pytest.fixture(scope="module")
async def pg_redis() -> AsyncIterator[tuple[str, str]]:
    """A migrated scratch PostgreSQL database, and the Redis URL."""
    async with scratch_postgres() as url:
        db = Database(url)
        await migrate.upgrade(db)  # before the processes start, so they never race to migrate
        await db.dispose()
        yield url, os.environ["SETPOINT_TEST_REDIS_URL"]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as running:
        yield running


def provider_settings(fake_url: str) -> dict[str, str]:
    """The environment that points both providers at the fake, with no client-side quotas."""
    env = {"SETPOINT_PUBLIC_URL": "http://setpoint.test", "SETPOINT_PROVIDER_QUOTAS": "off"}
    for p, authorize in (("garmin", "oauth2Confirm"), ("wahoo", "oauth/authorize")):
        prefix = f"SETPOINT_{p.upper()}"
        env |= {
            f"{prefix}_CLIENT_ID": f"{p}-client",
            f"{prefix}_CLIENT_SECRET": "client-secret",
            f"{prefix}_AUTHORIZE_URL": f"{fake_url}/{p}/{authorize}",
            f"{prefix}_TOKEN_URL": f"{fake_url}/{p}/oauth/token",
            f"{prefix}_API_URL": f"{fake_url}/{p}",
        }
    return env


async def connect(client: httpx.AsyncClient, token: str, provider: str) -> None:
    """The OAuth dance: the fake approves at once and sends the browser back with a code."""
    r = await client.get(f"/api/devices/{provider}/connect", headers=bearer(token))
    assert r.status_code == 200, r.text
    async with httpx.AsyncClient() as browser:
        allowed = await browser.get(r.json()["authorize_url"])
    assert allowed.status_code in (302, 303), allowed.text
    query = parse_qs(urlsplit(allowed.headers["location"]).query)
    back = await client.get(
        f"/api/devices/{provider}/callback",
        params={"code": query["code"][0], "state": query["state"][0]},
        headers={"Accept": "application/json"},
    )
    assert back.status_code == 200 and back.json()["connected"] is True, back.text


async def plan_sessions(client: httpx.AsyncClient, token: str, count: int) -> list[str]:
    """`count` ENDURANCE sessions in the athlete's own plan for the week, saved at once."""
    workout = await client.post(
        "/api/workouts",
        headers=bearer(token),
        json={"name": "Steady run", "sport": "run", "steps": time_steps(600, 1200, 300)},
    )
    assert workout.status_code == 201, workout.text
    plan = await client.post("/api/plans", headers=bearer(token), json={"week_start": MONDAY})
    assert plan.status_code == 201, plan.text

    async def save(day: int) -> str:
        r = await client.post(
            f"/api/plans/{plan.json()['id']}/sessions",
            headers=bearer(token),
            json={
                "date": f"2026-03-0{2 + day % 7}",
                "type": "ENDURANCE",
                "workout_id": workout.json()["id"],
                "title": f"Run {day}",
            },
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    return list(await asyncio.gather(*(save(day) for day in range(count))))


async def eventually(what: str, check: Callable[[], Awaitable[bool]]) -> float:
    """Poll `check` until it holds (at most WITHIN_S); the seconds it took."""
    t0 = time.monotonic()
    while not await check():
        assert time.monotonic() - t0 < WITHIN_S, f"not {what} after {WITHIN_S} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - t0


async def test_two_workers_push_and_withdraw_each_session_exactly_once(
    pg_redis: tuple[str, str], fake: FakeProviderServer, tmp_path: Path
) -> None:
    database_url, redis_url = pg_redis
    fake.state.reset()
    athletes = {
        provider: [f"{provider}-{i}@example.com" for i in range(ATHLETES_PER_PROVIDER)]
        for provider in PROVIDERS
    }
    await create_athletes(database_url, [e for emails in athletes.values() for e in emails])
    env = {**provider_settings(fake.url), "SETPOINT_REDIS_URL": redis_url}
    with processes(tmp_path, database_url, **env) as procs:
        api = procs.serve("api", SETPOINT_RUN_WORKERS="false")
        workers = [procs.worker("worker-1"), procs.worker("worker-2")]
        await procs.up(api)
        await asyncio.gather(*(w.wait_for_log("worker running") for w in workers))
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
            tokens = {e: await login(client, e) for emails in athletes.values() for e in emails}
            for provider, emails in athletes.items():
                for email in emails:
                    await connect(client, tokens[email], provider)

            # Every athlete's sessions are saved at once: 30 pushes due together.
            saved = await asyncio.gather(
                *(plan_sessions(client, tokens[e], SESSIONS_PER_ATHLETE) for e in tokens)
            )
            planned = {e: ids for e, ids in zip(tokens, saved, strict=True)}
            sessions = {
                provider: [(tokens[e], pid) for e in emails for pid in planned[e]]
                for provider, emails in athletes.items()
            }
            n = {provider: len(s) for provider, s in sessions.items()}
            every = [s for each in sessions.values() for s in each]

            async def exports() -> list[dict[str, Any]]:
                answers = await asyncio.gather(
                    *(
                        client.get(f"/api/plan-sessions/{pid}/export", headers=bearer(token))
                        for token, pid in every
                    )
                )
                assert all(a.status_code == 200 for a in answers), answers
                return [a.json() for a in answers]

            async def all_sent() -> bool:
                statuses = Counter(e["status"] for e in await exports())
                assert set(statuses) <= {"PENDING", "SENT"}, statuses
                return statuses == {"SENT": len(every)}

            pushed_s = await eventually("all SENT", all_sent)
            sent = await exports()

            garmin, wahoo = fake.state["garmin"], fake.state["wahoo"]
            # One copy per planned session, each the one the server recorded.
            held = {
                "garmin workouts": len(garmin.workouts),
                "garmin schedules": len(garmin.schedules),
                "wahoo plans": len(wahoo.plans),
                "wahoo workouts": len(wahoo.workouts),
            }
            assert held == {
                "garmin workouts": n["garmin"],
                "garmin schedules": n["garmin"],
                "wahoo plans": n["wahoo"],
                "wahoo workouts": n["wahoo"],
            }
            by_provider = Counter(e["provider"] for e in sent)
            assert by_provider == n, by_provider
            remote = {str(w["workoutId"]) for w in garmin.workouts.values()}
            remote |= {str(w["id"]) for w in wahoo.workouts.values()}
            assert {e["external_workout_id"] for e in sent} == remote
            wahoo_ids = {pid for _, pid in sessions["wahoo"]}
            assert {p["external_id"] for p in wahoo.plans.values()} == wahoo_ids
            assert {w["workout_token"] for w in wahoo.workouts.values()} == wahoo_ids
            # And each was created by exactly one request: no push ran twice.
            creates = {
                "garmin": ("POST /workoutportal/workout/v2", "POST /training-api/schedule/"),
                "wahoo": ("POST /v1/plans", "POST /v1/workouts"),
            }
            for provider, routes in creates.items():
                requests = fake.state[provider].requests
                assert {r: requests[r] for r in routes} == dict.fromkeys(routes, n[provider])

            deletes = await asyncio.gather(
                *(
                    client.delete(f"/api/plan-sessions/{pid}", headers=bearer(token))
                    for token, pid in every
                )
            )
            assert all(d.status_code == 204 for d in deletes), deletes

            async def all_withdrawn() -> bool:
                async with db.transaction(write=False) as uow:
                    waiting = await uow.session.scalar(
                        select(func.count()).select_from(ExportWithdrawal)
                    )
                held = garmin.workouts or garmin.schedules or wahoo.plans or wahoo.workouts
                return waiting == 0 and not held

            db = Database(database_url)
            try:
                withdrawn_s = await eventually("all withdrawn", all_withdrawn)
            finally:
                await db.dispose()

        withdrawals = {
            "garmin": (
                "DELETE /training-api/schedule/{id}",
                "DELETE /training-api/workout/v2/{id}",
            ),
            "wahoo": ("DELETE /v1/workouts/{id}", "DELETE /v1/plans/{id}"),
        }
        for provider, routes in withdrawals.items():
            requests = fake.state[provider].requests
            assert {r: requests[r] for r in routes} == dict.fromkeys(routes, n[provider])
        for worker in workers:
            assert worker.alive, worker.tail()
        print(f"{len(every)} sessions pushed in {pushed_s:.2f} s, withdrawn in {withdrawn_s:.2f} s")

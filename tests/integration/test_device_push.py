"""Plans reaching devices: connect through OAuth, push, update in place, move, delete,
retry, faults, revocation and reconnection, against the project's fake provider over real
HTTP. The jobs are driven by hand with the fake clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from setpoint.auth.model import Role
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.exports.jobs import DevicePushes, DeviceWithdrawals
from setpoint.exports.providers.fake import FakeProviderServer
from tests.conftest import MakeUser, UserHandle
from tests.support import FakeClock

MONDAY = "2026-03-02"  # the fake clock's first day
RUN = {
    "name": "Tempo run",
    "sport": "run",
    "steps": [
        {"intensity": "warmup", "duration": {"type": "time", "seconds": 600}},
        {
            "repeat": 3,
            "steps": [
                {"intensity": "interval", "duration": {"type": "time", "seconds": 300}},
                {"intensity": "recovery", "duration": {"type": "time", "seconds": 120}},
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, fake: FakeProviderServer) -> Settings:
    fake.state.reset()
    urls: dict[str, Any] = {}
    for p, authorize in (("garmin", "oauth2Confirm"), ("wahoo", "oauth/authorize")):
        urls |= {
            f"{p}_client_id": f"{p}-client",
            f"{p}_client_secret": "client-secret",
            f"{p}_authorize_url": f"{fake.url}/{p}/{authorize}",
            f"{p}_token_url": f"{fake.url}/{p}/oauth/token",
            f"{p}_api_url": f"{fake.url}/{p}",
        }
    return Settings.model_validate(
        {**settings.model_dump(), **urls, "public_url": "http://setpoint.test"}
    )


class World:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, fake: FakeProviderServer) -> None:
        self.ctx: Context = app.state.context
        self.client = client
        self.fake = fake
        self.pushes = DevicePushes(self.ctx, random.Random(1))
        self.withdrawals = DeviceWithdrawals(self.ctx, random.Random(1))

    async def connect(self, user: UserHandle, provider: str) -> None:
        r = await self.client.get(f"/api/devices/{provider}/connect", headers=user.headers)
        assert r.status_code == 200, r.text
        url = r.json()["authorize_url"]
        async with httpx.AsyncClient() as browser:  # the athlete's browser at the provider
            allowed = await browser.get(url)
        assert allowed.status_code in (302, 303), allowed.text
        query = parse_qs(urlsplit(allowed.headers["location"]).query)
        back = await self.client.get(
            f"/api/devices/{provider}/callback",
            params={"code": query["code"][0], "state": query["state"][0]},
            headers={"Accept": "application/json"},
        )
        assert back.status_code == 200 and back.json()["connected"] is True, back.text

    async def run(self) -> None:
        """Every due push and withdrawal, now."""
        await self.pushes.run_due(self.pushes.now())
        await self.withdrawals.run_due(self.withdrawals.now())

    def held(self, provider: str) -> dict[str, Any]:
        return self.fake.state[provider].snapshot()

    async def fault(self, **change: Any) -> None:
        async with httpx.AsyncClient() as admin:
            r = await admin.post(f"{self.fake.url}/_faults", json=change)
        assert r.status_code == 200, r.text


@pytest.fixture
async def world(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeProviderServer
) -> AsyncIterator[World]:
    yield World(app, client, fake)


async def plan_session(
    client: httpx.AsyncClient, coach: UserHandle, athlete: UserHandle, date: str = MONDAY
) -> dict[str, Any]:
    workout = await client.post(
        "/api/workouts", json={**RUN, "athlete_id": athlete.id}, headers=coach.headers
    )
    assert workout.status_code == 201, workout.text
    plan = await client.post(
        "/api/plans", json={"athlete_id": athlete.id, "week_start": MONDAY}, headers=coach.headers
    )
    plan_id = plan.json()["id"] if plan.status_code == 201 else plan.json()["plan_id"]
    planned = await client.post(
        f"/api/plans/{plan_id}/sessions",
        json={"date": date, "type": "ENDURANCE", "workout_id": workout.json()["id"]},
        headers=coach.headers,
    )
    assert planned.status_code == 201, planned.text
    return dict(planned.json())


async def export(client: httpx.AsyncClient, user: UserHandle, planned_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/plan-sessions/{planned_id}/export", headers=user.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_planned_session_reaches_garmin_and_follows_each_change(
    world: World, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    waiting = await plan_session(client, coach, athlete)
    assert (await export(client, coach, waiting["id"]))["status"] == "NOT_CONNECTED"

    await world.connect(athlete, "garmin")  # connecting pushes what was waiting
    assert (await export(client, coach, waiting["id"]))["status"] == "PENDING"
    await world.run()
    sent = await export(client, coach, waiting["id"])
    assert sent["status"] == "SENT" and sent["provider"] == "garmin"
    held = world.held("garmin")
    assert len(held["workouts"]) == 1 and len(held["schedules"]) == 1
    assert str(held["workouts"][0]["workoutId"]) == sent["external_workout_id"]
    inbox = await client.get("/api/notifications?type=ExportSent", headers=coach.headers)
    assert inbox.json()["total"] == 1  # the coach sees the athlete's notification

    moved = await client.patch(
        f"/api/plan-sessions/{waiting['id']}", json={"date": "2026-03-04"}, headers=coach.headers
    )
    assert moved.status_code == 200, moved.text
    assert (await export(client, coach, waiting["id"]))["status"] == "PENDING"
    await world.run()
    held = world.held("garmin")
    assert len(held["workouts"]) == 1 and len(held["schedules"]) == 1  # in place
    assert held["schedules"][0]["date"] == "2026-03-04"

    await world.fault(provider="garmin", status=503, times=3)
    await client.patch(
        f"/api/plan-sessions/{waiting['id']}",
        json={"title": "Tempo, shorter"},
        headers=coach.headers,
    )
    for _ in range(3):
        await world.run()
        retrying = await export(client, coach, waiting["id"])
        assert retrying["status"] == "PENDING" and "503" in (retrying["last_error"] or "")
        clock.advance(3600)
    await world.run()
    assert (await export(client, coach, waiting["id"]))["status"] == "SENT"
    held = world.held("garmin")
    assert [w["workoutName"] for w in held["workouts"]] == ["Tempo, shorter"]

    deleted = await client.delete(f"/api/plan-sessions/{waiting['id']}", headers=coach.headers)
    assert deleted.status_code == 204
    await world.run()
    held = world.held("garmin")
    assert held["workouts"] == [] and held["schedules"] == []


async def test_a_refused_push_fails_with_the_reason_and_retry_sends_it(
    world: World, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    await world.connect(athlete, "wahoo")
    await world.fault(provider="wahoo", missing_permission=True)
    planned = await plan_session(client, athlete, athlete)
    await world.run()
    failed = await export(client, athlete, planned["id"])
    assert (
        failed["status"] == "FAILED"
        and "reconnect and allow workout import" in failed["last_error"]
    )
    await world.fault(provider="wahoo", missing_permission=False)
    retried = await client.post(
        f"/api/plan-sessions/{planned['id']}/export/retry", headers=athlete.headers
    )
    assert retried.status_code == 200 and retried.json()["status"] == "PENDING"
    await world.run()
    assert (await export(client, athlete, planned["id"]))["status"] == "SENT"
    held = world.held("wahoo")
    assert len(held["plans"]) == 1 and len(held["workouts"]) == 1
    again = await client.post(
        f"/api/plan-sessions/{planned['id']}/export/retry", headers=athlete.headers
    )
    assert again.status_code == 409 and again.json()["error"] == "export_not_retryable"


async def test_a_revoked_account_waits_for_reconnection_then_gets_everything(
    world: World, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    await world.connect(athlete, "garmin")
    await world.fault(provider="garmin", revoke=True)
    planned = await plan_session(client, athlete, athlete, "2026-03-08")
    clock.advance(2 * 86400)  # the access token expired: the refresh is refused too
    await world.run()
    assert (await export(client, athlete, planned["id"]))["status"] == "NOT_CONNECTED"
    devices = (await client.get("/api/devices", headers=athlete.headers)).json()
    assert [(d["provider"], d["status"]) for d in devices["items"]] == [("garmin", "revoked")]
    told = await client.get("/api/notifications?type=DeviceDisconnected", headers=athlete.headers)
    assert told.json()["total"] == 1

    await world.connect(athlete, "garmin")
    assert (await export(client, athlete, planned["id"]))["status"] == "PENDING"
    await world.run()
    assert (await export(client, athlete, planned["id"]))["status"] == "SENT"


async def test_changing_the_primary_device_moves_the_copy(
    world: World, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    await world.connect(athlete, "garmin")
    await world.connect(athlete, "wahoo")
    planned = await plan_session(client, athlete, athlete)
    await world.run()
    assert (await export(client, athlete, planned["id"]))["provider"] == "garmin"  # first = primary
    r = await client.patch("/api/devices/wahoo", json={"primary": True}, headers=athlete.headers)
    assert r.status_code == 204
    await world.run()
    moved = await export(client, athlete, planned["id"])
    assert moved["status"] == "SENT" and moved["provider"] == "wahoo"
    assert world.held("garmin")["workouts"] == [] and len(world.held("wahoo")["plans"]) == 1


async def test_bad_device_input(
    world: World, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete, other = await make_user(), await make_user()
    unknown = await client.get("/api/devices/polar/connect", headers=athlete.headers)
    assert unknown.status_code == 404
    r = await client.get("/api/devices/garmin/connect", headers=athlete.headers)
    state = parse_qs(urlsplit(r.json()["authorize_url"]).query)["state"][0]
    json = {"Accept": "application/json"}
    wrong = await client.get(
        "/api/devices/garmin/callback", params={"code": "x", "state": "nope"}, headers=json
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_state"
    browser = await client.get(
        "/api/devices/garmin/callback", params={"code": "x", "state": "nope"}
    )
    assert browser.status_code == 303 and "connected=0" in browser.headers["location"]
    refused = await client.get(  # a code the provider never issued: refused, nothing kept
        "/api/devices/garmin/callback", params={"code": "forged", "state": state}, headers=json
    )
    assert refused.status_code >= 400 and "access_token" not in refused.text
    reused = await client.get(
        "/api/devices/garmin/callback", params={"code": "x", "state": state}, headers=json
    )
    assert reused.status_code == 400 and "already used" in reused.json()["detail"]
    assert (await client.get("/api/devices", headers=athlete.headers)).json()["items"] == []
    planned = await plan_session(client, athlete, athlete)
    hidden = await client.get(f"/api/plan-sessions/{planned['id']}/export", headers=other.headers)
    assert hidden.status_code == 404
    theirs = await client.get(f"/api/devices?athlete_id={athlete.id}", headers=other.headers)
    assert theirs.status_code == 404


async def test_a_session_deleted_while_its_push_is_in_flight_leaves_nothing_behind(
    world: World, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    await world.connect(athlete, "garmin")
    planned = await plan_session(client, athlete, athlete)
    await world.fault(provider="garmin", latency_ms=300)
    pushing = asyncio.create_task(world.pushes.run_due(world.pushes.now()))
    await asyncio.sleep(0.1)  # the push is waiting on the provider
    deleted = await client.delete(f"/api/plan-sessions/{planned['id']}", headers=athlete.headers)
    assert deleted.status_code == 204
    await asyncio.wait_for(pushing, timeout=10)
    assert len(world.held("garmin")["workouts"]) == 1  # made after the deletion was committed
    await world.fault(provider="garmin", latency_ms=0)
    await world.run()
    held = world.held("garmin")
    assert held["workouts"] == [] and held["schedules"] == []


async def test_pushes_sharing_an_expired_token_refresh_it_once(
    world: World, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    await world.connect(athlete, "wahoo")
    for day in ("2026-03-04", "2026-03-05", "2026-03-06"):
        await plan_session(client, athlete, athlete, day)
    clock.advance(3 * 3600)  # Wahoo's access tokens last 2 h: every push needs a new one
    await world.fault(provider="wahoo", expire_tokens=True)
    await world.run()
    held = world.held("wahoo")
    assert held["requests"]["POST /oauth/token"] == 2  # the code, then a single refresh
    assert len(held["workouts"]) == 3

"""Cron schedules over HTTP and through their job, with the fake wall clock: next fires,
fires planned ahead as planned sessions (pushed to the device), `WorkoutReady` at the
instant and once only (retries, a worker dying mid-fire, workers racing), misfires within
and past the grace, pause, resume and delete."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.db.engine import Database
from setpoint.exports.tables import ExportWithdrawal, PlanExport
from setpoint.notifications.tables import Notification
from setpoint.plans.tables import PlannedSession
from setpoint.schedules import service
from setpoint.schedules.jobs import ScheduleFires
from setpoint.workers.loop import JobClock
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_plans import connect_device, new_workout
from tests.support import FakeClock

# The fake clock starts on Monday 2026-03-02 at 07:00 UTC (08:00 in Paris).
TUE_THU = {"cron": "30 6 * * TUE,THU", "time_zone": "Europe/Paris", "type": "ENDURANCE"}
DAILY_UTC = {"cron": "30 6 * * *", "time_zone": "UTC", "type": "ENDURANCE"}


async def new_schedule(
    client: httpx.AsyncClient, user: UserHandle, workout_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"workout_id": workout_id, **fields}
    created = await client.post("/api/schedules", json=body, headers=user.headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def run_job(app: FastAPI, job: ScheduleFires | None = None) -> float | None:
    ctx: Context = app.state.context
    return await (job or ScheduleFires(ctx)).run_due(ctx.clocks.now(JobClock.WALL))


async def ready(app: FastAPI) -> list[Notification]:
    ctx: Context = app.state.context
    async with ctx.db.transaction(write=False) as uow:
        rows = await uow.session.scalars(
            select(Notification)
            .where(Notification.type == "WorkoutReady")
            .order_by(Notification.created_at)
        )
        return list(rows)


async def planned_dates(app: FastAPI) -> list[str]:
    ctx: Context = app.state.context
    async with ctx.db.transaction(write=False) as uow:
        rows = await uow.session.scalars(select(PlannedSession).order_by(PlannedSession.date))
        return [p.date.isoformat() for p in rows]


async def fires(client: httpx.AsyncClient, user: UserHandle, schedule_id: str) -> list[Any]:
    response = await client.get(
        f"/api/schedules/{schedule_id}/fires?limit=500", headers=user.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def statuses(items: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return counts


async def test_a_schedule_shows_its_next_fires_and_plans_the_week_ahead(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    run = await new_workout(client, athlete)
    await connect_device(app, athlete)
    schedule = await new_schedule(client, athlete, run, **TUE_THU, title="Threshold")

    assert schedule["next_fires"][:3] == [
        {"at": "2026-03-03T05:30:00Z", "local": "2026-03-03T06:30:00+01:00"},
        {"at": "2026-03-05T05:30:00Z", "local": "2026-03-05T06:30:00+01:00"},
        {"at": "2026-03-10T05:30:00Z", "local": "2026-03-10T06:30:00+01:00"},
    ]
    assert len(schedule["next_fires"]) == 5 and schedule["workout_name"] == "Steady 10 min"
    read = await client.get(f"/api/schedules/{schedule['id']}", headers=athlete.headers)
    assert read.status_code == 200 and read.json() == schedule
    listed = await client.get("/api/schedules", headers=athlete.headers)
    assert [s["id"] for s in listed.json()["items"]] == [schedule["id"]]

    # The fires within 7 days are planned sessions on their local dates, queued for the device.
    assert await planned_dates(app) == ["2026-03-03", "2026-03-05"]
    history = await fires(client, athlete, schedule["id"])
    assert [(f["status"], f["local"]) for f in history] == [
        ("planned", "2026-03-05T06:30:00+01:00"),
        ("planned", "2026-03-03T06:30:00+01:00"),
    ]
    plan = await client.get(
        f"/api/plan-sessions/{history[1]['planned_session_id']}", headers=athlete.headers
    )
    assert plan.json()["title"] == "Threshold" and plan.json()["type"] == "ENDURANCE"
    async with ctx.db.transaction(write=False) as uow:
        exports = (await uow.session.scalars(select(PlanExport))).all()
    assert sorted(e.status for e in exports) == ["PENDING", "PENDING"]
    # Running the job again plans nothing twice.
    await run_job(app)
    await run_job(app)
    assert await planned_dates(app) == ["2026-03-03", "2026-03-05"]


async def test_a_fire_announces_the_workout_at_its_instant_once(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **TUE_THU)
    upcoming = await run_job(app)
    assert upcoming == pytest.approx(1772515800.0)  # 2026-03-03T05:30:00Z

    clock.advance(22 * 3600 + 29 * 60 + 59)  # Tuesday 05:29:59Z: one second early
    await run_job(app)
    assert await ready(app) == []

    clock.advance(1)
    ctx: Context = app.state.context
    with ctx.hub.subscribe(f"user:{athlete.id}") as live:  # what `WS /api/live` relays
        await run_job(app)
        await run_job(app)  # a second pass (or retry) finds nothing left to do
        pushed = json.loads(await asyncio.wait_for(live.get(), 1))
    (note,) = await ready(app)
    assert pushed["notification"]["id"] == str(note.id)
    assert pushed["notification"]["schedule_id"] == schedule["id"]
    history = await fires(client, athlete, schedule["id"])
    fired = next(f for f in history if f["status"] == "fired")
    assert fired["at"] == "2026-03-03T05:30:00Z"
    assert str(note.user_id) == athlete.id and str(note.schedule_id) == schedule["id"]
    assert str(note.planned_session_id) == fired["planned_session_id"]
    assert note.payload["workout_name"] == "Steady 10 min"
    assert note.payload["local_start"] == "2026-03-03T06:30:00+01:00"
    assert note.payload["planned_session_id"] == fired["planned_session_id"]
    # The horizon moved on: next Tuesday is planned now.
    assert await planned_dates(app) == ["2026-03-03", "2026-03-05", "2026-03-10"]
    inbox = await client.get("/api/notifications", headers=athlete.headers)
    assert [n["schedule_id"] for n in inbox.json()["items"]] == [schedule["id"]]


async def test_spring_forward_fires_after_the_gap(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    clock.advance(26 * 86400)  # Saturday 2026-03-28; Paris springs forward on the 29th at 02:00
    schedule = await new_schedule(
        client, athlete, run, cron="30 2 * * *", time_zone="Europe/Paris", type="STRENGTH"
    )
    assert schedule["next_fires"][:2] == [
        {"at": "2026-03-29T01:00:00Z", "local": "2026-03-29T03:00:00+02:00"},
        {"at": "2026-03-30T00:30:00Z", "local": "2026-03-30T02:30:00+02:00"},
    ]
    clock.advance(18 * 3600)  # 2026-03-29T01:00Z
    await run_job(app)
    (note,) = await ready(app)
    assert note.payload["local_start"] == "2026-03-29T03:00:00+02:00"


async def test_pause_withdraws_what_is_planned_and_resume_plans_again(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **TUE_THU)
    url = f"/api/schedules/{schedule['id']}"
    paused = await client.patch(url, json={"paused": True}, headers=athlete.headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True and paused.json()["next_fires"] == []
    assert await planned_dates(app) == []

    clock.advance(86400)  # past Tuesday's instant
    await run_job(app)
    assert await ready(app) == []

    resumed = await client.patch(url, json={"paused": False}, headers=athlete.headers)
    assert resumed.json()["next_fires"][0]["at"] == "2026-03-05T05:30:00Z"
    assert await planned_dates(app) == ["2026-03-05", "2026-03-10"]
    clock.advance(2 * 86400)  # Thursday 07:00Z, 90 min after its fire: past the grace
    await run_job(app)
    assert await ready(app) == []
    assert statuses(await fires(client, athlete, schedule["id"])) == {"missed": 1, "planned": 2}


async def test_a_change_plans_again_from_now(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **TUE_THU)
    changed = await client.patch(
        f"/api/schedules/{schedule['id']}",
        json={"cron": "0 18 * * WED"},
        headers=athlete.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["next_fires"][0]["local"] == "2026-03-04T18:00:00+01:00"
    assert await planned_dates(app) == ["2026-03-04"]


async def test_delete_withdraws_upcoming_sessions_and_keeps_past_ones(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    run = await new_workout(client, athlete)
    await connect_device(app, athlete)
    schedule = await new_schedule(client, athlete, run, **TUE_THU)
    clock.advance(22 * 3600 + 30 * 60)  # Tuesday's fire
    await run_job(app)
    history = await fires(client, athlete, schedule["id"])
    upcoming = [f["planned_session_id"] for f in history if f["status"] == "planned"]
    async with ctx.db.transaction() as uow:  # Thursday's copy already reached the device
        export = await uow.session.get(PlanExport, uuid.UUID(upcoming[-1]))
        assert export is not None
        export.status, export.external_workout_id = "SENT", "w-9"

    deleted = await client.delete(f"/api/schedules/{schedule['id']}", headers=athlete.headers)
    assert deleted.status_code == 204
    assert (
        await client.get(f"/api/schedules/{schedule['id']}", headers=athlete.headers)
    ).status_code == 404
    assert await planned_dates(app) == ["2026-03-03"]  # the fired one stays
    async with ctx.db.transaction(write=False) as uow:
        (withdrawal,) = (await uow.session.scalars(select(ExportWithdrawal))).all()
    assert withdrawal.external_workout_id == "w-9"
    (note,) = await ready(app)
    assert note.schedule_id is None  # the notification outlives its schedule


async def test_missed_fires_within_the_grace_coalesce_into_one(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(
        client, athlete, run, cron="*/10 * * * *", time_zone="UTC", type="STRENGTH"
    )
    clock.advance(45 * 60)  # no worker ran: 07:10, 07:20, 07:30 and 07:40 came due
    await run_job(app)
    (note,) = await ready(app)
    history = await fires(client, athlete, schedule["id"])
    assert note.payload["local_start"] == "2026-03-02T07:40:00+00:00"
    settled = sorted((f["at"], f["status"]) for f in history if f["status"] != "planned")
    assert settled == [
        ("2026-03-02T07:10:00Z", "missed"),
        ("2026-03-02T07:20:00Z", "missed"),
        ("2026-03-02T07:30:00Z", "missed"),
        ("2026-03-02T07:40:00Z", "fired"),
    ]


async def test_a_long_outage_records_missed_fires_and_fires_the_latest_within_grace(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **DAILY_UTC)
    clock.advance(10 * 86400)  # Thursday 12th 07:00: down since the 2nd, past the horizon
    await run_job(app)
    (note,) = await ready(app)
    assert note.payload["local_start"] == "2026-03-12T06:30:00+00:00"
    history = await fires(client, athlete, schedule["id"])
    assert statuses(history) == {"missed": 9, "fired": 1, "planned": 7}
    missed = [f for f in history if f["status"] == "missed"]
    assert min(f["at"] for f in missed) == "2026-03-03T06:30:00Z"

    clock.advance(86400 - 30 * 60 + 3601)  # past the next fire's grace: missed, never late
    await run_job(app)
    assert len(await ready(app)) == 1


async def test_a_worker_dying_mid_fire_leaves_the_fire_to_the_next(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **DAILY_UTC)
    clock.advance(23 * 3600 + 30 * 60)  # Tuesday 06:30

    real_notify = service.notify

    async def notify_then_die(*args: Any, **kwargs: Any) -> Notification:
        await real_notify(*args, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(service, "notify", notify_then_die)
    with pytest.raises(RuntimeError):
        await run_job(app)
    assert await ready(app) == []  # the transaction died with it
    monkeypatch.setattr(service, "notify", real_notify)

    clock.advance(5)
    await run_job(app)
    await run_job(app)
    assert len(await ready(app)) == 1
    assert statuses(await fires(client, athlete, schedule["id"]))["fired"] == 1


@pytest.mark.postgresql
async def test_a_schedule_held_by_a_dead_worker_fires_once_it_is_released(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    """PostgreSQL: a worker holding the schedule's lock is skipped by the others; when its
    connection dies the lock goes with it and the next pass fires."""
    ctx: Context = app.state.context
    athlete = await make_user()
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **DAILY_UTC)
    clock.advance(23 * 3600 + 30 * 60)
    other = Database(ctx.db.url)
    try:
        conn = await other.engine.connect()
        transaction = await conn.begin()
        await conn.execute(
            text("SELECT id FROM schedules WHERE id = :id FOR UPDATE"),
            {"id": uuid.UUID(schedule["id"])},
        )
        await run_job(app)
        assert await ready(app) == []  # skipped: another worker holds it
        await conn.invalidate()  # that worker's connection dies mid-fire
        del transaction
    finally:
        await other.dispose()
    await run_job(app)
    assert len(await ready(app)) == 1


async def test_workers_racing_fire_each_schedule_once(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athletes = [await make_user() for _ in range(4)]
    for athlete in athletes:
        run = await new_workout(client, athlete)
        for minute in ("30", "30", "30"):  # three schedules each, firing together
            await new_schedule(client, athlete, run, **{**DAILY_UTC, "cron": f"{minute} 6 * * *"})
    clock.advance(23 * 3600 + 30 * 60)
    jobs = [ScheduleFires(ctx) for _ in range(3)]
    await asyncio.gather(*(run_job(app, job) for job in jobs))
    await asyncio.gather(*(run_job(app, job) for job in jobs))
    notes = await ready(app)
    assert len(notes) == 12
    assert len({(n.schedule_id, n.payload["at"]) for n in notes}) == 12


async def test_bad_expressions_and_zones_are_422_naming_the_field(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    bad = await client.get(
        "/api/schedules/preview", params={"cron": "30 25 * * *"}, headers=athlete.headers
    )
    assert bad.status_code == 422
    assert bad.json() == {
        "error": "invalid_cron",
        "detail": "cron: field 2 (hour) 25 is outside 0–23",
    }
    zone = await client.get(
        "/api/schedules/preview",
        params={"cron": "0 6 * * *", "time_zone": "Mars/Olympus"},
        headers=athlete.headers,
    )
    assert zone.status_code == 422 and zone.json()["error"] == "invalid_time_zone"
    for body in (
        {"cron": "0 6 * *", "time_zone": "UTC"},
        {"cron": "0 6 * * *", "time_zone": "Nowhere"},
        {"cron": "0 6 * * *", "starts_on": "2026-05-01", "ends_on": "2026-04-01"},
    ):
        created = await client.post(
            "/api/schedules",
            json={"workout_id": run, "type": "STRENGTH", **body},
            headers=athlete.headers,
        )
        assert created.status_code == 422, created.text
    preview = await client.get(
        "/api/schedules/preview",
        params={
            "cron": "30 2 * * *",
            "time_zone": "America/New_York",
            "from": "2026-11-01T00:00:00",
            "count": 2,
        },
        headers=athlete.headers,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["fires"] == [
        {"at": "2026-11-01T07:30:00Z", "local": "2026-11-01T02:30:00-05:00"},
        {"at": "2026-11-02T07:30:00Z", "local": "2026-11-02T02:30:00-05:00"},
    ]


async def test_schedules_are_the_athletes_and_their_coachs_only(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    stranger = await make_user()
    run = await new_workout(client, coach)
    schedule = await new_schedule(client, coach, run, athlete_id=athlete.id, **TUE_THU)
    url = f"/api/schedules/{schedule['id']}"
    assert (await client.get(url, headers=athlete.headers)).json()["editable"] is False
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.get(f"{url}/fires", headers=stranger.headers)).status_code == 404
    assert (await client.delete(url, headers=stranger.headers)).status_code == 404
    refused = await client.patch(url, json={"paused": True}, headers=athlete.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "schedule_read_only"
    coach_list = await client.get("/api/schedules", headers=coach.headers)
    assert [s["id"] for s in coach_list.json()["items"]] == [schedule["id"]]
    assert (await client.get("/api/schedules", headers=stranger.headers)).json()["items"] == []
    mine = await new_workout(client, stranger)
    foreign = await client.post(
        "/api/schedules",
        json={"workout_id": mine, "athlete_id": athlete.id, **TUE_THU},
        headers=stranger.headers,
    )
    assert foreign.status_code == 404


async def test_dates_at_the_ends_of_the_calendar_are_refused_by_name(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    for start in ("9999-12-31T23:59:00", "0001-01-01T00:00:00+14:00"):
        r = await client.get(
            "/api/schedules/preview",
            params={"cron": "0 6 * * *", "from": start},
            headers=athlete.headers,
        )
        assert r.status_code == 422 and "from" in r.json()["detail"], r.text
    run = await new_workout(client, athlete)
    r = await client.post(
        "/api/schedules",
        json={
            "workout_id": run,
            "cron": "0 6 * * *",
            "type": "ENDURANCE",
            "starts_on": "9999-12-30",
        },
        headers=athlete.headers,
    )
    assert r.status_code == 422 and "starts_on" in r.text


async def test_an_athletes_schedule_does_not_write_into_a_week_their_coach_planned(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    planned_by_coach = await client.post(
        "/api/plans",
        json={"athlete_id": athlete.id, "week_start": "2026-03-02"},
        headers=coach.headers,
    )
    assert planned_by_coach.status_code == 201
    run = await new_workout(client, athlete)
    schedule = await new_schedule(client, athlete, run, **DAILY_UTC)  # the athlete's own
    plan = await client.get(f"/api/plans/{planned_by_coach.json()['id']}", headers=coach.headers)
    assert plan.json()["sessions"] == []  # the coach's week is left as the coach made it
    history = statuses(await fires(client, athlete, schedule["id"]))
    assert history.get("skipped", 0) >= 5 and history.get("planned", 0) >= 1  # next week's

"""Weekly plans over HTTP: plans and planned sessions, the week rules, moves across weeks, who
may read and change what, the device export each ENDURANCE session gets, and planned sessions
run live (the session, its compliance, strength progress kept per planned session)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.exports.tables import DeviceConnection, ExportWithdrawal, PlanExport
from setpoint.heartrate.service import write_pending
from setpoint.sessions.jobs import SessionDeadlines
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_heart_rate import beat
from tests.integration.test_sessions import send
from tests.integration.test_strength import STRENGTH, log_set
from tests.support import FakeClock

WEEK = "2027-01-04"  # a Monday
NOBODY = "00000000-0000-0000-0000-000000000000"
RUN: dict[str, Any] = {
    "name": "Steady 10 min",
    "sport": "run",
    "steps": [
        {
            "intensity": "active",
            "duration": {"type": "time", "seconds": 600},
            "targets": [{"type": "hr_range", "low": 120, "high": 160}],
        }
    ],
}


async def new_workout(
    client: httpx.AsyncClient, user: UserHandle, doc: dict[str, Any] = RUN
) -> str:
    created = await client.post("/api/workouts", json=doc, headers=user.headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def new_plan(
    client: httpx.AsyncClient,
    user: UserHandle,
    athlete: UserHandle | None = None,
    week: str = WEEK,
) -> dict[str, Any]:
    body: dict[str, Any] = {"week_start": week, "name": "Base week"}
    if athlete is not None:
        body["athlete_id"] = athlete.id
    created = await client.post("/api/plans", json=body, headers=user.headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def add(
    client: httpx.AsyncClient,
    user: UserHandle,
    plan_id: str,
    workout_id: str,
    date: str = "2027-01-06",
    type: str = "ENDURANCE",
    **extra: Any,
) -> httpx.Response:
    body = {"date": date, "type": type, "workout_id": workout_id, **extra}
    return await client.post(f"/api/plans/{plan_id}/sessions", json=body, headers=user.headers)


async def get(client: httpx.AsyncClient, user: UserHandle, path: str) -> dict[str, Any]:
    response = await client.get(path, headers=user.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def connect_device(app: FastAPI, user: UserHandle, provider: str = "garmin") -> None:
    ctx: Context = app.state.context
    now = ctx.clock.now()
    async with ctx.db.transaction() as uow:
        uow.session.add(
            DeviceConnection(
                user_id=uuid.UUID(user.id),
                provider=provider,
                status="connected",
                primary=True,
                access_token_encrypted="-",
                refresh_token_encrypted="-",
                expires_at=now + timedelta(hours=1),
                connected_at=now,
                updated_at=now,
            )
        )


async def test_a_coach_plans_an_athletes_week(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    run, lift = await new_workout(client, coach), await new_workout(client, coach, STRENGTH)

    plan = await new_plan(client, coach, athlete)
    assert (plan["athlete_id"], plan["week_start"], plan["week_end"]) == (
        athlete.id,
        WEEK,
        "2027-01-10",
    )
    assert plan["created_by"] == coach.id and plan["sessions"] == [] and plan["editable"]
    again = await client.post(
        "/api/plans", json={"athlete_id": athlete.id, "week_start": WEEK}, headers=coach.headers
    )
    assert again.status_code == 409
    assert again.json()["error"] == "plan_exists" and again.json()["plan_id"] == plan["id"]

    endurance = await add(client, coach, plan["id"], run, "2027-01-08", title="Easy run")
    assert endurance.status_code == 201, endurance.text
    e = endurance.json()
    assert (e["type"], e["title"], e["workout_name"], e["session_id"]) == (
        "ENDURANCE",
        "Easy run",
        "Steady 10 min",
        None,
    )
    assert e["export"]["status"] == "NOT_CONNECTED" and e["export"]["provider"] is None
    assert e["execution"] == {
        "session_id": None,
        "status": None,
        "duration_s": None,
        "planned_duration_s": 600,
        "compliance": None,
    }
    strength = await add(client, coach, plan["id"], lift, "2027-01-05", "STRENGTH", notes="Heavy")
    assert strength.status_code == 201 and strength.json()["export"] is None

    read = await get(client, coach, f"/api/plans/{plan['id']}")
    assert [s["date"] for s in read["sessions"]] == ["2027-01-05", "2027-01-08"]
    assert read["session_count"] == 2 and read["sessions"][1]["id"] == e["id"]

    # The athlete reads the plan their coach made, and may not change it.
    seen = await get(client, athlete, f"/api/plans/{plan['id']}")
    assert [s["id"] for s in seen["sessions"]] == [s["id"] for s in read["sessions"]]
    assert seen["editable"] is False
    assert (await get(client, athlete, f"/api/plan-sessions/{e['id']}"))["title"] == "Easy run"
    for response in (
        await client.patch(
            f"/api/plan-sessions/{e['id']}", json={"title": "Mine"}, headers=athlete.headers
        ),
        await client.delete(f"/api/plan-sessions/{e['id']}", headers=athlete.headers),
        await add(client, athlete, plan["id"], run),
    ):
        assert response.status_code == 403 and response.json()["error"] == "plan_read_only"

    changed = await client.patch(
        f"/api/plan-sessions/{e['id']}",
        json={"title": None, "notes": "Keep it easy", "date": "2027-01-07"},
        headers=coach.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["notes"], changed.json()["date"]) == (
        None,
        "Keep it easy",
        "2027-01-07",
    )
    deleted = await client.delete(f"/api/plan-sessions/{e['id']}", headers=coach.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/plan-sessions/{e['id']}", headers=coach.headers)
    assert gone.status_code == 404
    assert (await get(client, coach, f"/api/plans/{plan['id']}"))["session_count"] == 1


async def test_plans_are_listed_by_athlete_and_weeks(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    weeks = ["2027-01-04", "2027-01-11", "2027-01-18", "2027-02-01"]
    for week in weeks:
        await new_plan(client, coach, athlete, week)
    own = await new_plan(client, athlete, week="2027-01-25")  # the athlete's own plan
    assert own["created_by"] == athlete.id and own["editable"] is True

    everything = await get(client, athlete, "/api/plans")
    assert [p["week_start"] for p in everything["items"]] == sorted([*weeks, "2027-01-25"])
    assert everything["total"] == 5 and everything["items"][0]["session_count"] == 0
    # A range keeps the weeks that overlap it.
    ranged = await get(
        client, coach, f"/api/plans?athlete_id={athlete.id}&from=2027-01-13&to=2027-01-25"
    )
    assert [p["week_start"] for p in ranged["items"]] == ["2027-01-11", "2027-01-18", "2027-01-25"]
    paged = await get(client, coach, f"/api/plans?athlete_id={athlete.id}&limit=2&offset=2")
    assert [p["week_start"] for p in paged["items"]] == ["2027-01-18", "2027-01-25"]
    assert paged["total"] == 5 and paged["limit"] == 2
    assert (await get(client, coach, "/api/plans"))["items"] == []  # the coach's own
    bad = await client.get("/api/plans?from=2027-02-01&to=2027-01-01", headers=coach.headers)
    assert bad.status_code == 422 and "from" in bad.json()["detail"]


async def test_weeks_start_on_monday_and_sessions_stay_inside_their_week(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    run = await new_workout(client, athlete)
    tuesday = await client.post(
        "/api/plans", json={"week_start": "2027-01-05"}, headers=athlete.headers
    )
    assert tuesday.status_code == 422 and tuesday.json()["error"] == "not_a_monday"
    assert tuesday.json()["detail"].startswith("week_start: 2027-01-05 is a Tuesday")

    plan = await new_plan(client, athlete)
    outside = await add(client, athlete, plan["id"], run, "2027-01-12")
    assert outside.status_code == 422
    assert (
        outside.json()["detail"]
        == "date: 2027-01-12 is outside the plan's week 2027-01-04…2027-01-10"
    )
    before = await add(client, athlete, plan["id"], run, "2027-01-03")
    assert before.status_code == 422 and before.json()["error"] == "outside_week"
    cases = [
        ({"type": "YOGA"}, "body.type"),
        ({"title": "t" * 201}, "body.title"),
        ({"notes": "n" * 5001}, "body.notes"),
        ({"colour": "red"}, "body.colour"),
        ({"date": "someday"}, "body.date"),
    ]
    for extra, fragment in cases:
        body = {"date": "2027-01-06", "type": "ENDURANCE", "workout_id": run, **extra}
        r = await client.post(
            f"/api/plans/{plan['id']}/sessions", json=body, headers=athlete.headers
        )
        assert r.status_code == 422 and fragment in r.json()["detail"], (extra, r.text)
    ok = await add(client, athlete, plan["id"], run, "2027-01-10", title="t" * 200)
    assert ok.status_code == 201
    for patch, fragment in (
        ({"date": None}, "date: may be changed, not cleared"),
        ({"workout_id": None}, "workout_id: may be changed, not cleared"),
        ({"notes": "n" * 5001}, "body.notes"),
    ):
        r = await client.patch(
            f"/api/plan-sessions/{ok.json()['id']}", json=patch, headers=athlete.headers
        )
        assert r.status_code == 422 and fragment in r.json()["detail"], (patch, r.text)


async def test_a_new_date_in_another_week_moves_the_session_to_that_weeks_plan(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    run = await new_workout(client, coach)
    plan = await new_plan(client, coach, athlete)
    planned = (await add(client, coach, plan["id"], run, "2027-01-06")).json()
    url = f"/api/plan-sessions/{planned['id']}"

    same_week = (await client.patch(url, json={"date": "2027-01-09"}, headers=coach.headers)).json()
    assert same_week["plan_id"] == plan["id"] and same_week["date"] == "2027-01-09"

    moved = await client.patch(url, json={"date": "2027-01-13"}, headers=coach.headers)
    assert moved.status_code == 200, moved.text
    new_plan_id = moved.json()["plan_id"]
    assert new_plan_id != plan["id"]
    next_week = await get(client, coach, f"/api/plans/{new_plan_id}")
    assert (next_week["week_start"], next_week["athlete_id"]) == ("2027-01-11", athlete.id)
    assert [s["id"] for s in next_week["sessions"]] == [planned["id"]]
    assert (await get(client, coach, f"/api/plans/{plan['id']}"))["sessions"] == []

    back = await client.patch(url, json={"date": "2027-01-04"}, headers=coach.headers)
    assert back.json()["plan_id"] == plan["id"]  # the week's plan that exists is reused
    listed = await get(client, coach, f"/api/plans?athlete_id={athlete.id}")
    assert [p["week_start"] for p in listed["items"]] == [WEEK, "2027-01-11"]

    # An athlete cannot move their own session into a week their coach planned.
    own = await new_plan(client, athlete, week="2027-01-18")
    mine = (await add(client, athlete, own["id"], run, "2027-01-19")).json()
    into_coach_week = await client.patch(
        f"/api/plan-sessions/{mine['id']}", json={"date": "2027-01-05"}, headers=athlete.headers
    )
    assert into_coach_week.status_code == 403
    assert (await get(client, athlete, f"/api/plan-sessions/{mine['id']}"))["date"] == "2027-01-19"


async def test_others_cannot_see_or_touch_plans(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach, other_coach = await make_user(Role.COACH), await make_user(Role.COACH)
    athlete, teammate = await make_user(coach=coach), await make_user(coach=coach)
    stranger = await make_user()
    run = await new_workout(client, coach)
    plan = await new_plan(client, coach, athlete)
    planned = (await add(client, coach, plan["id"], run)).json()

    for outsider in (stranger, other_coach, teammate):
        h = outsider.headers
        for response in (
            await client.get(f"/api/plans/{plan['id']}", headers=h),
            await client.get(f"/api/plan-sessions/{planned['id']}", headers=h),
            await client.patch(
                f"/api/plan-sessions/{planned['id']}", json={"title": "x"}, headers=h
            ),
            await client.delete(f"/api/plan-sessions/{planned['id']}", headers=h),
            await client.delete(f"/api/plans/{plan['id']}", headers=h),
            await add(client, outsider, plan["id"], run),
            await client.get(f"/api/plans?athlete_id={athlete.id}", headers=h),
            await client.post(
                "/api/sessions", json={"planned_session_id": planned["id"]}, headers=h
            ),
        ):
            assert response.status_code == 404, (outsider.email, response.text)
    for who in (coach, other_coach):  # a plan for someone the caller does not coach
        r = await client.post(
            "/api/plans", json={"athlete_id": stranger.id, "week_start": WEEK}, headers=who.headers
        )
        assert r.status_code == 404
    assert (await client.get(f"/api/plans/{NOBODY}", headers=coach.headers)).status_code == 404
    assert (await client.get("/api/plans")).status_code == 401

    # The coach manages the plans the athlete made too.
    own = await new_plan(client, athlete, week="2027-01-11")
    by_coach = await add(client, coach, own["id"], run, "2027-01-12")
    assert by_coach.status_code == 201


async def test_the_workout_must_be_one_the_athlete_can_run(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete, teammate, stranger = (
        await make_user(coach=coach),
        await make_user(coach=coach),
        await make_user(),
    )
    plan = await new_plan(client, coach, athlete)
    # The coach sees the teammate's workout, but the athlete cannot run it.
    teammates = await new_workout(client, teammate)
    refused = await add(client, coach, plan["id"], teammates)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("workout_id:")
    unseen = await add(client, coach, plan["id"], await new_workout(client, stranger))
    assert unseen.status_code == 404
    # The athlete's own workout and the coach's library are fine.
    assert (await add(client, coach, plan["id"], await new_workout(client, athlete))).is_success
    planned = (await add(client, coach, plan["id"], await new_workout(client, coach))).json()
    changed = await client.patch(
        f"/api/plan-sessions/{planned['id']}",
        json={"workout_id": teammates},
        headers=coach.headers,
    )
    assert changed.status_code == 422


async def test_endurance_sessions_are_queued_for_the_device_and_strength_ones_are_not(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    ctx: Context = app.state.context
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    run, lift = await new_workout(client, coach), await new_workout(client, coach, STRENGTH)
    plan = await new_plan(client, coach, athlete)
    before = (await add(client, coach, plan["id"], run)).json()
    assert before["export"]["status"] == "NOT_CONNECTED"

    await connect_device(app, athlete)
    after = (await add(client, coach, plan["id"], run, "2027-01-07")).json()
    export = after["export"]
    assert (export["status"], export["provider"], export["attempts"]) == ("PENDING", "garmin", 0)
    assert export["next_attempt_at"] is not None and export["external_workout_id"] is None
    assert (await add(client, coach, plan["id"], lift, type="STRENGTH")).json()["export"] is None

    # A change of date re-queues the push; a STRENGTH session has no export.
    url = f"/api/plan-sessions/{before['id']}"
    moved = (await client.patch(url, json={"date": "2027-01-09"}, headers=coach.headers)).json()
    assert moved["export"]["status"] == "PENDING"
    to_strength = await client.patch(
        url, json={"type": "STRENGTH", "workout_id": lift}, headers=coach.headers
    )
    assert to_strength.json()["export"] is None
    async with ctx.db.transaction(write=False) as uow:
        assert await uow.session.get(PlanExport, uuid.UUID(before["id"])) is None

    # Deleting a session the device holds withdraws the device's copy.
    async with ctx.db.transaction() as uow:
        row = await uow.session.get(PlanExport, uuid.UUID(after["id"]))
        assert row is not None
        row.status, row.external_workout_id, row.external_schedule_id = "SENT", "w-42", "s-7"
    sent = await get(client, coach, f"/api/plan-sessions/{after['id']}")
    assert sent["export"]["status"] == "SENT" and sent["export"]["external_workout_id"] == "w-42"
    deleted = await client.delete(f"/api/plan-sessions/{after['id']}", headers=coach.headers)
    assert deleted.status_code == 204
    async with ctx.db.transaction(write=False) as uow:
        (withdrawal,) = (await uow.session.scalars(select(ExportWithdrawal))).all()
        assert await uow.session.get(PlanExport, uuid.UUID(after["id"])) is None
    assert withdrawal.planned_session_id == uuid.UUID(after["id"])
    assert (withdrawal.provider, withdrawal.external_workout_id) == ("garmin", "w-42")
    assert withdrawal.external_schedule_id == "s-7"


async def test_a_deleted_plan_takes_its_sessions_and_their_device_copies(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    run = await new_workout(client, athlete)
    await connect_device(app, athlete, "wahoo")
    plan = await new_plan(client, athlete)
    planned = (await add(client, athlete, plan["id"], run)).json()
    async with ctx.db.transaction() as uow:
        row = await uow.session.get(PlanExport, uuid.UUID(planned["id"]))
        assert row is not None
        row.status, row.external_workout_id = "SENT", "plan-1"
    assert (
        await client.delete(f"/api/plans/{plan['id']}", headers=athlete.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/plan-sessions/{planned['id']}", headers=athlete.headers)
    ).status_code == 404
    async with ctx.db.transaction(write=False) as uow:
        (withdrawal,) = (await uow.session.scalars(select(ExportWithdrawal))).all()
    assert (withdrawal.provider, withdrawal.external_workout_id) == ("wahoo", "plan-1")
    assert (await new_plan(client, athlete))["id"] != plan["id"]  # the week is free again


async def test_a_planned_session_run_live_shows_what_was_done(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    plan = await new_plan(client, coach, athlete)
    planned = (await add(client, coach, plan["id"], await new_workout(client, coach))).json()

    for body in ({}, {"planned_session_id": planned["id"], "workout_id": planned["workout_id"]}):
        r = await client.post("/api/sessions", json=body, headers=athlete.headers)
        assert r.status_code == 422 and "exactly one" in r.json()["detail"]
    created = await client.post(
        "/api/sessions", json={"planned_session_id": planned["id"]}, headers=athlete.headers
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert (session["workout_id"], session["athlete_id"]) == (planned["workout_id"], athlete.id)

    url = f"/api/plan-sessions/{planned['id']}"
    linked = await get(client, coach, url)
    assert linked["session_id"] == session["id"]
    assert linked["execution"]["session_id"] == session["id"]
    assert linked["execution"]["status"] == "not_started"
    assert linked["execution"]["compliance"] is None

    sid = session["id"]
    await send(client, athlete, sid, "start")
    await beat(client, athlete, clock, sid, [140] * 10)  # inside the 120–160 target
    await write_pending(ctx)
    running = (await get(client, athlete, url))["execution"]
    assert running["status"] == "in_progress" and running["duration_s"] == 10
    clock.advance(590)
    done = (await get(client, coach, f"/api/plans/{plan['id']}"))["sessions"][0]["execution"]
    assert (done["status"], done["duration_s"], done["planned_duration_s"]) == (
        "completed",
        600,
        600,
    )
    assert done["compliance"] == {"colour": "green", "time_in_target_s": 10.0}
    await SessionDeadlines(ctx).run_due(ctx.timeline.now())  # settled, it reads the same
    settled = (await get(client, athlete, url))["execution"]
    assert settled == done

    # Run again and stop early: the link follows the latest attempt.
    again = await client.post(
        "/api/sessions", json={"planned_session_id": planned["id"]}, headers=coach.headers
    )
    assert again.status_code == 201, again.text
    await send(client, athlete, again.json()["id"], "start")
    clock.advance(200)
    await send(client, athlete, again.json()["id"], "abandon")
    short = (await get(client, athlete, url))["execution"]
    assert short["session_id"] == again.json()["id"] and short["status"] == "abandoned"
    assert short["compliance"] == {"colour": "red", "time_in_target_s": None}


async def test_strength_progress_is_kept_per_planned_session(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    lift = await new_workout(client, athlete, STRENGTH)
    plan = await new_plan(client, athlete)
    planned = (await add(client, athlete, plan["id"], lift, type="STRENGTH")).json()

    async def run(body: dict[str, Any]) -> str:
        created = await client.post("/api/sessions", json=body, headers=athlete.headers)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    async def squats(sid: str) -> list[int]:
        progress = await get(client, athlete, f"/api/sessions/{sid}/progress")
        return list(progress["exercises"][0]["data"]["reps_per_set"])

    first = await run({"planned_session_id": planned["id"]})
    await send(client, athlete, first, "start")
    assert (await log_set(client, athlete, first, position=0, reps=5, weight_kg=100)).is_success
    await send(client, athlete, first, "finish")

    # The template run on its own has its own progress, not the planned session's.
    alone = await run({"workout_id": lift})
    assert await squats(alone) == []
    await send(client, athlete, alone, "abandon")
    # The planned session run again starts from its own earlier data.
    second = await run({"planned_session_id": planned["id"]})
    assert await squats(second) == [5]


async def test_dates_at_the_ends_of_the_calendar_are_refused_by_name(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    far = await client.post(
        "/api/plans", json={"week_start": "9999-12-27"}, headers=athlete.headers
    )
    assert far.status_code == 422 and "week_start" in far.text
    listed = await client.get("/api/plans?from=0001-01-01", headers=athlete.headers)
    assert listed.status_code == 422 and "from" in listed.text

"""Strength sessions over HTTP: the progress reused across attempts, sets that move the live
session to its rest, EMOM/AMRAP timing, optimistic concurrency between two devices, drafts
and hydration, records and exercise history."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from setpoint.auth.model import Role
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_sessions import send, state
from tests.support import FakeClock

STRENGTH: dict[str, Any] = {
    "name": "Squat day",
    "sport": "strength",
    "steps": [
        {
            "intensity": "active",
            "exercise": {
                "name": "Back squat",
                "type": "standard",
                "sets": 3,
                "reps": 5,
                "weight_kg": 100,
                "rest_s": 90,
            },
        },
        {
            "intensity": "active",
            "exercise": {"name": "Burpees", "type": "emom", "minutes": 2, "reps": 10},
        },
        {"intensity": "active", "exercise": {"name": "Mixed", "type": "amrap", "cap_s": 300}},
    ],
}  # segments: set, rest, set, rest, set, rest, minute 1, minute 2, AMRAP


async def strength_session(
    client: httpx.AsyncClient, athlete: UserHandle, workout_id: str | None = None
) -> tuple[str, str]:
    if workout_id is None:
        created = await client.post("/api/workouts", json=STRENGTH, headers=athlete.headers)
        assert created.status_code == 201, created.text
        workout_id = created.json()["id"]
    session = await client.post(
        "/api/sessions", json={"workout_id": workout_id}, headers=athlete.headers
    )
    assert session.status_code == 201, session.text
    return session.json()["id"], workout_id


async def log_set(
    client: httpx.AsyncClient, user: UserHandle, sid: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/sessions/{sid}/sets", headers=user.headers, json=body)


async def test_sets_are_logged_and_the_session_rests_between_them(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    sid, _ = await strength_session(client, athlete)
    progress = (await client.get(f"/api/sessions/{sid}/progress", headers=athlete.headers)).json()
    assert [e["name"] for e in progress["exercises"]] == ["Back squat", "Burpees", "Mixed"]
    assert progress["summary"] == {
        "total": 3,
        "completed": 0,
        "in_progress": 0,
        "skipped": 0,
        "not_started": 3,
    }
    await send(client, athlete, sid, "start")
    clock.advance(40)
    done = (await log_set(client, athlete, sid, position=0, reps=5, weight_kg=100, rpe=8)).json()
    s = done["state"]
    assert (s["segment_index"], s["segment"]["name"], s["rest_remaining_s"]) == (1, "Rest", 90)
    assert s["elapsed_s"] == 40  # the timer kept running through the set
    squat = done["progress"]["exercises"][0]
    assert squat["status"] == "in_progress" and squat["data"]["reps_per_set"] == [5]
    assert done["progress"]["revision"] == 2

    clock.advance(30)
    assert (await state(client, athlete, sid))["rest_remaining_s"] == 60
    clock.advance(60)  # the rest is over: the next set waits for the athlete
    s = await state(client, athlete, sid)
    assert s["segment"]["name"] == "Back squat · set 2/3" and s["rest_remaining_s"] is None

    for reps in (5, 4):
        await log_set(client, athlete, sid, position=0, reps=reps, weight_kg=105)
        clock.advance(90)
    s = await state(client, athlete, sid)
    assert s["segment"]["name"] == "Burpees · minute 1/2"
    # EMOM minutes run by themselves; logging one does not move the clock.
    logged = (await log_set(client, athlete, sid, position=1, reps=10)).json()
    assert logged["state"]["segment_index"] == s["segment_index"]
    clock.advance(120)
    s = await state(client, athlete, sid)
    assert s["segment"]["name"] == "Mixed · AMRAP"
    clock.advance(300)  # the AMRAP cap ends the workout
    assert (await state(client, athlete, sid))["status"] == "completed"

    progress = (await client.get(f"/api/sessions/{sid}/progress", headers=athlete.headers)).json()
    squat = progress["exercises"][0]
    assert squat["status"] == "completed" and squat["data"]["reps_per_set"] == [5, 5, 4]
    records = progress["records"]["Back squat"]
    assert records["estimated_1rm_kg"] == 122.5  # 105 kg x 5 (Epley)
    attempts = await client.get(
        f"/api/workouts/{progress['workout_id']}/attempts", headers=athlete.headers
    )
    (attempt,) = attempts.json()["items"]
    assert attempt["status"] == "completed" and attempt["exercises_completed"] == 1
    assert attempt["exercises_total"] == 3 and attempt["rest_period_s"] == 90


async def test_a_new_attempt_reuses_the_progress_prefilled(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    first, workout_id = await strength_session(client, athlete)
    await send(client, athlete, first, "start")
    await log_set(client, athlete, first, position=0, reps=5, weight_kg=100)
    await send(client, athlete, first, "finish")

    clock.advance(86_400)
    second, _ = await strength_session(client, athlete, workout_id)
    progress = (
        await client.get(f"/api/sessions/{second}/progress", headers=athlete.headers)
    ).json()
    squat = progress["exercises"][0]
    assert squat["status"] == "not_started" and squat["data"]["reps_per_set"] == [5]
    assert progress["session_id"] == second
    # The first attempt no longer writes the shared progress.
    stale = await log_set(client, athlete, first, position=0, reps=5, weight_kg=100)
    assert stale.status_code == 409 and stale.json()["error"] == "progress_taken_over"

    await send(client, athlete, second, "start")
    heavier = (await log_set(client, athlete, second, position=0, reps=5, weight_kg=110)).json()
    assert heavier["progress"]["new_records"][0]["weight_kg"] == 110
    history = await client.get("/api/exercises/Back squat/history", headers=athlete.headers)
    body = history.json()
    assert [s["weight_kg"] for s in body["sets"]] == [110, 100]
    assert body["records"]["best_by_reps"] == [
        {"reps": 5, "weight_kg": 110, "at": body["records"]["best_by_reps"][0]["at"]}
    ]
    attempts = await client.get(f"/api/workouts/{workout_id}/attempts", headers=athlete.headers)
    assert [a["session_id"] for a in attempts.json()["items"]] == [second, first]


async def test_two_devices_never_overwrite_each_other(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid, _ = await strength_session(client, athlete)
    await send(client, athlete, sid, "start")
    url = f"/api/sessions/{sid}/progress"
    base = (await client.get(url, headers=athlete.headers)).json()
    assert base["revision"] == 1

    async def device(reps: int) -> httpx.Response:
        return await log_set(client, athlete, sid, position=0, reps=reps, revision=1)

    a, b = await asyncio.gather(device(5), device(4))
    assert sorted([a.status_code, b.status_code]) == [200, 409]
    loser = a if a.status_code == 409 else b
    current = loser.json()["progress"]
    assert current["revision"] == 2
    lost_reps = 5 if loser is a else 4
    retried = await log_set(
        client, athlete, sid, position=0, reps=lost_reps, revision=current["revision"]
    )
    assert retried.status_code == 200
    stored = (await client.get(url, headers=athlete.headers)).json()
    assert sorted(stored["exercises"][0]["data"]["reps_per_set"]) == [4, 5]

    # A whole-document write based on an old revision is refused too, with the current doc.
    edited = {**base, "exercises": base["exercises"]}
    edited["exercises"][0] = {**edited["exercises"][0], "notes": "felt heavy"}
    refused = await client.put(url, headers=athlete.headers, json=edited)
    assert refused.status_code == 409 and refused.json()["progress"]["revision"] == 3
    accepted = await client.put(
        url, headers=athlete.headers, json={**refused.json()["progress"], "notes": None}
    )
    assert accepted.status_code == 200 and accepted.json()["revision"] == 4


async def test_progress_input_is_checked(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    stranger = await make_user()
    sid, _ = await strength_session(client, athlete)
    url = f"/api/sessions/{sid}/progress"
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.get(url, headers=coach.headers)).status_code == 200
    bad = await client.patch(
        f"{url}/exercises/0",
        headers=athlete.headers,
        json={
            "revision": 1,
            "data": {
                "reps_per_set": [-3],
                "weight_per_set": [None],
                "rpe_per_set": [None],
                "sets_completed": 1,
            },
        },
    )
    assert bad.status_code == 422 and "reps_per_set[0]" in bad.json()["detail"]
    unknown = await log_set(client, athlete, sid, position=7, reps=5)
    assert unknown.status_code == 422
    assert (await log_set(client, athlete, sid, position=0, reps=-1)).status_code == 422
    skipped = await client.patch(
        f"{url}/exercises/1", headers=athlete.headers, json={"revision": 1, "status": "skipped"}
    )
    assert skipped.status_code == 200 and skipped.json()["summary"]["skipped"] == 1

    endurance = await client.post(
        "/api/workouts",
        headers=athlete.headers,
        json={
            "name": "Run",
            "sport": "run",
            "steps": [{"intensity": "active", "duration": {"type": "time", "seconds": 60}}],
        },
    )
    await send(client, athlete, sid, "abandon")
    run = await client.post(
        "/api/sessions", headers=athlete.headers, json={"workout_id": endurance.json()["id"]}
    )
    no_progress = await client.get(
        f"/api/sessions/{run.json()['id']}/progress", headers=athlete.headers
    )
    assert no_progress.status_code == 404


async def test_drafts_hydrate_and_are_cleared_when_the_session_ends(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid, _ = await strength_session(client, athlete)
    url = f"/api/sessions/{sid}/draft"
    empty = (await client.get(url, headers=athlete.headers)).json()
    assert (empty["revision"], empty["draft"]) == (0, None)
    ui = {"exercise": 0, "typing": {"reps": "5", "weight": "10"}, "rest_remaining_s": 42}
    saved = await client.put(url, headers=athlete.headers, json={"revision": 0, "draft": ui})
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    other = await client.put(url, headers=athlete.headers, json={"revision": 0, "draft": {}})
    assert other.status_code == 409 and other.json()["draft"]["draft"] == ui
    huge = {"notes": "x" * 20_000}
    too_big = await client.put(url, headers=athlete.headers, json={"revision": 1, "draft": huge})
    assert too_big.status_code == 422

    await send(client, athlete, sid, "start")
    hydrated = (await client.get(f"/api/sessions/{sid}/hydrate", headers=athlete.headers)).json()
    assert hydrated["state"]["status"] == "in_progress"
    assert hydrated["draft"]["draft"] == ui and hydrated["progress"]["revision"] == 1
    await send(client, athlete, sid, "pause")
    assert (await client.get(url, headers=athlete.headers)).json()["revision"] == 1  # kept
    await send(client, athlete, sid, "finish")
    assert (await client.get(url, headers=athlete.headers)).json()["draft"] is None
    ended = await client.put(url, headers=athlete.headers, json={"revision": 0, "draft": ui})
    assert ended.status_code == 409 and ended.json()["error"] == "session_ended"

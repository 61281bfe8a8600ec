"""Strength sessions over HTTP: the progress reused across attempts, sets that move the live
session to its rest, EMOM/AMRAP timing, optimistic concurrency between two devices, drafts
and hydration, records kept as sets are written, edited and removed, exercise history pages,
and the migration that counts the records of sets logged before it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from setpoint.auth.model import Role
from setpoint.auth.tables import User
from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.sessions.tables import SessionRow
from setpoint.strength import repository
from setpoint.strength.records import LoggedSet, personal_records, rep_maxes
from setpoint.strength.tables import ExerciseSet
from setpoint.workouts.tables import WorkoutRow
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_sessions import send, state
from tests.support import FakeClock, scratch_postgres, sqlite_url

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


# --- records kept as sets are written -------------------------------------------------------


async def history_pages(
    client: httpx.AsyncClient, user: UserHandle, exercise: str, limit: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The exercise's records and every one of its sets, read page by page."""
    url = f"/api/exercises/{exercise}/history"
    first = (await client.get(url, headers=user.headers, params={"limit": limit})).json()
    sets, page = list(first["sets"]), first
    while page["next_before_id"] is not None:
        params = {"limit": limit, "before_id": page["next_before_id"]}
        page = (await client.get(url, headers=user.headers, params=params)).json()
        assert len(page["sets"]) <= limit
        sets += page["sets"]
    return first["records"], sets


def best_by_reps(records: dict[str, Any]) -> dict[int, float]:
    return {r["reps"]: r["weight_kg"] for r in records["best_by_reps"]}


async def assert_records_match_history(
    client: httpx.AsyncClient, user: UserHandle, expected: dict[int, float]
) -> None:
    """The records kept match `expected` and those the whole history gives."""
    records, sets = await history_pages(client, user, "Back squat", limit=2)
    whole = personal_records(
        LoggedSet(s["weight_kg"], s["reps"], datetime.fromisoformat(s["at"])) for s in sets
    )
    assert best_by_reps(records) == expected
    assert {r: s.weight_kg for r, s in whole.best_by_reps.items()} == expected
    assert records["estimated_1rm_kg"] == round(whole.best_1rm_kg or 0, 2)
    ordered = [(s["at"], s["id"]) for s in sets]
    assert ordered == sorted(ordered, reverse=True)  # newest first, no set twice


async def test_records_follow_sets_written_edited_and_removed(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    first, workout_id = await strength_session(client, athlete)
    await send(client, athlete, first, "start")
    for reps, weight in ((5, 100), (5, 105), (3, 110)):
        await log_set(client, athlete, first, position=0, reps=reps, weight_kg=weight)
    await send(client, athlete, first, "finish")
    await assert_records_match_history(client, athlete, {5: 105, 3: 110})

    clock.advance(86_400)
    second, _ = await strength_session(client, athlete, workout_id)
    await send(client, athlete, second, "start")
    await log_set(client, athlete, second, position=0, reps=5, weight_kg=110)
    logged = await log_set(client, athlete, second, position=0, reps=3, weight_kg=120)
    progress = logged.json()["progress"]
    assert best_by_reps(progress["records"]["Back squat"]) == {5: 110, 3: 120}
    assert [(r["set"], r["weight_kg"]) for r in progress["new_records"]] == [(1, 110), (2, 120)]
    await assert_records_match_history(client, athlete, {5: 110, 3: 120})

    url = f"/api/sessions/{second}/progress/exercises/0"

    async def edit(revision: int, **data: list[Any]) -> dict[str, Any]:
        body = {"revision": revision, "data": {**data, "sets_completed": len(data["reps_per_set"])}}
        answer = await client.patch(url, headers=athlete.headers, json=body)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    # The 120 kg triple was 100 kg: the triple record goes back to the first attempt's.
    edited = await edit(
        progress["revision"], reps_per_set=[5, 3], weight_per_set=[110, 100], rpe_per_set=[None] * 2
    )
    assert best_by_reps(edited["records"]["Back squat"]) == {5: 110, 3: 110}
    assert [(r["set"], r["weight_kg"]) for r in edited["new_records"]] == [(1, 110)]
    await assert_records_match_history(client, athlete, {5: 110, 3: 110})

    # The 110 kg five is removed: the five's record is the first attempt's 105 again.
    removed = await edit(
        edited["revision"], reps_per_set=[3], weight_per_set=[100], rpe_per_set=[None]
    )
    assert best_by_reps(removed["records"]["Back squat"]) == {5: 105, 3: 110}
    assert removed["new_records"] == []
    await assert_records_match_history(client, athlete, {5: 105, 3: 110})

    # Skipping the exercise takes its sets out of the history; a new set counts again.
    skipped = await client.patch(
        url, headers=athlete.headers, json={"revision": removed["revision"], "status": "skipped"}
    )
    assert skipped.status_code == 200
    _, sets = await history_pages(client, athlete, "Back squat", limit=50)
    assert {s["session_id"] for s in sets} == {first}
    await client.patch(
        url,
        headers=athlete.headers,
        json={"revision": skipped.json()["revision"], "status": "in_progress"},
    )
    heavy = await log_set(client, athlete, second, position=0, reps=5, weight_kg=130)
    assert best_by_reps(heavy.json()["progress"]["records"]["Back squat"]) == {5: 130, 3: 110}
    await assert_records_match_history(client, athlete, {5: 130, 3: 110})

    missing = await client.get(
        "/api/exercises/Back squat/history", headers=athlete.headers, params={"before_id": 10**9}
    )
    assert missing.status_code == 404
    huge = await client.get(
        "/api/exercises/Back squat/history", headers=athlete.headers, params={"before_id": 2**64}
    )
    assert huge.status_code == 422 and "before_id" in huge.text


# --- the migration that counts records of sets logged before it ----------------------------


@asynccontextmanager
async def empty_database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        db = Database(sqlite_url(tmp_path / "history.db"))
        try:
            yield db
        finally:
            await db.dispose()
        return
    async with scratch_postgres() as url:
        db = Database(url)
        try:
            yield db
        finally:
            await db.dispose()


async def test_the_migration_counts_records_of_the_sets_already_logged(
    backend: str, tmp_path: Path
) -> None:
    t0 = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)
    athletes = [uuid.uuid4(), uuid.uuid4()]
    workout = uuid.uuid4()
    sessions = {(a, day): uuid.uuid4() for a in athletes for day in range(4)}
    async with empty_database(backend, tmp_path) as db:
        await migrate.upgrade(db, "0007")
        async with db.transaction() as uow:
            session = uow.session
            for i, athlete in enumerate(athletes):
                session.add(
                    User(
                        id=athlete,
                        email=f"a{i}@x.test",
                        password_hash="-",
                        role="athlete",
                        created_at=t0,
                    )
                )
            await session.flush()
            session.add(
                WorkoutRow(
                    id=workout,
                    owner_id=athletes[0],
                    created_by_id=athletes[0],
                    origin_id=workout,
                    revision=1,
                    lineage_id=workout,
                    name="Squat day",
                    sport="strength",
                    definition={},
                    segments=[],
                    segment_count=0,
                    created_at=t0,
                )
            )
            await session.flush()
            for (athlete, _day), sid in sessions.items():
                session.add(
                    SessionRow(
                        id=sid,
                        athlete_id=athlete,
                        workout_id=workout,
                        workout_name="Squat day",
                        plan={"segments": [], "total_duration_s": 0},
                        status="completed",
                        segment_index=0,
                        segment_start_elapsed_s=0.0,
                        elapsed_at_anchor_s=0.0,
                        last_seen_at=0.0,
                        revision=1,
                        event_seq=0,
                        created_at=t0,
                    )
                )
            await session.flush()
            # Ties (the same weight on other days, and twice in one session), failed sets,
            # two exercises, two athletes.
            logged = [
                (athlete, day, exercise, weight, reps)
                for athlete in athletes
                for day in range(4)
                for exercise in ("Back squat", "Bench press")
                for weight, reps in (
                    (100.0, 5),
                    (100.0 + 2.5 * (day % 2), 5),
                    (90.0, 0),
                    (80.0 + day, 8),
                    (120.0 - day, 1),
                )
            ]
            await session.execute(
                insert(ExerciseSet),
                [
                    {
                        "athlete_id": a,
                        "session_id": sessions[(a, day)],
                        "exercise": exercise,
                        "weight_kg": weight,
                        "reps": reps,
                        "at": t0 + timedelta(days=day),
                    }
                    for a, day, exercise, weight, reps in logged
                ],
            )
        await migrate.upgrade(db)
        async with db.transaction(write=False) as uow:
            for athlete in athletes:
                names = ["Back squat", "Bench press"]
                stored = await repository.rep_maxes_of(uow.session, athlete, names)
                for name in names:
                    sets = await repository.all_sets(uow.session, athlete, name)
                    assert stored[name] == rep_maxes(sets)
                    assert sorted(stored[name]) == [1, 5, 8]
                    five = stored[name][5]
                    assert (five.best.weight_kg, five.best.at) == (102.5, t0 + timedelta(days=1))
                    assert five.other is not None
                    assert (five.other.weight_kg, five.other.at) == (102.5, t0 + timedelta(days=3))

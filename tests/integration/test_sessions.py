from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.sessions.jobs import SessionDeadlines, flush_seen, recover_sessions
from setpoint.sessions.presence import Presence
from setpoint.sessions.schemas import SessionStateOut
from setpoint.sessions.service import SETTLE_SLICE, settle_due
from tests.conftest import MakeUser, UserHandle
from tests.support import FakeClock

NOBODY = "00000000-0000-0000-0000-000000000000"
INTERVALS: dict[str, Any] = {
    "name": "3 x 1 min",
    "sport": "run",
    "steps": [
        {"intensity": "warmup", "duration": {"type": "time", "seconds": 120}},
        {
            "repeat": 3,
            "steps": [
                {"intensity": "interval", "duration": {"type": "time", "seconds": 60}},
                {"intensity": "recovery", "duration": {"type": "time", "seconds": 30}},
            ],
        },
        {"intensity": "cooldown", "duration": {"type": "time", "seconds": 60}},
    ],
}  # 8 segments, 450 s


async def new_session(
    client: httpx.AsyncClient, user: UserHandle, doc: dict[str, Any] = INTERVALS
) -> dict[str, Any]:
    workout = await client.post("/api/workouts", json=doc, headers=user.headers)
    created = await client.post(
        "/api/sessions", json={"workout_id": workout.json()["id"]}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def send(
    client: httpx.AsyncClient, user: UserHandle, sid: str, command: str, **headers: str
) -> httpx.Response:
    return await client.post(f"/api/sessions/{sid}/{command}", headers={**user.headers, **headers})


async def state(client: httpx.AsyncClient, user: UserHandle, sid: str) -> dict[str, Any]:
    return dict((await client.get(f"/api/sessions/{sid}", headers=user.headers)).json())


async def test_the_timer_runs_across_segments_and_never_resets(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    session = await new_session(client, athlete)
    assert (
        session["status"] == "not_started"
        and session["elapsed_s"] == 0
        and session["segment_count"] == 8
    )
    sid = session["id"]
    started = (await send(client, athlete, sid, "start")).json()
    assert started["status"] == "in_progress" and started["revision"] == 2

    clock.advance(150)  # 120 s warm-up, 30 s into the first interval
    s = await state(client, athlete, sid)
    assert (s["elapsed_s"], s["segment_index"], s["segment_elapsed_s"]) == (150, 1, 30)
    assert s["segment_remaining_s"] == 30 and s["next_segment"]["intensity"] == "recovery"
    assert s["server_time"] == clock.now().timestamp()

    await send(client, athlete, sid, "pause")
    clock.advance(600)  # paused: no time counted
    s = await state(client, athlete, sid)
    assert (s["status"], s["elapsed_s"], s["segment_index"]) == ("paused", 150, 1)
    await send(client, athlete, sid, "resume")
    clock.advance(10)
    skipped = (await send(client, athlete, sid, "skip")).json()
    assert (skipped["segment_index"], skipped["elapsed_s"], skipped["segment_elapsed_s"]) == (
        2,
        160,
        0,
    )
    clock.advance(5)
    back = (await send(client, athlete, sid, "back")).json()
    assert (back["segment_index"], back["elapsed_s"], back["segment_elapsed_s"]) == (1, 165, 0)

    clock.advance(3600)  # long after the plan's end: completed at the exact boundary
    s = await state(client, athlete, sid)
    assert s["status"] == "completed"
    assert s["elapsed_s"] == 165 + 60 + 30 + 60 + 30 + 60 + 30 + 60
    assert s["ended_at"] is not None


async def test_one_active_session_per_athlete(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    first = await new_session(client, athlete)
    workout_id = first["workout_id"]
    again = await client.post(
        "/api/sessions", json={"workout_id": workout_id}, headers=athlete.headers
    )
    assert again.status_code == 409 and again.json()["error"] == "session_already_active"
    assert again.json()["active_session"]["id"] == first["id"]
    active = await client.get("/api/sessions/active", headers=athlete.headers)
    assert active.status_code == 200 and active.json()["id"] == first["id"]

    assert (await send(client, athlete, first["id"], "abandon")).json()["status"] == "abandoned"
    assert (await client.get("/api/sessions/active", headers=athlete.headers)).status_code == 404
    second = await client.post(
        "/api/sessions", json={"workout_id": workout_id}, headers=athlete.headers
    )
    assert second.status_code == 201
    history = (await client.get("/api/sessions?status=abandoned", headers=athlete.headers)).json()
    assert [s["id"] for s in history["items"]] == [first["id"]] and history["total"] == 1


async def test_invalid_transitions_are_409_naming_the_rule(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    paused = await send(client, athlete, sid, "pause")
    assert paused.status_code == 409 and paused.json() == {
        "error": "invalid_transition",
        "detail": "cannot pause a session that is not started",
    }
    await send(client, athlete, sid, "start")
    assert (await send(client, athlete, sid, "start")).status_code == 409
    assert (await send(client, athlete, sid, "resume")).json()[
        "detail"
    ] == "cannot resume a session that is in progress"
    await send(client, athlete, sid, "finish")
    assert (await send(client, athlete, sid, "skip")).status_code == 409
    assert (await send(client, athlete, sid, "teleport")).status_code == 422


async def test_idempotency_key_applies_a_retried_command_once(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    first = await send(client, athlete, sid, "skip", **{"Idempotency-Key": "tap-1"})
    clock.advance(5)
    retry = await send(client, athlete, sid, "skip", **{"Idempotency-Key": "tap-1"})
    assert retry.status_code == 200 and retry.json()["replayed"] is True
    assert retry.json()["segment_index"] == first.json()["segment_index"] == 1
    assert (await state(client, athlete, sid))["segment_index"] == 1
    other = await send(client, athlete, sid, "pause", **{"Idempotency-Key": "tap-1"})
    assert other.status_code == 409 and "another request" in other.json()["detail"]
    events = (await client.get(f"/api/sessions/{sid}/events", headers=athlete.headers)).json()
    assert [e["type"] for e in events] == ["SessionStarted", "SegmentChanged"]
    assert [e["seq"] for e in events] == [1, 2]


async def test_if_match_refuses_a_stale_client(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    started = (await send(client, athlete, sid, "start")).json()
    ok = await send(client, athlete, sid, "skip", **{"If-Match": f'"{started["revision"]}"'})
    assert ok.status_code == 200
    stale = await send(client, athlete, sid, "skip", **{"If-Match": str(started["revision"])})
    assert stale.status_code == 409 and stale.json()["error"] == "stale_revision"
    assert stale.json()["session"]["revision"] == ok.json()["revision"]
    bad = await send(client, athlete, sid, "skip", **{"If-Match": "yesterday"})
    assert bad.status_code == 400 and "If-Match" in bad.json()["detail"]


async def test_sessions_are_private(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    coach = await make_user(Role.COACH)
    athlete, stranger = await make_user(coach=coach), await make_user()
    session = await new_session(client, athlete)
    sid = session["id"]
    for method, path in [("GET", ""), ("GET", "/events"), ("POST", "/start"), ("POST", "/abandon")]:
        for who in (stranger,):
            r = await client.request(method, f"/api/sessions/{sid}{path}", headers=who.headers)
            assert r.status_code == 404, (method, path, r.text)
        assert (
            await client.request(method, f"/api/sessions/{NOBODY}{path}", headers=athlete.headers)
        ).status_code == 404
        assert (await client.request(method, f"/api/sessions/{sid}{path}")).status_code == 401
    assert (await client.get(f"/api/sessions/{sid}", headers=coach.headers)).status_code == 200
    assert (await client.get("/api/sessions", headers=stranger.headers)).json()["total"] == 0
    assert (await client.get("/api/sessions/active", headers=stranger.headers)).status_code == 404
    # Nobody runs someone else's workout, or a session for an athlete they do not coach.
    theirs = await client.post(
        "/api/sessions", json={"workout_id": session["workout_id"]}, headers=stranger.headers
    )
    assert theirs.status_code == 404
    for_other = await client.post(
        "/api/sessions",
        json={"workout_id": session["workout_id"], "athlete_id": athlete.id},
        headers=stranger.headers,
    )
    assert for_other.status_code == 404


async def test_bad_session_input(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    athlete = await make_user()
    for body, fragment in [
        ({}, "body.workout_id"),
        ({"workout_id": "x"}, "body.workout_id"),
        ({"workout_id": NOBODY}, "does not exist"),
    ]:
        r = await client.post("/api/sessions", json=body, headers=athlete.headers)
        assert r.status_code in (404, 422) and fragment in r.json()["detail"], r.text
    assert (
        await client.get("/api/sessions?status=sleeping", headers=athlete.headers)
    ).status_code == 422
    sid = (await new_session(client, athlete))["id"]
    long_key = await send(client, athlete, sid, "start", **{"Idempotency-Key": "k" * 201})
    assert long_key.status_code == 422
    # The state read has a fast path for canonical ids; the other spellings of a UUID read
    # the same session, and what is no UUID is refused naming the field.
    for spelling in (sid.upper(), sid.replace("-", ""), f"{{{sid}}}"):
        r = await client.get(f"/api/sessions/{spelling}", headers=athlete.headers)
        assert r.status_code == 200 and r.json()["id"] == sid, (spelling, r.text)
    malformed = await client.get("/api/sessions/12345", headers=athlete.headers)
    assert malformed.status_code == 422 and "path.session_id" in malformed.json()["detail"]


async def test_the_deadline_job_settles_boundaries_into_the_log(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    job = SessionDeadlines(ctx)
    start = ctx.timeline.now()
    assert await job.run_due(start) == start + 120  # the end of the warm-up
    clock.advance(200)
    upcoming = await job.run_due(ctx.timeline.now())
    assert upcoming == start + 210  # the first recovery ends 120 + 60 + 30 s in
    events = (await client.get(f"/api/sessions/{sid}/events", headers=athlete.headers)).json()
    changes = [
        (e["payload"]["from_index"], e["payload"]["to_index"], e["at"] - start) for e in events[1:]
    ]
    assert changes == [(0, 1, 120), (1, 2, 180)]
    clock.advance(1000)
    assert await job.run_due(ctx.timeline.now()) is None
    done = await state(client, athlete, sid)
    assert done["status"] == "completed" and done["elapsed_s"] == 450
    log = (await client.get(f"/api/sessions/{sid}/events", headers=athlete.headers)).json()
    assert log[-1]["type"] == "SessionCompleted" and log[-1]["at"] - start == 450


async def test_a_burst_of_boundaries_settles_in_slices_others_run_between(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    sids = []
    for _ in range(2 * SETTLE_SLICE + 5):  # every warm-up ends in the same instant
        athlete = await make_user()
        sids.append((athlete, (await new_session(client, athlete))["id"]))
    for athlete, sid in sids:
        await send(client, athlete, sid, "start")
    clock.advance(125)
    async with ctx.db.transaction() as uow:
        seen: list[int] = []  # events recorded so far, each time other work got the loop

        async def other_work() -> None:  # a socket or a command, waiting for the loop
            while True:
                seen.append(len(uow.session.new))
                await asyncio.sleep(0)

        beside = asyncio.create_task(other_work())
        settled = await settle_due(ctx, uow, ctx.timeline.now())
        beside.cancel()
    assert settled == len(sids)
    # It ran between slices of the batch, not only before and after it.
    assert any(0 < n < len(sids) for n in seen), seen
    for athlete, sid in sids:
        assert (await state(client, athlete, sid))["segment_index"] == 1


async def test_recovery_pauses_stale_sessions_and_keeps_fresh_ones(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    fresh_athlete, stale_athlete, watching_athlete = (
        await make_user(),
        await make_user(),
        await make_user(),
    )
    long_plan = {
        **INTERVALS,
        "steps": [{"intensity": "active", "duration": {"type": "time", "seconds": 7200}}],
    }
    stale = (await new_session(client, stale_athlete, long_plan))["id"]
    fresh = (await new_session(client, fresh_athlete, long_plan))["id"]
    watched = (await new_session(client, watching_athlete, long_plan))["id"]
    for athlete, sid in (
        (stale_athlete, stale),
        (fresh_athlete, fresh),
        (watching_athlete, watched),
    ):
        await send(client, athlete, sid, "start")
    with ctx.part(Presence).watch(
        uuid.UUID(watched)
    ):  # a live socket stays open, silent, for the whole ride
        clock.advance(3000)
        await state(client, fresh_athlete, fresh)  # the fresh athlete's player asks once
        await flush_seen(ctx)
        clock.advance(1000)  # stale: last seen 4000 s ago; fresh: 1000 s ago
        await flush_seen(ctx)
    assert await recover_sessions(ctx) == 1
    s = await state(client, stale_athlete, stale)
    assert (s["status"], s["elapsed_s"]) == ("paused", 0)  # paused at its last known point
    f = await state(client, fresh_athlete, fresh)
    assert (f["status"], f["elapsed_s"]) == ("in_progress", 4000)
    w = await state(client, watching_athlete, watched)
    assert (w["status"], w["elapsed_s"]) == ("in_progress", 4000)


async def test_the_documented_state_is_the_state_served(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    """`SessionStateOut` documents the state that `state_doc` builds: every field either
    way, with its type, in each status."""
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    documented = set(SessionStateOut.model_fields) - {"replayed"}
    for command in ("start", "pause", "resume", "finish"):
        answer = (await send(client, athlete, sid, command)).json()
        served = await state(client, athlete, sid)
        for doc in (answer, served):
            assert set(doc) - {"replayed"} == documented
            SessionStateOut.model_validate(doc)
        clock.advance(30)

"""Heart rate during a session, over HTTP: ingest and its limits, the filtered view in the
state, one alert per excursion (events log, inbox, signed webhook), batched persistence and
the summary."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.heartrate import service as heartrate_service
from setpoint.heartrate.live import BURST, MAX_BATCH, HeartRates
from setpoint.heartrate.service import write_pending
from setpoint.notifications.jobs import WebhookDeliveries
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_sessions import new_session, send, state
from tests.support import SECRET, FakeClock, Receiver

# Warm-up (zone 2 target), a 120 s interval at 150–165 bpm, a cool-down without HR target.
WORKOUT: dict[str, Any] = {
    "name": "HR steps",
    "sport": "run",
    "steps": [
        {
            "intensity": "warmup",
            "duration": {"type": "time", "seconds": 60},
            "targets": [{"type": "hr_zone", "zone": 2}],
        },
        {
            "intensity": "interval",
            "duration": {"type": "time", "seconds": 120},
            "targets": [{"type": "hr_range", "low": 150, "high": 165}],
        },
        {"intensity": "cooldown", "duration": {"type": "time", "seconds": 60}},
    ],
}
MAX_HR = 190  # zones: Z1 95–114, Z2 114–133, Z3 133–152, Z4 152–171, Z5 171–190


async def running(client: httpx.AsyncClient, athlete: UserHandle) -> str:
    response = await client.patch(
        "/api/me/profile", headers=athlete.headers, json={"max_hr": MAX_HR}
    )
    assert response.status_code == 200, response.text
    sid = str((await new_session(client, athlete, WORKOUT))["id"])
    assert (await send(client, athlete, sid, "start")).status_code == 200
    return sid


async def beat(
    client: httpx.AsyncClient,
    athlete: UserHandle,
    clock: FakeClock,
    sid: str,
    bpms: list[int],
) -> list[dict[str, Any]]:
    """One sample a second, posted as it is taken; the answers."""
    answers = []
    for bpm in bpms:
        clock.advance(1)
        sample = {"t": clock.now().timestamp(), "bpm": bpm}
        response = await client.post(
            f"/api/sessions/{sid}/heart-rate", headers=athlete.headers, json={"samples": [sample]}
        )
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


async def events_of(client: httpx.AsyncClient, user: UserHandle, sid: str) -> list[str]:
    response = await client.get(f"/api/sessions/{sid}/events", headers=user.headers)
    return [e["type"] for e in response.json()]


async def test_the_state_shows_the_filtered_heart_rate_its_zone_and_the_target(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    sid = await running(client, athlete)
    answers = await beat(client, athlete, clock, sid, [120, 122, 121, 300, 123])
    assert [a["accepted"] for a in answers] == [1, 1, 1, 0, 1]
    assert answers[3]["rejected"] == {"out_of_range": 1}
    view = (await state(client, athlete, sid))["heart_rate"]
    assert 120 <= view["bpm"] <= 123
    assert view["zone"] == 2 and view["target"] == {"low": 114, "high": 133}
    assert view["in_target"] is True

    # A new max HR: new zones at once (Z2 is now 90–105, and 123 bpm is in Z4).
    await client.patch("/api/me/profile", headers=athlete.headers, json={"max_hr": 150})
    await beat(client, athlete, clock, sid, [123])
    view = (await state(client, athlete, sid))["heart_rate"]
    assert view["zone"] == 4 and view["target"] == {"low": 90, "high": 105}
    assert view["in_target"] is False

    clock.advance(10)  # the strap went quiet: the heart rate is unknown, not stale
    view = (await state(client, athlete, sid))["heart_rate"]
    assert view["bpm"] is None and view["in_target"] is None

    clock.advance(60)  # the interval: same heart rate, a new target
    await beat(client, athlete, clock, sid, [122])
    view = (await state(client, athlete, sid))["heart_rate"]
    assert view["target"] == {"low": 150, "high": 165} and view["in_target"] is False


async def test_an_excursion_raises_one_alert_and_one_back_in_zone(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    hook = {"url": receiver.url, "secret": SECRET, "events": ["ZoneDeviation", "BackInZone"]}
    await client.post("/api/webhooks", headers=athlete.headers, json=hook)
    sid = await running(client, athlete)
    clock.advance(60)  # into the 150–165 interval
    await beat(client, athlete, clock, sid, [158] * 5)
    # 40 s well above the band, noisy: one alert, after the 10 s debounce.
    answers = await beat(client, athlete, clock, sid, [175, 178, 173, 176] * 10)
    assert sum(a["heart_rate"]["in_target"] is False for a in answers) >= 35
    assert (await events_of(client, athlete, sid)).count("ZoneDeviation") == 1
    await beat(client, athlete, clock, sid, [158] * 15)  # back, well inside the band
    log = await events_of(client, athlete, sid)
    assert (log.count("ZoneDeviation"), log.count("BackInZone")) == (1, 1)

    inbox = await client.get("/api/notifications?type=ZoneDeviation", headers=athlete.headers)
    (alert,) = inbox.json()["items"]
    assert alert["payload"]["direction"] == "above" and alert["payload"]["high"] == 165
    assert alert["payload"]["segment_index"] == 1 and alert["payload"]["bpm"] > 165

    job = WebhookDeliveries(ctx)
    await job.run_due(job.now())
    delivered = [(b["type"], b["payload"].get("direction")) for b in receiver.verified()]
    assert sorted(delivered, key=str) == [("BackInZone", None), ("ZoneDeviation", "above")]


async def test_an_alert_already_raised_is_not_raised_again_after_a_restart(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    sid = await running(client, athlete)
    clock.advance(60)
    await beat(client, athlete, clock, sid, [140] * 20)  # below 150–165: one alert
    assert ctx.part(HeartRates).get(uuid.UUID(sid)) is not None
    ctx.part(HeartRates).drop(uuid.UUID(sid))
    await beat(client, athlete, clock, sid, [140] * 20)  # a new process, still below
    assert (await events_of(client, athlete, sid)).count("ZoneDeviation") == 1


async def test_trackers_asked_for_together_are_made_from_one_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx: Context = app.state.context
    athletes = [await make_user() for _ in range(3)]
    sids = [await running(client, athlete) for athlete in athletes]
    reads: list[set[uuid.UUID]] = []
    profiles_of = heartrate_service.profiles_of

    async def counted(session: Any, user_ids: set[uuid.UUID]) -> Any:
        reads.append(set(user_ids))
        return await profiles_of(session, user_ids)

    monkeypatch.setattr(heartrate_service, "profiles_of", counted)
    for sid in sids:  # as after a restart: the next batch makes the tracker
        ctx.part(HeartRates).drop(uuid.UUID(sid))
    clock.advance(1)
    posts = [
        client.post(
            f"/api/sessions/{sid}/heart-rate",
            headers=athlete.headers,
            json={"samples": [{"t": clock.now().timestamp() - i * 0.1, "bpm": 150}]},
        )
        for athlete, sid in zip(athletes, sids, strict=True)
        for i in range(4)  # several batches of each session wait for its tracker
    ]
    answers = await asyncio.gather(*posts)
    assert [a.status_code for a in answers] == [200] * 12
    assert reads == [{uuid.UUID(athlete.id) for athlete in athletes}]
    trackers = [ctx.part(HeartRates).get(uuid.UUID(sid)) for sid in sids]
    assert all(t is not None and t.zones is not None for t in trackers)  # each with its zones


async def test_samples_are_stored_in_batches_and_summarized(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    sid = await running(client, athlete)
    await beat(client, athlete, clock, sid, [130] * 59)  # warm-up, zone 2, in target
    assert len(ctx.part(HeartRates).waiting(uuid.UUID(sid))) == 59
    assert await write_pending(ctx) == 59 and not ctx.part(HeartRates).waiting(uuid.UUID(sid))
    await beat(client, athlete, clock, sid, [158] * 60 + [170] * 60)  # half the interval in
    # A retried batch (same times) is not stored twice.
    retry = [{"t": clock.now().timestamp() - i, "bpm": 170} for i in range(3)]
    await client.post(
        f"/api/sessions/{sid}/heart-rate", headers=athlete.headers, json={"samples": retry}
    )
    await write_pending(ctx)
    await beat(client, athlete, clock, sid, [150] * 10)  # cool-down, not written yet

    summary = (await client.get(f"/api/sessions/{sid}/summary", headers=athlete.headers)).json()
    hr = summary["heart_rate"]
    assert hr["totals"]["samples"] == 59 + 120 + 10
    assert summary["session"]["id"] == sid and summary["alerts"]["ZoneDeviation"] == 1
    warmup, interval, cooldown = hr["segments"]
    assert warmup["compliance"] == 1.0
    assert 0.4 <= interval["compliance"] <= 0.55 and interval["above_s"] > 50
    assert cooldown["band"] is None and cooldown["compliance"] is None
    zones = {z["zone"]: z["time_s"] for z in hr["time_in_zones"]["zones"]}
    assert zones[2] >= 55 and zones[4] >= 100
    assert len(hr["series"]["points"]) <= 300


async def test_ingest_is_refused_when_it_should_be(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    stranger = await make_user()
    sid = await running(client, athlete)
    now = clock.now().timestamp()
    url = f"/api/sessions/{sid}/heart-rate"

    async def post(user: UserHandle, body: Any) -> httpx.Response:
        return await client.post(url, headers=user.headers, json=body)

    one = {"samples": [{"t": now, "bpm": 120}]}
    assert (await post(stranger, one)).status_code == 404
    assert (await post(coach, one)).status_code == 403
    assert (await client.post(url, json=one)).status_code == 401
    too_many = {"samples": [{"t": now + i, "bpm": 120} for i in range(MAX_BATCH + 1)]}
    refused = await post(athlete, too_many)
    assert refused.status_code == 422 and "body.samples" in refused.json()["detail"]
    bad = await post(athlete, {"samples": [{"t": "soon", "bpm": 120}]})
    assert bad.status_code == 422 and "body.samples[0].t" in bad.json()["detail"]

    # The burst allowance, then the sustained rate: 429 with Retry-After.
    backlog = [{"t": now - 60 + i * 0.1, "bpm": 120} for i in range(MAX_BATCH)]
    assert (await post(athlete, {"samples": backlog})).status_code == 200
    assert BURST == MAX_BATCH
    limited = await post(athlete, {"samples": backlog[:50]})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"] == "rate_limited"
    clock.advance(int(limited.headers["Retry-After"]))
    assert (await post(athlete, {"samples": [{"t": now + 30, "bpm": 120}]})).status_code == 200

    await send(client, athlete, sid, "pause")
    paused = await post(athlete, {"samples": [{"t": clock.now().timestamp(), "bpm": 120}]})
    assert paused.status_code == 409 and paused.json()["error"] == "session_not_running"

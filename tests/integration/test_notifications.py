"""Notifications: the outbox written with the change, the inbox, and webhooks delivered to a
real local HTTP receiver that checks the signature."""

from __future__ import annotations

import random
import uuid

import httpx
from fastapi import FastAPI

from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.notifications import repository
from setpoint.notifications.jobs import WebhookDeliveries
from setpoint.notifications.model import DISABLE_AFTER, MAX_ATTEMPTS
from setpoint.sessions.jobs import SessionDeadlines
from tests.conftest import MakeUser
from tests.integration.test_sessions import new_session, send
from tests.support import SECRET, FakeClock, Receiver


async def test_session_events_reach_the_inbox_and_a_signed_webhook(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    ctx: Context = app.state.context
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    hook = await client.post(
        "/api/webhooks",
        headers=coach.headers,
        json={"url": receiver.url, "secret": SECRET, "events": ["SessionCompleted"]},
    )
    assert hook.status_code == 201 and "secret" not in hook.json()
    mine = await client.post(
        "/api/webhooks", headers=athlete.headers, json={"url": receiver.url, "secret": SECRET}
    )
    assert mine.status_code == 201 and mine.json()["events"] == []

    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    clock.advance(500)
    await SessionDeadlines(ctx).run_due(ctx.timeline.now())  # 7 boundaries, then completion

    inbox = (
        await client.get(f"/api/notifications?session_id={sid}", headers=athlete.headers)
    ).json()
    kinds = [n["type"] for n in sorted(inbox["items"], key=lambda n: n["payload"]["at"])]
    assert kinds == ["SegmentChanged"] * 7 + ["SessionCompleted"] and inbox["total"] == 8
    coach_view = (
        await client.get("/api/notifications?type=SessionCompleted", headers=coach.headers)
    ).json()
    assert coach_view["total"] == 1

    job = WebhookDeliveries(ctx)
    assert await job.run_due(job.now()) is None  # all sent
    bodies = receiver.verified()
    assert len(bodies) == len(receiver.received) == 8 + 1  # the athlete's 8, the coach's 1
    completed = [b for b in bodies if b["type"] == "SessionCompleted"]
    assert len(completed) == 2 and completed[0]["payload"]["elapsed_s"] == 450
    assert completed[0]["session_id"] == sid
    assert not receiver.verified("a-different-secret-value")
    deliveries = (
        await client.get(f"/api/webhooks/{hook.json()['id']}/deliveries", headers=coach.headers)
    ).json()
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("delivered", 1)]


async def test_failing_receivers_are_retried_with_backoff_then_disabled(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    hook = (
        await client.post(
            "/api/webhooks", headers=athlete.headers, json={"url": receiver.url, "secret": SECRET}
        )
    ).json()
    receiver.status = 500
    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    await send(client, athlete, sid, "finish")  # one SessionCompleted notification
    job = WebhookDeliveries(ctx, random.Random(1))
    retry_at = await job.run_due(job.now())
    assert retry_at is not None and 1 <= retry_at - job.now() <= 3  # 2 s, jittered
    assert await job.run_due(job.now()) == retry_at  # not due yet: nothing sent
    assert len(receiver.received) == 1
    delays = []
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(retry_at - job.now() + 1e-3)  # the wall clock counts microseconds
        before = job.now()
        retry_at = await job.run_due(before)
        if retry_at is not None:
            delays.append(retry_at - before)
    assert len(receiver.received) == MAX_ATTEMPTS
    for attempt, delay in enumerate(delays, start=2):  # exponential, with jitter in [0.5, 1.5)
        assert 0.5 * 2.0**attempt <= delay < 1.5 * 2.0**attempt
    deliveries = (
        await client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=athlete.headers)
    ).json()
    assert deliveries[0]["status"] == "failed" and deliveries[0]["last_error"] == "HTTP 500"

    for _ in range(DISABLE_AFTER):  # keep failing: the webhook is switched off
        other = (await new_session(client, athlete))["id"]
        await send(client, athlete, other, "start")
        await send(client, athlete, other, "finish")
        await job.run_due(job.now())
    listed = (await client.get("/api/webhooks", headers=athlete.headers)).json()
    assert listed[0]["active"] is False and "failed calls in a row" in listed[0]["disabled_reason"]
    sent = len(receiver.received)
    await job.run_due(job.now() + 10_000)
    assert len(receiver.received) == sent  # disabled: nothing more goes out
    receiver.status = 200
    enabled = await client.post(f"/api/webhooks/{hook['id']}/enable", headers=athlete.headers)
    assert enabled.json()["active"] is True
    clock.advance(10_000)
    await job.run_due(job.now())
    assert len(receiver.received) > sent


async def test_webhook_input_and_ownership(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    athlete, stranger = await make_user(), await make_user()
    for body, fragment in [
        ({"url": "ftp://x", "secret": SECRET}, "body.url"),
        ({"url": "http://127.0.0.1/h", "secret": "short"}, "body.secret"),
        (
            {"url": "http://127.0.0.1/h", "secret": SECRET, "events": ["Nope"]},
            "events: unknown Nope",
        ),
    ]:
        r = await client.post("/api/webhooks", json=body, headers=athlete.headers)
        assert r.status_code == 422 and fragment in r.json()["detail"], r.text
    hook = (
        await client.post(
            "/api/webhooks",
            json={"url": "http://127.0.0.1/h", "secret": SECRET},
            headers=athlete.headers,
        )
    ).json()
    for method, path in [("DELETE", ""), ("GET", "/deliveries"), ("POST", "/enable")]:
        r = await client.request(
            method, f"/api/webhooks/{hook['id']}{path}", headers=stranger.headers
        )
        assert r.status_code == 404
        assert (
            await client.request(method, f"/api/webhooks/{hook['id']}{path}")
        ).status_code == 401
    assert (await client.get("/api/webhooks", headers=stranger.headers)).json() == []
    assert (await client.get("/api/notifications", headers=stranger.headers)).json()["total"] == 0
    assert (
        await client.get("/api/notifications?limit=0", headers=athlete.headers)
    ).status_code == 422
    assert (
        await client.delete(f"/api/webhooks/{hook['id']}", headers=athlete.headers)
    ).status_code == 204
    assert (await client.get("/api/webhooks", headers=athlete.headers)).json() == []


async def test_webhooks_of_a_batch_are_looked_up_per_user(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """The deadline job looks up the webhooks of all its athletes in one query: each athlete
    gets their own and their coaches', nobody else's."""
    ctx: Context = app.state.context
    coach = await make_user(Role.COACH)
    coached, alone, quiet = await make_user(coach=coach), await make_user(), await make_user()
    hooks = {}
    for owner in (coach, alone):
        r = await client.post(
            "/api/webhooks",
            headers=owner.headers,
            json={"url": f"http://127.0.0.1:9/{owner.id}", "secret": SECRET},
        )
        hooks[owner.id] = r.json()["id"]
    async with ctx.db.transaction(write=False) as uow:
        found = await repository.subscribed(
            uow.session, [uuid.UUID(u.id) for u in (coached, alone, quiet)]
        )
    by_user = {str(user): sorted(str(h.id) for h in hs) for user, hs in found.items()}
    assert by_user == {coached.id: [hooks[coach.id]], alone.id: [hooks[alone.id]], quiet.id: []}

"""`WS /api/live`: notifications that are not about a running session reach the user's open
clients and their coaches', and nobody else's."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify
from tests.conftest import MakeUser, UserHandle
from tests.support import AsgiSocket


def _token(user: UserHandle) -> str:
    return user.headers["Authorization"].removeprefix("Bearer ")


async def _notify(app: FastAPI, user_id: str) -> None:
    ctx: Context = app.state.context
    async with ctx.db.transaction() as uow:
        kind = NotificationType.WORKOUT_READY
        await notify(ctx, uow, uuid.UUID(user_id), kind, {"workout_name": "Tempo"})


async def test_a_notification_reaches_the_user_and_their_coach_only(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    ana, bob = await make_user(coach=coach), await make_user()
    sockets = [AsgiSocket(app, "/api/live", f"token={_token(u)}") for u in (ana, coach, bob)]
    athlete, coached, stranger = [await s.__aenter__() for s in sockets]
    try:
        for socket in (athlete, coached, stranger):
            assert (await socket.receive_json())["type"] == "hello"
        await _notify(app, ana.id)
        for socket in (athlete, coached):
            message = await socket.receive_json()
            assert message["type"] == "notification"
            assert message["notification"]["type"] == "WorkoutReady"
            assert message["notification"]["user_id"] == ana.id
            assert message["notification"]["payload"] == {"workout_name": "Tempo"}
        await stranger.send_json({"type": "ping"})
        assert (await stranger.receive_json())["type"] == "pong"  # nothing of Ana's before it
    finally:
        for socket in sockets:
            await socket.__aexit__()
    inbox = await client.get("/api/notifications", headers=ana.headers)
    assert [n["type"] for n in inbox.json()["items"]] == ["WorkoutReady"]


async def test_the_channel_refuses_bad_tokens_and_bad_frames(
    app: FastAPI, make_user: MakeUser
) -> None:
    refused = AsgiSocket(app, "/api/live", "token=sp_nope")
    await refused.__aenter__()
    assert (await refused.receive_json())["error"] == "not_authenticated"
    assert await refused.closed() == 4401
    ana = await make_user()
    async with AsgiSocket(app, "/api/live") as socket:  # the token as a first message
        await socket.send_json({"type": "auth", "token": _token(ana)})
        assert (await socket.receive_json())["type"] == "hello"
        await socket.send_text("[" * 50_000)
        assert (await socket.receive_json())["error"] == "bad_request"
        await socket.send_json({"type": "ping"})
        assert (await socket.receive_json())["type"] == "pong"
        await socket.send_bytes(b"\x00\x01")
        assert await socket.closed() == 1003

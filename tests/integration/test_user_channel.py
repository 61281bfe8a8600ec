"""`WS /api/live`: notifications that are not about a running session reach the user's open
clients and their coaches', and nobody else's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from setpoint.app import create_app
from setpoint.auth import service as auth_service
from setpoint.auth.model import Role
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify
from tests.support import FakeClock

PASSWORD = "correct horse battery"


@pytest.fixture
def live_client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock)) as client:
        yield client


def _user(client: TestClient, email: str, role: Role, coach: str | None = None) -> tuple[str, str]:
    ctx: Context = client.app.state.context  # type: ignore[attr-defined]

    async def create() -> str:
        async with ctx.db.transaction() as uow:
            user = await auth_service.create_user(ctx, uow.session, email, PASSWORD, role, coach)
        return str(user.id)

    user_id = client.portal.call(create)  # type: ignore[union-attr]
    token = client.post("/api/auth/token", json={"email": email, "password": PASSWORD})
    return user_id, token.json()["access_token"]


def _notify(client: TestClient, user_id: str, **refs: Any) -> None:
    ctx: Context = client.app.state.context  # type: ignore[attr-defined]

    async def send() -> None:
        async with ctx.db.transaction() as uow:
            payload = {"workout_name": "Tempo"}
            kind = NotificationType.WORKOUT_READY
            await notify(ctx, uow, uuid.UUID(user_id), kind, payload, **refs)

    client.portal.call(send)  # type: ignore[union-attr]


def test_a_notification_reaches_the_user_and_their_coach_only(live_client: TestClient) -> None:
    _, coach_token = _user(live_client, "coach@example.com", Role.COACH)
    ana, ana_token = _user(live_client, "ana@example.com", Role.ATHLETE, "coach@example.com")
    _, bob_token = _user(live_client, "bob@example.com", Role.ATHLETE)
    with (
        live_client.websocket_connect(f"/api/live?token={ana_token}") as athlete,
        live_client.websocket_connect(f"/api/live?token={coach_token}") as coach,
        live_client.websocket_connect(f"/api/live?token={bob_token}") as stranger,
    ):
        for socket in (athlete, coach, stranger):
            assert socket.receive_json()["type"] == "hello"
        _notify(live_client, ana)
        for socket in (athlete, coach):
            message = socket.receive_json()
            assert message["type"] == "notification"
            assert message["notification"]["type"] == "WorkoutReady"
            assert message["notification"]["user_id"] == ana
            assert message["notification"]["payload"] == {"workout_name": "Tempo"}
        stranger.send_text(json.dumps({"type": "ping"}))
        assert stranger.receive_json()["type"] == "pong"  # and nothing of Ana's before it
    inbox = live_client.get("/api/notifications", headers={"Authorization": f"Bearer {ana_token}"})
    assert [n["type"] for n in inbox.json()["items"]] == ["WorkoutReady"]


def test_the_channel_refuses_bad_tokens_and_bad_frames(live_client: TestClient) -> None:
    with live_client.websocket_connect("/api/live?token=sp_nope") as socket:
        assert socket.receive_json()["error"] == "not_authenticated"
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 4401
    _, token = _user(live_client, "ana@example.com", Role.ATHLETE)
    with live_client.websocket_connect("/api/live") as socket:  # the token as a first message
        socket.send_text(json.dumps({"type": "auth", "token": token}))
        assert socket.receive_json()["type"] == "hello"
        socket.send_bytes(b"\x00\x01")
        assert socket.receive_json()["error"] == "bad_request"
        socket.send_text("[" * 50_000)
        assert socket.receive_json()["error"] == "bad_request"
        socket.send_text(json.dumps({"type": "ping"}))
        assert socket.receive_json()["type"] == "pong"

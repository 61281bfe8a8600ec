"""The live socket against hostile or careless clients, in process (the fake clock drives
time): revoked and expired tokens close it, odd frames get an answer (never a traceback),
commands are rate-limited, booleans are not revisions."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from setpoint.auth.revocations import expire_sockets
from setpoint.context import Context
from setpoint.sessions.live import COMMAND_BURST, MAX_MESSAGE_CHARS
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_sessions import new_session, state
from tests.support import AsgiSocket, FakeClock


def token_of(user: UserHandle) -> str:
    return user.headers["Authorization"].removeprefix("Bearer ")


async def second_login(client: httpx.AsyncClient, user: UserHandle) -> UserHandle:
    response = await client.post(
        "/api/auth/token", json={"email": user.email, "password": user.password}
    )
    token = response.json()["access_token"]
    return UserHandle(
        user.id, user.email, user.password, user.role, {"Authorization": f"Bearer {token}"}
    )


def socket(app: FastAPI, sid: str, user: UserHandle | None = None) -> AsgiSocket:
    query = "" if user is None else f"token={token_of(user)}"
    return AsgiSocket(app, f"/api/sessions/{sid}/live", query)


async def test_a_revoked_token_closes_its_sockets_and_only_those(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    phone = await second_login(client, athlete)
    sid = (await new_session(client, athlete))["id"]
    async with socket(app, sid, athlete) as revoked, socket(app, sid, phone) as kept:
        assert (await revoked.receive_json())["type"] == "state"
        assert (await kept.receive_json())["type"] == "state"

        assert (await client.delete("/api/auth/token", headers=athlete.headers)).status_code == 204
        assert (await revoked.receive_json())["error"] == "not_authenticated"
        assert await revoked.closed() == 4401

        await revoked.send_json({"type": "command", "command": "start"})  # too late: not applied
        await kept.send_json({"type": "ping"})
        assert (await kept.receive_json())["type"] == "pong"
    assert (await state(client, phone, sid))["status"] == "not_started"


async def test_an_expired_token_closes_its_socket(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    async with socket(app, sid, athlete) as ws:
        assert (await ws.receive_json())["type"] == "state"
        assert await expire_sockets(ctx) == 0  # still valid
        clock.advance(ctx.settings.token_ttl_s + 1)
        assert await expire_sockets(ctx) == 1
        assert (await ws.receive_json())["error"] == "not_authenticated"
        assert await ws.closed() == 4401


async def test_binary_frames_close_the_socket_with_1003(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    async with socket(app, sid) as before_auth:
        await before_auth.send_bytes(b"\x00\x01")
        assert (await before_auth.receive_json())["error"] == "bad_request"
        assert await before_auth.closed() == 1003
    async with socket(app, sid, athlete) as ws:
        assert (await ws.receive_json())["type"] == "state"
        await ws.send_bytes(b'{"type": "ping"}')
        refused = await ws.receive_json()
        assert refused["error"] == "bad_request" and "text frames" in refused["detail"]
        assert await ws.closed() == 1003


async def test_deeply_nested_json_is_an_error_not_a_crash(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    async with socket(app, sid) as before_auth:
        await before_auth.send_text("[" * 50_000)
        assert (await before_auth.receive_json())["error"] == "bad_request"
        assert await before_auth.closed() == 4400
    async with socket(app, sid, athlete) as ws:
        assert (await ws.receive_json())["type"] == "state"
        await ws.send_text("[" * 50_000)
        assert (await ws.receive_json())["error"] == "bad_request"
        await ws.send_json({"type": "ping"})  # and the socket still serves
        assert (await ws.receive_json())["type"] == "pong"


async def test_a_text_message_over_the_limit_closes_the_socket_with_1009(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    too_big = '{"type": "ping", "pad": "' + "x" * MAX_MESSAGE_CHARS + '"}'
    async with socket(app, sid) as before_auth:
        await before_auth.send_text(too_big)
        assert (await before_auth.receive_json())["error"] == "payload_too_large"
        assert await before_auth.closed() == 1009
    async with socket(app, sid, athlete) as ws:
        assert (await ws.receive_json())["type"] == "state"
        await ws.send_text(too_big[: MAX_MESSAGE_CHARS - 2] + '"}')  # at the limit: served
        assert (await ws.receive_json())["type"] == "pong"
        await ws.send_text(too_big)
        assert (await ws.receive_json())["error"] == "payload_too_large"
        assert await ws.closed() == 1009


async def test_commands_are_rate_limited_per_socket(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    async with socket(app, sid, athlete) as ws:
        assert (await ws.receive_json())["type"] == "state"
        for _ in range(COMMAND_BURST):  # refused by the state machine, but counted
            await ws.send_json({"type": "command", "command": "pause"})
            assert (await ws.receive_json())["error"] == "invalid_transition"
        await ws.send_json({"type": "command", "command": "start"})
        limited = await ws.receive_json()
        assert limited["error"] == "rate_limited" and limited["retry_after"] == 1
        assert (await state(client, athlete, sid))["status"] == "not_started"

        clock.advance(1)
        await ws.send_json({"type": "command", "command": "start"})
        replies = {(await ws.receive_json())["type"], (await ws.receive_json())["type"]}
        assert replies == {"ack", "update"}


async def test_a_boolean_is_not_a_revision(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    async with socket(app, sid, athlete) as ws:
        first = await ws.receive_json()
        assert first["state"]["revision"] == 1  # == True, to Python
        await ws.send_json({"type": "command", "command": "start", "if_match": True})
        refused = await ws.receive_json()
        assert refused["type"] == "error" and refused["error"] == "bad_request"
        assert "if_match" in refused["detail"]
    assert (await state(client, athlete, sid))["status"] == "not_started"


async def test_a_revoked_token_closes_the_user_channel_too(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    async with AsgiSocket(app, "/api/live", f"token={token_of(athlete)}") as channel:
        assert (await channel.receive_json())["type"] == "hello"
        assert (await client.delete("/api/auth/token", headers=athlete.headers)).status_code == 204
        assert (await channel.receive_json())["error"] == "not_authenticated"
        assert await channel.closed() == 4401

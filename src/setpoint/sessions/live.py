"""`WS /api/sessions/{id}/live`: the state on connect and on every change, the boundary
notifications as they happen, and commands from the client.

Authentication: `?token=` or a first message `{"type": "auth", "token": ...}`.
Client messages: `{"type": "command", "command": "pause", "idempotency_key"?: ..., "if_match"?: n}`,
`{"type": "hr", "samples": [{"t", "bpm", "rr"?}, ...]}` (no reply unless refused) and
`{"type": "ping"}`. Server messages: `state`, `update` (state + events), `heart_rate` (the
filtered view + deviation events), `ack`, `error`, `pong`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnected

from setpoint.auth.model import Actor
from setpoint.auth.service import actor_for_token
from setpoint.context import Context
from setpoint.errors import BadRequest, NotFound, SetpointError, invalid_fields
from setpoint.heartrate import service as heartrate
from setpoint.heartrate.live import HeartRates
from setpoint.heartrate.schemas import SamplesIn
from setpoint.sessions import service
from setpoint.sessions.machine import COMMANDS
from setpoint.sessions.presence import Presence

PATH = "/api/sessions/{session_id}/live"
AUTH_TIMEOUT_S = 10
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}


async def live(websocket: WebSocket) -> None:
    """A plain Starlette route (added at `PATH`): a socket holds its handler's frames for
    hours, and the fewer they are, the less each full garbage collection has to walk."""
    ctx: Context = websocket.app.state.context
    await websocket.accept()
    raw_id = websocket.path_params["session_id"]
    try:
        session_id = uuid.UUID(raw_id)
    except ValueError:
        await _refuse(websocket, NotFound(f"session {raw_id!r} does not exist"))
        return
    # Subscribe before reading the snapshot, so no update falls between the two; a client
    # ignores updates whose `revision` is not newer than what it has.
    with ctx.hub.subscribe(f"session:{session_id}") as subscription:
        try:
            actor, snapshot = await _authenticate(ctx, websocket, session_id)
        except SetpointError as exc:
            await _refuse(websocket, exc)
            return
        except (WebSocketDisconnect, TimeoutError):
            return
        await websocket.send_text(json.dumps({"type": "state", "state": snapshot}))

        async def pump() -> None:
            while True:
                await websocket.send_text(await subscription.get())

        sender = asyncio.create_task(pump())
        try:
            with ctx.part(Presence).watch(session_id):
                while True:
                    text = await websocket.receive_text()
                    reply = await _handle(ctx, actor, session_id, text)
                    if reply is not None:
                        await websocket.send_text(json.dumps(reply))
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass  # the client left (seen by the receive, or first by the pump's send)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender


async def _refuse(websocket: WebSocket, exc: SetpointError) -> None:
    await websocket.send_text(json.dumps({"type": "error", **exc.body()}))
    await websocket.close(code=CLOSE_CODES.get(exc.status, 4400))


async def _authenticate(
    ctx: Context, websocket: WebSocket, session_id: uuid.UUID
) -> tuple[Actor, dict[str, Any]]:
    token = websocket.query_params.get("token")
    if token is None:
        first = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
        token = _parse(first).get("token")
        if not isinstance(token, str):
            raise BadRequest('send {"type": "auth", "token": "<bearer token>"} first')
    actor = await actor_for_token(ctx, token)
    snap = await service.snapshot(ctx, actor, session_id)
    return actor, service.state_doc(snap, ctx.timeline.now(), ctx.part(HeartRates))


def _parse(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        raise BadRequest("messages are JSON objects") from None
    if not isinstance(message, dict):
        raise BadRequest("messages are JSON objects")
    return message


async def _handle(
    ctx: Context, actor: Actor, session_id: uuid.UUID, text: str
) -> dict[str, Any] | None:
    """The reply to one client message; heart-rate samples get none unless refused."""
    try:
        message = _parse(text)
        kind = message.get("type")
        if kind == "ping":
            return {"type": "pong", "server_time": ctx.timeline.now()}
        if kind == "hr":
            body = SamplesIn.model_validate({"samples": message.get("samples")})
            await heartrate.ingest(ctx, actor, session_id, body.readings())
            return None
        if kind != "command" or message.get("command") not in COMMANDS:
            raise BadRequest(f"type: expected ping, hr or command ({', '.join(sorted(COMMANDS))})")
        key, if_match = message.get("idempotency_key"), message.get("if_match")
        if key is not None and not isinstance(key, str):
            raise BadRequest("idempotency_key: must be a string")
        if if_match is not None and not isinstance(if_match, int):
            raise BadRequest("if_match: must be a revision number")
        async with ctx.db.transaction() as uow:
            state = await service.command(
                ctx,
                uow,
                actor,
                session_id,
                message["command"],
                idempotency_key=key,
                if_match=if_match,
            )
        return {"type": "ack", "command": message["command"], "state": state}
    except SetpointError as exc:
        return {"type": "error", **exc.body()}
    except ValidationError as exc:
        return {"type": "error", **invalid_fields(exc.errors()).body()}

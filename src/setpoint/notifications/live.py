"""`WS /api/live`: the per-user live channel. Every notification that is not about a running
session (`WorkoutReady`, `ExportSent`, `ExportFailed`, `DeviceDisconnected`) is pushed to the
open clients of its user and of the user's coaches, as
`{"type": "notification", "notification": {id, type, created_at, user_id, session_id,
planned_session_id, schedule_id, payload}}`. A session's own events travel on its socket
(`WS /api/sessions/{id}/live`).

Authentication: `?token=` or a first message `{"type": "auth", "token": ...}`. The client
may send `{"type": "ping"}` (answered `pong` with `server_time`); the channel is otherwise
one-way; a binary frame closes it (1003). Missed notifications are in the inbox
(`GET /api/notifications`). A revoked or expired token closes the channel (4401).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from setpoint.auth.revocations import OpenSockets
from setpoint.auth.service import Authenticated, authenticate
from setpoint.context import Context
from setpoint.errors import BadRequest, NotAuthenticated, SetpointError
from setpoint.notifications.model import USER_TOPIC_PREFIX

PATH = "/api/live"
AUTH_TIMEOUT_S = 10
MAX_MESSAGE_CHARS = 4096
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}
UNSUPPORTED_DATA = 1003  # the close code for a binary frame


async def live(websocket: WebSocket) -> None:
    ctx: Context = websocket.app.state.context
    await websocket.accept()
    try:
        holder = await _authenticate(ctx, websocket)
    except SetpointError as exc:
        await websocket.send_text(json.dumps({"type": "error", **exc.body()}))
        await websocket.close(code=CLOSE_CODES.get(exc.status, 4400))
        return
    except (WebSocketDisconnect, TimeoutError):
        return
    actor = holder.actor
    users = [actor.user_id, *sorted(actor.athlete_ids)]
    with contextlib.ExitStack() as subscriptions:
        queues = [
            subscriptions.enter_context(ctx.hub.subscribe(f"{USER_TOPIC_PREFIX}{user_id}"))
            for user_id in users
        ]
        await websocket.send_text(
            json.dumps(
                {
                    "type": "hello",
                    "user_id": str(actor.user_id),
                    "server_time": ctx.clock.now().timestamp(),
                }
            )
        )

        ended: list[SetpointError] = []

        def end() -> None:
            """The token was revoked or expired: the first pump closes the socket (4401)."""
            ended.append(NotAuthenticated("the token was revoked or has expired"))
            queues[0].offer("")

        async def pump(queue: Any) -> None:
            while True:
                message = await queue.get()
                if ended:
                    await websocket.send_text(json.dumps({"type": "error", **ended[0].body()}))
                    await websocket.close(code=CLOSE_CODES[ended[0].status])
                    return
                await websocket.send_text(message)

        senders = [asyncio.create_task(pump(queue)) for queue in queues]
        try:
            with ctx.part(OpenSockets).hold(holder.token_hash, holder.expires_at, end):
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect" or ended:
                        break
                    if message.get("text") is None:  # a binary frame: not this protocol
                        await websocket.close(code=UNSUPPORTED_DATA)
                        break
                    reply = _reply(ctx, message.get("text"))
                    await websocket.send_text(json.dumps(reply))
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass
        finally:
            if ended:
                await asyncio.wait(senders[:1], timeout=AUTH_TIMEOUT_S)  # let it send the close
            for sender in senders:
                sender.cancel()
            for sender in senders:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender


async def _authenticate(ctx: Context, websocket: WebSocket) -> Authenticated:
    token = websocket.query_params.get("token")
    if token is None:
        first = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT_S)
        if first["type"] == "websocket.disconnect":
            raise WebSocketDisconnect()
        token = _parse(first.get("text")).get("token")
        if not isinstance(token, str):
            raise BadRequest('send {"type": "auth", "token": "<bearer token>"} first')
    return await authenticate(ctx, token)


def _parse(text: str | None) -> dict[str, Any]:
    if text is None or len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(
            f"messages are JSON objects in text frames of at most {MAX_MESSAGE_CHARS} characters"
        )
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("messages are JSON objects") from None
    if not isinstance(message, dict):
        raise BadRequest("messages are JSON objects")
    return message


def _reply(ctx: Context, text: str | None) -> dict[str, Any]:
    try:
        if _parse(text).get("type") != "ping":
            raise BadRequest("type: this channel only accepts ping")
    except SetpointError as exc:
        return {"type": "error", **exc.body()}
    return {"type": "pong", "server_time": ctx.clock.now().timestamp()}

"""`WS /api/sessions/{id}/live`: the state on connect and on every change, the boundary
notifications as they happen, and commands from the client.

Authentication: `?token=` or a first message `{"type": "auth", "token": ...}`.
Client messages: `{"type": "command", "command": "pause", "idempotency_key"?: ..., "if_match"?: n}`,
`{"type": "hr", "samples": [{"t", "bpm", "rr"?}, ...]}` (no reply unless refused) and
`{"type": "ping"}`. Server messages: `state`, `update` (state + events), `heart_rate` (the
filtered view + deviation events), `ack`, `error`, `pong`.

Commands are rate-limited per socket (`COMMAND_BURST`, then `COMMAND_RATE` a second: an
`error` `rate_limited` with `retry_after`). Every message is paced: past `MESSAGE_BURST`, the
socket is read at most `MESSAGE_RATE` messages a second, so a flood waits in the client's own
buffers (TCP pushes back) instead of taking the server from everyone else. A binary frame is
answered with an error and closes the socket (1003), so does a text message over
`MAX_MESSAGE_CHARS` (1009, as the server's own frame limit does); a revoked or expired token
closes it (4401).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import uuid
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnected

from setpoint.auth.model import Actor
from setpoint.auth.revocations import OpenSockets
from setpoint.auth.service import Authenticated, authenticate
from setpoint.context import Context
from setpoint.errors import (
    BadRequest,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    SetpointError,
    TooManyRequests,
    invalid_fields,
)
from setpoint.heartrate import service as heartrate
from setpoint.heartrate.live import HeartRates, TokenBucket
from setpoint.heartrate.schemas import readings_of
from setpoint.sessions import service
from setpoint.sessions.machine import COMMANDS
from setpoint.sessions.presence import Presence

PATH = "/api/sessions/{session_id}/live"
AUTH_TIMEOUT_S = 10
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}
UNSUPPORTED_DATA = 1003  # the close code for a binary frame
MESSAGE_TOO_BIG = 1009  # the close code for a message over MAX_MESSAGE_CHARS
# A full heart-rate batch is far smaller; `setpoint serve` refuses larger frames itself
# (uvicorn's `ws_max_size`, the same 64 KiB, in bytes).
MAX_MESSAGE_CHARS = 64 * 1024
COMMAND_BURST = 10  # commands a socket may send at once
COMMAND_RATE = 1.0  # commands per second a socket may send, sustained
MESSAGE_BURST = 100  # messages of any type a socket may send at once
MESSAGE_RATE = 20.0  # messages per second a socket is read at, sustained (real time)


class BinaryFrame(BadRequest):
    """Messages are JSON in text frames; a binary frame closes the socket (1003)."""


class MessageTooBig(PayloadTooLarge):
    """A text message over MAX_MESSAGE_CHARS closes the socket (1009)."""


CLOSING = {BinaryFrame: UNSUPPORTED_DATA, MessageTooBig: MESSAGE_TOO_BIG}


async def live(websocket: WebSocket) -> None:
    """A plain Starlette route (added at `PATH`): a socket holds its handler's frames for
    hours, and the fewer they are, the less each full garbage collection has to walk.

    The socket is held under its token (`OpenSockets`): when the token is revoked or expires,
    `end` marks it and wakes the pump, which closes it (4401); no message is handled after."""
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
            holder, snapshot = await _authenticate(ctx, websocket, session_id)
        except SetpointError as exc:
            await _refuse(websocket, exc)
            return
        except (WebSocketDisconnect, TimeoutError):
            return
        await websocket.send_text(json.dumps({"type": "state", "state": snapshot}))
        ended: list[SetpointError] = []

        def end() -> None:
            ended.append(NotAuthenticated("the token was revoked or has expired"))
            subscription.offer("")  # wakes the pump

        async def pump() -> None:
            while True:
                message = await subscription.get()
                if ended:
                    await _refuse(websocket, ended[0])
                    return
                await websocket.send_text(message)

        commands = TokenBucket(COMMAND_BURST, COMMAND_RATE, COMMAND_BURST)
        messages = TokenBucket(MESSAGE_BURST, MESSAGE_RATE, MESSAGE_BURST)
        sender = asyncio.create_task(pump())
        try:
            with (
                ctx.part(Presence).watch(session_id),
                ctx.part(OpenSockets).hold(holder.token_hash, holder.expires_at, end),
            ):
                while True:
                    await _paced(messages)
                    text = await _receive_text(websocket)
                    if ended:
                        break
                    reply = await _handle(ctx, holder.actor, session_id, text, commands)
                    if reply is not None and not ended:
                        await websocket.send_text(json.dumps(reply))
        except (BinaryFrame, MessageTooBig) as exc:
            if not ended:
                await _refuse(websocket, exc)
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass  # the client left (seen by the receive, or first by the pump's send)
        finally:
            if ended:
                await asyncio.wait([sender], timeout=AUTH_TIMEOUT_S)  # let it send the close
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender


async def _refuse(websocket: WebSocket, exc: SetpointError) -> None:
    await websocket.send_text(json.dumps({"type": "error", **exc.body()}))
    code = CLOSING.get(type(exc)) or CLOSE_CODES.get(exc.status, 4400)
    await websocket.close(code=code)


async def _paced(messages: TokenBucket) -> None:
    """Waits until `messages` allows one more message (real time: it paces the process's
    work, whatever the session clock says)."""
    loop = asyncio.get_running_loop()
    wait = messages.take(1, loop.time())
    if wait:
        await asyncio.sleep(wait)
        messages.take(1, loop.time())


async def _receive_text(websocket: WebSocket) -> str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise BinaryFrame("messages are JSON objects in text frames, not binary")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageTooBig(f"messages are at most {MAX_MESSAGE_CHARS} characters")
    return str(text)


async def _authenticate(
    ctx: Context, websocket: WebSocket, session_id: uuid.UUID
) -> tuple[Authenticated, dict[str, Any]]:
    token = websocket.query_params.get("token")
    if token is None:
        first = await asyncio.wait_for(_receive_text(websocket), AUTH_TIMEOUT_S)
        token = _parse(first).get("token")
        if not isinstance(token, str):
            raise BadRequest('send {"type": "auth", "token": "<bearer token>"} first')
    holder = await authenticate(ctx, token)
    snap = await service.snapshot(ctx, holder.actor, session_id)
    return holder, service.state_doc(snap, ctx.timeline.now(), ctx.part(HeartRates))


def _parse(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise BadRequest("messages are JSON objects") from None
    if not isinstance(message, dict):
        raise BadRequest("messages are JSON objects")
    return message


async def _handle(
    ctx: Context, actor: Actor, session_id: uuid.UUID, text: str, commands: TokenBucket
) -> dict[str, Any] | None:
    """The reply to one client message; heart-rate samples get none unless refused. Commands
    are rate-limited per socket by `commands`."""
    try:
        message = _parse(text)
        kind = message.get("type")
        if kind == "ping":
            return {"type": "pong", "server_time": ctx.timeline.now()}
        if kind == "hr":
            await heartrate.ingest(ctx, actor, session_id, readings_of(message.get("samples")))
            return None
        if kind != "command" or message.get("command") not in COMMANDS:
            raise BadRequest(f"type: expected ping, hr or command ({', '.join(sorted(COMMANDS))})")
        wait = commands.take(1, ctx.clock.monotonic())
        if wait:
            raise TooManyRequests(
                f"commands: more than {COMMAND_RATE:g}/s on this socket; retry later",
                retry_after=math.ceil(wait),
            )
        key, if_match = message.get("idempotency_key"), message.get("if_match")
        if key is not None and not isinstance(key, str):
            raise BadRequest("idempotency_key: must be a string")
        if if_match is not None and (isinstance(if_match, bool) or not isinstance(if_match, int)):
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

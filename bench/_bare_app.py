"""The baseline for `GET /api/sessions/{id}`: a bare FastAPI app under uvicorn with the flags
`setpoint serve` uses, answering a fixed JSON document of the same size.

    python bench/_bare_app.py --port 8001 --payload body.json

Routes (any path parameter is accepted, like the real route):
- `GET /bare/raw/{id}`: the document's bytes as they are (`Response(bytes)`): the fastest a
  FastAPI route can answer, the strict baseline;
- `GET /bare/dict/{id}`: the document as a dict returned from the route (FastAPI's default
  `jsonable_encoder` + `JSONResponse` path), what a typical "bare FastAPI endpoint" does;
- `WS /bare/live/{id}` (the heart-rate bench's baseline): a bare ingest socket. It sends a
  small `state` message on connect, then parses each client message as JSON and answers
  every fifth with a `heart_rate` message carrying the last sample's `t` (the real server
  pushes the heart-rate view about every fifth sample): the WebSocket transport, the JSON
  and the pushes, none of Setpoint's work.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Response, WebSocket, WebSocketDisconnect

from _common import WS_VARIABLE, raise_nofile

PAYLOAD_VARIABLE = "BENCH_BARE_PAYLOAD"
PUSH_EVERY = 5  # samples per heart_rate push on the bare socket
TARGET = {"low": 150, "high": 165}


def create(payload: bytes) -> FastAPI:
    app = FastAPI()
    doc = json.loads(payload)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bare/raw/{item_id}")
    async def raw(item_id: str) -> Response:
        return Response(payload, media_type="application/json")

    @app.get("/bare/dict/{item_id}")
    async def as_dict(item_id: str) -> dict[str, object]:
        return doc

    @app.websocket("/bare/live/{item_id}")
    async def live(websocket: WebSocket, item_id: str) -> None:
        await websocket.accept()
        await websocket.send_text(json.dumps({"type": "state", "state": {"id": item_id}}))
        received = 0
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                received += 1
                if received % PUSH_EVERY == 0:
                    t = message["samples"][-1]["t"]
                    view = {"bpm": 158.0, "zone": 4, "target": TARGET, "in_target": True, "t": t}
                    push = {"type": "heart_rate", "heart_rate": view, "events": []}
                    await websocket.send_text(json.dumps(push))
        except WebSocketDisconnect:
            pass

    return app


def from_environment() -> FastAPI:
    """The app under Granian (`--server granian`), which imports it by name."""
    return create(Path(os.environ[PAYLOAD_VARIABLE]).read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payload", type=Path, required=True)
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    args = parser.parse_args()
    raise_nofile()
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces, Loops
        from granian.log import LogLevels

        os.environ[PAYLOAD_VARIABLE] = str(args.payload.resolve())
        Granian(
            "_bare_app:from_environment",
            port=args.port,
            interface=Interfaces.ASGI,
            factory=True,
            loop=Loops.uvloop,
            websockets=True,
            log_level=LogLevels.warning,
            working_dir=Path(__file__).resolve().parent,
        ).serve()
        return
    config = uvicorn.Config(  # the same flags as `setpoint serve` (src/setpoint/cli/main.py)
        create(args.payload.read_bytes()),
        host="127.0.0.1",
        port=args.port,
        ws=os.environ.get(WS_VARIABLE, "websockets-sansio"),
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
        ws_max_size=64 * 1024,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()

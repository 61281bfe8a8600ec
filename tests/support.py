"""Small helpers shared by tests: a fake clock and scratch databases."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

PG_URL = os.environ.get("SETPOINT_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


class FakeClock:
    """A clock tests move by hand; monotonic time advances with wall time unless stepped."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def step_wall(self, seconds: float) -> None:
        """An NTP step: wall time jumps, monotonic time does not."""
        self._now += timedelta(seconds=seconds)


@asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for the duration of the block; its URL."""
    assert PG_URL, "SETPOINT_TEST_DATABASE_URL is not set"
    name = f"setpoint_test_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return sqlite_url(target)


SECRET = "a-long-webhook-secret"


class Receiver:
    """A webhook endpoint on loopback: records what it gets; answers `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verified(self, secret: str = SECRET) -> list[dict[str, Any]]:
        """The bodies whose signature checks out, as a receiver would verify them."""
        good = []
        for call in self.received:
            timestamp, body = call["headers"]["X-Setpoint-Timestamp"], call["body"]
            mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
            if hmac.compare_digest(
                call["headers"]["X-Setpoint-Signature"], "sha256=" + mac.hexdigest()
            ):
                good.append(json.loads(body))
        return good


WAIT_S = 10.0  # a bound on waiting for the app; never a timing assertion


class AsgiSocket:
    """A WebSocket client that speaks ASGI to the app in the test's own event loop (so the
    fake clock and the app's database stay in one loop). Waits are bounded, never timed."""

    def __init__(self, app: Any, path: str, query: str = "") -> None:
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"setpoint.test")],
            "client": ("127.0.0.1", 50000),
            "server": ("setpoint.test", 80),
            "subprotocols": [],
        }
        self._handler = asyncio.create_task(app(scope, self._to_app.get, self._from_app.put))
        self.close_code: int | None = None

    async def __aenter__(self) -> AsgiSocket:
        await self._to_app.put({"type": "websocket.connect"})
        assert (await self._next())["type"] == "websocket.accept"
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self._handler, WAIT_S)

    async def send_text(self, text: str) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": text})

    async def send_json(self, doc: Any) -> None:
        await self.send_text(json.dumps(doc))

    async def send_bytes(self, data: bytes) -> None:
        await self._to_app.put({"type": "websocket.receive", "bytes": data})

    async def receive_json(self) -> dict[str, Any]:
        message = await self._next()
        assert message["type"] == "websocket.send", message
        return dict(json.loads(message["text"]))

    async def closed(self) -> int:
        """Waits for the server to close the socket; its close code."""
        message = await self._next()
        assert message["type"] == "websocket.close", message
        self.close_code = int(message.get("code", 1000))
        return self.close_code

    async def _next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self._from_app.get(), WAIT_S)

"""The live socket of a real `setpoint serve` against abusive clients: binary frames, deeply
nested JSON, 2 MB frames, floods of every message type and slow readers that never read,
in waves, while a well-behaved client keeps reading a session's state over HTTP.

Each abuse gets a clean answer (an `error`, or a close code: 1003 binary, 1009 too big,
4400 bad first message), never a traceback in the server's log; the others keep being
served (the p99 of `GET /api/sessions/{id}` under abuse stays under 100 ms, or within 5× of
its p99 on the idle server, measured in the same test); and the server's memory levels off
(the waves after the first add little, though each sends tens of megabytes).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import statistics
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from setpoint.sessions.live import COMMAND_BURST, MESSAGE_BURST
from tests.e2e.procs import (
    Server,
    bearer,
    create_athletes,
    login,
    new_session,
    processes,
    time_steps,
)

MB = 1024 * 1024
WAVES = 3
FLOOD = MESSAGE_BURST + 50  # messages of each type per flood: past the burst, paced
SLOW_READERS = 20
BIG_FRAMES = 8  # 2 MB frames per wave, each on its own socket
P99_CAP_S = 0.100
P99_RATIO = 5.0
RSS_GROWTH_CAP = 40 * MB  # after the first wave, for all the later ones together


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


@dataclass
class Prober:
    """A well-behaved client in its own thread (its timings are not the test loop's): reads
    one session's state over and over, keeping each request's latency."""

    url: str
    headers: dict[str, str]
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        stop = threading.Event()

        def loop() -> None:
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    started = time.perf_counter()
                    response = client.get(self.url, headers=self.headers)
                    self.latencies.append(time.perf_counter() - started)
                    self.statuses[response.status_code] += 1
                    time.sleep(0.002)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(15)


def live_url(server: Server, sid: str, token: str | None) -> str:
    query = f"?token={token}" if token else ""
    return f"{server.ws_url}/api/sessions/{sid}/live{query}"


async def opened(server: Server, sid: str, token: str | None) -> ClientConnection:
    ws = await connect(live_url(server, sid, token), max_size=None, open_timeout=10)
    if token:
        assert json.loads(await recv(ws))["type"] == "state"
    return ws


async def recv(ws: ClientConnection) -> str:
    message = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(message, str), message
    return message


async def answer(ws: ClientConnection) -> dict[str, Any]:
    """The next message that is not a push (the session changes all along)."""
    while True:
        message: dict[str, Any] = json.loads(await recv(ws))
        if message["type"] not in ("update", "heart_rate"):
            return message


async def closed_with(ws: ClientConnection) -> tuple[list[dict[str, Any]], int | None]:
    """What the server sent until it closed the socket, and its close code."""
    got = []
    with contextlib.suppress(ConnectionClosed):
        while True:
            got.append(json.loads(await recv(ws)))
    return got, ws.close_code


# --- abuse -----------------------------------------------------------------------------------


async def binary_frames(server: Server, sid: str, token: str) -> None:
    for t in (None, token):  # before and after authentication
        ws = await opened(server, sid, t)
        await ws.send(b"\x00\x01" * 100)
        got, code = await closed_with(ws)
        assert code == 1003 and got[-1]["error"] == "bad_request", (code, got)


async def nested_json(server: Server, sid: str, token: str) -> None:
    ws = await opened(server, sid, None)
    await ws.send("[" * 50_000)
    got, code = await closed_with(ws)
    assert code == 4400 and got[-1]["error"] == "bad_request", (code, got)
    ws = await opened(server, sid, token)
    for _ in range(10):
        await ws.send("[" * 50_000)
        assert (await answer(ws))["error"] == "bad_request"
    await ws.send(json.dumps({"type": "ping"}))
    assert (await answer(ws))["type"] == "pong"  # still served
    await ws.close()


async def big_frame(server: Server, sid: str, token: str | None) -> None:
    ws = await opened(server, sid, token)
    with contextlib.suppress(ConnectionClosed):
        await ws.send("x" * (2 * MB))
    _, code = await closed_with(ws)
    assert code == 1009, code


async def flood(server: Server, sid: str, token: str, message: str, pongs: int = 1) -> Counter[str]:
    """FLOOD copies of `message` back to back, then a ping: the replies (read all along, as a
    client should), counted by type and error code, until `pongs` pongs came."""
    ws = await opened(server, sid, token)
    replies: Counter[str] = Counter()

    async def read() -> None:
        while replies["pong"] < pongs:
            reply = await answer(ws)
            error = reply.get("error")
            replies[f"error:{error}" if error else reply["type"]] += 1

    reader = asyncio.create_task(read())
    for _ in range(FLOOD):
        await ws.send(message)
    await ws.send(json.dumps({"type": "ping"}))
    await asyncio.wait_for(reader, 60)
    await ws.close()
    return replies


async def floods(server: Server, sid: str, token: str) -> None:
    """A flood of each message type, each on its own socket, all at once."""
    refused = [json.dumps(m) for m in ({"type": "dance"}, {"type": "auth", "token": token})]
    sample = {"type": "hr", "samples": [{"t": time.time(), "bpm": 140}] * 300}
    ping, dance, auth, garbage, commands, hr = await asyncio.gather(
        flood(server, sid, token, json.dumps({"type": "ping"}), pongs=FLOOD + 1),
        *(flood(server, sid, token, message) for message in refused),
        flood(server, sid, token, "{not json"),
        flood(server, sid, token, json.dumps({"type": "command", "command": "pause"})),
        flood(server, sid, token, json.dumps(sample)),
    )
    assert ping == {"pong": FLOOD + 1}, ping
    for replies in (dance, auth, garbage):
        assert replies == {"error:bad_request": FLOOD, "pong": 1}, replies
    assert commands["error:rate_limited"] >= FLOOD - COMMAND_BURST - 5, commands
    assert all(kind == "pong" or kind.startswith("error:") for kind in hr), hr


@dataclass
class SlowReader:
    """A raw WebSocket client that completes the handshake, then writes pings and never
    reads what comes back."""

    writer: asyncio.StreamWriter
    sent: int = 0

    @classmethod
    async def open(cls, server: Server, sid: str, token: str) -> SlowReader:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /api/sessions/{sid}/live?token={token} HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert b" 101 " in head.split(b"\r\n")[0], head
        return cls(writer)

    async def ping_until(self, deadline: float) -> None:
        frame = masked_text(json.dumps({"type": "ping"}))
        while time.monotonic() < deadline:
            self.writer.write(frame * 50)
            try:
                await asyncio.wait_for(self.writer.drain(), 0.5)
            except TimeoutError:  # the server stopped reading: its replies are stuck
                await asyncio.sleep(0.2)
                continue
            self.sent += 50
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self.writer.transport.abort()


def masked_text(text: str) -> bytes:
    payload = text.encode()
    assert len(payload) < 126
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked


async def commander(client: httpx.AsyncClient, sid: str, token: str, deadline: float) -> int:
    """Pauses and resumes a session as fast as the server answers: an update for every
    subscriber of its socket each time."""
    sent = 0
    while time.monotonic() < deadline:
        for command in ("pause", "resume"):
            r = await client.post(f"/api/sessions/{sid}/{command}", headers=bearer(token))
            assert r.status_code in (200, 409), r.text
            sent += 1
    return sent


async def wave(server: Server, client: httpx.AsyncClient, sid: str, token: str) -> str:
    deadline = time.monotonic() + 3.0
    slow = [await SlowReader.open(server, sid, token) for _ in range(SLOW_READERS)]
    try:
        results = await asyncio.gather(
            binary_frames(server, sid, token),
            nested_json(server, sid, token),
            *(big_frame(server, sid, token if i % 2 else None) for i in range(BIG_FRAMES)),
            floods(server, sid, token),
            commander(client, sid, token, deadline),
            *(s.ping_until(deadline) for s in slow),
        )
    finally:
        for s in slow:
            s.close()
    return f"{results[-1 - SLOW_READERS]} commands, {sum(s.sent for s in slow)} unread pings"


async def test_abusive_clients_get_clean_answers_and_the_server_serves_the_others(
    database_url: str, tmp_path: Path
) -> None:
    await create_athletes(database_url, ["abuser@example.com", "calm@example.com"])
    with processes(tmp_path, database_url, SETPOINT_LOG_LEVEL="info") as procs:
        server = procs.serve("server")
        await procs.up(server)
        pid = server.popen.pid
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
            abuser = await login(client, "abuser@example.com")
            calm = await login(client, "calm@example.com")
            sid = await new_session(client, abuser, time_steps(3600, None))
            started = await client.post(f"/api/sessions/{sid}/start", headers=bearer(abuser))
            assert started.status_code == 200, started.text
            calm_sid = await new_session(client, calm, time_steps(600))

            prober = Prober(f"{server.url}/api/sessions/{calm_sid}", bearer(calm))
            with prober.running():
                await asyncio.sleep(2.0)
            idle = list(prober.latencies)
            prober.latencies.clear()

            memory = [rss(pid)]
            with prober.running():
                for n in range(WAVES):
                    did = await wave(server, client, sid, abuser)
                    await asyncio.sleep(0.5)  # let the server settle before reading its memory
                    memory.append(rss(pid))
                    print(f"wave {n + 1}: {did}; server RSS {memory[-1] / MB:.1f} MB")
            busy = prober.latencies

            # A well-behaved socket is still served.
            ws = await opened(server, calm_sid, calm)
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await recv(ws))["type"] == "pong"
            await ws.close()

        idle_p99, busy_p99 = p99(idle), p99(busy)
        print(
            f"GET /api/sessions/{{id}}: idle p99 {idle_p99 * 1000:.1f} ms ({len(idle)} calls), "
            f"under abuse p99 {busy_p99 * 1000:.1f} ms ({len(busy)} calls); RSS "
            + " → ".join(f"{m / MB:.1f}" for m in memory)
            + " MB"
        )
        assert set(prober.statuses) == {200}, prober.statuses
        assert busy_p99 <= max(P99_CAP_S, P99_RATIO * idle_p99), (idle_p99, busy_p99)
        assert memory[-1] - memory[1] <= RSS_GROWTH_CAP, [m / MB for m in memory]
        log = server.tail(10_000_000)
        assert "Traceback" not in log and '"level": "error"' not in log, server.tail()
        assert server.alive

"""One load-generator process of live clients: it holds a share of the bench's WebSocket
sessions (`WS /api/sessions/{id}/live?token=`) and records what arrives on them.

Driven by `bench/sessions.py` over stdin/stdout, one JSON object a line:
- it connects every socket (bounded concurrency) and prints `{"event": "connected", ...}`;
- stdin `{"cmd": "start", "rate": r, "inflight": m}`: sends `start` on each socket over the
  socket itself, at most `r` a second with at most `m` unanswered, and prints
  `{"event": "started", ...}` when every ack (or error) is in;
- stdin `{"cmd": "stop"}`: prints `{"event": "result", ...}` (every boundary notification:
  the `at` of the event and how late it arrived), closes the sockets, exits.
Every wait is bounded; a closed stdin (the parent died) ends the process.

    python bench/_live_clients.py CONFIG.json     # {"url", "sessions": [[id, token], ...]}
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from _common import emit, lines, percentile, raise_nofile

BOUNDARY_REASONS = {("SegmentChanged", "auto"), ("SessionCompleted", "finished_plan")}


class Live:
    def __init__(self, config: dict[str, Any]) -> None:
        self.url = config["url"]
        self.sessions: list[tuple[str, str]] = [tuple(s) for s in config["sessions"]]
        self.concurrency = int(config.get("connect_concurrency", 32))
        self.open_timeout = float(config.get("open_timeout", 60))
        self.sockets: dict[str, ClientConnection] = {}
        self.connect_errors: Counter[str] = Counter()
        self.connect_latency: list[float] = []
        self.pending_start: dict[str, float] = {}
        self.start_acks: list[float] = []
        self.start_errors: Counter[str] = Counter()
        self.inflight = asyncio.Semaphore(1)
        self.all_acked = asyncio.Event()
        # (at, lateness_s, session index) of each boundary notification
        self.boundaries: list[tuple[float, float]] = []
        self.other_events: Counter[str] = Counter()
        self.messages = 0
        self.message_types: Counter[str] = Counter()
        self.closed_early: Counter[str] = Counter()
        self.stopping = False
        self.lags: list[float] = []
        self.readers: list[asyncio.Task[None]] = []

    # --- connecting -------------------------------------------------------------------

    async def connect_all(self) -> float:
        gate = asyncio.Semaphore(self.concurrency)
        t0 = time.monotonic()

        async def one(session_id: str, token: str) -> None:
            async with gate:
                started = time.monotonic()
                try:
                    ws = await connect(
                        f"{self.url}/api/sessions/{session_id}/live?token={token}",
                        compression=None,
                        ping_interval=None,  # the server pings every 20 s; we answer
                        open_timeout=self.open_timeout,
                        close_timeout=2,
                        max_queue=64,
                    )
                    first = json.loads(await asyncio.wait_for(ws.recv(), self.open_timeout))
                except Exception as exc:
                    self.connect_errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                    return
                if first.get("type") != "state":
                    self.connect_errors[f"first message {first.get('type')}"] += 1
                    await ws.close()
                    return
                self.connect_latency.append(time.monotonic() - started)
                self.sockets[session_id] = ws
                self.readers.append(asyncio.create_task(self.read(session_id, ws)))

        await asyncio.gather(*(one(s, t) for s, t in self.sessions))
        return time.monotonic() - t0

    # --- receiving ----------------------------------------------------------------------

    async def read(self, session_id: str, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                received = time.time()
                self.messages += 1
                message = json.loads(text)
                kind = message.get("type")
                self.message_types[kind] += 1
                if kind == "update":
                    for event in message.get("events", ()):
                        key = (event.get("type"), event.get("reason"))
                        if key in BOUNDARY_REASONS:
                            self.boundaries.append((event["at"], received - event["at"]))
                        else:
                            self.other_events[f"{key[0]}:{key[1]}"] += 1
                elif kind in ("ack", "error") and session_id in self.pending_start:
                    sent = self.pending_start.pop(session_id)
                    self.inflight.release()
                    if kind == "ack":
                        self.start_acks.append(received - sent)
                    else:
                        self.start_errors[message.get("error", "?")] += 1
                    if not self.pending_start:
                        self.all_acked.set()
        except ConnectionClosed as exc:
            if not self.stopping:
                self.closed_early[str(exc.rcvd.code if exc.rcvd else "no close frame")] += 1
        except Exception as exc:  # keep the others going; report it
            self.closed_early[type(exc).__name__] += 1

    # --- starting -----------------------------------------------------------------------

    async def start_all(self, rate: float, inflight: int, limit_s: float) -> dict[str, Any]:
        """`start` on every socket: at most `rate` a second and `inflight` unanswered."""
        ids = list(self.sockets)
        t0 = time.monotonic()
        deadline = t0 + limit_s
        self.inflight = asyncio.Semaphore(inflight)
        for i, session_id in enumerate(ids):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(
                    self.inflight.acquire(), max(0.1, deadline - time.monotonic())
                )
            except TimeoutError:
                self.start_errors["not sent: no ack in time"] += len(ids) - i
                break
            self.pending_start[session_id] = time.time()
            command = {"type": "command", "command": "start", "idempotency_key": uuid.uuid4().hex}
            try:
                await self.sockets[session_id].send(json.dumps(command))
            except ConnectionClosed:
                self.pending_start.pop(session_id, None)
                self.inflight.release()
                self.start_errors["closed"] += 1
        sent_s = time.monotonic() - t0
        self.all_acked.clear()  # no await from here to the check: no ack slips by
        if self.pending_start:
            try:
                await asyncio.wait_for(self.all_acked.wait(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                self.start_errors["no ack in time"] += len(self.pending_start)
                self.pending_start.clear()
        return {
            "event": "started",
            "sent_s": round(sent_s, 3),
            "done_s": round(time.monotonic() - t0, 3),
            "acks": len(self.start_acks),
            "errors": dict(self.start_errors),
        }

    # --- own health ---------------------------------------------------------------------

    async def watch_lag(self) -> None:
        """How late this process's event loop runs: a bound on client-side measurement error."""
        period = 0.05
        while True:
            t = time.monotonic()
            await asyncio.sleep(period)
            self.lags.append(time.monotonic() - t - period)

    async def close_all(self) -> None:
        self.stopping = True
        sockets = list(self.sockets.values())
        for i in range(0, len(sockets), 500):
            await asyncio.wait(
                [asyncio.create_task(ws.close()) for ws in sockets[i : i + 500]], timeout=5
            )
        for task in self.readers:
            task.cancel()

    def result(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "event": "result",
            "sockets": len(self.sockets),
            "connect_errors": dict(self.connect_errors),
            "connect_latency_s": self.connect_latency,
            "start_ack_s": self.start_acks,
            "start_errors": dict(self.start_errors),
            "boundaries": self.boundaries,
            "other_events": dict(self.other_events),
            "messages": self.messages,
            "message_types": dict(self.message_types),
            "closed_early": dict(self.closed_early),
            "loop_lag_p99_ms": round(percentile(self.lags, 99) * 1000, 2) if self.lags else None,
            "loop_lag_max_ms": round(max(self.lags) * 1000, 2) if self.lags else None,
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }


async def main(config: dict[str, Any]) -> None:
    live = Live(config)
    lag = asyncio.create_task(live.watch_lag())
    stdin = await lines()
    took = await live.connect_all()
    emit(
        {
            "event": "connected",
            "sockets": len(live.sockets),
            "errors": dict(live.connect_errors),
            "seconds": round(took, 3),
        }
    )
    try:
        while True:
            line = await stdin.readline()
            if not line:  # the parent is gone
                break
            order = json.loads(line)
            if order["cmd"] == "start":
                emit(
                    await live.start_all(
                        float(order["rate"]),
                        int(order.get("inflight", 16)),
                        float(order.get("timeout", 60)),
                    )
                )
            elif order["cmd"] == "stop":
                lag.cancel()
                emit(live.result())
                break
    finally:
        await live.close_all()


if __name__ == "__main__":
    raise_nofile()
    settings = json.loads(Path(sys.argv[1]).read_text())
    try:
        import uvloop

        uvloop.run(main(settings))
    except ImportError:
        asyncio.run(main(settings))

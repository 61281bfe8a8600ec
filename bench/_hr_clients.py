"""One load-generator process of heart-rate clients for `bench/heartrate.py`: it holds a share
of the bench's live sockets (`WS /api/sessions/{id}/live?token=`, or the bare baseline's
`/bare/live/{i}`), sends one `hr` message a second on each, and times what comes back.

The WebSocket client is written out here on raw asyncio transports (uvloop): a handshake,
masked text frames out, unmasked frames in, pongs to the server's pings. The `websockets`
library costs ~10x more CPU per message, and this process shares the machine's two cores with
the server under test.

Driven over stdin/stdout, one JSON object a line:
- on start it connects every socket (bounded concurrency) and prints `{"event": "connected"}`;
- `{"cmd": "send", "start": T, "ramp": R, "window": [W0, W1]}`: socket of global rank r
  (of n) sends its first sample at `T + R * r / n`, then one a second (`t` = `time.time()`
  at the send, the server's timeline on this machine). Latencies are kept for samples with
  `t` in the window;
- `{"cmd": "quiet"}`: stop sending (keep reading), print `{"event": "quiet"}`;
- `{"cmd": "stop"}`: print `{"event": "result", ...}`, close the sockets, exit.
A closed stdin (the parent died) ends the process.

What is timed, on this machine's clock:
- every `heart_rate` push: receive time − its `heart_rate.t` (the sample the push followed:
  the server pushes while it processes a sample);
- on probe sockets, every `ZoneDeviation` / `BackInZone` event: receive time − the send
  time of the sample whose `t` is the event's `at` (the sample that raised it).

    python bench/_hr_clients.py CONFIG.json
    # {"host", "port", "total": n, "connect_concurrency": c,
    #  "sockets": [[path, rank, probe], ...]}
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import json
import random
import resource
import sys
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from _common import emit, lines, percentile, raise_nofile

try:
    from websockets.speedups import apply_mask
except ImportError:  # pure Python fallback: slower, same bytes

    def apply_mask(data: bytes, mask: bytes) -> bytes:
        return bytes(b ^ mask[i % 4] for i, b in enumerate(data))


PERIOD_S = 1.0  # one sample a second per session (a chest strap)
IN_BAND, ABOVE, BELOW = 158, 176, 140  # the target band is 150–165
# A probe's heart rate, in seconds at each level: in band, above, in band, below (64 s).
# 18 s out of band: the smoothed value leaves the band on the 3rd–4th sample, the 10 s
# debounce raises the alert ~10 samples later; 64 s keeps same-side alerts ≥ 60 s apart
# (the cooldown). Steps of 18 bpm stay under the filter's 30 bpm jump rule.
PROBE_CYCLE = ((14, IN_BAND), (18, ABOVE), (14, IN_BAND), (18, BELOW))
CYCLE_S = sum(s for s, _ in PROBE_CYCLE)
KEEP_SENT = 128  # a probe remembers the send time of its last samples
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame (clients must mask: RFC 6455 §5.3)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = random.randbytes(4)
    return head + key + apply_mask(payload, key)


def steady_bpm(k: int, rank: int) -> int:
    """An athlete holding the target: 156–160 bpm (zone 4 at max HR 190), never out of band."""
    return IN_BAND - 2 + (k * 3 + rank) % 5


def probe_bpm(k: int, rank: int) -> int:
    pos = (k + rank * 7) % CYCLE_S  # probes start at different points of the cycle
    for seconds, bpm in PROBE_CYCLE:
        if pos < seconds:
            return bpm
        pos -= seconds
    raise AssertionError("unreachable")


class Socket(asyncio.Protocol):
    """One client WebSocket: handshake, then frames both ways."""

    def __init__(self, clients: Clients, path: str, rank: int, probe: bool) -> None:
        self.clients, self.path, self.rank, self.probe = clients, path, rank, probe
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.counted = False  # its early close is counted (once: close frame or lost)
        self.k = 0  # samples sent
        self.sent: dict[float, float] = {}  # probes: sample t -> send time
        self.sent_order: deque[float] = deque()

    # --- transport callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        key = base64.b64encode(random.randbytes(16)).decode()
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {self.clients.host}:{self.clients.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.transport.write(request.encode())

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buf[: self.buf.find(b"\r\n")])
            del self.buf[: end + 4]
            if b" 101 " not in status:
                self._fail(f"handshake: {status.decode(errors='replace')[:60]}")
                return
            self.upgraded = True
        self._frames()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready: {exc}"))
        elif not self.clients.stopping and not self.counted:
            self.counted = True
            self.clients.closed_early[type(exc).__name__ if exc else "no close frame"] += 1

    # --- frames ----------------------------------------------------------------------

    def _frames(self) -> None:
        buf = self.buf
        while len(buf) >= 2:
            opcode, length, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, at = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, at = int.from_bytes(buf[2:10], "big"), 10
            masked = buf[1] & 0x80
            end = at + (4 if masked else 0) + length
            if len(buf) < end:
                return
            payload = bytes(buf[end - length : end])
            if masked:  # servers do not mask; tolerated anyway
                payload = apply_mask(payload, bytes(buf[at : at + 4]))
            del buf[:end]
            if opcode == OP_TEXT:
                self.clients.on_message(self, payload)
            elif opcode == OP_PING:
                self.write(frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                if not self.clients.stopping and not self.counted:
                    self.counted = True
                    self.clients.closed_early[f"close {code}"] += 1
                self.write(frame(OP_CLOSE, payload[:2]))
                self._close()
                return

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def send_text(self, text: str) -> None:
        self.write(frame(OP_TEXT, text.encode()))

    def remember(self, t: float, sent: float) -> None:
        self.sent[t] = sent
        self.sent_order.append(t)
        if len(self.sent_order) > KEEP_SENT:
            self.sent.pop(self.sent_order.popleft(), None)

    def _fail(self, why: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(why))
        self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.closed = True

    def close(self) -> None:
        self.write(frame(OP_CLOSE, (1000).to_bytes(2, "big")))
        self._close()


class Clients:
    def __init__(self, config: dict[str, Any]) -> None:
        self.host: str = config["host"]
        self.port: int = int(config["port"])
        self.total: int = int(config["total"])
        self.concurrency = int(config.get("connect_concurrency", 64))
        self.specs: list[tuple[str, int, bool]] = [tuple(s) for s in config["sockets"]]
        self.sockets: list[Socket] = []
        self.connect_errors: Counter[str] = Counter()
        self.connect_latency: list[float] = []
        self.closed_early: Counter[str] = Counter()
        self.stopping = False
        self.quiet = asyncio.Event()
        self.window = (float("inf"), float("inf"))
        # what happened, counted over samples with `t` in the window
        self.sent = 0
        self.sent_in_window = 0
        self.skipped = 0  # sends dropped because this process fell a period behind
        self.send_late: list[float] = []  # how late this process sent, per sample (window)
        self.max_write_buffer = 0
        self.messages: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.pushes_in_window = 0
        self.push_latency: list[tuple[float, float]] = []  # sample t, latency
        self.events: list[tuple[float, float, str, str]] = []  # at, latency, type, direction
        self.unmatched: Counter[str] = Counter()
        self.lags: list[float] = []

    # --- connecting ------------------------------------------------------------------

    async def connect_all(self) -> float:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(self.concurrency)
        t0 = time.monotonic()

        async def one(path: str, rank: int, probe: bool) -> None:
            async with gate:
                started = time.monotonic()
                try:
                    _, sock = await asyncio.wait_for(
                        loop.create_connection(
                            lambda: Socket(self, path, rank, probe), self.host, self.port
                        ),
                        60,
                    )
                    await asyncio.wait_for(sock.ready, 60)
                except (OSError, TimeoutError, ConnectionError) as exc:
                    self.connect_errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                    return
                self.connect_latency.append(time.monotonic() - started)
                self.sockets.append(sock)

        await asyncio.gather(*(one(*spec) for spec in self.specs))
        return time.monotonic() - t0

    # --- receiving -------------------------------------------------------------------

    def on_message(self, sock: Socket, payload: bytes) -> None:
        received = time.time()
        try:
            message = json.loads(payload)
            kind = message.get("type")
        except (ValueError, AttributeError):
            self.messages["not json"] += 1
            return
        self.messages[kind] += 1
        if not sock.ready.done():
            if kind == "state":
                sock.ready.set_result(None)
            else:
                sock.ready.set_exception(ConnectionError(f"first message: {payload[:80]!r}"))
            return
        if kind == "error":
            self.errors[message.get("error", "?")] += 1
            return
        if kind != "heart_rate":
            return
        t = message["heart_rate"].get("t")
        w0, w1 = self.window
        if t is not None and w0 <= t < w1:
            self.pushes_in_window += 1
            self.push_latency.append((t, received - t))
        for event in message.get("events", ()):
            name, at = event.get("type", "?"), event.get("at")
            sent = sock.sent.get(at) if at is not None else None
            if sent is None:
                self.unmatched[name] += 1
            elif w0 <= at < w1:
                direction = event.get("direction", "")
                self.events.append((at, received - sent, name, direction))

    # --- sending ---------------------------------------------------------------------

    async def send_all(self, start: float, ramp: float) -> None:
        """Each socket's samples, one a second, on a schedule staggered over the ramp."""
        due = [(start + ramp * s.rank / self.total, i) for i, s in enumerate(self.sockets)]
        heapq.heapify(due)
        w0, w1 = self.window
        while due and not self.quiet.is_set():
            at, i = due[0]
            now = time.time()
            if at > now:
                await asyncio.sleep(at - now)
                continue
            late = now - at
            if late >= PERIOD_S:  # a period behind: drop the missed sends, stay on the grid
                missed = int(late // PERIOD_S)
                self.skipped += missed
                at += missed * PERIOD_S
            heapq.heapreplace(due, (at + PERIOD_S, i))
            sock = self.sockets[i]
            if sock.closed:
                continue
            bpm = probe_bpm(sock.k, sock.rank) if sock.probe else steady_bpm(sock.k, sock.rank)
            sock.k += 1
            t = time.time()
            sock.send_text(f'{{"type":"hr","samples":[{{"t":{t!r},"bpm":{bpm}}}]}}')
            if sock.probe:
                sock.remember(t, t)
            self.sent += 1
            if w0 <= t < w1:
                self.sent_in_window += 1
                self.send_late.append(t - at)
                if sock.transport is not None:
                    size = sock.transport.get_write_buffer_size()
                    self.max_write_buffer = max(self.max_write_buffer, size)

    # --- own health ------------------------------------------------------------------

    async def watch_lag(self) -> None:
        """How late this process's event loop runs: a bound on its measurement error."""
        period = 0.05
        while True:
            t = time.monotonic()
            await asyncio.sleep(period)
            self.lags.append(time.monotonic() - t - period)

    def close_all(self) -> None:
        self.stopping = True
        for sock in self.sockets:
            sock.close()

    def result(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        ms = lambda xs, q: round(percentile(xs, q) * 1000, 2) if xs else None  # noqa: E731
        return {
            "event": "result",
            "sockets": len(self.sockets),
            "connect_errors": dict(self.connect_errors),
            "connect_latency_s": [round(x, 5) for x in self.connect_latency],
            "sent": self.sent,
            "sent_in_window": self.sent_in_window,
            "skipped": self.skipped,
            "send_late_p99_ms": ms(self.send_late, 99),
            "send_late_max_ms": ms(self.send_late, 100),
            "max_write_buffer": self.max_write_buffer,
            "messages": dict(self.messages),
            "errors": dict(self.errors),
            "pushes_in_window": self.pushes_in_window,
            "push_latency": [[t, round(lat, 5)] for t, lat in self.push_latency],
            "events": [[at, round(lat, 5), name, d] for at, lat, name, d in self.events],
            "unmatched_events": dict(self.unmatched),
            "closed_early": dict(self.closed_early),
            "loop_lag_p99_ms": ms(self.lags, 99),
            "loop_lag_max_ms": ms(self.lags, 100),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }


async def main(config: dict[str, Any]) -> None:
    clients = Clients(config)
    lag = asyncio.create_task(clients.watch_lag())
    stdin = await lines()
    took = await clients.connect_all()
    emit(
        {
            "event": "connected",
            "sockets": len(clients.sockets),
            "errors": dict(clients.connect_errors),
            "seconds": round(took, 3),
        }
    )
    sender: asyncio.Task[None] | None = None
    try:
        while True:
            line = await stdin.readline()
            if not line:  # the parent is gone
                break
            order = json.loads(line)
            if order["cmd"] == "send":
                w0, w1 = order["window"]
                clients.window = (float(w0), float(w1))
                sender = asyncio.create_task(
                    clients.send_all(float(order["start"]), float(order["ramp"]))
                )
            elif order["cmd"] == "quiet":
                clients.quiet.set()
                if sender is not None:
                    await asyncio.wait_for(sender, 10)
                emit({"event": "quiet", "sent": clients.sent})
            elif order["cmd"] == "stop":
                lag.cancel()
                emit(clients.result())
                break
    finally:
        if sender is not None and not sender.done():
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        clients.close_all()
        await asyncio.sleep(0.5)  # let the close frames go out


if __name__ == "__main__":
    raise_nofile()
    settings = json.loads(Path(sys.argv[1]).read_text())
    try:
        import uvloop

        uvloop.run(main(settings))
    except ImportError:
        asyncio.run(main(settings))

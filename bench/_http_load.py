"""A closed-loop HTTP/1.1 load generator: C keep-alive connections, each sending the next
request as soon as the previous answer is complete, for a fixed time. Raw sockets on uvloop
(about 3x cheaper per request than httpx), so one process can outrun one uvicorn worker.

    python bench/_http_load.py --port 8000 --requests reqs.json --connections 64 \
        --warmup 2 --duration 10

`reqs.json` is a list of `[path, {header: value}]`; connections cycle through it. Prints one
JSON object: requests/s over the measured window, latency percentiles, status counts, and
this process's own CPU use (to tell whether the generator was the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

from _common import raise_nofile, summary_ms


class Stats:
    def __init__(self) -> None:
        self.measuring = False
        self.stopping = False
        self.count = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.bytes = 0
        self.errors = 0


class Conn(asyncio.Protocol):
    def __init__(self, requests: list[bytes], offset: int, stats: Stats) -> None:
        self.requests = requests
        self.i = offset
        self.stats = stats
        self.buf = bytearray()
        self.need: int | None = None
        self.status = 0
        self.t0 = 0.0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        if self.stats.stopping:
            self.transport.close()
            return
        request = self.requests[self.i % len(self.requests)]
        self.i += 1
        self.t0 = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self.stats.errors += 1  # chunked answers are not expected here
                assert self.transport is not None
                self.transport.close()
                return
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
            self.need = end + 4 + length
        if len(self.buf) < self.need:
            return
        stats = self.stats
        if stats.measuring:
            stats.count += 1
            stats.latencies.append(time.perf_counter() - self.t0)
            stats.statuses[self.status] = stats.statuses.get(self.status, 0) + 1
            stats.bytes += self.need
        del self.buf[: self.need]
        self.need = None
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.stats.stopping:
            self.stats.errors += 1
        if not self.closed.done():
            self.closed.set_result(None)


def encode(specs: list[tuple[str, dict[str, str]]], port: int) -> list[bytes]:
    requests = []
    for path, headers in specs:
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        requests.append(("\r\n".join(lines) + "\r\n\r\n").encode())
    return requests


async def run(args: argparse.Namespace, requests: list[bytes]) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    stats = Stats()
    conns = []
    for i in range(args.connections):
        _, conn = await loop.create_connection(
            lambda i=i: Conn(requests, i * 7919, stats), "127.0.0.1", args.port
        )
        conns.append(conn)
    await asyncio.sleep(args.warmup)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.duration)
    stats.measuring = False
    elapsed = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats.stopping = True
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    await asyncio.wait([c.closed for c in conns], timeout=5)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "requests": stats.count,
        "seconds": round(elapsed, 3),
        "rps": round(stats.count / elapsed, 1),
        "latency": summary_ms(stats.latencies),
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "errors": stats.errors,
        "avg_response_bytes": round(stats.bytes / stats.count) if stats.count else 0,
        "generator_cpu_pct": round(100 * cpu / elapsed, 1),
        "connections": args.connections,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    raise_nofile()
    requests = encode(json.loads(Path(args.requests).read_text()), args.port)
    try:
        import uvloop

        result = uvloop.run(run(args, requests))
    except ImportError:
        result = asyncio.run(run(args, requests))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

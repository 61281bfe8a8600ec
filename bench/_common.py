"""Small helpers shared by the bench scripts: /proc readings, percentiles, ports, fd limits,
and the JSON-lines plumbing of the client processes."""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

# uvicorn's WebSocket implementation for the bench's servers (`heartrate.py --ws`)
WS_VARIABLE = "BENCH_UVICORN_WS"

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def raise_nofile(want: int = 65536) -> int:
    """Raise this process's open-file soft limit as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def processes_named(comm: str) -> list[int]:
    """Pids whose /proc/<pid>/comm is `comm` (e.g. every PostgreSQL backend)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == comm:
                    found.append(int(entry))
        except OSError:
            continue
    return found


def process_tree(root: int) -> list[int]:
    """`root` and every live process descended from it (parents read from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def tree_cpu_seconds(root: int) -> dict[int, float]:
    """CPU seconds of `root` and each of its live descendants: utime + stime of all its
    threads, plus cutime + cstime (children it has reaped), so the sum stays monotonic when a
    process of the tree exits and is waited for."""
    out: dict[int, float] = {}
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = sum(int(x) for x in fields[11:15]) / CLK_TCK
    return out


def tree_rss_bytes(root: int) -> int:
    """RSS summed over `root` and its descendants (shared pages counted in each)."""
    total = 0
    for pid in process_tree(root):
        try:
            total += rss_bytes(pid)
        except OSError:
            continue
    return total


def listening_sockets(port: int) -> int:
    """TCP sockets listening on `port` (IPv4 and IPv6): with SO_REUSEPORT, one a process."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    local, state = line.split()[1], line.split()[3]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        n += 1
        except OSError:
            continue
    return n


def total_cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


class CpuMeter:
    """CPU use of a process between two readings, as % of one core."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.reset()

    def reset(self) -> None:
        self.t0 = time.monotonic()
        self.c0 = cpu_seconds(self.pid)

    def read(self) -> float:
        dt = time.monotonic() - self.t0
        return 100.0 * (cpu_seconds(self.pid) - self.c0) / dt if dt > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values_s: Sequence[float]) -> dict[str, float | int]:
    """p50/p90/p99/max in milliseconds of values given in seconds."""
    return {
        "n": len(values_s),
        "p50_ms": round(percentile(values_s, 50) * 1000, 2),
        "p90_ms": round(percentile(values_s, 90) * 1000, 2),
        "p99_ms": round(percentile(values_s, 99) * 1000, 2),
        "max_ms": round(max(values_s) * 1000, 2) if values_s else math.nan,
    }


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


# --- for the client processes: JSON lines out, commands in on stdin ------------------------


def emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


async def lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader

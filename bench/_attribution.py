"""Why was it slow: each slow command or late notification is put down to what the server was
doing meanwhile, from the record `bench/_diag_serve.py` keeps (GC pauses, event-loop stalls
with the code they sat in, write transactions holding SQLite's single writer, batched work).

For an interval [start, end] (a command's round trip, or a notification from its due time to
its arrival), every recorded episode that overlaps it is a candidate, weighed by how much of
the interval it covers; the heaviest is the cause. The item's own write transaction is left
out (it is the victim), but who held the writer while it waited for it is not. When nothing
covers a fifth of the interval the cause is "not recorded": time spent queueing behind many
short turns (CPU), or outside the server (the client, the network stack).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SLOW_S = 0.1
Entry = list[Any]  # [kind, start, end, label, detail]


def load(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line cut by SIGKILL
    return entries


def gc_log(entries: list[Entry]) -> list[list[float]]:
    """The GC pauses in `bench/_gc_serve.py`'s format: [end, generation, seconds, collected]."""
    return [[e[2], int(e[3][-1]), e[2] - e[1], 0] for e in entries if e[0] == "gc"]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _name(entry: Entry) -> str:
    kind, _, _, label, detail = entry
    if kind == "gc":
        return label
    if kind == "stall":
        return f"loop stall: {label}"
    if kind == "write":
        return f"writer held: {label}"
    return f"{label} ({detail})" if detail is not None else str(label)


def explain(
    entries: list[Entry], start: float, end: float, own_write: str | None = None
) -> tuple[str, float]:
    """The cause of [start, end] and how many seconds of it that cause covers."""
    writes = [e for e in entries if e[0] == "write" and _overlap(e[1], e[2], start, end) > 0]
    mine = None
    if own_write is not None:
        own = [e for e in writes if e[3] == own_write and start <= e[1] <= end]
        mine = max(own, key=lambda e: _overlap(e[1], e[2], start, end), default=None)
    weights: dict[str, float] = defaultdict(float)
    for e in entries:
        if e is mine:
            continue
        if e[0] == "write":  # the writer is held from when it was got (detail) to the end
            covered = _overlap(e[4], e[2], start, end)
        else:
            covered = _overlap(e[1], e[2], start, end)
        if covered > 0:
            # batches of any size are one cause; sizes go into the name of the heaviest
            key = _name(e) if e[0] in ("gc", "stall") else f"{e[0]}:{e[3]}"
            weights[key] += covered
    if not weights:
        return "not recorded", 0.0
    key, covered = max(weights.items(), key=lambda kv: kv[1])
    if covered < 0.2 * (end - start):
        return "not recorded", covered
    if key.startswith("work:"):
        label = key[5:]
        sizes = [
            e[4]
            for e in entries
            if e[0] == "work" and e[3] == label and _overlap(e[1], e[2], start, end) > 0
        ]
        biggest = max((s for s in sizes if s is not None), default=None)
        key = label + (f" (up to {biggest})" if biggest is not None else "")
    elif key.startswith("write:"):
        key = f"writer held: {key[6:]}"
    return key, covered


def attribute(
    entries: list[Entry],
    items: Iterable[tuple[float, float]],
    origin: float,
    own_write: str | None = None,
) -> dict[str, Any]:
    """Every item (start, seconds) over `SLOW_S`, with its cause; the causes counted."""
    slow = []
    for start, took in items:
        if took > SLOW_S:
            cause, covered = explain(entries, start, start + took, own_write)
            slow.append(
                {
                    "since_server_start_s": round(start - origin, 2),
                    "ms": round(took * 1000, 1),
                    "cause": cause,
                    "cause_ms": round(covered * 1000, 1),
                }
            )
    counts = Counter(s["cause"] for s in slow)
    return {"n": len(slow), "causes": dict(counts.most_common()), "items": slow}


def episodes(entries: list[Entry], w0: float, w1: float) -> dict[str, Any]:
    """What the record holds in [w0, w1]: loop stalls and GC pauses (count, longest, total),
    and the write transactions by caller (count, longest hold, longest wait for the writer)."""

    def stats(durations: list[float]) -> dict[str, float]:
        return {
            "n": len(durations),
            "max_ms": round(1000 * max(durations, default=0.0), 1),
            "total_ms": round(1000 * sum(durations), 1),
        }

    inside = [e for e in entries if w0 <= e[1] < w1]
    out: dict[str, Any] = {
        "stalls": stats([e[2] - e[1] for e in inside if e[0] == "stall"]),
        "stalls_by_place": dict(Counter(e[3] for e in inside if e[0] == "stall").most_common(6)),
        "gc": stats([e[2] - e[1] for e in inside if e[0] == "gc"]),
    }
    writes: dict[str, list[Entry]] = defaultdict(list)
    for e in inside:
        if e[0] == "write":
            writes[e[3]].append(e)
    out["writes"] = {
        label: {
            "n": len(es),
            "hold_max_ms": round(1000 * max(e[2] - e[4] for e in es), 1),
            "wait_max_ms": round(1000 * max(e[4] - e[1] for e in es), 1),
        }
        for label, es in sorted(writes.items(), key=lambda kv: -len(kv[1]))
    }
    work: dict[str, list[Entry]] = defaultdict(list)
    for e in inside:
        if e[0] == "work":
            work[e[3]].append(e)
    out["work"] = {
        label: {
            "n": len(es),
            "max_ms": round(1000 * max(e[2] - e[1] for e in es), 1),
            "max_size": max((e[4] for e in es if e[4] is not None), default=None),
        }
        for label, es in work.items()
    }
    return out


def lines(title: str, attributed: dict[str, Any], limit: int = 6) -> list[tuple[str, str, str]]:
    """Table rows: the count by cause, then the slowest items with theirs."""
    if not attributed["n"]:
        return [(title, "0", "")]
    causes = ", ".join(f"{c} × {n}" for c, n in attributed["causes"].items())
    rows = [(title, str(attributed["n"]), causes)]
    for item in sorted(attributed["items"], key=lambda i: -i["ms"])[:limit]:
        rows.append(
            (
                f"  at {item['since_server_start_s']} s",
                f"{item['ms']:g} ms",
                f"{item['cause']} ({item['cause_ms']:g} ms of it)",
            )
        )
    return rows

"""Heart-rate bench: N live sessions × 1 Hz heart rate on one `setpoint serve`.

    .venv/bin/python bench/heartrate.py --sessions 1000 [--db sqlite|postgresql] [--duration 60]
    .venv/bin/python bench/heartrate.py --sessions 10000 --db postgresql --workers 2

`--workers N` (N > 1: PostgreSQL, and Redis at `--redis-url`) runs `setpoint serve --workers N`;
the server's CPU and RSS are then summed over the supervisor and its processes.

Target: one 2-core node holds 10,000 concurrent live sessions with 1 Hz heart rate each, p99
sample-to-notification < 100 ms.

What it does, in order, on loopback only:
1. baseline: the same client load against a bare FastAPI WebSocket endpoint under the same
   uvicorn flags (`bench/_bare_app.py`, `/bare/live/{i}`: parse each message as JSON, push
   every fifth sample back): the server CPU a sample costs when nothing but the transport,
   the JSON and the pushes is done, and the push latency of that floor;
2. a fresh database (a temp SQLite file, or a scratch PostgreSQL database with
   `--db postgresql`), migrated and seeded through the service layer: N athletes with a
   token, a profile (max HR 190: zones) and a *started* session on a one-segment workout
   (2 h, target `hr_range` 150–165 bpm), so no segment boundary falls in the run;
3. a real `setpoint serve` process (`bench/_harness.py`);
4. N WebSocket clients (`bench/_hr_clients.py`, several processes, raw frames on uvloop)
   connect to `/api/sessions/{id}/live?token=`, then send one `hr` message a second each,
   starting staggered over a ramp. Most hold 156–160 bpm; `--probes` of them (default
   max(100, 5 %)) swing in and out of the band (158 → 176 → 158 → 140, 64 s a cycle), so
   the server raises a `ZoneDeviation` (then a `BackInZone`) about every 32 s on each;
5. a steady window (`--duration`, after the ramp and a few seconds to settle): offered
   samples/s (sent by the clients, `t` in the window), ingested samples/s (rows the server
   stored in `heart_rate_samples` with `t` in the window, read after it stopped: it
   flushes what it holds on shutdown), refusals (`error` messages), server CPU and RSS from
   /proc, CPU per sample against the baseline's, push latency (every `heart_rate` push:
   receive − its `heart_rate.t`) and sample-to-`ZoneDeviation` latency (receive − send
   time of the sample whose `t` is the event's `at`); after the window, how long the server
   took to go idle once the clients stopped sending (a backlog shows there);
6. a table, the target met or not, and optionally `--json PATH`.

Everything it starts is stopped on exit (also on Ctrl-C); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import _attribution
from _common import WS_VARIABLE, free_port, summary_ms, verdict
from _harness import (
    CHILDREN,
    DEFAULT_PG,
    HERE,
    MB,
    PY,
    Children,
    Meter,
    Snapshot,
    add_run_args,
    add_workers_args,
    check_workers_args,
    clean_up,
    diag_launcher,
    finish_profile,
    gc_launcher,
    gc_pauses,
    make_database,
    read_event,
    report_header,
    run_main,
    say,
    server_cpu_seconds,
    start_profile,
    start_server,
    stop_server,
    tail,
    tell,
    wait_for_quiet,
    wait_up,
)

TARGETS = {"sessions": 10_000, "notification_p99_ms": 100.0}
BAND = (150, 165)
MAX_HR = 190
HR_WRITE_EVERY_S = 2.0  # the server's default SETPOINT_HR_WRITE_EVERY_S
IDLE_CPU_PCT = 15.0  # the server counts as drained below this (% of one core over 0.5 s)


def workout_doc() -> dict[str, Any]:
    """One 2-hour segment with a bpm-range target: the run never crosses a boundary."""
    return {
        "name": "bench heart rate",
        "sport": "run",
        "steps": [
            {
                "name": "Tempo",
                "intensity": "active",
                "duration": {"type": "time", "seconds": 7200},
                "targets": [{"type": "hr_range", "low": BAND[0], "high": BAND[1]}],
            }
        ],
    }


# --- clients -------------------------------------------------------------------------------


async def start_clients(
    children: Children,
    tmp: Path,
    port: int,
    paths: list[tuple[str, bool]],
    processes: int,
    concurrency: int,
    tag: str,
) -> tuple[list[asyncio.subprocess.Process], list[Path]]:
    """`processes` client processes sharing `paths` (path, probe) round-robin; the global
    rank of a socket is its index in `paths` (it sets when the socket starts sending)."""
    k = max(1, min(processes, len(paths)))
    procs, logs = [], []
    for i in range(k):
        config = tmp / f"hr-clients-{tag}-{i}.json"
        sockets = [[path, rank, probe] for rank, (path, probe) in enumerate(paths) if rank % k == i]
        config.write_text(
            json.dumps(
                {
                    "host": "127.0.0.1",
                    "port": port,
                    "total": len(paths),
                    "connect_concurrency": concurrency,
                    "sockets": sockets,
                }
            )
        )
        log = tmp / f"hr-clients-{tag}-{i}.log"
        procs.append(
            await children.start_piped([PY, str(HERE / "_hr_clients.py"), str(config)], log)
        )
        logs.append(log)
    return procs, logs


async def gather_events(
    procs: list[asyncio.subprocess.Process], logs: list[Path], limit_s: float
) -> list[dict[str, Any]]:
    return list(
        await asyncio.gather(
            *(read_event(p, limit_s, lg) for p, lg in zip(procs, logs, strict=True))
        )
    )


async def sleep_until(wall: float) -> None:
    await asyncio.sleep(max(0.0, wall - time.time()))


async def drained(pid: int, limit_s: float) -> float:
    """Seconds until process `pid` (with the processes under it) uses less than
    IDLE_CPU_PCT of a core over half a second (at most `limit_s`): how long it took to work
    off what was queued."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        c0 = server_cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if 100 * (server_cpu_seconds(pid) - c0) / 0.5 < IDLE_CPU_PCT:
            return round(time.monotonic() - t0, 1)
    return round(limit_s, 1)


async def probe_health(url: str, until: float, out: list[tuple[float, float]]) -> None:
    """GET /healthz ten times a second until `until` (wall): how long a request that needs no
    database waits for the server's event loop. (time sent, latency) into `out`."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while time.time() < until:
            t0 = time.time()
            with contextlib.suppress(httpx.HTTPError):
                await client.get("/healthz")
                out.append((t0, time.time() - t0))
            await asyncio.sleep(max(0.0, t0 + 0.1 - time.time()))


async def drive(
    args: argparse.Namespace,
    children: Children,
    tmp: Path,
    port: int,
    pid: int,
    paths: list[tuple[str, bool]],
    ramp_s: float,
    window_s: float,
    tag: str,
    profile: bool = False,
    before_sockets: Snapshot | None = None,
    watch_pg: bool = False,
    origin: float = 0.0,
    workers: int = 1,
) -> dict[str, Any]:
    """Connect the sockets, send for ramp + settle + window, stop sending, wait for the server
    to drain, and collect every client's record. Figures are over the window."""
    meter = Meter(pid, watch_pg=watch_pg, workers=workers)
    s_before = before_sockets or meter.snap()
    procs, logs = await start_clients(
        children, tmp, port, paths, args.clients, args.connect_concurrency, tag
    )
    meter.client_pids = [p.pid for p in procs]
    out: dict[str, Any] = {"client_processes": len(procs), "ramp_s": ramp_s, "window_s": window_s}

    s0 = meter.snap()
    connected = await gather_events(procs, logs, 120 + len(paths) / 20)
    s1 = meter.snap()
    errors: dict[str, int] = {}
    for c in connected:
        for e, n in c["errors"].items():
            errors[e] = errors.get(e, 0) + n
    out["connect"] = {
        "sockets": sum(c["sockets"] for c in connected),
        "errors": errors,
        "seconds": round(max(c["seconds"] for c in connected), 2),
        **Meter.phase(s0, s1),
    }
    say(
        f"  connected {out['connect']['sockets']}/{len(paths)} sockets in "
        f"{out['connect']['seconds']} s (server {out['connect']['server_cpu_pct']} % CPU, "
        f"RSS {out['connect']['server_rss_mb']} MB)" + (f", errors {errors}" if errors else "")
    )
    await asyncio.sleep(1)
    idle = meter.snap()

    start = time.time() + 0.5
    w0 = start + ramp_s + args.settle
    w1 = w0 + window_s
    for p in procs:
        await tell(p, {"cmd": "send", "start": start, "ramp": ramp_s, "window": [w0, w1]})
    say(f"  sending: ramp {ramp_s:g} s, settle {args.settle:g} s, window {window_s:g} s ...")
    await sleep_until(w0)
    s2 = meter.snap()
    spy = None
    if profile:
        spy = await start_profile(children, tmp, pid, window_s, f"{tag}-window")
    samples: list[Snapshot] = [s2]

    async def sample() -> None:
        while True:
            await asyncio.sleep(1)
            samples.append(meter.snap())

    sampler = asyncio.create_task(sample())
    health: list[tuple[float, float]] = []
    await probe_health(f"http://127.0.0.1:{port}", w1, health)
    sampler.cancel()
    s3 = meter.snap()
    out["profile"] = await finish_profile(spy, tmp) if spy is not None else None
    out["ramp"] = Meter.phase(idle, s2)
    out["window"] = Meter.phase(s2, s3)
    per_second = [Meter.phase(a, b)["server_cpu_pct"] for a, b in itertools.pairwise(samples)]
    out["window"]["server_cpu_pct_max_1s"] = max(per_second) if per_second else None
    out["window"]["server_cpu_pct_per_s"] = per_second
    out["window"]["first_second_since_server_start"] = round(w0 - origin, 1)
    out["healthz_latency"] = summary_ms([lat for _, lat in health])
    out["healthz_worst_seconds"] = worst_seconds(health, origin)
    out["healthz_max_ms_per_second"] = per_second_max(health, origin)
    out["rss_kb_per_session"] = round(
        (s3.server_rss - s_before.server_rss) / 1024 / max(1, out["connect"]["sockets"]), 1
    )

    for p in procs:
        await tell(p, {"cmd": "quiet"})
    await gather_events(procs, logs, 30)
    out["drain_s"] = await drained(pid, args.drain_limit)
    await asyncio.sleep(HR_WRITE_EVERY_S + 1.0)  # pushes still in flight; the next write
    for p in procs:
        await tell(p, {"cmd": "stop"})
    results = await gather_events(procs, logs, 120)
    for p in procs:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(p.wait(), 30)
    out["window_wall"] = [w0, w1]
    out["clients"] = merge_results(results, window_s, origin)
    out["_deviations"] = [
        (at, lat) for r in results for at, lat, name, _ in r["events"] if name == "ZoneDeviation"
    ]
    return out


def merge_results(results: list[dict[str, Any]], window_s: float, origin: float) -> dict[str, Any]:
    """The clients' records together; `origin` (wall time the server came up) dates the
    worst seconds, to line them up with the server's periodic work."""

    def total(key: str) -> dict[str, int]:
        merged: dict[str, int] = {}
        for r in results:
            for k, n in r[key].items():
                merged[k] = merged.get(k, 0) + n
        return merged

    events = [e for r in results for e in r["events"]]
    deviations = [lat for _, lat, name, _ in events if name == "ZoneDeviation"]
    back = [lat for _, lat, name, _ in events if name == "BackInZone"]
    timed = [(t, lat) for r in results for t, lat in r["push_latency"]]
    timed += [(at, lat) for at, lat, _, _ in events]
    pushes = [lat for r in results for _, lat in r["push_latency"]]
    connect = [x for r in results for x in r["connect_latency_s"]]
    sent = sum(r["sent_in_window"] for r in results)
    return {
        "sockets": sum(r["sockets"] for r in results),
        "sent_in_window": sent,
        "sent_per_s": round(sent / window_s, 1),
        "skipped_sends": sum(r["skipped"] for r in results),
        "send_late_p99_ms": max((r["send_late_p99_ms"] or 0) for r in results),
        "send_late_max_ms": max((r["send_late_max_ms"] or 0) for r in results),
        "max_write_buffer": max(r["max_write_buffer"] for r in results),
        "messages": total("messages"),
        "errors": total("errors"),
        "closed_early": total("closed_early"),
        "unmatched_events": total("unmatched_events"),
        "pushes_in_window": sum(r["pushes_in_window"] for r in results),
        "push_latency": summary_ms(pushes),
        "deviation_latency": summary_ms(deviations),
        "back_in_zone_latency": summary_ms(back),
        "deviations_by_direction": {
            d: sum(1 for _, _, name, dd in events if name == "ZoneDeviation" and dd == d)
            for d in ("above", "below")
        },
        "deviation_over_100ms": sum(1 for x in deviations if x > 0.1),
        "push_over_100ms": sum(1 for x in pushes if x > 0.1),
        "connect_latency": summary_ms(connect),
        "worst_seconds": worst_seconds(timed, origin),
        "max_ms_per_second": per_second_max(timed, origin),
        "loop_lag_p99_ms": max((r["loop_lag_p99_ms"] or 0) for r in results),
        "loop_lag_max_ms": max((r["loop_lag_max_ms"] or 0) for r in results),
        "cpu_s": round(sum(r["cpu_s"] for r in results), 1),
        "max_rss_mb": [r["max_rss_mb"] for r in results],
    }


def per_second_max(timed: list[tuple[float, float]], origin: float) -> dict[int, float]:
    """The slowest latency (ms) in each second since `origin`: to line stalls up with the
    server's periodic work (JSON only)."""
    out: dict[int, float] = {}
    for t, lat in timed:
        sec = int(t - origin)
        out[sec] = max(out.get(sec, 0.0), round(lat * 1000, 1))
    return dict(sorted(out.items()))


def worst_seconds(timed: list[tuple[float, float]], origin: float) -> list[dict[str, Any]]:
    """The 8 seconds (since `origin`) with the slowest notifications, in time order."""
    buckets: dict[int, list[float]] = {}
    for t, lat in timed:
        buckets.setdefault(int(t - origin), []).append(lat)
    worst = sorted(buckets.items(), key=lambda kv: -max(kv[1]))[:8]
    return [
        {"since_server_start_s": sec, "n": len(v), "max_ms": round(max(v) * 1000, 1)}
        for sec, v in sorted(worst)
    ]


# --- phases ----------------------------------------------------------------------------------


async def baseline_phase(args: argparse.Namespace, children: Children, tmp: Path) -> dict[str, Any]:
    """The same client load against a bare FastAPI WebSocket endpoint."""
    payload = tmp / "bare-payload.json"
    payload.write_text("{}")
    port = free_port()
    log = tmp / "bare.log"
    bare = children.start(
        [
            *(PY, str(HERE / "_bare_app.py"), "--port", str(port), "--payload", str(payload)),
            *("--server", args.server),
        ],
        None,
        log,
    )
    try:
        await wait_up(f"http://127.0.0.1:{port}", bare, log)
        paths = [(f"/bare/live/{i}", False) for i in range(args.sessions)]
        up = time.time()
        out = await drive(
            args,
            children,
            tmp,
            port,
            bare.pid,
            paths,
            args.ramp,
            args.baseline_seconds,
            "bare",
            origin=up,
        )
    finally:
        Children.stop(bare)
    sent = out["clients"]["sent_in_window"]
    cpu_s = out["window"]["server_cpu_pct"] / 100 * out["window"]["seconds"]
    out["server_cpu_us_per_sample"] = round(1e6 * cpu_s / max(1, sent), 1)
    return out


async def stored_in_window(database_url: str, w0: float, w1: float) -> dict[str, int]:
    """What the server wrote for samples and deviation events with `t`/`at` in the window."""
    from sqlalchemy import func, select

    from setpoint.db.engine import Database
    from setpoint.heartrate.tables import HeartRateSample
    from setpoint.sessions.tables import SessionEvent

    db = Database(database_url)
    try:
        async with db.transaction(write=False) as uow:
            rows = await uow.session.scalar(
                select(func.count())
                .select_from(HeartRateSample)
                .where(HeartRateSample.t >= w0, HeartRateSample.t < w1)
            )
            events = await uow.session.execute(
                select(SessionEvent.type, func.count())
                .where(
                    SessionEvent.at >= w0,
                    SessionEvent.at < w1,
                    SessionEvent.type.in_(("ZoneDeviation", "BackInZone")),
                )
                .group_by(SessionEvent.type)
            )
            counts = {"samples": int(rows or 0), "ZoneDeviation": 0, "BackInZone": 0}
            counts.update({kind: int(n) for kind, n in events})
            return counts
    finally:
        await db.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from _seed import Athlete, seed_athletes

    tmp = Path(tempfile.mkdtemp(prefix="setpoint-bench-hr-"))
    children = CHILDREN
    pg_name: str | None = None
    report: dict[str, Any] = report_header(args, TARGETS)
    try:
        report["others_cpu_pct_before"] = await wait_for_quiet(args.wait_quiet)
        if args.baseline_seconds > 0:
            say(f"baseline: {args.sessions} sockets × 1 Hz against a bare FastAPI WebSocket ...")
            report["baseline"] = await baseline_phase(args, children, tmp)
            b = report["baseline"]
            say(
                f"  bare: {b['window']['server_cpu_pct']} % CPU, "
                f"{b['server_cpu_us_per_sample']} µs per sample, push p99 "
                f"{b['clients']['push_latency']['p99_ms']} ms"
            )

        database_url, pg_name = await make_database(args, tmp)
        say(f"seeding {args.sessions} athletes with started sessions on {args.db} ...")
        tag = uuid.uuid4().hex[:6]
        doc = workout_doc()
        athletes = [
            Athlete(f"hr{i}-{tag}@bench.example", doc, 7200, start=True, max_hr=MAX_HR)
            for i in range(args.sessions)
        ]
        seeded, seed_s = await seed_athletes(database_url, athletes, say)
        report["seed_seconds"] = round(seed_s, 1)

        gc_log, diag_log = tmp / "gc.json", tmp / "diag.jsonl"
        launcher = gc_launcher(gc_log, args.gc_log, args.gc_freeze_after)
        if args.diag and launcher is None:
            launcher = diag_launcher(diag_log)
        if args.server == "granian":
            launcher = [PY, str(HERE / "_granian_serve.py")]
        server = await start_server(
            children,
            tmp,
            database_url,
            launcher=launcher,
            workers=args.workers,
            redis_url=args.redis_url,
        )
        report["server_start_s"] = server.start_s
        say(
            f"server pid {server.proc.pid} ({args.workers} process(es)) up in {server.start_s} s "
            f"on {server.url}"
        )
        await asyncio.sleep(1)
        meter = Meter(server.proc.pid, watch_pg=args.db == "postgresql", workers=args.workers)
        before = meter.snap()
        report["server_rss_mb_before_sockets"] = round(before.server_rss / MB, 1)

        # probes spread evenly over the ranks (so over the ramp and the client processes)
        every = args.sessions / args.probes if args.probes else float("inf")
        probe_ranks = {int(i * every) for i in range(args.probes)}
        paths = [
            (f"/api/sessions/{s.session_id}/live?token={s.token}", rank in probe_ranks)
            for rank, s in enumerate(seeded)
        ]
        say(
            f"live: {args.sessions} sockets ({len(probe_ranks)} probes) in {args.clients} processes"
        )
        live = await drive(
            args,
            children,
            tmp,
            server.port,
            server.proc.pid,
            paths,
            args.ramp,
            args.duration,
            "live",
            profile=args.profile,
            before_sockets=before,
            watch_pg=args.db == "postgresql",
            origin=server.up_wall,
            workers=args.workers,
        )
        report["live"] = live
        report["server_exit_code"] = stop_server(server.proc)
        report["server_log_tail"] = tail(server.log, 15)
        if gc_log.exists():
            live["gc"] = gc_pauses(json.loads(gc_log.read_text()), *live["window_wall"])
        if diag_log.exists():
            entries = _attribution.load(diag_log)
            w0, w1 = live["window_wall"]
            deviations = [(at, lat) for at, lat in live.pop("_deviations") if w0 <= at < w1]
            live["attribution"] = {
                "deviations": _attribution.attribute(entries, deviations, server.up_wall),
                "window": _attribution.episodes(entries, w0, w1),
            }
        live.pop("_deviations", None)
        w0, w1 = live["window_wall"]
        stored = await stored_in_window(database_url, w0, w1)
        live["stored_in_window"] = stored
        live["ingested_per_s"] = round(stored["samples"] / args.duration, 1)
        cpu_s = live["window"]["server_cpu_pct"] / 100 * live["window"]["seconds"]
        live["server_cpu_us_per_sample"] = round(1e6 * cpu_s / max(1, stored["samples"]), 1)
        if "baseline" in report:
            bare_us = report["baseline"]["server_cpu_us_per_sample"]
            live["cpu_per_sample_vs_bare"] = round(live["server_cpu_us_per_sample"] / bare_us, 2)
        return report
    finally:
        await clean_up(children, args, pg_name, tmp)


# --- output ----------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    lv, n = report["live"], report["args"]["sessions"]
    cl, win, con = lv["clients"], lv["window"], lv["connect"]
    dev, push = cl["deviation_latency"], cl["push_latency"]
    stored = lv["stored_in_window"]
    offered = cl["sent_per_s"]
    base = report.get("baseline")
    workers = report["args"].get("workers", 1)
    rows = [
        ("backend", report["args"]["db"], f"source {report['source_digest']}"),
        (
            "server processes",
            f"{workers}",
            "setpoint serve --workers, Redis; CPU and RSS summed" if workers > 1 else "",
        ),
        ("sessions: sockets open / asked", f"{con['sockets']} / {n}", ""),
        ("seeding (not measured)", f"{report['seed_seconds']} s", "service layer, in-process"),
        (
            "connect all sockets",
            f"{con['seconds']} s",
            f"server CPU {con['server_cpu_pct']} %, "
            f"connect p99 {cl['connect_latency']['p99_ms']} ms",
        ),
        (
            "offered samples/s",
            f"{offered}",
            f"sent with t in the {lv['window_s']:g} s window; client send lag p99 "
            f"{cl['send_late_p99_ms']} ms, skipped {cl['skipped_sends']}",
        ),
        (
            "ingested samples/s",
            f"{lv['ingested_per_s']}",
            f"{stored['samples']} rows stored with t in the window "
            f"({100 * stored['samples'] / max(1, cl['sent_in_window']):.2f} % of sent)",
        ),
        (
            "refused / closed early",
            f"{sum(cl['errors'].values())} / {sum(cl['closed_early'].values())}",
            f"{cl['errors'] or ''} {cl['closed_early'] or ''}".strip(),
        ),
        (
            "ZoneDeviation latency p50 / p99",
            f"{dev['p50_ms']} / {dev['p99_ms']} ms",
            f"n={dev['n']}, max {dev['max_ms']} ms, over 100 ms: {cl['deviation_over_100ms']}; "
            f"stored in window {stored['ZoneDeviation']}",
        ),
        (
            "BackInZone latency p50 / p99",
            f"{cl['back_in_zone_latency']['p50_ms']} / {cl['back_in_zone_latency']['p99_ms']} ms",
            f"n={cl['back_in_zone_latency']['n']}; stored in window {stored['BackInZone']}",
        ),
        (
            "push latency p50 / p99",
            f"{push['p50_ms']} / {push['p99_ms']} ms",
            f"n={push['n']} heart_rate pushes, max {push['max_ms']} ms, "
            f"over 100 ms: {cl['push_over_100ms']}",
        ),
        (
            "  slowest seconds",
            f"{sum(1 for v in cl['max_ms_per_second'].values() if v > 100)} s over 100 ms",
            "since the server's start (max ms): "
            + ", ".join(
                f"{w['since_server_start_s']} ({w['max_ms']:g})" for w in cl["worst_seconds"]
            ),
        ),
        (
            "GET /healthz p50 / p99 (10/s)",
            f"{lv['healthz_latency']['p50_ms']} / {lv['healthz_latency']['p99_ms']} ms",
            f"max {lv['healthz_latency']['max_ms']} ms: the event loop's responsiveness",
        ),
        (
            "server CPU window / worst 1 s",
            f"{win['server_cpu_pct']} / {win['server_cpu_pct_max_1s']} %",
            f"100 % = one core; ramp {lv['ramp']['server_cpu_pct']} %",
        ),
        (
            "server CPU per sample",
            f"{lv['server_cpu_us_per_sample']} µs",
            (
                f"bare WebSocket {base['server_cpu_us_per_sample']} µs: "
                f"{lv['cpu_per_sample_vs_bare']} × bare"
                if base
                else "no baseline run"
            ),
        ),
        (
            "drain after the window",
            f"{lv['drain_s']} s",
            f"until the server used < {IDLE_CPU_PCT:g} % CPU",
        ),
        (
            "server RSS before / live",
            f"{report['server_rss_mb_before_sockets']} / {win['server_rss_mb']} MB",
            f"{lv['rss_kb_per_session']} KB per live session",
        ),
        (
            "clients CPU / loop lag p99",
            f"{win['clients_cpu_pct']} % / {cl['loop_lag_p99_ms']} ms",
            f"{lv['client_processes']} processes; others' CPU {win['others_cpu_pct']} %",
        ),
    ]
    if "gc" in lv:
        g = lv["gc"]
        rows.append(
            (
                "server GC pauses (window)",
                f"gen2 {g['gen2']['n']} × max {g['gen2']['max_ms']} ms",
                f"gen2 total {g['gen2']['total_ms']} ms; gen1 {g['gen1']['n']} × max "
                f"{g['gen1']['max_ms']} ms; gen0 total {g['gen0']['total_ms']} ms",
            )
        )
    if "server_cpu_pct_by_process" in win:
        rows.append(
            (
                "  by process (window)",
                f"{len(win['server_cpu_pct_by_process'])} processes",
                "supervisor first: "
                + ", ".join(f"{v:g} %" for v in win["server_cpu_pct_by_process"].values()),
            )
        )
    if report["args"]["db"] == "postgresql":
        rows.append(("postgres CPU window", f"{win['postgres_cpu_pct']} %", "all backends"))
    if "redis_cpu_pct" in win:
        rows.append(("redis CPU window", f"{win['redis_cpu_pct']} %", "redis-server"))
    if base:
        bp = base["clients"]["push_latency"]
        rows.append(
            (
                "bare: CPU / push p50 / p99",
                f"{base['window']['server_cpu_pct']} % / {bp['p50_ms']} / {bp['p99_ms']} ms",
                f"{base['clients']['sent_per_s']} samples/s, drain {base['drain_s']} s",
            )
        )
    kept_up = stored["samples"] >= 0.999 * cl["sent_in_window"] and not cl["closed_early"]
    on_time = dev["n"] > 0 and dev["p99_ms"] < TARGETS["notification_p99_ms"]
    at_size = n >= TARGETS["sessions"]
    if "attribution" in lv:
        ep = lv["attribution"]["window"]
        rows.append(
            (
                "window: loop stalls > 25 ms / GC",
                f"{ep['stalls']['n']} / {ep['gc']['n']}",
                f"longest stall {ep['stalls']['max_ms']} ms, GC {ep['gc']['max_ms']} ms "
                f"(total {ep['gc']['total_ms']} ms); where: {ep['stalls_by_place'] or '-'}",
            )
        )
        rows += _attribution.lines(
            "ZoneDeviation over 100 ms: causes", lv["attribution"]["deviations"]
        )
    width = max(len(r[0]) for r in rows) + 2
    out = [f"{k:<{width}}{v:<24}{note}" for k, v, note in rows]
    out.append("")
    out.append(
        f"target: {n} sessions × 1 Hz ingested (≥ 99.9 % stored, none closed): {verdict(kept_up)}"
    )
    out.append(f"target: sample-to-ZoneDeviation p99 < 100 ms: {verdict(on_time)}")
    if not at_size:
        out.append(f"(the target is at {TARGETS['sessions']} sessions; this run had {n})")
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sessions", type=int, default=1000, help="live sessions (and sockets)")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="admin URL; a scratch db is made beside")
    p.add_argument("--duration", type=float, default=60.0, help="steady window, seconds")
    p.add_argument("--ramp", type=float, help="seconds over which sessions start sending")
    p.add_argument("--settle", type=float, default=5.0, help="seconds between ramp and window")
    p.add_argument("--probes", type=int, help="sessions swinging out of band (max(100, 5 %%))")
    p.add_argument("--clients", type=int, default=2, help="client processes")
    add_workers_args(p)
    p.add_argument("--connect-concurrency", type=int, default=32, help="per client process")
    p.add_argument(
        "--baseline-seconds", type=float, default=20.0, help="bare WebSocket window (0: skip)"
    )
    p.add_argument("--drain-limit", type=float, default=60.0, help="seconds to wait for idle")
    p.add_argument("--profile", action="store_true", help="py-spy the server over the window")
    p.add_argument(
        "--no-diag",
        dest="diag",
        action="store_false",
        help="serve without recording stalls (bench/_diag_serve.py), so no attribution",
    )
    p.add_argument(
        "--gc-log", action="store_true", help="record the server's GC pauses (bench/_gc_serve.py)"
    )
    p.add_argument(
        "--gc-freeze-after",
        type=float,
        help="experiment: gc.freeze() in the server this many seconds after its start",
    )
    p.add_argument(
        "--ws",
        choices=("websockets", "websockets-sansio", "wsproto"),
        help="uvicorn's WebSocket implementation for the bare app and the server (default: "
        "`websockets-sansio`, as `setpoint serve`; the server's needs the diag launcher)",
    )
    p.add_argument(
        "--server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="ASGI server of the bare app and of Setpoint (granian: bench/_granian_serve.py, "
        "no stall attribution)",
    )
    add_run_args(p)
    args = p.parse_args(argv)
    check_workers_args(p, args)
    if args.ws and (not args.diag or args.workers > 1 or args.gc_log or args.gc_freeze_after):
        p.error("--ws: one process, with the diag launcher (no --no-diag, --gc-log, --workers)")
    if args.server == "granian" and (args.ws or args.workers > 1 or args.gc_log):
        p.error("--server granian: one process, without --ws or --gc-log")
    if args.server == "granian":
        args.diag = False
    if args.ws:
        os.environ[WS_VARIABLE] = args.ws  # read by the bare app and bench/_diag_serve.py
    if not 1 <= args.sessions <= 20_000:
        p.error("--sessions: 1..20000")
    if args.probes is None:
        args.probes = min(args.sessions, max(100, args.sessions // 20))
    args.probes = max(0, min(args.probes, args.sessions))
    if args.ramp is None:
        args.ramp = max(10.0, args.sessions / 500)  # trackers are built at ≤ 500/s
    return args


def main() -> None:
    run_main(parse_args(), run, table)


if __name__ == "__main__":
    main()

"""Sessions bench: N concurrent live sessions on one `setpoint serve` process.

    .venv/bin/python bench/sessions.py --sessions 1000 [--db sqlite|postgresql] [--quick]
    .venv/bin/python bench/sessions.py --sessions 10000 --db postgresql --workers 2

`--workers N` (N > 1: PostgreSQL, and Redis at `--redis-url`) runs `setpoint serve --workers N`;
the server's CPU and RSS are then summed over the supervisor and its processes, and the
restart kills all of them.

What it does, in order, on loopback only:
1. a fresh database (a temp SQLite file, or a scratch PostgreSQL database with
   `--db postgresql`), migrated and seeded through the service layer: N athletes with a
   token, a workout and a `not_started` session each, plus a small pool of started sessions
   for the GET measurement;
2. a real `setpoint serve` process (fast argon2, `SETPOINT_LOG_LEVEL=warning`);
3. GET: requests/s of `GET /api/sessions/{id}` and of a bare FastAPI endpoint answering a
   document of the same size (`bench/_bare_app.py`, same uvicorn flags), with the same
   closed-loop load generator (`bench/_http_load.py`), rounds alternated;
4. live: N WebSocket clients (`bench/_live_clients.py`, several processes) connect, then
   start their sessions over their sockets at a steady rate; during the following window
   the bench sends pause/resume/skip commands over HTTP at a fixed rate and measures their
   latency, while the clients record how late each segment-boundary notification arrives
   (receive time minus the event's `at`; both on this machine's clock);
5. server CPU and RSS from /proc/<pid> in each phase, RSS per session; other processes'
   CPU on the machine, so a disturbed run can be told apart;
6. a table, the targets met or not, and optionally `--json PATH`.

Everything it starts is stopped on exit (also on Ctrl-C); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import _attribution
from _common import (
    fds,
    free_port,
    process_tree,
    summary_ms,
    threads,
    verdict,  # bench/ is on sys.path: these are run as scripts
)
from _harness import (
    CHILDREN,
    DEFAULT_PG,
    HERE,
    MB,
    PY,
    Children,
    Meter,
    Server,
    Snapshot,
    add_run_args,
    add_workers_args,
    check_workers_args,
    clean_up,
    diag_launcher,
    finish_profile,
    gc_launcher,
    gc_pauses,
    kill_tree,
    machine_busy_s,
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

TARGETS = {
    "sessions": 10_000,
    "boundary_p99_ms": 100.0,
    "get_ratio": 0.8,  # DESIGN §8: ≥ 0.8 × a bare endpoint of the same payload
    "command_p99_ms": 20.0,
    "restart_s": 3.0,
    "restart_elapsed_error_s": 1.0,
}
RESTART_SAMPLE = 500  # sessions whose state is compared across the restart

# --- database ------------------------------------------------------------------------------


async def logged_boundaries(
    database_url: str, live_ids: set[str], since: float, until: float
) -> int:
    """Boundary events (auto segment changes, plan completions) the server committed for the
    live sessions with `at` in [since, until]: what the clients should have received."""
    from sqlalchemy import select

    from setpoint.db.engine import Database
    from setpoint.sessions.tables import SessionEvent

    db = Database(database_url)
    try:
        async with db.transaction(write=False) as uow:
            rows = await uow.session.execute(
                select(SessionEvent.session_id, SessionEvent.type, SessionEvent.payload).where(
                    SessionEvent.at >= since,
                    SessionEvent.at <= until,
                    SessionEvent.type.in_(("SegmentChanged", "SessionCompleted")),
                )
            )
            return sum(
                1
                for sid, kind, payload in rows
                if str(sid) in live_ids and payload.get("reason") in ("auto", "finished_plan")
            )
    finally:
        await db.dispose()


# --- GET: setpoint vs a bare FastAPI endpoint ----------------------------------------------


async def http_load(
    children: Children,
    tmp: Path,
    port: int,
    requests: list[Any],
    args: argparse.Namespace,
    tag: str,
) -> dict[str, Any]:
    spec = tmp / f"requests-{tag}.json"
    spec.write_text(json.dumps(requests))
    proc = await children.start_piped(
        [
            PY,
            str(HERE / "_http_load.py"),
            "--port",
            str(port),
            "--requests",
            str(spec),
            "--connections",
            str(args.get_connections),
            "--warmup",
            str(args.get_warmup),
            "--duration",
            str(args.get_seconds),
        ],
        tmp / "http_load.log",
    )
    out, _ = await asyncio.wait_for(proc.communicate(), args.get_warmup + args.get_seconds + 60)
    if proc.returncode != 0 or not out:
        raise RuntimeError(f"load generator failed:\n{tail(tmp / 'http_load.log')}")
    return json.loads(out.decode().strip().splitlines()[-1])


async def latency_floor(url: str, path: str, headers: dict[str, str], n: int) -> dict[str, Any]:
    """Sequential httpx GETs of the bare endpoint: the command client's own overhead."""
    lat = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            await client.get(path, headers=headers)
            lat.append(time.perf_counter() - t0)
    return summary_ms(lat[5:])


async def get_phase(
    args: argparse.Namespace,
    children: Children,
    tmp: Path,
    url: str,
    port: int,
    server_pid: int,
    pool: list[Any],
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        sample = await client.get(
            f"/api/sessions/{pool[0].session_id}",
            headers={"Authorization": f"Bearer {pool[0].token}"},
        )
    sample.raise_for_status()
    payload = tmp / "payload.json"
    payload.write_bytes(sample.content)
    bare_port = free_port()
    bare_log = tmp / "bare.log"
    bare = children.start(
        [PY, str(HERE / "_bare_app.py"), "--port", str(bare_port), "--payload", str(payload)],
        None,
        bare_log,
    )
    await wait_up(f"http://127.0.0.1:{bare_port}", bare, bare_log)
    auth = [{"Authorization": f"Bearer {s.token}"} for s in pool]
    targets = {
        "setpoint": (
            port,
            [[f"/api/sessions/{s.session_id}", h] for s, h in zip(pool, auth, strict=True)],
        ),
        "bare_raw": (
            bare_port,
            [[f"/bare/raw/{s.session_id}", h] for s, h in zip(pool, auth, strict=True)],
        ),
        "bare_dict": (
            bare_port,
            [[f"/bare/dict/{s.session_id}", h] for s, h in zip(pool, auth, strict=True)],
        ),
    }
    floor = await latency_floor(
        f"http://127.0.0.1:{bare_port}", f"/bare/raw/{pool[0].session_id}", auth[0], 300
    )
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in targets}
    get_profile = None
    for r in range(args.get_rounds):
        order = list(targets) if r % 2 == 0 else list(reversed(targets))
        for name in order:
            target_port, requests = targets[name]
            pid = server_pid if name == "setpoint" else bare.pid
            c0, m0 = server_cpu_seconds(pid), machine_busy_s()
            t0 = time.monotonic()
            profile = None
            if args.profile and name == "setpoint" and r == 0:
                profile = await start_profile(
                    children, tmp, pid, args.get_warmup + args.get_seconds, "get"
                )
            result = await http_load(children, tmp, target_port, requests, args, name)
            span = time.monotonic() - t0
            if profile is not None:
                get_profile = await finish_profile(profile, tmp)
            cpu = server_cpu_seconds(pid) - c0
            result["server_cpu_pct"] = round(100 * cpu / span, 1)
            result["machine_cpu_pct"] = round(100 * (machine_busy_s() - m0) / span, 1)
            runs[name].append(result)
            say(
                f"  GET {name:9s} round {r + 1}: {result['rps']:8.1f} req/s "
                f"p99 {result['latency']['p99_ms']} ms, statuses {result['statuses']}, "
                f"generator {result['generator_cpu_pct']} % CPU"
            )
    Children.stop(bare)
    best = {k: max(v, key=lambda x: x["rps"]) for k, v in runs.items()}
    mean = {k: sum(x["rps"] for x in v) / len(v) for k, v in runs.items()}
    return {
        "payload_bytes": len(sample.content),
        "bare_payload_bytes": payload.stat().st_size,
        "connections": args.get_connections,
        "seconds_per_round": args.get_seconds,
        "rounds": runs,
        "mean_rps": {k: round(v, 1) for k, v in mean.items()},
        "ratio_vs_bare_raw": round(mean["setpoint"] / mean["bare_raw"], 3),
        "ratio_vs_bare_dict": round(mean["setpoint"] / mean["bare_dict"], 3),
        "setpoint_latency": best["setpoint"]["latency"],
        "non_200": sum(n for x in runs["setpoint"] for s, n in x["statuses"].items() if s != "200"),
        "httpx_floor": floor,
        "profile": get_profile,
    }


# --- live: sockets, starts, commands ----------------------------------------------------------


@dataclass
class CommandResult:
    t: float
    wall: float  # time.time() when it was sent
    command: str
    status: int
    latency: float


async def drive_commands(
    url: str, sessions: list[Any], rate: float, seconds: float
) -> list[CommandResult]:
    """pause / resume / skip at a fixed rate (open loop) on random live sessions, over HTTP
    with an `Idempotency-Key` each, as a phone would; one command in flight per session."""
    rng = random.Random(20260302)
    paused: set[str] = set()
    busy: set[str] = set()
    results: list[CommandResult] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def one(session: Any, command: str, t: float) -> None:
            headers = {
                "Authorization": f"Bearer {session.token}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            t0, wall = time.perf_counter(), time.time()
            try:
                response = await client.post(
                    f"/api/sessions/{session.session_id}/{command}", headers=headers
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 599
            results.append(CommandResult(t, wall, command, status, time.perf_counter() - t0))
            busy.discard(session.session_id)

        t0 = time.monotonic()
        tasks = []
        for k in range(int(rate * seconds)):
            delay = t0 + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            session = rng.choice(sessions)
            for _ in range(20):
                if session.session_id not in busy:
                    break
                session = rng.choice(sessions)
            else:
                continue
            sid = session.session_id
            if sid in paused:
                command = "resume"
                paused.discard(sid)
            else:
                command = rng.choice(("pause", "pause", "skip"))
                if command == "pause":
                    paused.add(sid)
            busy.add(sid)
            tasks.append(asyncio.create_task(one(session, command, time.monotonic() - t0)))
        if tasks:
            await asyncio.wait(tasks, timeout=60)
    return results


async def live_phase(
    args: argparse.Namespace,
    children: Children,
    tmp: Path,
    url: str,
    meter: Meter,
    live: list[Any],
    server_started_wall: float,
) -> dict[str, Any]:
    server_started_mono = time.monotonic() - (time.time() - server_started_wall)
    k = max(1, min(args.clients, len(live)))
    shares = [live[i::k] for i in range(k)]
    profiles: dict[str, Any] = {}
    profile = None
    if args.profile:
        profile = await start_profile(children, tmp, meter.server_pid, 600, "connect")
    procs = []
    for i, share in enumerate(shares):
        config = tmp / f"clients-{i}.json"
        config.write_text(
            json.dumps(
                {
                    "url": url.replace("http://", "ws://"),
                    "sessions": [[s.session_id, s.token] for s in share],
                    "connect_concurrency": args.connect_concurrency,
                    "open_timeout": 60,
                }
            )
        )
        procs.append(
            await children.start_piped(
                [PY, str(HERE / "_live_clients.py"), str(config)], tmp / f"clients-{i}.log"
            )
        )
    meter.client_pids = [p.pid for p in procs]
    logs = [tmp / f"clients-{i}.log" for i in range(k)]
    out: dict[str, Any] = {"client_processes": k}

    # connect
    s0 = meter.snap()
    connect_timeout = 120 + len(live) / 20
    connected = await asyncio.gather(
        *(read_event(p, connect_timeout, lg) for p, lg in zip(procs, logs, strict=False))
    )
    s1 = meter.snap()
    profiles["connect"] = await finish_profile(profile, tmp)
    sockets = sum(c["sockets"] for c in connected)
    errors: dict[str, int] = {}
    for c in connected:
        for e, n in c["errors"].items():
            errors[e] = errors.get(e, 0) + n
    out["connect"] = {
        "sockets": sockets,
        "errors": errors,
        "seconds": round(max(c["seconds"] for c in connected), 2),
        **Meter.phase(s0, s1),
    }
    say(
        f"  connected {sockets}/{len(live)} sockets in {out['connect']['seconds']} s "
        f"(server {out['connect']['server_cpu_pct']} % CPU, "
        f"RSS {out['connect']['server_rss_mb']} MB)" + (f", errors {errors}" if errors else "")
    )
    await asyncio.sleep(2)
    idle0 = meter.snap()
    await asyncio.sleep(3)
    idle1 = meter.snap()
    out["idle_sockets"] = Meter.phase(idle0, idle1)
    out["server_fds"] = sum(fds(pid) for pid in process_tree(meter.server_pid))

    # start every session over its socket, paced
    start_timeout = args.start_limit
    if args.profile:
        profile = await start_profile(children, tmp, meter.server_pid, 600, "start")
    start_t = time.time()
    for p in procs:
        await tell(
            p,
            {
                "cmd": "start",
                "rate": args.start_rate / k,
                "inflight": max(1, args.start_inflight // k),
                "timeout": start_timeout,
            },
        )
    started = await asyncio.gather(
        *(read_event(p, start_timeout + 60, lg) for p, lg in zip(procs, logs, strict=False))
    )
    s2 = meter.snap()
    profiles["start"] = await finish_profile(profile, tmp)
    start_errors: dict[str, int] = {}
    for s in started:
        for e, n in s["errors"].items():
            start_errors[e] = start_errors.get(e, 0) + n
    out["start"] = {
        "rate_per_s": args.start_rate,
        "acks": sum(s["acks"] for s in started),
        "errors": start_errors,
        "seconds": round(max(s["done_s"] for s in started), 2),
        **Meter.phase(idle1, s2),
    }
    say(
        f"  started {out['start']['acks']} sessions over their sockets in "
        f"{out['start']['seconds']} s (server {out['start']['server_cpu_pct']} % CPU)"
        + (f", errors {start_errors}" if start_errors else "")
    )

    # steady window: commands over HTTP, boundaries arriving on the sockets
    steady_t = time.time()
    steady_mono = time.monotonic()
    samples: list[Snapshot] = [s2]

    async def sample() -> None:
        while True:
            await asyncio.sleep(1)
            samples.append(meter.snap())

    sampler = asyncio.create_task(sample())
    if args.profile:
        profile = await start_profile(children, tmp, meter.server_pid, args.window, "steady")
    commands = await drive_commands(url, live, args.command_rate, args.window)
    remaining = args.window - (time.monotonic() - s2.t)
    if remaining > 0:
        await asyncio.sleep(remaining)
    sampler.cancel()
    s3 = meter.snap()
    profiles["steady"] = await finish_profile(profile, tmp)
    out["profile"] = profiles
    stop_t = time.time()
    out["steady"] = Meter.phase(s2, s3)
    per_second = [Meter.phase(a, b)["server_cpu_pct"] for a, b in itertools.pairwise(samples)]
    out["steady"]["server_cpu_pct_max_1s"] = max(per_second) if per_second else None
    out["server_threads"] = sum(threads(pid) for pid in process_tree(meter.server_pid))

    # stop the clients: their records
    for p in procs:
        await tell(p, {"cmd": "stop"})
    results = await asyncio.gather(
        *(read_event(p, 120, lg) for p, lg in zip(procs, logs, strict=False))
    )
    for p in procs:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(p.wait(), 30)

    ok = [c for c in commands if 200 <= c.status < 300]
    by_status: dict[str, int] = {}
    for c in commands:
        by_status[str(c.status)] = by_status.get(str(c.status), 0) + 1
    slowest = sorted(commands, key=lambda c: -c.latency)[:8]
    out["commands"] = {
        "rate_per_s": args.command_rate,
        "statuses": by_status,
        "latency_2xx": summary_ms([c.latency for c in ok]),
        "by_command": {
            name: summary_ms([c.latency for c in ok if c.command == name])
            for name in ("pause", "resume", "skip")
        },
        "slowest": [
            {
                "since_server_start_s": round(c.t + steady_mono - server_started_mono, 2),
                "command": c.command,
                "ms": round(c.latency * 1000, 1),
            }
            for c in slowest
        ],
    }
    boundaries = [tuple(b) for r in results for b in r["boundaries"]]
    late = [b[1] for b in boundaries]
    steady_late = [b[1] for b in boundaries if b[0] >= steady_t]
    buckets: dict[int, list[float]] = {}
    for at, lateness in boundaries:
        buckets.setdefault(int(at - server_started_wall), []).append(lateness)
    worst = sorted(buckets.items(), key=lambda kv: -max(kv[1]))[:8]
    out["boundaries"] = {
        "received": len(boundaries),
        "worst_seconds": [
            {"since_server_start_s": t, "n": len(v), "max_ms": round(max(v) * 1000, 1)}
            for t, v in sorted(worst)
        ],
        "lateness": summary_ms(late),
        "lateness_steady_window": summary_ms(steady_late),
        "early": sum(1 for x in late if x < 0),
        "late_over_100ms": sum(1 for x in late if x > 0.1),
        "steady_per_s": round(len(steady_late) / max(1e-9, stop_t - steady_t), 1),
        "window": [start_t, stop_t],
    }
    closed: dict[str, int] = {}
    for r in results:
        for code, n in r["closed_early"].items():
            closed[code] = closed.get(code, 0) + n
    out["clients"] = {
        "messages": sum(r["messages"] for r in results),
        "closed_early": closed,
        "loop_lag_p99_ms": max((r["loop_lag_p99_ms"] or 0) for r in results),
        "loop_lag_max_ms": max((r["loop_lag_max_ms"] or 0) for r in results),
        "cpu_s": round(sum(r["cpu_s"] for r in results), 1),
        "max_rss_mb": [r["max_rss_mb"] for r in results],
        "start_ack": summary_ms([x for r in results for x in r["start_ack_s"]]),
        "connect_latency": summary_ms([x for r in results for x in r["connect_latency_s"]]),
    }
    out["_boundary_at"] = [b[0] for b in boundaries]
    out["_slow"] = {
        "commands": [(c.wall, c.latency) for c in ok],
        "boundaries": [(at, lateness) for at, lateness in boundaries],
        "steady": [steady_t, stop_t],
    }
    return out


# --- the run -----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from _seed import seed

    tmp = Path(tempfile.mkdtemp(prefix="setpoint-bench-"))
    children = CHILDREN
    pg_name: str | None = None
    report: dict[str, Any] = report_header(args, TARGETS)
    try:
        report["others_cpu_pct_before"] = await wait_for_quiet(args.wait_quiet)
        database_url, pg_name = await make_database(args, tmp)
        say(f"seeding {args.sessions} live + {args.pool} GET-pool athletes on {args.db} ...")
        lo, hi = args.first_segment
        live, pool, seed_s = await seed(
            database_url, args.sessions, args.pool, lo, hi, args.interval, 4, say
        )
        report["seed_seconds"] = round(seed_s, 1)

        gc_log, diag_log = tmp / "gc.json", tmp / "diag.jsonl"
        launcher = diag_launcher(diag_log) if args.diag else gc_launcher(gc_log, args.gc_log)
        started = await start_server(
            children,
            tmp,
            database_url,
            launcher=launcher,
            workers=args.workers,
            redis_url=args.redis_url,
        )
        server, url, port, up_wall = started.proc, started.url, started.port, started.up_wall
        server_log = started.log
        report["server_start_s"] = started.start_s
        meter = Meter(server.pid, watch_pg=args.db == "postgresql", workers=args.workers)
        report["server_rss_mb_started"] = round(meter.snap().server_rss / MB, 1)
        say(
            f"server pid {server.pid} ({args.workers} process(es)) up in "
            f"{report['server_start_s']} s on {url}"
        )

        say("GET /api/sessions/{id} vs bare FastAPI, same payload size ...")
        report["get"] = await get_phase(args, children, tmp, url, port, server.pid, pool)

        await asyncio.sleep(1)
        base = meter.snap()
        report["server_rss_mb_before_live"] = round(base.server_rss / MB, 1)
        say(f"live: {args.sessions} sockets in {args.clients} client processes ...")
        live_out = await live_phase(args, children, tmp, url, meter, live, up_wall)
        boundary_at = live_out.pop("_boundary_at")
        slow = live_out.pop("_slow")
        report["live"] = live_out
        rss_live = live_out["steady"]["server_rss_mb"]
        report["server_rss_mb_live"] = rss_live
        report["rss_kb_per_session"] = round(
            (rss_live - report["server_rss_mb_before_live"]) * 1024 / max(1, args.sessions), 1
        )

        say("restart: SIGKILL with every session active, then serve again ...")
        sample = (live + pool)[:: max(1, (len(live) + len(pool)) // RESTART_SAMPLE)]
        report["restart"], again = await restart_phase(
            children, tmp, database_url, started, sample, args
        )
        report["server_log_tail"] = tail(server_log, 15)
        report["server_exit_code"] = stop_server(again.proc)
        if gc_log.exists():  # pause times in seconds since the server started
            report["gc"] = gc_pauses(json.loads(gc_log.read_text()), up_wall, time.time())
        if args.diag:
            entries = _attribution.load(diag_log)
            if args.gc_log:
                report["gc"] = gc_pauses(_attribution.gc_log(entries), up_wall, time.time())
            report["attribution"] = {
                "commands": _attribution.attribute(
                    entries, slow["commands"], up_wall, own_write="get_uow"
                ),
                "boundaries": _attribution.attribute(entries, slow["boundaries"], up_wall),
                "steady_window": _attribution.episodes(entries, *slow["steady"]),
            }
        since, until = live_out["boundaries"]["window"]
        until -= 2.0  # the last notifications may still be in flight at the stop
        expected = await logged_boundaries(database_url, {s.session_id for s in live}, since, until)
        got = sum(1 for at in boundary_at if since <= at <= until)
        live_out["boundaries"]["committed_in_window"] = expected
        live_out["boundaries"]["received_in_window"] = got
        return report
    finally:
        await clean_up(children, args, pg_name, tmp)


# --- restart: SIGKILL with every session active, then serve again --------------------------------


async def states(url: str, sessions: list[Any]) -> dict[str, dict[str, Any]]:
    """The state of each session, one GET after the other."""
    out = {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for s in sessions:
            r = await client.get(
                f"/api/sessions/{s.session_id}", headers={"Authorization": f"Bearer {s.token}"}
            )
            r.raise_for_status()
            out[s.session_id] = r.json()
    return out


async def restart_phase(
    children: Children,
    tmp: Path,
    database_url: str,
    server: Server,
    sessions: list[Any],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], Server]:
    """Kill the server (SIGKILL: no shutdown work) while every session is active, start it
    again and time it until `/healthz` answers (start-up recovery included); then compare
    each running session's `elapsed_s` with the truth (its elapsed before the kill plus the
    server time passed) and its revision with the one acknowledged before. The figures, and
    the server now running. With `--workers` every process of the server is killed."""
    before = await states(server.url, sessions)
    kill_tree(server.proc.pid)
    server.proc.wait()
    again = await start_server(
        children, tmp, database_url, workers=args.workers, redis_url=args.redis_url
    )
    after = await states(again.url, sessions)
    errors, regressed = [], 0
    for sid, old in before.items():
        new = after[sid]
        regressed += new["revision"] < old["revision"]
        if old["status"] == new["status"] == "in_progress" and old["revision"] == new["revision"]:
            truth = old["elapsed_s"] + (new["server_time"] - old["server_time"])
            errors.append(abs(new["elapsed_s"] - truth))
    figures = {
        "serving_again_s": again.start_s,
        "sessions_compared": len(errors),
        "elapsed_error_max_s": round(max(errors, default=0.0), 3),
        "revisions_regressed": regressed,
    }
    return figures, again


# --- output ----------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    g, lv = report["get"], report["live"]
    b, c, cl = lv["boundaries"], lv["commands"], lv["clients"]
    lat, steady, ok2 = b["lateness"], b["lateness_steady_window"], c["latency_2xx"]
    con, st, sd = lv["connect"], lv["start"], lv["steady"]
    rps = g["mean_rps"]
    n = report["args"]["sessions"]
    held = con["sockets"] == n and not cl["closed_early"]
    all_started = st["acks"] == n
    on_time = lat["p99_ms"] < TARGETS["boundary_p99_ms"]
    workers = report["args"].get("workers", 1)
    rows = [
        ("backend", report["args"]["db"], ""),
        (
            "server processes",
            f"{workers}",
            "setpoint serve --workers, Redis; CPU and RSS summed" if workers > 1 else "",
        ),
        (
            "live sessions: sockets open / asked",
            f"{con['sockets']} / {n}",
            f"closed early: {cl['closed_early'] or 0}",
        ),
        ("seeding (not measured)", f"{report['seed_seconds']} s", "service layer, in-process"),
        (
            "connect all sockets",
            f"{con['seconds']} s",
            f"server CPU {con['server_cpu_pct']} %, "
            f"connect p99 {cl['connect_latency']['p99_ms']} ms",
        ),
        (
            "start all over WS",
            f"{st['acks']} in {st['seconds']} s",
            f"ack p50 {cl['start_ack']['p50_ms']} / p99 {cl['start_ack']['p99_ms']} ms, "
            f"server CPU {st['server_cpu_pct']} %, errors {st['errors'] or 0}",
        ),
        (
            "command latency p50 / p99",
            f"{ok2['p50_ms']} / {ok2['p99_ms']} ms",
            f"{ok2['n']} x 2xx at {c['rate_per_s']}/s, statuses {c['statuses']}, "
            f"client floor p50 {g['httpx_floor']['p50_ms']} ms",
        ),
        (
            "boundary lateness p50 / p99",
            f"{lat['p50_ms']} / {lat['p99_ms']} ms",
            f"n={b['received']}, max {lat['max_ms']} ms, over 100 ms: {b['late_over_100ms']}",
        ),
        (
            "  steady window only",
            f"{steady['p50_ms']} / {steady['p99_ms']} ms",
            f"n={steady['n']}, {b['steady_per_s']} boundaries/s",
        ),
        (
            "boundaries received / committed",
            f"{b.get('received_in_window')} / {b.get('committed_in_window')}",
            "the server's event log, same window",
        ),
        (
            "server CPU idle sockets / steady",
            f"{lv['idle_sockets']['server_cpu_pct']} / {sd['server_cpu_pct']} %",
            f"worst second {sd['server_cpu_pct_max_1s']} %; 100 % = one core",
        ),
        (
            "server RSS before live / live",
            f"{report['server_rss_mb_before_live']} / {report['server_rss_mb_live']} MB",
            f"{report['rss_kb_per_session']} KB per live session",
        ),
        (
            "GET /api/sessions/{id}",
            f"{rps['setpoint']} req/s",
            f"p99 {g['setpoint_latency']['p99_ms']} ms, {g['payload_bytes']} B, "
            f"non-200: {g['non_200']}",
        ),
        ("bare FastAPI Response(bytes)", f"{rps['bare_raw']} req/s", "same payload size"),
        ("bare FastAPI return dict", f"{rps['bare_dict']} req/s", "same payload size"),
        (
            "GET ratio vs bytes / dict",
            f"{g['ratio_vs_bare_raw']} / {g['ratio_vs_bare_dict']}",
            f"{g['connections']} connections, {len(g['rounds']['setpoint'])} x "
            f"{g['seconds_per_round']} s each",
        ),
        (
            "others' CPU before / steady",
            f"{report['others_cpu_pct_before']} / {sd['others_cpu_pct']} %",
            "processes not of this bench, % of one core",
        ),
        (
            "client loop lag p99 / max",
            f"{cl['loop_lag_p99_ms']} / {cl['loop_lag_max_ms']} ms",
            f"{lv['client_processes']} processes, {sd['clients_cpu_pct']} % CPU steady",
        ),
    ]
    rs = report["restart"]
    rows.append(
        (
            "restart after SIGKILL: serving in",
            f"{rs['serving_again_s']} s",
            f"{rs['sessions_compared']} running sessions: elapsed error max "
            f"{rs['elapsed_error_max_s']} s, revisions regressed {rs['revisions_regressed']}",
        )
    )
    if "gc" in report:
        gen2 = report["gc"]["gen2"]
        pauses = zip(report["gc"]["gen2_at_s"], report["gc"]["gen2_ms"], strict=True)
        at = ", ".join(f"{t:g} s ({ms:g} ms)" for t, ms in pauses)
        rows.append(
            (
                "server GC gen2 pauses",
                f"{gen2['n']} × max {gen2['max_ms']} ms",
                f"since start: {at}",
            )
        )
    if "server_cpu_pct_by_process" in sd:
        rows.append(
            (
                "  by process (steady)",
                f"{len(sd['server_cpu_pct_by_process'])} processes",
                "supervisor first: "
                + ", ".join(f"{v:g} %" for v in sd["server_cpu_pct_by_process"].values()),
            )
        )
    if report["args"]["db"] == "postgresql":
        rows.append(("postgres CPU steady", f"{sd['postgres_cpu_pct']} %", "all backends"))
    if "redis_cpu_pct" in sd:
        rows.append(("redis CPU steady", f"{sd['redis_cpu_pct']} %", "redis-server"))
    over = g["ratio_vs_bare_dict"] >= TARGETS["get_ratio"]
    targets = [
        (
            "10k live sessions on one node",
            f"{verdict(held and on_time)} (sockets held: {held}, all started: {all_started}, "
            f"notifications on time: {on_time})"
            if n >= TARGETS["sessions"]
            else f"n/a (ran {n}; held: {held}, all started: {all_started})",
        ),
        ("boundary p99 < 100 ms", verdict(lat["p99_ms"] < TARGETS["boundary_p99_ms"])),
        (
            f"GET >= {TARGETS['get_ratio']} x bare",
            f"{verdict(g['ratio_vs_bare_raw'] >= TARGETS['get_ratio'])} (vs bytes; "
            f"vs dict: {verdict(over)})",
        ),
        ("command p99 < 20 ms", verdict(ok2["p99_ms"] < TARGETS["command_p99_ms"])),
        (
            "restart < 3 s, elapsed ± 1 s",
            verdict(
                rs["serving_again_s"] < TARGETS["restart_s"]
                and rs["elapsed_error_max_s"] <= TARGETS["restart_elapsed_error_s"]
                and not rs["revisions_regressed"]
            ),
        ),
    ]
    if "attribution" in report:
        at = report["attribution"]
        ep = at["steady_window"]
        rows.append(
            (
                "steady: loop stalls > 25 ms / GC",
                f"{ep['stalls']['n']} / {ep['gc']['n']}",
                f"longest stall {ep['stalls']['max_ms']} ms, GC {ep['gc']['max_ms']} ms; "
                f"where: {ep['stalls_by_place'] or '-'}",
            )
        )
        for label, w in list(ep["writes"].items())[:4]:
            rows.append(
                (
                    f"  writer: {label}",
                    f"{w['n']} transactions",
                    f"hold max {w['hold_max_ms']} ms, wait max {w['wait_max_ms']} ms",
                )
            )
        rows += _attribution.lines("commands over 100 ms: causes", at["commands"])
        rows += _attribution.lines("boundaries over 100 ms late: causes", at["boundaries"])
    width = max(len(r[0]) for r in rows) + 2
    out = [f"{k:<{width}}{v:<22}{note}" for k, v, note in rows]
    out.append("")
    out += [f"target: {k:<32}{v}" for k, v in targets]
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sessions", type=int, default=1000, help="live sessions (and sockets)")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="admin URL; a scratch db is made beside")
    p.add_argument("--quick", action="store_true", help="short phases (a smoke run)")
    p.add_argument("--clients", type=int, default=2, help="WebSocket client processes")
    add_workers_args(p)
    p.add_argument("--connect-concurrency", type=int, default=32, help="per client process")
    p.add_argument("--pool", type=int, default=100, help="started sessions the GETs cycle over")
    p.add_argument("--get-seconds", type=float, default=8.0)
    p.add_argument("--get-warmup", type=float, default=2.0)
    p.add_argument("--get-rounds", type=int, help="default 2 (1 from 8000 sessions on)")
    p.add_argument("--get-connections", type=int, default=32)
    p.add_argument("--start-rate", type=float, default=500.0, help="at most, starts per second")
    p.add_argument("--start-inflight", type=int, default=32, help="unanswered starts, in all")
    p.add_argument(
        "--start-limit", type=float, default=150.0, help="seconds the starts may take at most"
    )
    p.add_argument("--window", type=float, default=75.0, help="steady seconds after the starts")
    p.add_argument("--command-rate", type=float, default=20.0, help="HTTP commands per second")
    p.add_argument("--first-segment", default="20-60", help="first segment range, seconds")
    p.add_argument("--interval", type=int, default=30, help="later segments, seconds")
    p.add_argument("--profile", action="store_true", help="py-spy the server during the live phase")
    p.add_argument(
        "--gc-log", action="store_true", help="record the server's GC pauses (bench/_gc_serve.py)"
    )
    p.add_argument(
        "--no-diag",
        dest="diag",
        action="store_false",
        help="serve without recording stalls (bench/_diag_serve.py), so no attribution",
    )
    add_run_args(p)
    args = p.parse_args(argv)
    check_workers_args(p, args)
    if args.quick:
        args.get_seconds, args.get_warmup, args.get_rounds = 4.0, 1.0, 1
        args.window = min(args.window, 35.0)
        if args.first_segment == "20-60":
            args.first_segment = "10-25"
        args.interval = min(args.interval, 15)
    if args.get_rounds is None:
        args.get_rounds = 2 if args.sessions < 8000 else 1
    lo, _, hi = args.first_segment.partition("-")
    args.first_segment = (int(lo), int(hi or lo))
    if not 1 <= args.sessions <= 20_000:
        p.error("--sessions: 1..20000")
    if args.sessions + args.pool > 20_000:
        p.error("--sessions + --pool must stay under 20000")
    return args


def main() -> None:
    run_main(parse_args(), run, table)


if __name__ == "__main__":
    main()

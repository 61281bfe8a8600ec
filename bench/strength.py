"""Strength bench (ratios to a state read): logging a set and reading the progress, against a
state read, for athletes with 0, 1,000 and 10,000 sets of history.

    .venv/bin/python bench/strength.py [--db sqlite|postgresql] [--quick] [--json PATH]

What it does, on loopback only:
1. a fresh database (a temp SQLite file, or a scratch PostgreSQL database with
   `--db postgresql`), migrated and seeded through the service layer: for each history size,
   `--athletes` athletes with a workout of one standard exercise of 50 sets
   (no rest: each set moves the live session on to the next), and that many earlier sets of
   the exercise (one past session each, spread over three years, records counted);
2. a real `setpoint serve` process (fast argon2, `SETPOINT_LOG_LEVEL=warning`);
3. for each history size, in this order: a log-in and a new attempt per athlete (over
   HTTP, not measured), then `GET /api/sessions/{id}` (the yardstick), `GET
   /api/sessions/{id}/draft` (one indexed read through FastAPI and a transaction: the floor
   of a database route), `POST /api/sessions/{id}/sets` and `GET
   /api/sessions/{id}/progress`; each one athlete at a
   time (one request in flight), then all athletes at once (one request in flight each);
4. server CPU per request from /proc/<pid> around each batch (and PostgreSQL's backends' with
   `--db postgresql`), client latency p50/p99, the ratios to the state read and between
   history sizes, and the targets met or not.

Everything it starts is stopped on exit (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from _common import cpu_seconds, processes_named, summary_ms, total_cpu_seconds, verdict
from _harness import (
    CHILDREN,
    DEFAULT_PG,
    add_run_args,
    clean_up,
    make_database,
    report_header,
    run_main,
    say,
    start_server,
    tail,
    wait_for_quiet,
)

TARGETS = {"set_vs_state": 10.0, "progress_vs_state": 3.0, "flat_in_history": 1.3}
HISTORIES = (0, 1_000, 10_000)
CONCURRENT = {"state": 100, "draft": 40, "set": 20, "progress": 40}  # per athlete, all at once
CONCURRENT_QUICK = {"state": 30, "draft": 12, "set": 8, "progress": 12}
EXERCISE = "Back squat"
PASSWORD = "bench-password-1"
SETS_PLANNED = 50
WORKOUT: dict[str, Any] = {
    "name": "Squat volume",
    "sport": "strength",
    "steps": [
        {
            "intensity": "active",
            "exercise": {
                "name": EXERCISE,
                "type": "standard",
                "sets": SETS_PLANNED,
                "reps": 5,
                "weight_kg": 100,
            },
        }
    ],
}


@dataclass
class Lifter:
    email: str
    workout_id: str
    history: int
    token: str = ""
    session_id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# --- seeding ---------------------------------------------------------------------------------


async def seed(database_url: str, athletes: int, histories: tuple[int, ...]) -> list[Lifter]:
    """Athletes with the workout each, and `history` earlier sets of the exercise (in one
    finished past session), their records counted as the server counts them."""
    from sqlalchemy import insert

    from setpoint.auth import service as auth_service
    from setpoint.auth.model import Actor, Role
    from setpoint.clock import SystemClock
    from setpoint.config import Settings
    from setpoint.db import migrate
    from setpoint.db.engine import Database
    from setpoint.sessions import service as session_service
    from setpoint.strength import repository
    from setpoint.strength.records import rep_maxes
    from setpoint.strength.tables import ExerciseSet
    from setpoint.wiring import build_context
    from setpoint.workouts import service as workout_service
    from setpoint.workouts.schemas import WorkoutIn

    settings = Settings(
        database_url=database_url,
        argon2_memory_kib=64,
        argon2_time_cost=1,
        argon2_parallelism=1,
        log_level="warning",
        run_workers=False,
    )
    db = Database(database_url)
    rng = random.Random(20261130)
    now = dt.datetime.now(dt.UTC)
    lifters: list[Lifter] = []
    try:
        await migrate.upgrade(db)
        ctx = build_context(settings, SystemClock(), db=db)
        tag = uuid.uuid4().hex[:6]
        for history in histories:
            for i in range(athletes):
                email = f"lifter{history}-{i}-{tag}@bench.example"
                async with db.transaction() as uow:
                    session = uow.session
                    user = await auth_service.create_user(
                        ctx, session, email, PASSWORD, Role.ATHLETE
                    )
                    actor = Actor(user_id=user.id, email=email, role=Role.ATHLETE)
                    doc = WorkoutIn.model_validate(WORKOUT)
                    workout = await workout_service.create(ctx, session, actor, doc)
                    past = await session_service.create(ctx, uow, actor, workout.id, None)
                    await session_service.command(ctx, uow, actor, past.id, "abandon")
                    rows = [
                        {
                            "athlete_id": user.id,
                            "session_id": past.id,
                            "exercise": EXERCISE,
                            "weight_kg": 60.0 + 2.5 * rng.randrange(40),
                            "reps": rng.randrange(1, 11),
                            "at": now - dt.timedelta(days=3 * 365 * (history - n) / history),
                        }
                        for n in range(history)
                    ]
                    for start in range(0, len(rows), 5000):
                        await session.execute(insert(ExerciseSet), rows[start : start + 5000])
                    sets = await repository.all_sets(session, user.id, EXERCISE)
                    await repository.write_rep_maxes(
                        session, user.id, EXERCISE, rep_maxes(sets), replace_all=True
                    )
                lifters.append(Lifter(email, str(workout.id), history))
            say(f"  seeded {athletes} athletes with {history} sets of history each")
        return lifters
    finally:
        await db.dispose()


# --- the measured requests ----------------------------------------------------------------------


async def log_in(client: httpx.AsyncClient, lifter: Lifter) -> None:
    answer = await client.post(
        "/api/auth/token", json={"email": lifter.email, "password": PASSWORD}
    )
    answer.raise_for_status()
    lifter.token = answer.json()["access_token"]


async def new_attempt(client: httpx.AsyncClient, lifter: Lifter) -> None:
    """Finish the athlete's current attempt (if any), create a new one and start it."""
    if lifter.session_id:
        done = await client.post(
            f"/api/sessions/{lifter.session_id}/finish", headers=lifter.headers
        )
        done.raise_for_status()
    created = await client.post(
        "/api/sessions", headers=lifter.headers, json={"workout_id": lifter.workout_id}
    )
    created.raise_for_status()
    lifter.session_id = created.json()["id"]
    started = await client.post(f"/api/sessions/{lifter.session_id}/start", headers=lifter.headers)
    started.raise_for_status()


Request = Callable[[httpx.AsyncClient, Lifter, int], Awaitable[httpx.Response]]


async def state(client: httpx.AsyncClient, lifter: Lifter, _: int) -> httpx.Response:
    return await client.get(f"/api/sessions/{lifter.session_id}", headers=lifter.headers)


async def draft(client: httpx.AsyncClient, lifter: Lifter, _: int) -> httpx.Response:
    """One indexed read in a transaction behind FastAPI's dependencies: the floor of any
    route that reads the database."""
    return await client.get(f"/api/sessions/{lifter.session_id}/draft", headers=lifter.headers)


async def log_set(client: httpx.AsyncClient, lifter: Lifter, n: int) -> httpx.Response:
    body = {"position": 0, "reps": 5, "weight_kg": 80.0 + 2.5 * (n % 16), "rpe": 8}
    return await client.post(
        f"/api/sessions/{lifter.session_id}/sets", headers=lifter.headers, json=body
    )


async def progress(client: httpx.AsyncClient, lifter: Lifter, _: int) -> httpx.Response:
    return await client.get(f"/api/sessions/{lifter.session_id}/progress", headers=lifter.headers)


REQUESTS: dict[str, Request] = {
    "state": state,
    "draft": draft,
    "set": log_set,
    "progress": progress,
}


class Meter:
    """Server (and PostgreSQL) CPU seconds around a batch."""

    def __init__(self, server_pid: int, watch_pg: bool) -> None:
        self.server_pid, self.watch_pg = server_pid, watch_pg

    def read(self) -> tuple[float, float]:
        pg = total_cpu_seconds(processes_named("postgres")) if self.watch_pg else 0.0
        return cpu_seconds(self.server_pid), pg


async def batch(
    client: httpx.AsyncClient, lifters: list[Lifter], request: Request, each: int, meter: Meter
) -> dict[str, Any]:
    """`each` requests per athlete, the athletes at once (one request in flight each)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(lifter: Lifter) -> None:
        for n in range(each):
            t0 = time.perf_counter()
            answer = await request(client, lifter, n)
            latencies.append(time.perf_counter() - t0)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    cpu0, pg0 = meter.read()
    t0 = time.monotonic()
    await asyncio.gather(*(one(lifter) for lifter in lifters))
    seconds = time.monotonic() - t0
    cpu1, pg1 = meter.read()
    n = len(latencies)
    return {
        "requests": n,
        "seconds": round(seconds, 2),
        "rps": round(n / seconds, 1),
        "server_cpu_ms": round(1000 * (cpu1 - cpu0) / n, 3),
        "postgres_cpu_ms": round(1000 * (pg1 - pg0) / n, 3),
        "latency": summary_ms(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def measure(
    url: str, lifters: list[Lifter], counts: dict[str, dict[str, int]], meter: Meter
) -> dict[str, Any]:
    """One history size: each request kind one athlete at a time, then all at once."""
    out: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=len(lifters) + 4)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        for lifter in lifters:
            await log_in(client, lifter)
        for mode, group in (("serial", lifters[:1]), ("concurrent", lifters)):
            await asyncio.gather(*(new_attempt(client, lifter) for lifter in group))
            await batch(client, group, state, 20, meter)  # warm the connections and caches
            out[mode] = {}
            for kind, request in REQUESTS.items():
                each = counts[mode][kind]
                out[mode][kind] = await batch(client, group, request, each, meter)
                r = out[mode][kind]
                say(
                    f"    {mode:10s} {kind:8s} {r['requests']:5d} requests: "
                    f"server {r['server_cpu_ms']:7.3f} ms CPU each, p50 "
                    f"{r['latency']['p50_ms']} ms, p99 {r['latency']['p99_ms']} ms, "
                    f"{r['statuses']}"
                )
    return out


# --- the run -------------------------------------------------------------------------------------


def ratios(phases: dict[int, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lo, hi = min(phases), max(phases)
    for mode in ("serial", "concurrent"):
        by_history: dict[str, Any] = {}
        for history, phase in phases.items():
            cpu = {k: v["server_cpu_ms"] for k, v in phase[mode].items()}
            by_history[str(history)] = {
                "set_vs_state": round(cpu["set"] / cpu["state"], 2),
                "progress_vs_state": round(cpu["progress"] / cpu["state"], 2),
                "draft_vs_state": round(cpu["draft"] / cpu["state"], 2),
            }
        flat = {
            f"{kind}_{hi}_vs_{lo}": round(
                phases[hi][mode][kind]["server_cpu_ms"] / phases[lo][mode][kind]["server_cpu_ms"],
                2,
            )
            for kind in ("set", "progress")
        }
        out[mode] = {"vs_state": by_history, "flat": flat}
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="setpoint-bench-"))
    pg_name: str | None = None
    report: dict[str, Any] = report_header(args, TARGETS)
    try:
        report["others_cpu_pct_before"] = await wait_for_quiet(args.wait_quiet)
        database_url, pg_name = await make_database(args, tmp)
        say(f"seeding {args.athletes} athletes per history size {HISTORIES} on {args.db} ...")
        t0 = time.monotonic()
        lifters = await seed(database_url, args.athletes, HISTORIES)
        report["seed_seconds"] = round(time.monotonic() - t0, 1)
        server = await start_server(CHILDREN, tmp, database_url)
        say(f"server pid {server.proc.pid} up in {server.start_s} s on {server.url}")
        meter = Meter(server.proc.pid, args.db == "postgresql")
        counts = {
            "serial": {
                "state": args.states,
                "draft": args.progress_reads,
                "set": args.sets,
                "progress": args.progress_reads,
            },
            "concurrent": CONCURRENT_QUICK if args.quick else CONCURRENT,
        }
        phases: dict[int, dict[str, Any]] = {}
        for history in HISTORIES:
            say(f"  history {history} sets:")
            group = [lifter for lifter in lifters if lifter.history == history]
            phases[history] = await measure(server.url, group, counts, meter)
        report["phases"] = {str(h): p for h, p in phases.items()}
        report["ratios"] = ratios(phases)
        report["others_cpu_pct_after"] = await wait_for_quiet(0)
        report["server_log_tail"] = tail(server.log, 10)
        return report
    finally:
        await clean_up(CHILDREN, args, pg_name, tmp)


def table(report: dict[str, Any]) -> str:
    lines = [
        f"strength bench, {report['args']['db']}, source {report['source_digest']}, "
        f"{report['date']}; server CPU per request in ms (client p99 latency in ms)",
        "",
        "| history | mode | GET state | GET draft | POST set | GET progress | set/state | "
        "progress/state | draft/state |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    ratios_ = report["ratios"]
    for history, phase in report["phases"].items():
        for mode in ("serial", "concurrent"):
            p = phase[mode]
            r = ratios_[mode]["vs_state"][history]

            def cell(kind: str, p: dict[str, Any] = p) -> str:
                return f"{p[kind]['server_cpu_ms']:.3f} ({p[kind]['latency']['p99_ms']:.1f})"

            lines.append(
                f"| {int(history):,} | {mode} | {cell('state')} | {cell('draft')} | "
                f"{cell('set')} | {cell('progress')} | {r['set_vs_state']} | "
                f"{r['progress_vs_state']} | {r['draft_vs_state']} |"
            )
    t = report["targets"]
    lines.append("")
    for mode in ("serial", "concurrent"):
        vs = ratios_[mode]["vs_state"].values()
        flat = ratios_[mode]["flat"]
        set_ok = all(v["set_vs_state"] <= t["set_vs_state"] for v in vs)
        progress_ok = all(v["progress_vs_state"] <= t["progress_vs_state"] for v in vs)
        flat_ok = all(v <= t["flat_in_history"] for v in flat.values())
        lines.append(
            f"{mode}: set <= {t['set_vs_state']}x state {verdict(set_ok)}; progress <= "
            f"{t['progress_vs_state']}x state {verdict(progress_ok)}; 10,000 vs 0 sets "
            f"{flat} (<= {t['flat_in_history']}) {verdict(flat_ok)}"
        )
    if report["args"]["db"] == "postgresql":
        lines.append("(PostgreSQL backends' CPU per request is in the JSON report)")
    lines.append(
        f"other processes: {report['others_cpu_pct_before']} % of a core before, "
        f"{report['others_cpu_pct_after']} % after"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="admin URL; a scratch db is made beside")
    p.add_argument("--athletes", type=int, default=32, help="per history size")
    p.add_argument("--states", type=int, default=2000, help="state reads, one at a time")
    p.add_argument("--sets", type=int, default=45, help="sets logged, one at a time (<= 100)")
    p.add_argument("--progress-reads", type=int, default=600, help="one at a time")
    p.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    add_run_args(p)
    args = p.parse_args(argv)
    if args.quick:
        args.athletes = min(args.athletes, 8)
        args.states, args.sets, args.progress_reads = 400, 30, 150
    args.sessions = args.athletes * len(HISTORIES)  # what run_main checks the fd limit against
    return args


def main() -> None:
    run_main(parse_args(), run, table)


if __name__ == "__main__":
    main()

"""Device push bench: a coach saves N endurance sessions at a steady rate; how soon does each
reach the athlete's provider, and does the save wait for it?

    .venv/bin/python bench/push.py [--sessions 1000] [--athletes 100] [--rate 20]
                                   [--db sqlite|postgresql] [--quick] [--profile] [--json PATH]

What it does, on loopback only:
1. a fresh database (a temp SQLite file, or a scratch PostgreSQL database with
   `--db postgresql`), migrated and seeded through the service layer: a coach and
   `--athletes` athletes of theirs;
2. a `setpoint fake-provider` process and a real `setpoint serve` process (its workers
   embedded, the providers pointed at the fake, `SETPOINT_PROVIDER_QUOTAS=off`);
3. every athlete connects a device through the OAuth flow (half Garmin, half Wahoo; the fake
   names each provider account after the athlete), the coach makes a workout and a weekly
   plan for each (not measured) and listens on `WS /api/live`;
4. two phases, the fake answering after 0 ms (the baseline) and then after 50 ms
   (`POST /_faults {"provider": ..., "latency_ms": 50}`): the coach saves `--sessions`
   ENDURANCE sessions round-robin over the athletes, at `--rate` saves/s (open loop), and the
   bench waits until every one is announced `ExportSent` on the coach's live channel;
5. per save: its latency; from its answer to the push's first request at the provider (the
   fake's arrival time, `GET /_log`); from its answer to the `ExportSent` notification's
   arrival. Server CPU per phase from /proc; the targets met or not.

Everything it starts is stopped on exit (also on Ctrl-C); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from websockets.asyncio.client import connect as ws_connect

from _common import free_port, summary_ms, verdict  # bench/ is on sys.path: run as scripts
from _harness import (
    CHILDREN,
    DEFAULT_PG,
    PY,
    Meter,
    add_run_args,
    clean_up,
    finish_profile,
    make_database,
    report_header,
    run_main,
    say,
    start_profile,
    start_server,
    tail,
    wait_for_quiet,
)

TARGETS = {"first_request_p99_ms": 100.0, "sent_p99_ms": 500.0, "save_p99_ratio": 1.2}
PROVIDERS = ("garmin", "wahoo")
# The first request of a push that creates the copy: Garmin makes the workout, Wahoo first
# looks for a plan an earlier attempt left.
FIRST_ROUTE = {"garmin": "POST /workoutportal/workout/v2", "wahoo": "GET /v1/plans"}
PASSWORD = "bench-password-1"
RUN = {
    "name": "Threshold run",
    "sport": "run",
    "steps": [
        {"intensity": "warmup", "duration": {"type": "time", "seconds": 900}},
        {
            "repeat": 4,
            "steps": [
                {"intensity": "interval", "duration": {"type": "time", "seconds": 480}},
                {"intensity": "recovery", "duration": {"type": "time", "seconds": 120}},
            ],
        },
        {"intensity": "cooldown", "duration": {"type": "time", "seconds": 600}},
    ],
}


@dataclass
class Athlete:
    id: str
    email: str
    provider: str
    workout_id: str = ""
    plan_id: str = ""


@dataclass
class Save:
    athlete: Athlete
    sent: float  # epoch s, when the request left
    answered: float = 0.0
    planned_id: str = ""


# --- set-up ------------------------------------------------------------------------------------


async def seed(database_url: str, athletes: int) -> tuple[str, list[Athlete]]:
    """Migrate; a coach and their athletes (half connect Garmin, half Wahoo)."""
    from setpoint.auth import service as auth_service
    from setpoint.auth.model import Role
    from setpoint.clock import SystemClock
    from setpoint.config import Settings
    from setpoint.db import migrate
    from setpoint.db.engine import Database
    from setpoint.wiring import build_context

    settings = Settings(
        database_url=database_url,
        argon2_memory_kib=64,
        argon2_time_cost=1,
        argon2_parallelism=1,
        log_level="warning",
        run_workers=False,
    )
    db = Database(database_url)
    tag = uuid.uuid4().hex[:6]
    coach = f"coach-{tag}@bench.example"
    out: list[Athlete] = []
    try:
        await migrate.upgrade(db)
        ctx = build_context(settings, SystemClock(), db=db)
        async with db.transaction() as uow:
            await auth_service.create_user(ctx, uow.session, coach, PASSWORD, Role.COACH)
            for i in range(athletes):
                email = f"athlete{i}-{tag}@bench.example"
                user = await auth_service.create_user(
                    ctx, uow.session, email, PASSWORD, Role.ATHLETE, coach
                )
                out.append(Athlete(str(user.id), email, PROVIDERS[i % 2]))
        return coach, out
    finally:
        await db.dispose()


def provider_env(fake_url: str) -> dict[str, str]:
    env = {"SETPOINT_PROVIDER_QUOTAS": "off", "SETPOINT_PUBLIC_URL": "http://bench.invalid"}
    for p, authorize in (("garmin", "oauth2Confirm"), ("wahoo", "oauth/authorize")):
        prefix = f"SETPOINT_{p.upper()}"
        env |= {
            f"{prefix}_CLIENT_ID": f"{p}-bench",
            f"{prefix}_CLIENT_SECRET": "bench-secret",
            f"{prefix}_AUTHORIZE_URL": f"{fake_url}/{p}/{authorize}",
            f"{prefix}_TOKEN_URL": f"{fake_url}/{p}/oauth/token",
            f"{prefix}_API_URL": f"{fake_url}/{p}",
        }
    return env


async def start_fake(tmp: Path) -> tuple[str, int]:
    """`setpoint fake-provider` on a free port; its URL and pid."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "fake-provider.log"
    args = [PY, "-m", "setpoint.cli", "fake-provider", "--host", "127.0.0.1", "--port", str(port)]
    proc = CHILDREN.start(args, None, log)
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(150):
            if proc.poll() is not None:
                raise RuntimeError(f"the fake provider exited:\n{tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/_state")).status_code == 200:
                    return url, proc.pid
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the fake provider did not come up:\n{tail(log)}")


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await client.post("/api/auth/token", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def connect(client: httpx.AsyncClient, athlete: Athlete, headers: dict[str, str]) -> None:
    """The athlete's OAuth flow; the fake's account is named after the athlete's id."""
    r = await client.get(f"/api/devices/{athlete.provider}/connect", headers=headers)
    r.raise_for_status()
    url = r.json()["authorize_url"] + "&" + urlencode({"user": athlete.id})
    async with httpx.AsyncClient(timeout=10) as browser:
        allowed = await browser.get(url)
    query = parse_qs(urlsplit(allowed.headers["location"]).query)
    back = await client.get(
        f"/api/devices/{athlete.provider}/callback",
        params={"code": query["code"][0], "state": query["state"][0]},
        headers={"Accept": "application/json"},
    )
    back.raise_for_status()


async def prepare(client: httpx.AsyncClient, coach: dict[str, str], athlete: Athlete) -> None:
    """The coach's workout and weekly plan (next week) for the athlete."""
    workout = await client.post(
        "/api/workouts", json={**RUN, "athlete_id": athlete.id}, headers=coach
    )
    workout.raise_for_status()
    athlete.workout_id = workout.json()["id"]
    plan = await client.post(
        "/api/plans",
        json={"athlete_id": athlete.id, "week_start": next_monday().isoformat()},
        headers=coach,
    )
    plan.raise_for_status()
    athlete.plan_id = plan.json()["id"]


async def few_at_once(work: Iterable[Awaitable[None]], at_once: int = 8) -> None:
    """Set-up requests, a few at a time."""
    gate = asyncio.Semaphore(at_once)

    async def one(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in work))


def next_monday() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


# --- the live channel --------------------------------------------------------------------------


class Announcements:
    """The coach's `WS /api/live`: when each planned session's ExportSent/Failed arrived."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def open(self, ws_url: str, token: str) -> None:
        ws = await ws_connect(f"{ws_url}/api/live?token={token}", max_size=None)
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        self._task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: Any) -> None:
        async with ws:
            async for text in ws:
                now = time.time()
                message = json.loads(text)
                if message.get("type") != "notification":
                    continue
                n = message["notification"]
                if n["type"] == "ExportSent":
                    self.sent.setdefault(n["planned_session_id"], now)
                elif n["type"] == "ExportFailed":
                    self.failed[n["planned_session_id"]] = str(n["payload"].get("reason"))
                self.changed.set()

    async def wait_for(self, ids: set[str], within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while not ids <= (self.sent.keys() | self.failed.keys()):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = len(ids - self.sent.keys() - self.failed.keys())
                raise RuntimeError(f"{missing} sessions not announced in {within_s:.0f} s")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


# --- a phase ------------------------------------------------------------------------------------


async def save_at_rate(
    client: httpx.AsyncClient,
    coach: dict[str, str],
    athletes: list[Athlete],
    count: int,
    rate: float,
    offset: int,
) -> list[Save]:
    """`count` saves, round-robin over the athletes, one every 1/rate s (open loop)."""
    monday = next_monday()
    saves: list[Save] = []

    async def one(i: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        athlete = athletes[i % len(athletes)]
        save = Save(athlete, time.time())
        r = await client.post(
            f"/api/plans/{athlete.plan_id}/sessions",
            json={
                "date": (monday + dt.timedelta(days=(offset + i) % 7)).isoformat(),
                "type": "ENDURANCE",
                "workout_id": athlete.workout_id,
                "title": f"Run {offset + i}",
            },
            headers=coach,
        )
        save.answered = time.time()
        r.raise_for_status()
        save.planned_id = r.json()["id"]
        saves.append(save)

    t0 = time.monotonic() + 0.1
    await asyncio.gather(*(one(i, t0 + i / rate) for i in range(count)))
    return saves


async def phase(
    name: str,
    latency_ms: float,
    client: httpx.AsyncClient,
    fake_url: str,
    coach: dict[str, str],
    athletes: list[Athlete],
    live: Announcements,
    args: argparse.Namespace,
    meter: Meter,
    offset: int,
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as admin:
        for provider in PROVIDERS:
            r = await admin.post(
                f"{fake_url}/_faults", json={"provider": provider, "latency_ms": latency_ms}
            )
            r.raise_for_status()
    say(f"  {name}: {args.sessions} saves at {args.rate}/s, provider latency {latency_ms} ms")
    started = time.time()
    before = meter.snap()
    saves = await save_at_rate(client, coach, athletes, args.sessions, args.rate, offset)
    ids = {s.planned_id for s in saves}
    await live.wait_for(ids, within_s=60 + args.sessions / args.rate)
    cpu = meter.phase(before, meter.snap())
    async with httpx.AsyncClient(timeout=30) as admin:
        log = (await admin.get(f"{fake_url}/_log")).json()

    # The k-th push of an account is the k-th save for that athlete (saves of one athlete
    # are len(athletes)/rate seconds apart, far more than a push takes).
    first_requests: dict[str, list[float]] = defaultdict(list)
    for provider, entries in log.items():
        for at, route, account in entries:
            if at >= started and route == FIRST_ROUTE[provider] and account is not None:
                first_requests[account].append(at)
    by_athlete: dict[str, list[Save]] = defaultdict(list)
    for save in sorted(saves, key=lambda s: s.sent):
        by_athlete[save.athlete.id].append(save)
    to_first: list[float] = []
    unmatched = 0
    for athlete_id, own in by_athlete.items():
        requests = sorted(first_requests.get(athlete_id, []))
        unmatched += abs(len(requests) - len(own))
        to_first += [at - s.answered for s, at in zip(own, requests, strict=False)]
    sent = [live.sent[s.planned_id] - s.answered for s in saves if s.planned_id in live.sent]
    result: dict[str, Any] = {
        "provider_latency_ms": latency_ms,
        "saves": len(saves),
        "save": summary_ms([s.answered - s.sent for s in saves]),
        "to_first_request": summary_ms(to_first),
        "to_sent": summary_ms(sent),
        "failed": len(ids & live.failed.keys()),
        "unmatched_requests": unmatched,
        "cpu": cpu,
    }
    say(
        f"    save p50/p99 {result['save']['p50_ms']}/{result['save']['p99_ms']} ms; "
        f"to first request p50/p99 {result['to_first_request']['p50_ms']}/"
        f"{result['to_first_request']['p99_ms']} ms; to SENT p50/p99 "
        f"{result['to_sent']['p50_ms']}/{result['to_sent']['p99_ms']} ms; "
        f"failed {result['failed']}; server CPU {cpu['server_cpu_pct']} %"
    )
    return result


# --- the run -------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="setpoint-bench-"))
    pg_name: str | None = None
    live = Announcements()
    report: dict[str, Any] = report_header(args, TARGETS)
    try:
        report["others_cpu_pct_before"] = await wait_for_quiet(args.wait_quiet)
        database_url, pg_name = await make_database(args, tmp)
        say(f"seeding a coach and {args.athletes} athletes on {args.db} ...")
        coach_email, athletes = await seed(database_url, args.athletes)
        fake_url, fake_pid = await start_fake(tmp)
        server = await start_server(CHILDREN, tmp, database_url, provider_env(fake_url))
        say(f"server pid {server.proc.pid} up in {server.start_s} s; fake provider {fake_url}")
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            t0 = time.monotonic()
            coach = await login(client, coach_email)
            # One login at a time: concurrent logins from one address are throttled.
            tokens = [await login(client, a.email) for a in athletes]
            # One connect at a time: `GET .../connect` writes in a read transaction, outside
            # SQLite's single writer, and concurrent ones fail with "database is locked".
            for athlete, headers in zip(athletes, tokens, strict=True):
                await connect(client, athlete, headers)
            await few_at_once(prepare(client, coach, a) for a in athletes)
            report["setup_seconds"] = round(time.monotonic() - t0, 1)
            await live.open(f"ws://127.0.0.1:{server.port}", coach["Authorization"][7:])
            meter = Meter(server.proc.pid, [fake_pid], watch_pg=args.db == "postgresql")
            warm = await save_at_rate(client, coach, athletes, args.warmup, args.rate, 0)
            await live.wait_for({s.planned_id for s in warm}, within_s=60)
            profile = None
            phases: dict[str, Any] = {}
            for offset, (name, latency) in enumerate((("baseline", 0.0), ("latency", 50.0))):
                if args.profile and latency:
                    seconds = args.sessions / args.rate + 2
                    profile = await start_profile(CHILDREN, tmp, server.proc.pid, seconds, name)
                phases[name] = await phase(
                    name, latency, client, fake_url, coach, athletes, live, args, meter, offset
                )
            report["phases"] = phases
            report["profile"] = await finish_profile(profile, tmp)
        base, slow = phases["baseline"]["save"], phases["latency"]["save"]
        report["save_ratio"] = {
            "p50": round(slow["p50_ms"] / base["p50_ms"], 2),
            "p99": round(slow["p99_ms"] / base["p99_ms"], 2),
        }
        report["others_cpu_pct_after"] = await wait_for_quiet(0)
        report["server_log_tail"] = tail(server.log, 10)
        return report
    finally:
        await live.close()
        await clean_up(CHILDREN, args, pg_name, tmp)


def table(report: dict[str, Any]) -> str:
    a = report["args"]
    t = report["targets"]
    lines = [
        f"push bench, {a['db']}, {a['sessions']} saves per phase at {a['rate']}/s over "
        f"{a['athletes']} athletes, source {report['source_digest']}, {report['date']}",
        "",
        "| provider latency | save p50 / p99 | to first request p50 / p99 | "
        "to SENT p50 / p99 | failed | server CPU |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in report["phases"].values():

        def cell(key: str, p: dict[str, Any] = p) -> str:
            return f"{p[key]['p50_ms']} / {p[key]['p99_ms']} ms"

        lines.append(
            f"| {p['provider_latency_ms']:g} ms | {cell('save')} | {cell('to_first_request')} | "
            f"{cell('to_sent')} | {p['failed']} | {p['cpu']['server_cpu_pct']} % |"
        )
    slow = report["phases"]["latency"]
    ratio = report["save_ratio"]
    first_ok = slow["to_first_request"]["p99_ms"] < t["first_request_p99_ms"]
    sent_ok = slow["to_sent"]["p99_ms"] < t["sent_p99_ms"]
    lines += [
        "",
        f"to first request p99 < {t['first_request_p99_ms']:g} ms at 50 ms: {verdict(first_ok)}",
        f"to SENT p99 < {t['sent_p99_ms']:g} ms at 50 ms: {verdict(sent_ok)}",
        f"save latency 50 ms vs 0 ms: p50 x{ratio['p50']}, p99 x{ratio['p99']} "
        f"(<= {t['save_p99_ratio']}: {verdict(ratio['p99'] <= t['save_p99_ratio'])})",
        f"other processes: {report['others_cpu_pct_before']} % of a core before, "
        f"{report['others_cpu_pct_after']} % after",
    ]
    if any(p["unmatched_requests"] for p in report["phases"].values()):
        lines.append("WARNING: some saves had no matching first request (see the JSON)")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="admin URL; a scratch db is made beside")
    p.add_argument("--sessions", type=int, default=1000, help="saves per phase")
    p.add_argument("--athletes", type=int, default=100)
    p.add_argument("--rate", type=float, default=20.0, help="saves per second")
    p.add_argument("--warmup", type=int, default=20, help="saves before the phases (unmeasured)")
    p.add_argument("--quick", action="store_true", help="100 saves per phase (a smoke run)")
    p.add_argument("--profile", action="store_true", help="py-spy on the server at 50 ms")
    add_run_args(p)
    args = p.parse_args(argv)
    if args.quick:
        args.sessions = min(args.sessions, 100)
    return args


def main() -> None:
    run_main(parse_args(), run, table)


if __name__ == "__main__":
    main()

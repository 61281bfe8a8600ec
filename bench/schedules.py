"""Schedules bench: N schedules due in the same minute, fired by real `setpoint worker`
processes; how late is each `WorkoutReady`, how soon have all fired, is any fired twice or
lost?

    .venv/bin/python bench/schedules.py [--schedules 10000] [--db both|postgresql|sqlite]
                                        [--pg-url URL] [--quick] [--profile] [--json PATH]

What one run does, per database (PostgreSQL with 2 workers, then SQLite with 1), on loopback:
1. a fresh database (a scratch PostgreSQL database made beside `--pg-url` and dropped at the
   end, or a temp SQLite file), migrated; N / `--per-athlete` athletes and a workout each,
   through the service layer;
2. the baseline, on the same database from this process: insert-and-commit N trivial rows,
   200 per transaction, once as one executemany per transaction (the write floor) and once
   as one INSERT per row (the round-trip floor);
3. the schedules: a minute T far enough ahead is picked; each athlete gets `--per-athlete`
   daily schedules, one per time zone of `ZONES`, whose cron is T's local minute and hour in
   that zone. A few (the first athlete's) are made by `schedules.service.create`; all the
   others are written in bulk (Core executemany) with the rows the service would make: the
   schedule with its cursor and due time, the fire at T `planned` with its planned session
   in the athlete's weekly plan. The bulk rows are compared, field by field, with the
   service's before the run goes on;
4. the workers (`setpoint worker`, `SETPOINT_WORKER_POLL_S` default, no Redis: each finds
   T by its own `next_due`), started and idle before T;
5. from T: the committed `WorkoutReady` count polled every 0.2 s until all N are in (the time
   until all have fired, as a reader sees them); then every notification and fire row read
   back: lateness = notification `created_at` (written inside the firing transaction, a few
   ms before its commit) minus T; duplicates = more than one `WorkoutReady` per (schedule,
   instant); lost = schedules without one, or whose fire row is not `fired`;
6. workers' and PostgreSQL's CPU over the firing window from /proc, SQL statements the
   workers ran per fire (counted by a SQLAlchemy event hook the launcher installs), py-spy
   profiles of the workers with `--profile`.

The planning horizon (`SETPOINT_SCHEDULE_HORIZON_DAYS`, `--horizon-days`, default 0.25 d for
the seeding and the workers alike) is shorter than a day, so each schedule holds just the
fire at T and its next planning step is hours away: the run measures firing, not
materializing. With `--horizon-days 7` (the default setting) every schedule holds 7 planned
fires and each fire also plans the one 7 days on (a weekly plan lookup and a planned session
per fire).

STRENGTH schedules: the fire path is the same for both types, and an ENDURANCE planned
session also queues a device export, which the bulk seeding would have to replicate.

Everything it starts is stopped on exit (also on Ctrl-C); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from _common import (  # bench/ is on sys.path: run as scripts
    cpu_seconds,
    processes_named,
    summary_ms,
    total_cpu_seconds,
    verdict,
)
from _harness import (
    CHILDREN,
    DEFAULT_PG,
    PY,
    add_run_args,
    drop_database,
    finish_profile,
    machine_busy_s,
    make_database,
    report_header,
    run_main,
    say,
    start_profile,
    tail,
    wait_for_quiet,
)
from setpoint.auth import service as auth_service
from setpoint.auth.model import Actor, Role
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.notifications.tables import Notification
from setpoint.plans import model as plans_model
from setpoint.plans.tables import PlannedSession, WeeklyPlan
from setpoint.schedules import model as schedule_model
from setpoint.schedules import service as schedule_service
from setpoint.schedules.cron import parse_cron, parse_time_zone
from setpoint.schedules.model import FireStatus
from setpoint.schedules.tables import Schedule, ScheduleFire
from setpoint.wiring import build_context
from setpoint.workers.loop import JobClock
from setpoint.workouts import service as workout_service
from setpoint.workouts.schemas import WorkoutIn

TARGETS = {"all_fired_within_s": 10.0, "lateness_p99_s": 5.0, "duplicates": 0, "lost": 0}
# One schedule per zone for each athlete: whole-hour, half-hour, 45-minute and Lord Howe's
# 30-minute-DST offsets, both hemispheres.
ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "Europe/London",
    "Asia/Tokyo",
)
PASSWORD = "bench-password-1"
ROWS_PER_TXN = 200  # the baseline's transactions (the job's batch)
CHUNK = 1000  # rows per executemany when seeding
WORKOUT = {
    "name": "Threshold run",
    "sport": "run",
    "steps": [
        {"intensity": "warmup", "duration": {"type": "time", "seconds": 600}},
        {"intensity": "interval", "duration": {"type": "time", "seconds": 1200}},
        {"intensity": "cooldown", "duration": {"type": "time", "seconds": 600}},
    ],
}

# The worker launcher: `setpoint worker` with every SQL statement's wall time recorded (one
# list append per statement), written to argv[1] at exit.
COUNTING_WORKER = """
import atexit, json, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
at = []
event.listen(Engine, "before_cursor_execute", lambda *a: at.append(time.time()))
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(at)))
sys.argv = ["setpoint", "worker"]
from setpoint.cli.main import app
app()
"""


@dataclass(frozen=True, slots=True)
class Athlete:
    user_id: uuid.UUID
    workout_id: uuid.UUID
    actor: Actor


def settings_for(database_url: str, horizon_days: float) -> Settings:
    return Settings(
        database_url=database_url,
        argon2_memory_kib=64,  # seeding cost only: nobody logs in
        argon2_time_cost=1,
        argon2_parallelism=1,
        log_level="warning",
        run_workers=False,
        schedule_horizon_days=horizon_days,
    )


# --- seeding -----------------------------------------------------------------------------


async def seed_athletes(ctx: Context, count: int) -> list[Athlete]:
    """Athletes and a workout each, through the services (200 per transaction)."""
    tag = uuid.uuid4().hex[:6]
    out: list[Athlete] = []
    for at in range(0, count, 200):
        async with ctx.db.transaction() as uow:
            for i in range(at, min(at + 200, count)):
                email = f"sched{i}-{tag}@bench.example"
                user = await auth_service.create_user(
                    ctx, uow.session, email, PASSWORD, Role.ATHLETE
                )
                actor = await auth_service.actor_for_user(uow.session, user)
                workout = await workout_service.create(
                    ctx, uow.session, actor, WorkoutIn.model_validate(WORKOUT)
                )
                out.append(Athlete(user.id, workout.id, actor))
    return out


def cron_at(instant: float, zone_name: str) -> str:
    """A daily cron expression firing at `instant`'s local minute in the zone."""
    local = dt.datetime.fromtimestamp(instant, ZoneInfo(zone_name))
    return f"{local.minute} {local.hour} * * *"


class Bulk:
    """The rows `schedules.service.create` makes for a new schedule (the schedule, and
    `_plan`'s fires, planned sessions and weekly plans), built in memory for executemany."""

    def __init__(self, settings: Settings, now: float) -> None:
        self.settings = settings
        self.now = now
        self.now_dt = dt.datetime.fromtimestamp(now, dt.UTC)
        self.schedules: list[dict[str, Any]] = []
        self.fires: list[dict[str, Any]] = []
        self.planned: list[dict[str, Any]] = []
        self.plans: dict[tuple[uuid.UUID, dt.date], dict[str, Any]] = {}

    def add(self, athlete: Athlete, cron: str, zone_name: str, title: str) -> None:
        now, now_dt = self.now, self.now_dt
        schedule: dict[str, Any] = {
            "id": uuid.uuid4(),
            "athlete_id": athlete.user_id,
            "created_by": athlete.user_id,
            "workout_id": athlete.workout_id,
            "cron": cron,
            "time_zone": zone_name,
            "type": "STRENGTH",
            "title": title,
            "starts_on": None,
            "ends_on": None,
            "paused": False,
            "planned_through": now,
            "next_fire_at": None,
            "plan_at": now,
            "due_at": None,
            "created_at": now_dt,
            "updated_at": now_dt,
        }
        # `service._plan` on a new schedule: no fire recorded yet, all of MAX_AHEAD free.
        found = schedule_model.upcoming(
            parse_cron(cron), parse_time_zone(zone_name), now_dt, schedule_model.PLAN_BATCH
        )
        planning = schedule_model.plan(
            found,
            len(found) < schedule_model.PLAN_BATCH,
            now,
            self.settings.schedule_horizon_days * 86400.0,
            self.settings.schedule_misfire_grace_s,
            schedule_model.MAX_AHEAD,
        )
        for fire in planning.missed:
            self.fires.append(
                self._fire(schedule["id"], fire.at.timestamp(), fire.local, "missed", None)
            )
        planned_at = []
        for fire in planning.planned:
            day = fire.local.date()
            key = (athlete.user_id, plans_model.week_of(day))
            plan = self.plans.get(key)
            if plan is None:
                plan = self.plans[key] = {
                    "id": uuid.uuid4(),
                    "athlete_id": athlete.user_id,
                    "week_start": key[1],
                    "name": None,
                    "created_by": athlete.user_id,
                    "created_at": now_dt,
                    "updated_at": now_dt,
                }
            session_id = uuid.uuid4()
            self.planned.append(
                {
                    "id": session_id,
                    "plan_id": plan["id"],
                    "athlete_id": athlete.user_id,
                    "date": day,
                    "type": "STRENGTH",
                    "workout_id": athlete.workout_id,
                    "title": title,
                    "notes": None,
                    "session_id": None,
                    "created_at": now_dt,
                    "updated_at": now_dt,
                }
            )
            self.fires.append(
                self._fire(schedule["id"], fire.at.timestamp(), fire.local, "planned", session_id)
            )
            planned_at.append(fire.at.timestamp())
        if planning.through is not None:
            schedule["planned_through"] = planning.through
        schedule["next_fire_at"] = min(planned_at) if planned_at else None
        if planning.after_next_fire:
            next_fire = schedule["next_fire_at"]
            schedule["plan_at"] = next_fire if next_fire is not None else now
        else:
            schedule["plan_at"] = planning.plan_at
        due = [t for t in (schedule["next_fire_at"], schedule["plan_at"]) if t is not None]
        schedule["due_at"] = min(due) if due else None
        self.schedules.append(schedule)

    def _fire(
        self,
        schedule_id: uuid.UUID,
        at: float,
        local: dt.datetime,
        status: str,
        planned_session_id: uuid.UUID | None,
    ) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "schedule_id": schedule_id,
            "fire_at": at,
            "local": local.isoformat(),
            "status": status,
            "planned_session_id": planned_session_id,
            "settled_at": self.now_dt if status == "missed" else None,
            "created_at": self.now_dt,
        }

    async def write(self, db: Database) -> None:
        async with db.transaction() as uow:
            for table, rows in (
                (WeeklyPlan, list(self.plans.values())),
                (PlannedSession, self.planned),
                (Schedule, self.schedules),
                (ScheduleFire, self.fires),
            ):
                for at in range(0, len(rows), CHUNK):
                    await uow.session.execute(insert(table), rows[at : at + CHUNK])


async def seed_schedules(
    ctx: Context, athletes: Sequence[Athlete], per_athlete: int, instant: float
) -> dict[str, Any]:
    """The first athlete's schedules through `service.create`, everyone else's in bulk; then
    the bulk rows of the second athlete checked against the service's of the first."""
    t0 = time.monotonic()
    zones = [ZONES[i % len(ZONES)] for i in range(per_athlete)]
    first = athletes[0]
    async with ctx.db.transaction() as uow:
        for i, zone in enumerate(zones):
            fields = {
                "workout_id": first.workout_id,
                "cron": cron_at(instant, zone),
                "time_zone": zone,
                "type": "STRENGTH",
                "title": f"bench {i}",
            }
            await schedule_service.create(ctx, uow, first.actor, fields)
    by_service = time.monotonic() - t0
    bulk = Bulk(ctx.settings, ctx.clocks.now(JobClock.WALL))
    for athlete in athletes[1:]:
        for i, zone in enumerate(zones):
            bulk.add(athlete, cron_at(instant, zone), zone, f"bench {i}")
    await bulk.write(ctx.db)
    mismatches = await compare_seeded(ctx.db, first, athletes[1])
    if mismatches:
        raise RuntimeError("bulk rows differ from the service's:\n" + "\n".join(mismatches))
    return {
        "seconds": round(time.monotonic() - t0, 2),
        "by_service": per_athlete,
        "by_service_seconds": round(by_service, 2),
        "bulk": len(bulk.schedules),
        "bulk_fire_rows": len(bulk.fires),
        "bulk_planned_sessions": len(bulk.planned),
        "bulk_weekly_plans": len(bulk.plans),
        "checked_against_service": True,
    }


async def compare_seeded(db: Database, by_service: Athlete, by_bulk: Athlete) -> list[str]:
    """Field-by-field differences between one athlete's schedules made by the service and
    another's made in bulk (ids, owners and timestamps aside)."""
    own = {"id", "athlete_id", "created_by", "workout_id", "created_at", "updated_at"}
    fire_own = {"id", "schedule_id", "planned_session_id", "created_at"}
    planned_own = {"id", "plan_id", "athlete_id", "workout_id", "created_at", "updated_at"}

    def fields(row: Any, skip: set[str]) -> dict[str, Any]:
        return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}

    async def state(athlete: Athlete) -> list[Any]:
        async with db.transaction(write=False) as uow:
            s = uow.session
            out: list[Any] = []
            query = select(Schedule).where(Schedule.athlete_id == athlete.user_id)
            for schedule in await s.scalars(query.order_by(Schedule.title)):
                fires = await s.scalars(
                    select(ScheduleFire)
                    .where(ScheduleFire.schedule_id == schedule.id)
                    .order_by(ScheduleFire.fire_at)
                )
                rows = []
                for fire in fires:
                    planned = (
                        await s.get(PlannedSession, fire.planned_session_id)
                        if fire.planned_session_id
                        else None
                    )
                    rows.append(
                        (
                            fields(fire, fire_own),
                            fields(planned, planned_own) if planned else None,
                            planned is not None
                            and await s.get(WeeklyPlan, planned.plan_id) is not None,
                        )
                    )
                out.append((fields(schedule, own), rows))
            weeks = await s.scalars(
                select(WeeklyPlan.week_start)
                .where(WeeklyPlan.athlete_id == athlete.user_id)
                .order_by(WeeklyPlan.week_start)
            )
            out.append(list(weeks))
            return out

    a, b = await state(by_service), await state(by_bulk)
    if len(a) != len(b):
        return [f"{len(a)} schedules by the service, {len(b)} in bulk"]
    return [f"service {x}\n   bulk {y}" for x, y in zip(a, b, strict=True) if x != y]


# --- the baseline ------------------------------------------------------------------------


async def baseline(database_url: str, rows: int) -> dict[str, Any]:
    """Insert-and-commit `rows` trivial rows, `ROWS_PER_TXN` per transaction: one executemany
    per transaction, then one INSERT per row."""
    meta = MetaData()
    table = Table(
        "bench_baseline",
        meta,
        Column("id", String(36), primary_key=True),
        Column("payload", String(400)),
    )
    payload = json.dumps({"schedule_id": str(uuid.uuid4()), "workout_name": "Threshold run"})
    engine = create_async_engine(database_url)
    out: dict[str, Any] = {"rows": rows, "rows_per_transaction": ROWS_PER_TXN}
    try:
        async with engine.begin() as conn:
            await conn.run_sync(meta.create_all)
        for mode in ("executemany", "per_row"):
            t0 = time.monotonic()
            for at in range(0, rows, ROWS_PER_TXN):
                batch = [
                    {"id": str(uuid.uuid4()), "payload": payload}
                    for _ in range(min(ROWS_PER_TXN, rows - at))
                ]
                async with engine.begin() as conn:
                    if mode == "executemany":
                        await conn.execute(insert(table), batch)
                    else:
                        for row in batch:
                            await conn.execute(insert(table), row)
            out[f"{mode}_s"] = round(time.monotonic() - t0, 3)
        async with engine.begin() as conn:
            await conn.run_sync(meta.drop_all)
    finally:
        await engine.dispose()
    return out


# --- one database ------------------------------------------------------------------------


async def fired_count(db: Database) -> int:
    async with db.transaction(write=False) as uow:
        query = select(func.count()).where(Notification.type == "WorkoutReady")
        return int(await uow.session.scalar(query) or 0)


async def outcome(db: Database, instant: float, schedules: int) -> dict[str, Any]:
    """Every `WorkoutReady` and fire row read back: lateness, duplicates, lost."""
    async with db.transaction(write=False) as uow:
        notes = (
            await uow.session.execute(
                select(
                    Notification.schedule_id, Notification.payload, Notification.created_at
                ).where(Notification.type == "WorkoutReady")
            )
        ).all()
        fires = (
            await uow.session.execute(
                select(
                    ScheduleFire.schedule_id, ScheduleFire.status, ScheduleFire.settled_at
                ).where(ScheduleFire.fire_at == instant)
            )
        ).all()
        schedule_ids = set(await uow.session.scalars(select(Schedule.id)))
    at = dt.datetime.fromtimestamp(instant, dt.UTC).isoformat().replace("+00:00", "Z")
    per_fire = Counter((sid, payload["at"]) for sid, payload, _ in notes)
    wrong_instant = sum(1 for _, payload, _ in notes if payload["at"] != at)
    fired_rows = {sid for sid, status, _ in fires if status == FireStatus.FIRED.value}
    announced = {sid for (sid, a) in per_fire if a == at}
    lateness = [created.timestamp() - instant for _, _, created in notes]
    settled = [s.timestamp() - instant for _, status, s in fires if s is not None]
    return {
        "notifications": len(notes),
        "duplicates": sum(n - 1 for n in per_fire.values() if n > 1),
        "wrong_instant": wrong_instant,
        "lost": len(schedule_ids - announced),
        "fire_rows_not_fired": len(schedule_ids - fired_rows),
        "fire_statuses": dict(Counter(status for _, status, _ in fires)),
        "lateness": summary_ms(lateness),
        "first_s": round(min(lateness), 3) if lateness else math.nan,
        "last_created_s": round(max(lateness), 3) if lateness else math.nan,
        "settled_last_s": round(max(settled), 3) if settled else math.nan,
    }


async def start_workers(
    tmp: Path, database_url: str, count: int, horizon_days: float
) -> list[tuple[int, Path, Path]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETPOINT_")}
    env.update(
        SETPOINT_DATABASE_URL=database_url,
        SETPOINT_LOG_LEVEL="warning",
        SETPOINT_LOG_FORMAT="json",
        SETPOINT_SCHEDULE_HORIZON_DAYS=str(horizon_days),
        PYTHONUNBUFFERED="1",
    )
    out = []
    for i in range(count):
        log, statements = tmp / f"worker{i}.log", tmp / f"worker{i}-statements.json"
        proc = CHILDREN.start([PY, "-c", COUNTING_WORKER, str(statements)], env, log)
        out.append((proc.pid, log, statements))
    deadline = time.monotonic() + 60
    for pid, log, _ in out:
        while "worker running" not in tail(log, 200):
            proc = next(p for p in CHILDREN.popen if p.pid == pid)
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {pid} did not start:\n{tail(log)}")
            await asyncio.sleep(0.1)
    return out


def run_queue_s(pids: Sequence[int]) -> float:
    """Seconds these processes' threads spent runnable but waiting for a CPU (schedstat)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[1])
    return total / 1e9


def next_minute(lead_s: float) -> float:
    return float(math.ceil((time.time() + lead_s) / 60) * 60)


async def one_database(args: argparse.Namespace, kind: str, tmp: Path) -> dict[str, Any]:
    ns = argparse.Namespace(**{**vars(args), "db": kind})
    dbtmp = tmp / kind
    dbtmp.mkdir()
    database_url, pg_name = await make_database(ns, dbtmp)
    workers_n = args.pg_workers if kind == "postgresql" else 1
    out: dict[str, Any] = {"db": kind, "workers": workers_n, "schedules": args.schedules}
    settings = settings_for(database_url, args.horizon_days)
    db = Database(database_url)
    ctx = build_context(settings, SystemClock(), db=db)
    try:
        await migrate.upgrade(db)
        t0 = time.monotonic()
        athletes = await seed_athletes(ctx, math.ceil(args.schedules / args.per_athlete))
        out["seed_athletes_s"] = round(time.monotonic() - t0, 2)
        out["athletes"] = len(athletes)
        say(f"  {kind}: {len(athletes)} athletes in {out['seed_athletes_s']} s; baseline ...")
        out["baseline"] = await baseline(database_url, args.schedules)
        say(f"  {kind}: baseline {out['baseline']}")
        instant = next_minute(args.lead)
        out["fire_instant"] = dt.datetime.fromtimestamp(instant, dt.UTC).isoformat()
        out["seed"] = await seed_schedules(ctx, athletes, args.per_athlete, instant)
        total = len(athletes) * args.per_athlete
        out["schedules"] = total
        say(f"  {kind}: {total} schedules due at {out['fire_instant']}: {out['seed']}")
        workers = await start_workers(dbtmp, database_url, workers_n, args.horizon_days)
        pids = [pid for pid, _, _ in workers]
        ahead = instant - time.time()
        say(f"  {kind}: {workers_n} worker(s) up, {ahead:.1f} s before the minute")
        if ahead < 2:
            raise RuntimeError(f"the workers came up {-ahead:.1f} s after T: raise --lead")
        await asyncio.sleep(max(0.0, instant - time.time() - 1.0))
        profiles = []
        if args.profile:
            for i, pid in enumerate(pids):
                profiles.append(
                    await start_profile(CHILDREN, dbtmp, pid, args.profile_s, f"worker{i}")
                )
        pg_pids = processes_named("postgres") if kind == "postgresql" else []
        progress: list[tuple[float, int]] = []
        await asyncio.sleep(max(0.0, instant - time.time()))
        c0 = [cpu_seconds(p) for p in pids]
        pg0, m0, w0 = total_cpu_seconds(pg_pids), machine_busy_s(), time.time()
        q0, pq0 = run_queue_s(pids), run_queue_s(pg_pids)
        count = 0
        while count < total and time.time() < instant + args.fire_timeout:
            await asyncio.sleep(0.2)
            count = await fired_count(db)
            progress.append((round(time.time() - instant, 2), count))
        w1 = time.time()
        c1 = [cpu_seconds(p) for p in pids]
        pg1, m1 = total_cpu_seconds(pg_pids), machine_busy_s()
        q1, pq1 = run_queue_s(pids), run_queue_s(pg_pids)
        window = w1 - w0
        all_at = progress[-1][0] if count >= total else None
        out["all_committed_s"] = all_at
        out["progress"] = progress[:: max(1, len(progress) // 40)]
        out["cpu_window_s"] = round(window, 2)
        spent = [b - a for a, b in zip(c0, c1, strict=True)]
        out["worker_cpu_pct"] = [round(100 * s / window, 1) for s in spent]
        out["postgres_cpu_pct"] = round(100 * (pg1 - pg0) / window, 1)
        # Waiting for a CPU while runnable, in % of the window: the machine's other load.
        out["worker_run_queue_pct"] = round(100 * (q1 - q0) / window, 1)
        out["postgres_run_queue_pct"] = round(100 * (pq1 - pq0) / window, 1)
        busy = (m1 - m0) - sum(spent) - (pg1 - pg0)
        out["others_cpu_pct"] = round(100 * max(0.0, busy) / window, 1)  # includes this bench
        out["worker_cpu_s_per_1000_fires"] = round(1000 * sum(spent) / max(count, 1), 3)
        say(f"  {kind}: {count}/{total} committed by +{progress[-1][0]} s; a 2 s grace ...")
        await asyncio.sleep(2)  # a duplicate from a second worker would be in by now
        out.update(await outcome(db, instant, total))
        out["profiles"] = [await finish_profile(p, dbtmp) for p in profiles]
        for proc in [p for p in CHILDREN.popen if p.pid in pids]:
            CHILDREN.stop(proc)
        statements = 0
        for _, log, path in workers:
            if path.exists():
                stamps = json.loads(path.read_text())
                statements += sum(1 for s in stamps if instant - 0.5 <= s <= w1)
            out.setdefault("worker_log_tails", []).append(tail(log, 5))
        out["statements_in_window"] = statements
        out["statements_per_fire"] = round(statements / max(out["notifications"], 1), 2)
        b = out["baseline"]
        if all_at is not None:
            out["all_vs_executemany"] = round(all_at / b["executemany_s"], 2)
            out["all_vs_per_row"] = round(all_at / b["per_row_s"], 2)
        return out
    finally:
        for proc in list(CHILDREN.popen):
            CHILDREN.stop(proc)
        CHILDREN.popen.clear()
        await ctx.close()
        if pg_name is not None:
            with contextlib.suppress(Exception):
                await drop_database(ns, pg_name)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="setpoint-bench-"))
    report: dict[str, Any] = {
        **report_header(args, TARGETS, hidden=("pg_url", "json", "sessions")),
        "runs": {},
    }
    try:
        report["others_cpu_pct_before"] = await wait_for_quiet(args.wait_quiet)
        kinds = ("postgresql", "sqlite") if args.db == "both" else (args.db,)
        for kind in kinds:
            report["runs"][kind] = await one_database(args, kind, tmp)
        report["others_cpu_pct_after"] = await wait_for_quiet(0)
        return report
    finally:
        await CHILDREN.close()
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def table(report: dict[str, Any]) -> str:
    a, t = report["args"], report["targets"]
    lines = [
        f"schedules bench, {a['schedules']} schedules due in one minute, horizon "
        f"{a['horizon_days']:g} d, source {report['source_digest']}, {report['date']}",
        "",
        "| db | workers | all committed | lateness p50 / p99 / max | duplicates | lost | "
        "baseline executemany / per row | all / baseline | worker CPU | PostgreSQL CPU | "
        "statements per fire |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    verdicts = []
    for kind, r in report["runs"].items():
        lat, b = r["lateness"], r["baseline"]
        all_at = r["all_committed_s"]
        ratio = f"{r['all_vs_executemany']} / {r['all_vs_per_row']}" if all_at is not None else "-"
        lines.append(
            f"| {kind} | {r['workers']} | {'-' if all_at is None else f'{all_at} s'} | "
            f"{lat['p50_ms'] / 1000:.2f} / {lat['p99_ms'] / 1000:.2f} / "
            f"{lat['max_ms'] / 1000:.2f} s | {r['duplicates']} | {r['lost']} | "
            f"{b['executemany_s']} / {b['per_row_s']} s | {ratio} | "
            f"{' + '.join(f'{c} %' for c in r['worker_cpu_pct'])} | {r['postgres_cpu_pct']} % | "
            f"{r['statements_per_fire']} |"
        )
        within = all_at is not None and all_at <= t["all_fired_within_s"]
        p99 = lat["p99_ms"] / 1000 < t["lateness_p99_s"]
        exact = r["duplicates"] == 0 and r["lost"] == 0 and r["fire_rows_not_fired"] == 0
        verdicts.append(
            f"{kind}: all within {t['all_fired_within_s']:g} s {verdict(within)}; "
            f"p99 < {t['lateness_p99_s']:g} s {verdict(p99)}; exactly once {verdict(exact)}"
            f" (worker CPU {r['worker_cpu_s_per_1000_fires']} s per 1,000 fires, others "
            f"{r['others_cpu_pct']} % of a core incl. this bench)"
        )
    lines += ["", *verdicts]
    lines.append(
        f"other processes: {report['others_cpu_pct_before']} % of a core before, "
        f"{report.get('others_cpu_pct_after')} % after"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--schedules", type=int, default=10_000)
    p.add_argument("--per-athlete", type=int, default=10, help="schedules per athlete")
    p.add_argument("--db", choices=("both", "postgresql", "sqlite"), default="both")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="admin URL; a scratch db is made beside")
    p.add_argument("--pg-workers", type=int, default=2, help="worker processes on PostgreSQL")
    p.add_argument("--horizon-days", type=float, default=0.25, help="planning horizon")
    p.add_argument("--lead", type=float, default=30.0, help="at least this far ahead, the minute")
    p.add_argument("--fire-timeout", type=float, default=120.0, help="wait for all, seconds")
    p.add_argument("--quick", action="store_true", help="1,000 schedules (a smoke run)")
    p.add_argument("--profile", action="store_true", help="py-spy each worker while firing")
    p.add_argument("--profile-s", type=float, default=15.0, help="seconds of profile")
    add_run_args(p)
    args = p.parse_args(argv)
    if args.quick:
        args.schedules = min(args.schedules, 1000)
    args.sessions = 0  # run_main's open-file check: few sockets here
    return args


def main() -> None:
    run_main(parse_args(), run, table)


if __name__ == "__main__":
    main()

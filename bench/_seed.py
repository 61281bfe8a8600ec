"""Seeding for the sessions bench, through the service layer straight against the database
(no HTTP logins): athletes, a bearer token each, a workout each, one session each.

Live sessions are left `not_started` (the bench's clients start them over their sockets);
the sessions of the GET pool are started here, on a plan whose first segment outlasts the run.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from setpoint.auth import service as auth_service
from setpoint.auth.model import Actor, Role
from setpoint.auth.passwords import Passwords
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.sessions import service as session_service
from setpoint.workouts import service as workout_service
from setpoint.workouts.schemas import WorkoutIn

PASSWORD = "bench-password-1"
BATCH = 200  # athletes per transaction


@dataclass(frozen=True, slots=True)
class Seeded:
    session_id: str
    token: str
    first_segment_s: int


def workout_doc(name: str, first_s: int, interval_s: int, repeats: int) -> dict[str, Any]:
    """A run whose first boundary is at `first_s`, then one every `interval_s`."""
    return {
        "name": name,
        "sport": "run",
        "steps": [
            {
                "name": "Warm up",
                "intensity": "warmup",
                "duration": {"type": "time", "seconds": first_s},
                "targets": [{"type": "hr_zone", "zone": 2}],
            },
            {
                "repeat": repeats,
                "steps": [
                    {
                        "intensity": "interval",
                        "duration": {"type": "time", "seconds": interval_s},
                        "targets": [{"type": "hr_range", "low": 150, "high": 165}],
                    },
                    {"intensity": "recovery", "duration": {"type": "time", "seconds": interval_s}},
                ],
            },
            {"intensity": "cooldown", "duration": {"type": "time", "seconds": 600}},
        ],
    }


def first_segment(i: int, low: int, high: int) -> int:
    """Spread over [low, high] by a stride coprime with typical sizes (staggered, repeatable)."""
    span = high - low + 1
    return low + (i * 7919) % span


async def _athlete(
    ctx: Context, uow: Any, email: str, doc: dict[str, Any], start: bool
) -> tuple[str, str]:
    session = uow.session
    user = await auth_service.create_user(ctx, session, email, PASSWORD, Role.ATHLETE)
    token, _ = await auth_service.issue_token(ctx, session, email, PASSWORD)
    actor = Actor(user_id=user.id, email=user.email, role=Role.ATHLETE)
    workout = await workout_service.create(ctx, session, actor, WorkoutIn.model_validate(doc))
    row = await session_service.create(ctx, uow, actor, workout.id, None)
    if start:
        await session_service.command(ctx, uow, actor, row.id, "start")
    return str(row.id), token


async def seed(
    database_url: str,
    live: int,
    pool: int,
    first_low: int,
    first_high: int,
    interval_s: int,
    repeats: int,
    log: Any = print,
) -> tuple[list[Seeded], list[Seeded], float]:
    """Migrate, then seed `live` not-started and `pool` started sessions; returns them and
    the seconds it took."""
    settings = Settings(
        database_url=database_url,
        # Seeding cost only: the hash is checked by nobody (tokens are issued here).
        argon2_memory_kib=64,
        argon2_time_cost=1,
        argon2_parallelism=1,
        log_level="warning",
        run_workers=False,
    )
    db = Database(database_url)
    t0 = time.monotonic()
    try:
        await migrate.upgrade(db)
        ctx = Context(settings, db, SystemClock(), Passwords(settings))
        tag = uuid.uuid4().hex[:6]
        live_out: list[Seeded] = []
        pool_out: list[Seeded] = []
        plan: list[tuple[str, int, bool]] = [
            (f"live{i}-{tag}@bench.example", first_segment(i, first_low, first_high), False)
            for i in range(live)
        ] + [(f"pool{i}-{tag}@bench.example", 3600, True) for i in range(pool)]
        for at in range(0, len(plan), BATCH):
            async with db.transaction() as uow:
                for email, first_s, start in plan[at : at + BATCH]:
                    doc = workout_doc(f"bench {first_s}s", first_s, interval_s, repeats)
                    sid, token = await _athlete(ctx, uow, email, doc, start)
                    (pool_out if start else live_out).append(Seeded(sid, token, first_s))
            done = min(at + BATCH, len(plan))
            if done % 2000 < BATCH or done == len(plan):
                log(f"  seeded {done}/{len(plan)} athletes ({time.monotonic() - t0:.1f} s)")
        return live_out, pool_out, time.monotonic() - t0
    finally:
        await db.dispose()

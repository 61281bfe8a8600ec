"""Seeding for the benches, through the service layer straight against the database (no HTTP
logins): athletes, a bearer token each, a workout each, one session each.

`seed` (sessions bench): live sessions are left `not_started` (the bench's clients start
them over their sockets); the sessions of the GET pool are started here, on a plan whose
first segment outlasts the run. `seed_athletes` takes any list of `Athlete`s (the heart-rate
bench: started sessions on a one-segment plan with an `hr_range` target, and a profile).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from setpoint.auth import service as auth_service
from setpoint.auth.model import Actor, Role, hash_token, new_token
from setpoint.auth.tables import AccessToken
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.heartrate import service as heartrate_service
from setpoint.heartrate.model import Profile
from setpoint.sessions import service as session_service
from setpoint.wiring import build_context
from setpoint.workouts import service as workout_service
from setpoint.workouts.schemas import WorkoutIn

PASSWORD = "bench-password-1"
BATCH = 200  # athletes per transaction


@dataclass(frozen=True, slots=True)
class Seeded:
    session_id: str
    token: str
    first_segment_s: int


@dataclass(frozen=True, slots=True)
class Athlete:
    """One athlete to seed: a workout from `doc`, a session (started or not), a profile."""

    email: str
    doc: dict[str, Any]
    first_segment_s: int
    start: bool
    max_hr: int | None = None


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


async def _athlete(ctx: Context, uow: Any, spec: Athlete) -> Seeded:
    session = uow.session
    user = await auth_service.create_user(ctx, session, spec.email, PASSWORD, Role.ATHLETE)
    token, now = new_token(), ctx.clock.now()  # as `issue_token`, in the seeding transaction
    session.add(
        AccessToken(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=ctx.settings.token_ttl_s),
            revoked_at=None,
        )
    )
    actor = Actor(user_id=user.id, email=user.email, role=Role.ATHLETE)
    if spec.max_hr is not None:
        profile = Profile(max_hr=spec.max_hr)
        await heartrate_service.replace(ctx, uow, actor, user.id, profile)
    workout = await workout_service.create(ctx, session, actor, WorkoutIn.model_validate(spec.doc))
    row = await session_service.create(ctx, uow, actor, workout.id, None)
    if spec.start:
        await session_service.command(ctx, uow, actor, row.id, "start")
    return Seeded(str(row.id), token, spec.first_segment_s)


async def seed_athletes(
    database_url: str, athletes: Sequence[Athlete], log: Callable[[str], None] = print
) -> tuple[list[Seeded], float]:
    """Migrate, then seed `athletes`, `BATCH` per transaction; what was seeded (in order) and
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
        ctx = build_context(settings, SystemClock(), db=db)
        out: list[Seeded] = []
        for at in range(0, len(athletes), BATCH):
            async with db.transaction() as uow:
                for spec in athletes[at : at + BATCH]:
                    out.append(await _athlete(ctx, uow, spec))
            done = min(at + BATCH, len(athletes))
            if done % 2000 < BATCH or done == len(athletes):
                log(f"  seeded {done}/{len(athletes)} athletes ({time.monotonic() - t0:.1f} s)")
        return out, time.monotonic() - t0
    finally:
        await db.dispose()


async def seed(
    database_url: str,
    live: int,
    pool: int,
    first_low: int,
    first_high: int,
    interval_s: int,
    repeats: int,
    log: Callable[[str], None] = print,
) -> tuple[list[Seeded], list[Seeded], float]:
    """Migrate, then seed `live` not-started and `pool` started sessions; returns them and
    the seconds it took."""
    tag = uuid.uuid4().hex[:6]
    plan = [
        Athlete(f"live{i}-{tag}@bench.example", doc, first_s, start=False)
        for i in range(live)
        for first_s in [first_segment(i, first_low, first_high)]
        for doc in [workout_doc(f"bench {first_s}s", first_s, interval_s, repeats)]
    ] + [
        Athlete(f"pool{i}-{tag}@bench.example", doc, 3600, start=True)
        for i in range(pool)
        for doc in [workout_doc("bench 3600s", 3600, interval_s, repeats)]
    ]
    seeded, seconds = await seed_athletes(database_url, plan, log)
    return seeded[:live], seeded[live:], seconds

"""Schedule fires with two `setpoint worker` processes on one PostgreSQL database:
a schedule firing every minute gets exactly one `WorkoutReady` per fire, at its minute.

PostgreSQL only: skipped when SETPOINT_TEST_DATABASE_URL is not set. It waits for two real
fires, so up to two minutes of wall time, polling the database with a bounded wait.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from setpoint.auth import service as auth_service
from setpoint.auth.model import Role
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.notifications.tables import Notification
from setpoint.schedules import service as schedules
from setpoint.wiring import build_context
from setpoint.workouts import service as workouts
from setpoint.workouts.schemas import WorkoutIn
from tests.e2e.procs import processes
from tests.integration.test_plans import RUN
from tests.support import scratch_postgres

pytestmark = pytest.mark.services

FIRES = 2
LATE_S = 5.0  # a fire is announced less than this after its minute


async def schedule_every_minute(database_url: str) -> None:
    settings = Settings(database_url=database_url, argon2_time_cost=1, argon2_memory_kib=1024)
    db = Database(database_url)
    ctx = build_context(settings, SystemClock(), db=db)
    try:
        async with db.transaction() as uow:
            user = await auth_service.create_user(
                ctx, uow.session, "every-minute@example.com", "pass-word-1", Role.ATHLETE
            )
            actor = await auth_service.actor_for_user(uow.session, user)
            workout = await workouts.create(ctx, uow.session, actor, WorkoutIn.model_validate(RUN))
            fields = {
                "workout_id": workout.id,
                "cron": "* * * * *",
                "time_zone": "Europe/Paris",
                "type": "ENDURANCE",
            }
            await schedules.create(ctx, uow, actor, fields)
    finally:
        await ctx.close()


async def announced(db: Database) -> list[Notification]:
    async with db.transaction(write=False) as uow:
        rows = await uow.session.scalars(
            select(Notification).where(Notification.type == "WorkoutReady")
        )
        return list(rows)


async def test_two_workers_fire_every_minute_once(tmp_path: Path) -> None:
    async with scratch_postgres() as url:
        db = Database(url)
        await migrate.upgrade(db)
        await schedule_every_minute(url)
        with processes(tmp_path, url, SETPOINT_WORKER_POLL_S="1") as procs:
            workers = [procs.worker("worker-a"), procs.worker("worker-b")]
            for worker in workers:
                await worker.wait_for_log("worker running")
            deadline = time.monotonic() + 60 * (FIRES + 1)
            notes = await announced(db)
            while len({n.payload["at"] for n in notes}) < FIRES:
                assert time.monotonic() < deadline, f"{len(notes)} fires in {60 * (FIRES + 1)} s"
                assert all(w.alive for w in workers), "a worker exited"
                await asyncio.sleep(0.2)
                notes = await announced(db)
            await asyncio.sleep(2)  # a duplicate from the other worker would be in by now
            notes = await announced(db)
        await db.dispose()
    per_fire = Counter(n.payload["at"] for n in notes)
    assert all(count == 1 for count in per_fire.values()), per_fire
    for note in notes:
        instant = datetime.fromisoformat(note.payload["at"].replace("Z", "+00:00"))
        assert instant.second == 0 and instant.tzinfo == UTC
        lateness = (note.created_at - instant).total_seconds()
        assert 0 <= lateness < LATE_S, f"announced {lateness:.3f} s after {instant}"

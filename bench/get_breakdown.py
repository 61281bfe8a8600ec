"""Where the time of one `GET /api/sessions/{id}` goes, layer by layer, in-process (no HTTP):
the read transaction, the token -> actor lookup, the session row, the state document.

    .venv/bin/python bench/get_breakdown.py [--db sqlite|postgresql] [-n 2000]

Each line is the mean wall time per call over `n` sequential calls on an idle process (no
concurrency: on a busy server the thread hops and queueing come on top). Compare with the
per-request cost of the bare endpoint in `bench/sessions.py` (1 / its requests/s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _seed import seed
from setpoint.auth.passwords import Passwords
from setpoint.auth.service import actor_for_token
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.db.engine import Database
from setpoint.sessions import service

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def timed(label: str, n: int, fn: Callable[[], Awaitable[Any]]) -> float:
    for _ in range(min(200, n)):
        await fn()
    t0 = time.perf_counter()
    for _ in range(n):
        await fn()
    per = (time.perf_counter() - t0) / n * 1e6
    print(f"  {label:<58}{per:9.0f} us")
    return per


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="setpoint-get-breakdown-"))
    pg_name = None
    try:
        if args.db == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp / 'setpoint.db'}"
        else:
            from sqlalchemy import text
            from sqlalchemy.engine import make_url
            from sqlalchemy.ext.asyncio import create_async_engine

            pg_name = f"setpoint_bench_{uuid.uuid4().hex[:10]}"
            admin = create_async_engine(args.pg_url, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
            await admin.dispose()
            url = make_url(args.pg_url).set(database=pg_name).render_as_string(False)
        _, pool, _ = await seed(url, 0, 20, 20, 60, 30, 4, log=lambda _: None)
        settings = Settings(database_url=url, log_level="warning", run_workers=False)
        db = Database(url)
        ctx = Context(settings, db, SystemClock(), Passwords(settings))
        target = pool[0]
        sid = uuid.UUID(target.session_id)
        async with db.transaction(write=False) as uow:
            actor = await actor_for_token(ctx, uow.session, target.token)
            row = await service.visible(uow.session, actor, sid)
        n = args.n
        print(f"GET /api/sessions/{{id}} layers on {args.db}, mean of {n} sequential calls:")

        async def txn() -> None:
            async with db.transaction(write=False):
                pass

        async def token() -> None:
            async with db.transaction(write=False) as uow:
                await actor_for_token(ctx, uow.session, target.token)

        async def session_row() -> None:
            async with db.transaction(write=False) as uow:
                await service.visible(uow.session, actor, sid)

        async def everything() -> None:
            async with db.transaction(write=False) as uow:
                who = await actor_for_token(ctx, uow.session, target.token)
                found = await service.visible(uow.session, who, sid)
                json.dumps(service.state_doc(found, ctx.timeline.now()), separators=(",", ":"))

        async def compute() -> None:
            json.dumps(service.state_doc(row, ctx.timeline.now()), separators=(",", ":"))

        await timed("empty read transaction (session, BEGIN, ROLLBACK)", n, txn)
        await timed("transaction + token -> actor (2 queries)", n, token)
        await timed("transaction + session row (1 query)", n, session_row)
        await timed("state_doc + json.dumps (no I/O)", n, compute)
        await timed("all of it, as the route does (no HTTP, no FastAPI)", n, everything)
        await db.dispose()
    finally:
        if pg_name is not None:
            from sqlalchemy import text
            from sqlalchemy.ext.asyncio import create_async_engine

            admin = create_async_engine(args.pg_url, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            await admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(run(args))
    except ImportError:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()

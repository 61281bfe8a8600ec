"""Schema fuzzing soak: the checks of `tests/integration/test_fuzz_api.py` (no 5xx, documented
statuses and content types, bodies that match the documented schemas), with many more
examples per operation and a new seed each round.

    .venv/bin/python bench/fuzz.py [--db sqlite|postgresql] [--examples 100] [--rounds 3]
                                   [--seed N]

Each round builds a fresh world on a fresh database (a temp SQLite file, or a scratch
PostgreSQL database with `--db postgresql`, dropped at the end): an athlete and their coach,
and the objects the path ids point at; then every operation is called in process (ASGI) as
the athlete and as the coach. Prints the calls per status and operation, and each distinct
failure once with an example; exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's fuzzing code, reused as it is

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from tests.conftest import UserHandle  # noqa: E402
from tests.integration.test_fuzz_api import ROLES, Tally, build_world, fuzz  # noqa: E402

from _harness import DEFAULT_PG, drop_database, make_database  # noqa: E402
from setpoint.app import create_app  # noqa: E402
from setpoint.auth import service as auth_service  # noqa: E402
from setpoint.auth.model import Role  # noqa: E402
from setpoint.config import Settings  # noqa: E402
from setpoint.db import migrate  # noqa: E402
from setpoint.db.engine import Database  # noqa: E402

PASSWORD = "correct horse battery"


async def one_round(args: argparse.Namespace, seed: int, tmp: Path) -> list[Tally]:
    url, scratch = await make_database(args, tmp)
    try:
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()
        settings = Settings(
            database_url=url,
            argon2_time_cost=1,
            argon2_memory_kib=64,
            argon2_parallelism=1,
            log_format="json",
            log_level="error",
            run_workers=False,
            webhook_allow_private=True,
        )
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://setpoint.test"
            ) as client:
                made = iter(range(1, 1000))

                async def make_user(
                    role: Role = Role.ATHLETE, coach: UserHandle | None = None, **_: Any
                ) -> UserHandle:
                    email = f"{role}{next(made)}@example.com"
                    async with app.state.context.db.transaction() as uow:
                        user = await auth_service.create_user(
                            app.state.context,
                            uow.session,
                            email,
                            PASSWORD,
                            role,
                            coach.email if coach else None,
                        )
                    r = await client.post(
                        "/api/auth/token", json={"email": email, "password": PASSWORD}
                    )
                    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
                    return UserHandle(str(user.id), email, PASSWORD, role, headers)

                # One world per role (the athlete's deletions must not leave the coach 404s),
                # all built first: the fuzzed logins soon get this client throttled.
                worlds = [await build_world(client, make_user) for _ in ROLES]
                tallies = []
                for role, world in zip(ROLES, worlds, strict=True):
                    budget = {
                        "real": args.examples,
                        "negative": max(1, args.examples // 2),
                        "generated": max(1, args.examples // 4),
                    }

                    def progress(label: str, statuses: Counter[int], role: Role = role) -> None:
                        if args.verbose:
                            print(f"  {role:8} {label}: {dict(sorted(statuses.items()))}")

                    tallies.append(await fuzz(app, client, world, role, budget, seed, progress))
        return tallies
    finally:
        if scratch is not None:
            await drop_database(args, scratch)


async def main(args: argparse.Namespace) -> int:
    total = Tally()
    started = time.monotonic()
    for n in range(args.rounds):
        seed = args.seed + n
        with tempfile.TemporaryDirectory() as tmp:
            tallies = await one_round(args, seed, Path(tmp))
        for tally in tallies:
            total.statuses.update(tally.statuses)
            for label, statuses in tally.by_operation.items():
                total.by_operation.setdefault(label, Counter()).update(statuses)
            for where, example in tally.failures.items():
                total.failures.setdefault(where, example)
        calls = sum(t.calls for t in tallies)
        print(f"round {n + 1} (seed {seed}): {calls} calls, {len(total.failures)} failures so far")
    elapsed = time.monotonic() - started
    print(f"\n{'operation':70} calls  statuses")
    for label, statuses in sorted(total.by_operation.items()):
        print(f"{label:70} {sum(statuses.values()):5}  {dict(sorted(statuses.items()))}")
    print(
        f"\n{total.calls} calls over {len(total.by_operation)} operations in {elapsed:.0f} s "
        f"({args.db}): {dict(sorted(total.statuses.items()))}"
    )
    fives = sum(n for status, n in total.statuses.items() if status >= 500)
    print(f"5xx: {fives}; distinct failures: {len(total.failures)}")
    for where, example in total.failures.items():
        print(f"\n--- {where}\n{example}")
    return 1 if total.failures else 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--examples", type=int, default=100, help="valid examples per operation")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--verbose", action="store_true", help="print each operation's counts")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))

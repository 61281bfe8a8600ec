"""`setpoint serve` under Granian instead of uvicorn, for `heartrate.py --server granian`: a
comparison of ASGI servers only (Setpoint serves with uvicorn).

    python bench/_granian_serve.py serve --host 127.0.0.1 --port 8000

Settings come from the environment, as for `setpoint serve`: migrations first, then one
Granian process (ASGI interface, uvloop, WebSockets) serving `setpoint.cli.main:served_app`,
the app of a `serve --workers N` process (collector tuned as `setpoint serve` tunes it).
"""

from __future__ import annotations

import argparse
import asyncio

from granian import Granian
from granian.constants import Interfaces, Loops
from granian.log import LogLevels

from setpoint.config import get_settings
from setpoint.db import migrate
from setpoint.db.engine import Database


async def upgrade(url: str) -> None:
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("serve",))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(upgrade(get_settings().database_url))
    Granian(
        "setpoint.cli.main:served_app",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        factory=True,
        loop=Loops.uvloop,
        websockets=True,
        log_level=LogLevels.warning,
    ).serve()


if __name__ == "__main__":
    main()

"""What a running Setpoint process holds (settings, database, clock, hashers), and the
request dependencies that hand it, and one transaction per request, to the endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from setpoint.auth.passwords import Passwords
from setpoint.clock import Clock
from setpoint.config import Settings
from setpoint.db.engine import Database, UnitOfWork

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(slots=True)
class Context:
    settings: Settings
    db: Database
    clock: Clock
    passwords: Passwords


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request, committed before the response is sent."""
    db = get_context(request).db
    async with db.transaction(write=request.method not in READ_METHODS) as uow:
        yield uow


Ctx = Annotated[Context, Depends(get_context)]
UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]

"""The FastAPI dependencies that hand the process context, and one transaction per request,
to the endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from setpoint.context import Context
from setpoint.db.engine import UnitOfWork

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_context(request: Request) -> Context:
    # `async`, like every dependency here: FastAPI runs plain `def` ones in a thread pool.
    return context_of(request)


def context_of(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request, committed before the response is sent."""
    db = context_of(request).db
    async with db.transaction(write=request.method not in READ_METHODS) as uow:
        yield uow


Ctx = Annotated[Context, Depends(get_context)]
UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]

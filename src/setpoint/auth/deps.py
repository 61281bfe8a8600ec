"""The authentication dependency every route uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from setpoint.auth import service
from setpoint.auth.model import Actor
from setpoint.dependencies import Ctx
from setpoint.errors import NotAuthenticated


async def bearer_token(request: Request) -> str:
    return token_of(request)


def token_of(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "send 'Authorization: Bearer <token>' (get one from POST /api/auth/token)"
        )
    return token.strip()


async def current_actor(ctx: Ctx, token: Annotated[str, Depends(bearer_token)]) -> Actor:
    return await service.actor_for_token(ctx, token)


CurrentActor = Annotated[Actor, Depends(current_actor)]
Token = Annotated[str, Depends(bearer_token)]

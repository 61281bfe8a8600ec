from __future__ import annotations

from fastapi import APIRouter, Request, Response

from setpoint.auth import service
from setpoint.auth.deps import CurrentActor, Token
from setpoint.auth.schemas import MeOut, TokenOut, TokenRequest, UserCreate, UserOut
from setpoint.dependencies import Ctx, UoW
from setpoint.errors import Forbidden

router = APIRouter(prefix="/api", tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={429: {"description": "too many failed logins; `Retry-After` says when to retry"}},
)
async def create_token(
    body: TokenRequest, ctx: Ctx, request: Request, response: Response
) -> TokenOut:
    """A bearer token for a right e-mail and password. Failed logins are throttled by account
    and by client address: past a few, 429 with `Retry-After`, a wait that doubles each time."""
    address = request.client.host if request.client else "unknown"
    token, row = await service.issue_token(ctx, body.email, body.password, address)
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(access_token=token, expires_at=row.expires_at)


@router.delete("/auth/token", status_code=204)
async def revoke_token(ctx: Ctx, uow: UoW, actor: CurrentActor, token: Token) -> Response:
    """Revoke the token: HTTP refuses it at once, and the live sockets it opened close (4401)."""
    await service.revoke_token(ctx, uow, token)
    return Response(status_code=204)


@router.get("/me", response_model=MeOut)
async def me(actor: CurrentActor) -> MeOut:
    return MeOut(
        id=actor.user_id,
        email=actor.email,
        role=actor.role,
        coach_ids=sorted(actor.coach_ids),
        athlete_ids=sorted(actor.athlete_ids),
    )


@router.get("/athletes", response_model=list[UserOut])
async def my_athletes(uow: UoW, actor: CurrentActor) -> list[UserOut]:
    """The athletes a coach coaches."""
    users = await service.athletes_of(uow.session, actor)
    return [UserOut.model_validate(u, from_attributes=True) for u in users]


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, ctx: Ctx, uow: UoW, actor: CurrentActor) -> UserOut:
    """Admins create accounts (the CLI does the same: `setpoint users create`)."""
    if not actor.is_admin:
        raise Forbidden("only admins create users")
    user = await service.create_user(
        ctx, uow.session, body.email, body.password, body.role, body.coach_email
    )
    return UserOut.model_validate(user, from_attributes=True)

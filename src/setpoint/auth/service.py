"""Users, coach links and tokens: one function per use case; flushes, never commits, except
`issue_token` and `authenticate`, which open their own short transactions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import repository
from setpoint.auth.model import Actor, ActorCache, Role, hash_token, new_token
from setpoint.auth.passwords import Passwords
from setpoint.auth.revocations import publish_revoked
from setpoint.auth.tables import AccessToken, CoachLink, User
from setpoint.auth.throttle import LoginThrottle
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import (
    AlreadyExists,
    BadRequest,
    InvalidCredentials,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)

MIN_PASSWORD = 8


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 320 or " " in email:
        raise BadRequest(f"email: {email!r} is not an e-mail address")
    return email


async def create_user(
    ctx: Context,
    session: AsyncSession,
    email: str,
    password: str,
    role: Role,
    coach_email: str | None = None,
) -> User:
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"password: must be at least {MIN_PASSWORD} characters")
    if await repository.user_by_email(session, email) is not None:
        raise AlreadyExists(f"email: a user with e-mail {email} already exists")
    coach = None
    if coach_email is not None:
        if role is not Role.ATHLETE:
            raise BadRequest("coach: only athletes are linked to a coach")
        coach = await repository.user_by_email(session, normalize_email(coach_email))
        if coach is None or coach.role != Role.COACH:
            raise NotFound(f"coach: no coach with e-mail {coach_email}")
    now = ctx.clock.now()
    password_hash = await ctx.part(Passwords).hash(password)
    user = User(email=email, password_hash=password_hash, role=role, created_at=now)
    session.add(user)
    await session.flush()
    if coach is not None:
        session.add(CoachLink(coach_id=coach.id, athlete_id=user.id, created_at=now))
        await session.flush()
    return user


async def issue_token(
    ctx: Context, email: str, password: str, address: str
) -> tuple[str, AccessToken]:
    """A new token for a right password. Throttled by account and by client `address`
    (429 with the wait); the password is checked with no transaction open, so the database
    writer is never held while Argon2 runs."""
    email = email.strip().lower()
    throttle = ctx.part(LoginThrottle)
    wait = throttle.attempt(email, address, ctx.clock.monotonic())
    if wait:
        raise TooManyRequests(
            f"too many failed logins; retry in {math.ceil(wait)} s", retry_after=math.ceil(wait)
        )
    async with ctx.db.transaction(write=False) as uow:
        user = await repository.user_by_email(uow.session, email)
    ok = await ctx.part(Passwords).verify(user.password_hash if user else None, password)
    if user is None or not ok:
        raise InvalidCredentials("email or password is wrong")
    throttle.succeeded(email, address)
    token = new_token()
    now = ctx.clock.now()
    row = AccessToken(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ctx.settings.token_ttl_s),
        revoked_at=None,
    )
    async with ctx.db.transaction() as uow:
        uow.session.add(row)
    return token, row


async def revoke_token(ctx: Context, uow: UnitOfWork, token: str) -> None:
    """Revoke `token`; once committed, every process forgets it and closes its sockets."""
    token_hash = hash_token(token)
    await repository.revoke_token(uow.session, token_hash, ctx.clock.now())
    ctx.part(ActorCache).drop(token_hash)
    uow.after_commit(partial(publish_revoked, ctx, token_hash))


@dataclass(frozen=True, slots=True)
class Authenticated:
    actor: Actor
    token_hash: str
    expires_at: float  # epoch seconds


async def actor_for_token(ctx: Context, token: str) -> Actor:
    return (await authenticate(ctx, token)).actor


async def authenticate(ctx: Context, token: str) -> Authenticated:
    """Who holds `token`, and until when: from the actor cache, else read in a transaction of
    its own (so a request that needs nothing else from the database opens none)."""
    # Wall time, as tokens expire on it (the session timeline runs faster in demos).
    token_hash, now = hash_token(token), ctx.clock.now().timestamp()
    cached = ctx.part(ActorCache).get(token_hash, now)
    if cached is not None:
        return Authenticated(cached[0], token_hash, cached[1])
    async with ctx.db.transaction(write=False) as uow:
        found = await repository.user_by_token(uow.session, token_hash, ctx.clock.now())
        if found is None:
            raise NotAuthenticated("the bearer token is unknown, expired or revoked")
        user, expires_at = found
        actor = await actor_for_user(uow.session, user)
    ctx.part(ActorCache).put(token_hash, actor, now, expires_at.timestamp())
    return Authenticated(actor, token_hash, expires_at.timestamp())


async def actor_for_user(session: AsyncSession, user: User) -> Actor:
    links = await repository.links_of(session, user.id)
    return Actor(
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        athlete_ids=frozenset(link.athlete_id for link in links if link.coach_id == user.id),
        coach_ids=frozenset(link.coach_id for link in links if link.athlete_id == user.id),
    )


async def athletes_of(session: AsyncSession, actor: Actor) -> list[User]:
    return await repository.athletes_of(session, actor.user_id)

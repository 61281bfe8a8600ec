"""Users, coach links and tokens: one function per use case; flushes, never commits."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import repository
from setpoint.auth.model import Actor, ActorCache, Role, hash_token, new_token
from setpoint.auth.passwords import Passwords
from setpoint.auth.tables import AccessToken, CoachLink, User
from setpoint.context import Context
from setpoint.errors import (
    AlreadyExists,
    BadRequest,
    InvalidCredentials,
    NotAuthenticated,
    NotFound,
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
    password_hash = await asyncio.to_thread(ctx.part(Passwords).hash, password)
    user = User(email=email, password_hash=password_hash, role=role, created_at=now)
    session.add(user)
    await session.flush()
    if coach is not None:
        session.add(CoachLink(coach_id=coach.id, athlete_id=user.id, created_at=now))
        await session.flush()
    return user


async def issue_token(
    ctx: Context, session: AsyncSession, email: str, password: str
) -> tuple[str, AccessToken]:
    user = await repository.user_by_email(session, email.strip().lower())
    ok = await asyncio.to_thread(
        ctx.part(Passwords).verify, user.password_hash if user else None, password
    )
    if user is None or not ok:
        raise InvalidCredentials("email or password is wrong")
    token = new_token()
    now = ctx.clock.now()
    row = AccessToken(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ctx.settings.token_ttl_s),
        revoked_at=None,
    )
    session.add(row)
    await session.flush()
    return token, row


async def revoke_token(ctx: Context, session: AsyncSession, token: str) -> None:
    token_hash = hash_token(token)
    await repository.revoke_token(session, token_hash, ctx.clock.now())
    ctx.part(ActorCache).drop(token_hash)


async def actor_for_token(ctx: Context, token: str) -> Actor:
    """Who holds `token`: from the actor cache, else read in a transaction of its own (so a
    request that needs nothing else from the database opens none)."""
    token_hash, now = hash_token(token), ctx.timeline.now()
    actor = ctx.part(ActorCache).get(token_hash, now)
    if actor is not None:
        return actor
    async with ctx.db.transaction(write=False) as uow:
        found = await repository.user_by_token(uow.session, token_hash, ctx.clock.now())
        if found is None:
            raise NotAuthenticated("the bearer token is unknown, expired or revoked")
        user, expires_at = found
        actor = await actor_for_user(uow.session, user)
    ctx.part(ActorCache).put(token_hash, actor, now, expires_at.timestamp())
    return actor


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

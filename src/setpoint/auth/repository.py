from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth.tables import AccessToken, CoachLink, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def user_by_token(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[User, datetime] | None:
    """The token's user and when the token expires, if it is valid at `now`."""
    row = (
        await session.execute(
            select(User, AccessToken.expires_at)
            .join(AccessToken, AccessToken.user_id == User.id)
            .where(
                AccessToken.token_hash == token_hash,
                AccessToken.revoked_at.is_(None),
                AccessToken.expires_at > now,
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def links_of(session: AsyncSession, user_id: uuid.UUID) -> list[CoachLink]:
    rows = await session.scalars(
        select(CoachLink).where((CoachLink.coach_id == user_id) | (CoachLink.athlete_id == user_id))
    )
    return list(rows)


async def athletes_of(session: AsyncSession, coach_id: uuid.UUID) -> list[User]:
    rows = await session.scalars(
        select(User)
        .join(CoachLink, CoachLink.athlete_id == User.id)
        .where(CoachLink.coach_id == coach_id)
        .order_by(User.email)
    )
    return list(rows)


async def revoke_token(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == token_hash, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )

"""Athlete profiles: read and replace (the athlete, their coach, or an admin)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.errors import NotFound, Unprocessable
from setpoint.heartrate.model import Profile, ZoneModel, check_profile
from setpoint.heartrate.tables import AthleteProfile


def _authorize(actor: Actor, user_id: uuid.UUID) -> None:
    if not actor.acts_for(user_id):
        raise NotFound(f"athlete {user_id} does not exist")


async def profile_of(session: AsyncSession, user_id: uuid.UUID) -> Profile:
    """The stored profile, or an empty one (pure value for zones and exports)."""
    row = await session.get(AthleteProfile, user_id)
    if row is None:
        return Profile()
    return Profile(row.max_hr, row.resting_hr, row.lthr, row.ftp_w, ZoneModel(row.zone_model))


async def get(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> AthleteProfile | None:
    _authorize(actor, user_id)
    return await session.get(AthleteProfile, user_id)


async def replace(
    ctx: Context, session: AsyncSession, actor: Actor, user_id: uuid.UUID, profile: Profile
) -> AthleteProfile:
    _authorize(actor, user_id)
    problems = check_profile(profile)
    if problems:
        raise Unprocessable("; ".join(problems), problems=problems)
    row = await session.get(AthleteProfile, user_id)
    if row is None:
        row = AthleteProfile(user_id=user_id)
        session.add(row)
    row.max_hr, row.resting_hr, row.lthr = profile.max_hr, profile.resting_hr, profile.lthr
    row.ftp_w, row.zone_model = profile.ftp_w, profile.zone_model
    row.updated_at = ctx.clock.now()
    await session.flush()
    return row

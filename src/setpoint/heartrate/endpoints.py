from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from setpoint.auth.deps import CurrentActor
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.dependencies import Ctx, UoW
from setpoint.heartrate import service
from setpoint.heartrate.schemas import ProfileIn, ProfileOut, ProfilePatch, SamplesIn, SamplesOut
from setpoint.heartrate.tables import AthleteProfile

router = APIRouter(prefix="/api", tags=["heart rate"])


def _out(user_id: uuid.UUID, row: AthleteProfile | None) -> ProfileOut:
    if row is None:
        return ProfileOut(user_id=user_id, updated_at=None)
    return ProfileOut.model_validate(row, from_attributes=True)


@router.get("/me/profile", response_model=ProfileOut)
async def my_profile(uow: UoW, actor: CurrentActor) -> ProfileOut:
    return _out(actor.user_id, await service.get(uow.session, actor, actor.user_id))


@router.put("/me/profile", response_model=ProfileOut)
async def replace_my_profile(
    body: ProfileIn, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ProfileOut:
    """The whole profile: max HR, resting HR, LTHR and FTP (each required, null when unknown),
    and optionally the zone model and the IANA time zone (kept when left out)."""
    return await _change(ctx, uow, actor, actor.user_id, body)


@router.patch("/me/profile", response_model=ProfileOut)
async def change_my_profile(
    body: ProfilePatch, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ProfileOut:
    """Only the fields sent change; null clears a value."""
    return await _change(ctx, uow, actor, actor.user_id, body)


@router.get("/athletes/{athlete_id}/profile", response_model=ProfileOut)
async def athlete_profile(athlete_id: uuid.UUID, uow: UoW, actor: CurrentActor) -> ProfileOut:
    return _out(athlete_id, await service.get(uow.session, actor, athlete_id))


@router.put("/athletes/{athlete_id}/profile", response_model=ProfileOut)
async def replace_athlete_profile(
    athlete_id: uuid.UUID, body: ProfileIn, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ProfileOut:
    """A coach sets the whole profile of an athlete they coach (as `PUT /me/profile`)."""
    return await _change(ctx, uow, actor, athlete_id, body)


@router.patch("/athletes/{athlete_id}/profile", response_model=ProfileOut)
async def change_athlete_profile(
    athlete_id: uuid.UUID, body: ProfilePatch, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ProfileOut:
    """A coach changes some fields of an athlete's profile (as `PATCH /me/profile`)."""
    return await _change(ctx, uow, actor, athlete_id, body)


async def _change(
    ctx: Context, uow: UnitOfWork, actor: Actor, user_id: uuid.UUID, body: ProfileIn | ProfilePatch
) -> ProfileOut:
    row = await service.change(ctx, uow, actor, user_id, body.model_dump(exclude_unset=True))
    return _out(user_id, row)


@router.post("/sessions/{session_id}/heart-rate", response_model=SamplesOut)
async def post_heart_rate(
    session_id: uuid.UUID, body: SamplesIn, ctx: Ctx, actor: CurrentActor
) -> SamplesOut:
    """A batch of the athlete's samples `{t, bpm, rr?}` for their running session. Samples the
    filter refuses (impossible values, far from server time, duplicates) are counted by reason
    in `rejected`, not stored. Accepted samples are written within `hr_write_every_s`
    (`stored` 0), or before the answer with `"durable": true` (`stored` = `accepted`). Over
    the session's rate: 429 with `Retry-After`."""
    result = await service.ingest(ctx, actor, session_id, body.readings(), body.durable)
    return SamplesOut(**result)


@router.get("/sessions/{session_id}/summary")
async def session_summary(
    session_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> dict[str, Any]:
    """Totals, time in each zone and in target, compliance per segment, the deviation alerts
    and a downsampled heart-rate series (at most 300 points)."""
    return await service.summary(ctx, uow.session, actor, session_id)

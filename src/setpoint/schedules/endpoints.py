from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from setpoint.auth.deps import CurrentActor
from setpoint.dependencies import Ctx, UoW
from setpoint.errors import Unprocessable
from setpoint.schedules import service
from setpoint.schedules.model import FireStatus
from setpoint.schedules.schemas import (
    FireOut,
    FirePage,
    PreviewOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePage,
    SchedulePatch,
)

router = APIRouter(prefix="/api", tags=["schedules"])


@router.post("/schedules", status_code=201, response_model=ScheduleOut)
async def create_schedule(body: ScheduleIn, ctx: Ctx, uow: UoW, actor: CurrentActor) -> ScheduleOut:
    """A workout on a cron expression (`30 6 * * TUE,THU`) in an IANA time zone, for the
    caller or, for a coach, one of their athletes. Each fire within the planning horizon
    becomes a planned session on its local date (ENDURANCE ones are pushed to the device);
    at the fire's instant the athlete gets `WorkoutReady`."""
    schedule = await service.create(ctx, uow, actor, body.model_dump())
    return await _out(ctx, uow, actor, schedule.id)


@router.get("/schedules", response_model=SchedulePage)
async def list_schedules(
    ctx: Ctx,
    uow: UoW,
    actor: CurrentActor,
    athlete_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SchedulePage:
    """The schedules of `athlete_id`, or of the caller and (for a coach) their athletes."""
    rows, total = await service.list_schedules(uow.session, actor, athlete_id, limit, offset)
    items = await service.docs(ctx, uow.session, actor, rows)
    return SchedulePage.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )


# Before `/schedules/{schedule_id}`, which would otherwise take `preview` for an id.
@router.get("/schedules/preview", response_model=PreviewOut)
async def preview(
    ctx: Ctx,
    actor: CurrentActor,
    cron: Annotated[str, Query(min_length=1, max_length=100)],
    time_zone: Annotated[str, Query(min_length=1, max_length=64)] = "UTC",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    count: Annotated[int, Query(ge=1, le=100)] = 5,
) -> PreviewOut:
    """The next `count` fires of an expression after `from` (default now; without an offset
    it is a wall time in `time_zone`). Nothing is stored."""
    if start is not None and not 2000 <= start.year <= 2199:
        raise Unprocessable(f"from: {start.date()} is outside the years 2000–2199")
    fires = service.preview(cron, time_zone, start or ctx.clock.now(), count)
    return PreviewOut.model_validate(
        {"cron": cron, "time_zone": time_zone, "fires": [service.fire_time(f) for f in fires]}
    )


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut)
async def get_schedule(
    schedule_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ScheduleOut:
    """The schedule with its next five fires (`at` in UTC, `local` in its zone)."""
    return await _out(ctx, uow, actor, schedule_id)


@router.patch("/schedules/{schedule_id}", response_model=ScheduleOut)
async def change_schedule(
    schedule_id: uuid.UUID, body: SchedulePatch, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ScheduleOut:
    """Pause (`{"paused": true}`), resume, or change it. Pausing withdraws its planned
    sessions still to come; resuming or a change plans again from now."""
    changes = body.model_dump(exclude_unset=True)
    await service.change(ctx, uow, actor, schedule_id, changes)
    return await _out(ctx, uow, actor, schedule_id)


@router.delete("/schedules/{schedule_id}", status_code=204, response_class=Response)
async def delete_schedule(
    schedule_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> Response:
    """Delete it: its planned sessions still to come and not started are withdrawn (from the
    device too); those of past fires stay."""
    await service.delete(ctx, uow, actor, schedule_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/fires", response_model=FirePage)
async def schedule_fires(
    schedule_id: uuid.UUID,
    uow: UoW,
    actor: CurrentActor,
    status: FireStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FirePage:
    """Its fires, latest first: `planned` (with the planned session made ahead), `fired`,
    `missed` (due while no worker ran, beyond the grace) and `skipped` (paused, or the
    planned session was deleted)."""
    rows, total = await service.fires(uow.session, actor, schedule_id, status, limit, offset)
    items = [FireOut.model_validate(service.fire_doc(f)) for f in rows]
    return FirePage(items=items, total=total, limit=limit, offset=offset)


async def _out(ctx: Ctx, uow: UoW, actor: CurrentActor, schedule_id: uuid.UUID) -> ScheduleOut:
    schedule = await service.visible(uow.session, actor, schedule_id)
    (doc,) = await service.docs(ctx, uow.session, actor, [schedule])
    return ScheduleOut.model_validate(doc)

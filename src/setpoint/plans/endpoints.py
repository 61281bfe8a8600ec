from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from setpoint.auth.deps import CurrentActor
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.dependencies import Ctx, UoW
from setpoint.plans import service
from setpoint.plans.schemas import (
    PlanDate,
    PlanIn,
    PlannedSessionIn,
    PlannedSessionOut,
    PlannedSessionPatch,
    PlanOut,
    PlanPage,
)

router = APIRouter(prefix="/api", tags=["plans"])


@router.post("/plans", status_code=201, response_model=PlanOut)
async def create_plan(body: PlanIn, ctx: Ctx, uow: UoW, actor: CurrentActor) -> PlanOut:
    """A weekly plan for the caller or, for a coach, one of their athletes (`athlete_id`).
    `week_start` is a Monday; a second plan for the same week is 409 `plan_exists` with the
    existing plan's `plan_id`."""
    plan = await service.create_plan(ctx, uow, actor, body.athlete_id, body.week_start, body.name)
    return PlanOut(**service.plan_doc(actor, plan, 0), sessions=[])


@router.get("/plans", response_model=PlanPage)
async def list_plans(
    uow: UoW,
    actor: CurrentActor,
    athlete_id: uuid.UUID | None = None,
    start: Annotated[PlanDate | None, Query(alias="from")] = None,
    end: Annotated[PlanDate | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PlanPage:
    """The plans of the caller or, for a coach, of `athlete_id`, whose week overlaps
    `from`…`to` (both optional, inclusive), oldest first."""
    items, total = await service.list_plans(
        uow.session, actor, athlete_id, start, end, limit, offset
    )
    return PlanPage.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )


@router.get("/plans/{plan_id}", response_model=PlanOut)
async def get_plan(plan_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor) -> PlanOut:
    """The plan with its sessions in date order, each with its device `export` (null for
    STRENGTH) and its `execution` (the live session that ran it, and its compliance)."""
    return PlanOut.model_validate(
        await service.plan_with_sessions(ctx, uow.session, actor, plan_id)
    )


@router.delete("/plans/{plan_id}", status_code=204, response_class=Response)
async def delete_plan(plan_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor) -> Response:
    """Delete the plan and its sessions; their copies on the device are withdrawn."""
    await service.delete_plan(ctx, uow, actor, plan_id)
    return Response(status_code=204)


@router.post("/plans/{plan_id}/sessions", status_code=201, response_model=PlannedSessionOut)
async def add_session(
    plan_id: uuid.UUID, body: PlannedSessionIn, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> PlannedSessionOut:
    """A STRENGTH or ENDURANCE session on a date of the plan's week, running a workout the
    athlete can see (theirs or their coach's). An ENDURANCE session is pushed to the athlete's
    device in the background: its `export` says where that stands."""
    planned = await service.add_session(ctx, uow, actor, plan_id, body.model_dump())
    return await _out(ctx, uow, actor, planned.id)


@router.get("/plan-sessions/{planned_id}", response_model=PlannedSessionOut)
async def get_session(
    planned_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> PlannedSessionOut:
    return await _out(ctx, uow, actor, planned_id)


@router.patch("/plan-sessions/{planned_id}", response_model=PlannedSessionOut)
async def change_session(
    planned_id: uuid.UUID, body: PlannedSessionPatch, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> PlannedSessionOut:
    """Change `date`, `type`, `workout_id`, `title` or `notes`. A date in another week moves
    the session to that week's plan (made when missing); the device copy is updated in place."""
    changes = body.model_dump(exclude_unset=True)
    await service.change_session(ctx, uow, actor, planned_id, changes)
    return await _out(ctx, uow, actor, planned_id)


@router.delete("/plan-sessions/{planned_id}", status_code=204, response_class=Response)
async def delete_session(
    planned_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> Response:
    """Delete the planned session; its copy on the device is withdrawn."""
    await service.delete_session(ctx, uow, actor, planned_id)
    return Response(status_code=204)


async def _out(
    ctx: Context, uow: UnitOfWork, actor: Actor, planned_id: uuid.UUID
) -> PlannedSessionOut:
    doc = await service.planned_session(ctx, uow.session, actor, planned_id)
    return PlannedSessionOut.model_validate(doc)

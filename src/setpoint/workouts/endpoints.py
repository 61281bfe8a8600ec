from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth.deps import CurrentActor
from setpoint.dependencies import Ctx, UoW
from setpoint.workouts import repository, service
from setpoint.workouts.documents import segment_from_doc
from setpoint.workouts.model import Sport
from setpoint.workouts.repository import WorkoutFilter
from setpoint.workouts.schemas import (
    GenerateIn,
    RegenerateIn,
    ValidationOut,
    WorkoutIn,
    WorkoutOut,
    WorkoutPage,
    WorkoutSummaryOut,
    plan_out,
    segment_out,
)
from setpoint.workouts.tables import WorkoutRow

router = APIRouter(prefix="/api/workouts", tags=["workouts"])


def _out(row: WorkoutRow, latest: bool) -> WorkoutOut:
    return WorkoutOut(
        id=row.id,
        name=row.name,
        sport=Sport(row.sport),
        description=row.description,
        owner_id=row.owner_id,
        created_by_id=row.created_by_id,
        revision=row.revision,
        origin_id=row.origin_id,
        latest=latest,
        parent_id=row.parent_id,
        inputs=row.inputs,
        seed=row.seed,
        created_at=row.created_at,
        steps=list(row.definition["steps"]),
        segments=[segment_out(segment_from_doc(s)) for s in row.segments],
        total_duration_s=row.total_duration_s,
    )


def _summary(row: WorkoutRow, latest: bool) -> WorkoutSummaryOut:
    return WorkoutSummaryOut.model_validate(
        {
            **{k: getattr(row, k) for k in WorkoutSummaryOut.model_fields if k != "latest"},
            "latest": latest,
        },
    )


async def _summaries(session: AsyncSession, rows: list[WorkoutRow]) -> list[WorkoutSummaryOut]:
    latest = await repository.latest_ids(session, rows)
    return [_summary(r, r.id in latest) for r in rows]


@router.post("", response_model=WorkoutOut, status_code=201)
async def create_workout(body: WorkoutIn, ctx: Ctx, uow: UoW, actor: CurrentActor) -> WorkoutOut:
    """Author a workout template (the Workout JSON); returns it with its normalized plan."""
    return _out(await service.create(ctx, uow.session, actor, body), latest=True)


@router.get("", response_model=WorkoutPage)
async def list_workouts(
    uow: UoW,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    sport: Sport | None = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains")] = None,
    generated: bool | None = None,
    owner_id: uuid.UUID | None = None,
    all_revisions: bool = False,
) -> WorkoutPage:
    f = WorkoutFilter(
        owner_ids=None if owner_id is None else {owner_id},
        sport=sport,
        name_contains=q,
        generated=generated,
        latest_only=not all_revisions,
    )
    rows, total = await service.list_page(uow.session, actor, f, limit, offset)
    return WorkoutPage(
        items=await _summaries(uow.session, rows), total=total, limit=limit, offset=offset
    )


@router.post("/generate", response_model=WorkoutOut, status_code=201)
async def generate_workout(body: GenerateIn, ctx: Ctx, uow: UoW, actor: CurrentActor) -> WorkoutOut:
    """Generate a treadmill or bike interval workout; same inputs and seed, same plan."""
    return _out(await service.generate(ctx, uow.session, actor, body), latest=True)


@router.post("/validate", response_model=ValidationOut)
async def validate_workout(
    actor: CurrentActor,
    document: Annotated[dict[str, Any], Body(description="a Workout JSON document")],
) -> ValidationOut:
    """Check a Workout JSON as `POST /api/workouts` would, storing nothing: 200 with `valid`
    and the normalized plan, or `valid: false` and every problem with its path."""
    plan, problems = service.check(document)
    if plan is None:
        return ValidationOut(valid=False, problems=problems)
    return ValidationOut(
        valid=True, segments=plan_out(plan), total_duration_s=plan.total_duration_s
    )


@router.get("/{workout_id}", response_model=WorkoutOut)
async def get_workout(workout_id: uuid.UUID, uow: UoW, actor: CurrentActor) -> WorkoutOut:
    row = await service.visible(uow.session, actor, workout_id)
    return _out(row, row.id in await repository.latest_ids(uow.session, [row]))


@router.put("/{workout_id}", response_model=WorkoutOut, status_code=201)
async def revise_workout(
    workout_id: uuid.UUID, body: WorkoutIn, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> WorkoutOut:
    """Templates are immutable: a change creates the next revision (201, a new id)."""
    return _out(await service.revise(ctx, uow.session, actor, workout_id, body), latest=True)


@router.post("/{workout_id}/regenerate", response_model=WorkoutOut, status_code=201)
async def regenerate_workout(
    workout_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor, body: RegenerateIn | None = None
) -> WorkoutOut:
    """Same inputs, new seed: a new template whose `parent_id` is this one."""
    seed = body.seed if body else None
    return _out(await service.regenerate(ctx, uow.session, actor, workout_id, seed), latest=True)


@router.get("/{workout_id}/revisions", response_model=list[WorkoutSummaryOut])
async def workout_revisions(
    workout_id: uuid.UUID, uow: UoW, actor: CurrentActor
) -> list[WorkoutSummaryOut]:
    return await _summaries(uow.session, await service.revisions(uow.session, actor, workout_id))


@router.get("/{workout_id}/lineage", response_model=list[WorkoutSummaryOut])
async def workout_lineage(
    workout_id: uuid.UUID, uow: UoW, actor: CurrentActor
) -> list[WorkoutSummaryOut]:
    """Every workout regenerated from the same original, oldest first."""
    return await _summaries(uow.session, await service.lineage(uow.session, actor, workout_id))

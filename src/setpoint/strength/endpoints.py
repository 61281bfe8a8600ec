from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from setpoint.auth.deps import CurrentActor
from setpoint.dependencies import Ctx, UoW
from setpoint.strength import service
from setpoint.strength.schemas import ExerciseUpdateIn, ProgressIn, SetIn

router = APIRouter(prefix="/api", tags=["strength"])


def _json(doc: dict[str, Any]) -> Response:
    """The hot routes' documents are plain dicts, serialized once."""
    return Response(json.dumps(doc, separators=(",", ":")), media_type="application/json")


@router.get("/sessions/{session_id}/progress")
async def get_progress(session_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor) -> Response:
    """The strength progress this attempt writes: each exercise's status, data and notes,
    the summary, the athlete's records per exercise and the sets that set a record."""
    return _json(await service.get(ctx, uow.session, actor, session_id))


@router.put("/sessions/{session_id}/progress")
async def replace_progress(
    session_id: uuid.UUID, body: ProgressIn, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> dict[str, Any]:
    """Replace the whole document; `revision` is the one it was based on (a stale write is
    409 `stale_revision` with the current document, never a silent overwrite)."""
    doc = {"exercises": body.exercises}
    return await service.replace(ctx, uow.session, actor, session_id, doc, body.revision)


@router.patch("/sessions/{session_id}/progress/exercises/{position}")
async def update_exercise(
    session_id: uuid.UUID,
    position: Annotated[int, Path(ge=0, le=1000)],
    body: ExerciseUpdateIn,
    ctx: Ctx,
    uow: UoW,
    actor: CurrentActor,
) -> dict[str, Any]:
    """Change one exercise's `status`, `notes` or `data`, as of `revision`."""
    changes = body.model_dump(exclude={"revision"})
    return await service.update_exercise(
        ctx, uow.session, actor, session_id, position, changes, body.revision
    )


@router.post("/sessions/{session_id}/sets")
async def complete_set(
    session_id: uuid.UUID,
    body: SetIn,
    ctx: Ctx,
    uow: UoW,
    actor: CurrentActor,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Log a set (reps, weight, RPE) on the exercise at `position`; if the session is on that
    exercise's set it moves to the rest. The new `state` and `progress`. `revision`, when
    given, must be the progress revision it was based on; `Idempotency-Key` makes a retry
    apply once."""
    answer = await service.complete_set(
        ctx,
        uow,
        actor,
        session_id,
        body.position,
        body.reps,
        body.weight_kg,
        body.rpe,
        body.revision,
        idempotency_key,
    )
    return _json(answer)


@router.get("/exercises/{name}/history")
async def exercise_history(
    name: Annotated[str, Path(min_length=1, max_length=200)],
    uow: UoW,
    actor: CurrentActor,
    athlete_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    """The athlete's records on an exercise (best weight per rep count, best estimated 1RM by
    Epley) and their sets, newest first: the latest `limit`, or the `limit` before the set
    `before_id` (each page gives the next one's as `next_before_id`); a coach passes
    `athlete_id`."""
    athlete = athlete_id or actor.user_id
    return await service.history(uow.session, actor, athlete, name, limit, before_id)


@router.get("/workouts/{workout_id}/attempts")
async def workout_attempts(
    workout_id: uuid.UUID,
    ctx: Ctx,
    uow: UoW,
    actor: CurrentActor,
    athlete_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Every attempt of the workout (any revision) by the athlete, newest first."""
    athlete = athlete_id or actor.user_id
    items, total = await service.attempts(
        ctx, uow.session, actor, workout_id, athlete, limit, offset
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}

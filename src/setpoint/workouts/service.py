"""Workout templates: author, revise, read, list, generate, regenerate. Flushes, never commits."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.errors import (
    Forbidden,
    InvalidGeneration,
    InvalidWorkout,
    NotFound,
    StaleRevision,
    field_path,
)
from setpoint.workouts import generate as gen
from setpoint.workouts import repository
from setpoint.workouts.documents import segment_doc
from setpoint.workouts.model import Workout, validate
from setpoint.workouts.normalize import Plan, normalize
from setpoint.workouts.repository import WorkoutFilter
from setpoint.workouts.schemas import GenerateIn, WorkoutIn
from setpoint.workouts.tables import WorkoutRow

MAX_SEED = 2**53 - 1  # exact in JSON numbers and JavaScript


def owner_for(actor: Actor, athlete_id: uuid.UUID | None) -> uuid.UUID:
    """Whom a new template belongs to: the caller, or an athlete the caller coaches."""
    return authz.athlete(actor, athlete_id)


async def visible(session: AsyncSession, actor: Actor, workout_id: uuid.UUID) -> WorkoutRow:
    row = await repository.get(session, workout_id)
    if row is None or not actor.can_read_library_of(row.owner_id):
        raise NotFound(f"workout {workout_id} does not exist")
    return row


def domain_of(row: WorkoutRow) -> Workout:
    return WorkoutIn.model_validate(row.definition).to_domain()


def _build(
    ctx: Context,
    actor: Actor,
    workout: Workout,
    *,
    owner_id: uuid.UUID,
    origin_id: uuid.UUID | None = None,
    revision: int = 1,
    parent: WorkoutRow | None = None,
    inputs: dict[str, Any] | None = None,
    seed: int | None = None,
) -> WorkoutRow:
    problems = validate(workout)
    if problems:
        raise InvalidWorkout(problems)
    plan = normalize(workout)
    new_id = uuid.uuid4()
    return WorkoutRow(
        id=new_id,
        owner_id=owner_id,
        created_by_id=actor.user_id,
        origin_id=origin_id or new_id,
        revision=revision,
        parent_id=parent.id if parent else None,
        lineage_id=parent.lineage_id if parent else new_id,
        name=workout.name,
        sport=workout.sport,
        description=workout.description,
        definition=WorkoutIn.from_domain(workout).document(),
        segments=[segment_doc(s) for s in plan.segments],
        segment_count=len(plan.segments),
        total_duration_s=plan.total_duration_s,
        inputs=inputs,
        seed=seed,
        created_at=ctx.clock.now(),
    )


def check(document: Any) -> tuple[Plan | None, list[str]]:
    """A Workout JSON document checked as `create` would, storing nothing: its normalized
    plan, or every problem found (shape first, then the domain rules), each naming its path."""
    try:
        body = WorkoutIn.model_validate(document)
    except ValidationError as exc:
        return None, [f"{field_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
    workout = body.to_domain()
    problems = validate(workout)
    if problems:
        return None, [str(p) for p in problems]
    return normalize(workout), []


async def _add(session: AsyncSession, row: WorkoutRow) -> WorkoutRow:
    session.add(row)
    await session.flush()
    return row


async def create(ctx: Context, session: AsyncSession, actor: Actor, body: WorkoutIn) -> WorkoutRow:
    owner_id = owner_for(actor, body.athlete_id)
    return await _add(session, _build(ctx, actor, body.to_domain(), owner_id=owner_id))


async def revise(
    ctx: Context, session: AsyncSession, actor: Actor, workout_id: uuid.UUID, body: WorkoutIn
) -> WorkoutRow:
    """A change to a template is a new revision; the revised one must be the latest."""
    base = await visible(session, actor, workout_id)
    if not actor.acts_for(base.owner_id):
        raise Forbidden("you can read this workout but not change it")
    latest = await repository.latest_revision(session, base.origin_id)
    assert latest is not None
    if latest.id != base.id:
        raise StaleRevision(
            f"workout {workout_id} is revision {base.revision}; revise the latest, "
            f"revision {latest.revision} ({latest.id})",
            latest_id=str(latest.id),
            latest_revision=latest.revision,
        )
    row = _build(
        ctx,
        actor,
        body.to_domain(),
        owner_id=base.owner_id,
        origin_id=base.origin_id,
        revision=base.revision + 1,
    )
    return await _add(session, row)


async def list_page(
    session: AsyncSession, actor: Actor, f: WorkoutFilter, limit: int, offset: int
) -> tuple[list[WorkoutRow], int]:
    allowed = actor.visible_owner_ids()
    if allowed is not None:
        asked = allowed if f.owner_ids is None else allowed & set(f.owner_ids)
        f = WorkoutFilter(asked, f.sport, f.name_contains, f.generated, f.latest_only)
    return await repository.page(session, f, limit, offset)


def _seed(requested: int | None, avoid: int | None = None) -> int:
    if requested is not None:
        if not 0 <= requested <= MAX_SEED:
            raise InvalidGeneration([f"seed: {requested} is outside 0–{MAX_SEED}"])
        return requested
    seed = secrets.randbelow(MAX_SEED + 1)
    while seed == avoid:
        seed = secrets.randbelow(MAX_SEED + 1)
    return seed


async def generate(
    ctx: Context, session: AsyncSession, actor: Actor, body: GenerateIn
) -> WorkoutRow:
    owner_id = owner_for(actor, body.athlete_id)
    inputs = gen.apply_defaults(
        gen.GenerationInputs(
            body.sport,
            body.duration_min,
            body.goal,
            body.level,
            gen.Constraints(**body.constraints.model_dump()),
        )
    )
    seed = _seed(body.seed)
    workout = gen.generate(inputs, seed)
    row = _build(
        ctx, actor, workout, owner_id=owner_id, inputs=gen.inputs_document(inputs), seed=seed
    )
    return await _add(session, row)


async def regenerate(
    ctx: Context, session: AsyncSession, actor: Actor, workout_id: uuid.UUID, seed: int | None
) -> WorkoutRow:
    """Same inputs, a new seed: a new template linked to its parent; nothing overwritten."""
    parent = await visible(session, actor, workout_id)
    if parent.inputs is None:
        raise InvalidGeneration([f"workout {workout_id} was authored, not generated"])
    if not actor.acts_for(parent.owner_id):
        raise Forbidden("you can read this workout but not regenerate it for its owner")
    inputs = gen.inputs_from_document(parent.inputs)
    new_seed = _seed(seed, avoid=parent.seed)
    workout = gen.generate(inputs, new_seed)
    row = _build(
        ctx,
        actor,
        workout,
        owner_id=parent.owner_id,
        parent=parent,
        inputs=gen.inputs_document(inputs),
        seed=new_seed,
    )
    return await _add(session, row)


async def revisions(session: AsyncSession, actor: Actor, workout_id: uuid.UUID) -> list[WorkoutRow]:
    row = await visible(session, actor, workout_id)
    return await repository.revisions(session, row.origin_id)


async def lineage(session: AsyncSession, actor: Actor, workout_id: uuid.UUID) -> list[WorkoutRow]:
    row = await visible(session, actor, workout_id)
    return await repository.lineage(session, row.lineage_id)

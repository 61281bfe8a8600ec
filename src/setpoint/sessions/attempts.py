"""Starting an attempt: a new session, or one restored from a checkpoint file, takes over the
athlete's strength progress for its workout (pre-filled from earlier attempts)."""

from __future__ import annotations

import uuid
from typing import Any

from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.sessions import checkpoint, service
from setpoint.sessions.tables import SessionRow
from setpoint.strength import service as strength


async def start(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    workout_id: uuid.UUID | None,
    athlete_id: uuid.UUID | None,
    planned_session_id: uuid.UUID | None,
) -> SessionRow:
    row = await service.create(ctx, uow, actor, workout_id, athlete_id, planned_session_id)
    await strength.begin_attempt(ctx, uow.session, row)
    return row


async def restore(
    ctx: Context, uow: UnitOfWork, actor: Actor, doc: dict[str, Any], *, force: bool
) -> SessionRow:
    row = await checkpoint.restore(ctx, uow, actor, doc, force=force)
    await strength.begin_attempt(ctx, uow.session, row)
    return row

"""The checkpoint file (`plan, state, phase_index, elapsed_secs, last_checkpoint`):
export and restore, signed with HMAC-SHA256 so a changed or foreign file is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.keys import server_secret
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import Unprocessable
from setpoint.sessions import machine, repository, service
from setpoint.sessions.machine import Anchors, Status, Transition
from setpoint.sessions.snapshots import anchors_of, plan_of
from setpoint.sessions.tables import SessionRow

VERSION = 1
KEY_NAME = "checkpoint-hmac"


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(doc: dict[str, Any], key: bytes) -> dict[str, Any]:
    return {**doc, "signature": hmac.new(key, _canonical(doc), hashlib.sha256).hexdigest()}


def verify(doc: dict[str, Any], key: bytes) -> bool:
    signature = doc.get("signature")
    if not isinstance(signature, str):
        return False
    expected = hmac.new(key, _canonical(doc), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)


class InvalidCheckpoint(Unprocessable):
    code = "invalid_checkpoint"


class StaleCheckpoint(Unprocessable):
    code = "stale_checkpoint"


async def signing_key(ctx: Context, session: AsyncSession) -> bytes:
    return await server_secret(ctx.settings, session, KEY_NAME)


async def export(
    ctx: Context, uow: UnitOfWork, actor: Actor, session_id: uuid.UUID
) -> dict[str, Any]:
    row = await service.visible(uow.session, actor, session_id)
    now = ctx.timeline.now()
    s = machine.view(plan_of(ctx, row), anchors_of(row), now)
    doc = {
        "version": VERSION,
        "session_id": str(row.id),
        "workout_id": str(row.workout_id),
        "workout_name": row.workout_name,
        "athlete_id": str(row.athlete_id),
        "plan": row.plan,
        "state": s.status.value,
        "phase_index": s.segment_index,
        "elapsed_secs": round(s.elapsed_s, 3),
        "segment_elapsed_secs": round(s.segment_elapsed_s, 3),
        "started_at": row.started_at,
        "last_checkpoint": datetime.fromtimestamp(now, UTC).isoformat(),
    }
    return sign(doc, await signing_key(ctx, uow.session))


async def restore(
    ctx: Context, uow: UnitOfWork, actor: Actor, doc: dict[str, Any], *, force: bool
) -> SessionRow:
    """Back from a checkpoint file, paused where it was: into the same session while it is
    still active, else as a new session of the same workout."""
    session = uow.session
    if not verify(doc, await signing_key(ctx, session)):
        raise InvalidCheckpoint(
            "signature: the checkpoint was changed or comes from another server"
        )
    try:
        athlete_id = uuid.UUID(doc["athlete_id"])
        session_id = uuid.UUID(doc["session_id"])
        workout_id = uuid.UUID(doc["workout_id"])
        status = Status(doc["state"])
        taken = datetime.fromisoformat(doc["last_checkpoint"]).timestamp()
        elapsed, in_segment = float(doc["elapsed_secs"]), float(doc["segment_elapsed_secs"])
        index = int(doc["phase_index"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidCheckpoint(f"the checkpoint is malformed ({exc})") from None
    authz.check_owner(actor, athlete_id, f"athlete {athlete_id}")
    now = ctx.timeline.now()
    age = now - taken
    if age > ctx.settings.session_stale_after_s and not force:
        window_min = ctx.settings.session_stale_after_s / 60
        raise StaleCheckpoint(
            f"last_checkpoint: the checkpoint is {age / 60:.0f} min old, older than the "
            f"{window_min:.0f} min stale window; restore with force=true"
        )
    if status in (Status.COMPLETED, Status.ABANDONED):
        raise InvalidCheckpoint(
            f"state: the session was {status.value}; there is nothing to restore"
        )
    row = await repository.get(session, session_id, lock=True)
    if row is None or row.athlete_id != athlete_id or row.active_athlete_id is None:
        row = await service.create(ctx, uow, actor, workout_id, athlete_id)
    plan = plan_of(ctx, row)
    if not (0 <= index < len(plan.segments) and 0 <= in_segment <= elapsed):
        raise InvalidCheckpoint("phase_index: outside the plan, or elapsed times inconsistent")
    if status is Status.NOT_STARTED:
        transition = Transition(Anchors())
    else:
        paused = Anchors(
            status=Status.PAUSED,
            segment_index=index,
            segment_start_elapsed_s=elapsed - in_segment,
            elapsed_at_anchor_s=elapsed,
            anchor_at=now,
            started_at=doc.get("started_at") or now,
        )
        transition = Transition(paused, (machine.SessionPaused(now, elapsed),))
    events = service.apply_transition(ctx, row, transition, now, session)
    await session.flush()
    await service.announce(ctx, uow, row, events, now)
    return row

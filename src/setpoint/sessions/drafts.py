"""Session drafts: the player's unsynced UI state, kept on the server so another
device or a reload can hydrate from it. Written with the revision it was based on; cleared
when the session ends (in `service.announce`), and only then. Flushes, never commits."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.errors import Conflict, StaleRevision, Unprocessable
from setpoint.sessions import repository
from setpoint.sessions.machine import Status
from setpoint.sessions.service import visible
from setpoint.sessions.tables import SessionDraft

MAX_DRAFT_BYTES = 16 * 1024
ENDED = frozenset({Status.COMPLETED.value, Status.ABANDONED.value})


class SessionEnded(Conflict):
    code = "session_ended"


def draft_doc(session_id: uuid.UUID, draft: SessionDraft | None) -> dict[str, Any]:
    """The stored draft; revision 0 and `draft: null` when there is none."""
    return {
        "session_id": str(session_id),
        "revision": 0 if draft is None else draft.revision,
        "updated_at": None if draft is None else draft.updated_at.isoformat(),
        "draft": None if draft is None else draft.document,
    }


async def get(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> dict[str, Any]:
    await visible(session, actor, session_id)
    return draft_doc(session_id, await repository.draft(session, session_id))


async def put(
    ctx: Context,
    session: AsyncSession,
    actor: Actor,
    session_id: uuid.UUID,
    document: dict[str, Any],
    revision: int,
) -> dict[str, Any]:
    """Store the draft as of `revision` (0 when the client has none yet); 409 with the
    stored draft when another device wrote since."""
    row = await visible(session, actor, session_id, lock=True)
    if row.status in ENDED:
        raise SessionEnded(f"session is {row.status}: its draft was cleared")
    if len(json.dumps(document, separators=(",", ":"))) > MAX_DRAFT_BYTES:
        raise Unprocessable(f"draft: larger than {MAX_DRAFT_BYTES // 1024} KB of JSON")
    draft = await repository.draft(session, session_id)
    current = 0 if draft is None else draft.revision
    if revision != current:
        raise StaleRevision(
            f"draft is at revision {current}, not {revision}: hydrate and retry",
            draft=draft_doc(session_id, draft),
        )
    if draft is None:
        draft = SessionDraft(session_id=session_id, revision=0)
        session.add(draft)
    draft.document, draft.revision, draft.updated_at = document, current + 1, ctx.clock.now()
    await session.flush()
    return draft_doc(session_id, draft)

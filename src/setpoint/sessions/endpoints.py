from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response

from setpoint.auth.deps import CurrentActor, Token, token_of
from setpoint.auth.service import actor_for_token
from setpoint.context import Context
from setpoint.dependencies import Ctx, UoW, context_of
from setpoint.errors import NotFound
from setpoint.heartrate.live import HeartRates
from setpoint.sessions import attempts, checkpoint, drafts, repository, service
from setpoint.sessions.machine import Command, Status
from setpoint.sessions.presence import Presence
from setpoint.sessions.schemas import (
    DraftIn,
    SessionCreate,
    SessionEventOut,
    SessionPage,
    SessionStateOut,
)
from setpoint.strength import service as strength

router = APIRouter(prefix="/api/sessions", tags=["sessions"])
STATE: dict[int | str, dict[str, Any]] = {200: {"model": SessionStateOut}}


def _json(doc: Any, status: int = 200) -> Response:
    """State documents are built as plain dicts and serialized once, on the hot path (orjson:
    a tenth of `json.dumps`'s time for a state)."""
    return Response(orjson.dumps(doc), status_code=status, media_type="application/json")


@router.post("", status_code=201, responses={201: {"model": SessionStateOut}})
async def create_session(body: SessionCreate, ctx: Ctx, uow: UoW, actor: CurrentActor) -> Response:
    """A new session of a workout or a planned session, `not_started`; 409 with
    `active_session` if one is active."""
    row = await attempts.start(
        ctx, uow, actor, body.workout_id, body.athlete_id, body.planned_session_id
    )
    return _json(service.state_of(ctx, row, ctx.timeline.now()), 201)


@router.get("", response_model=SessionPage)
async def list_sessions(
    ctx: Ctx,
    uow: UoW,
    actor: CurrentActor,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The caller's sessions (and their athletes', for a coach), newest first."""
    rows, total = await service.history(uow.session, actor, status, limit, offset)
    now = ctx.timeline.now()
    items = [service.state_of(ctx, r, now) for r in rows]
    return _json({"items": items, "total": total, "limit": limit, "offset": offset})


@router.get("/active", responses=STATE)
async def active_session(ctx: Ctx, uow: UoW, actor: CurrentActor) -> Response:
    """The caller's session that is not finished, for hydration after a refresh; else 404."""
    row = await repository.active_of(uow.session, actor.user_id)
    if row is None:
        raise NotFound("no active session")
    return _json(service.state_of(ctx, row, ctx.timeline.now()))


@router.get("/{session_id}", responses=STATE)
async def get_session(session_id: uuid.UUID, ctx: Ctx, token: Token) -> Response:
    """The authoritative state, computed at `server_time`."""
    # Ids in canonical form are answered by `read_state`, ahead of every router; this
    # declaration documents the route and takes the other spellings a UUID may have.
    return await _state(ctx, token, session_id)


async def read_state(request: Request) -> Response:
    """`GET /api/sessions/{id}` as a plain Starlette route: every player polls it, and
    FastAPI's router walk and dependency resolution were two thirds of its cost."""
    session_id = request.path_params["session_id"]
    return await _state(context_of(request), token_of(request), session_id)


async def _state(ctx: Context, token: str, session_id: uuid.UUID) -> Response:
    snap = await service.snapshot(ctx, await actor_for_token(ctx, token), session_id)
    ctx.part(Presence).saw(session_id)
    return _json(service.state_doc(snap, ctx.timeline.now(), ctx.part(HeartRates)))


@router.get("/{session_id}/events", response_model=list[SessionEventOut])
async def session_events(
    session_id: uuid.UUID, uow: UoW, actor: CurrentActor
) -> list[SessionEventOut]:
    """The append-only log of what happened to the session."""
    rows = await service.event_log(uow.session, actor, session_id)
    return [SessionEventOut(seq=r.seq, type=r.type, at=r.at, payload=r.payload) for r in rows]


@router.get("/{session_id}/draft")
async def get_draft(session_id: uuid.UUID, uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    """The player's saved UI state; `revision` 0 and `draft` null when there is none."""
    return await drafts.get(uow.session, actor, session_id)


@router.put("/{session_id}/draft")
async def put_draft(
    session_id: uuid.UUID, body: DraftIn, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> dict[str, Any]:
    """Save the player's UI state as of `revision`; 409 with the stored draft when another
    device saved since. Cleared when the session ends."""
    return await drafts.put(ctx, uow.session, actor, session_id, body.draft, body.revision)


@router.get("/{session_id}/hydrate")
async def hydrate(session_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor) -> Response:
    """Everything a player needs after a reload, in one call: the live state, the strength
    progress (null for other sessions) and the server's draft."""
    row = await service.visible(uow.session, actor, session_id)
    return _json(
        {
            "state": service.state_of(ctx, row, ctx.timeline.now()),
            "progress": await strength.progress_or_none(ctx, uow.session, actor, session_id),
            "draft": await drafts.get(uow.session, actor, session_id),
        }
    )


@router.get("/{session_id}/checkpoint")
async def session_checkpoint(
    session_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> Response:
    """The session as a signed checkpoint file, to restore here later."""
    doc = await checkpoint.export(ctx, uow, actor, session_id)
    response = _json(doc)
    name = f"session-{session_id}.checkpoint.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post("/restore", status_code=201, responses={201: {"model": SessionStateOut}})
async def restore_session(
    body: dict[str, Any], ctx: Ctx, uow: UoW, actor: CurrentActor, force: bool = False
) -> Response:
    """Restore a checkpoint file, paused where it was taken. Refuses changed files and files
    older than the stale window (unless `force=true`)."""
    row = await attempts.restore(ctx, uow, actor, body, force=force)
    return _json(service.state_of(ctx, row, ctx.timeline.now()), 201)


@router.post("/{session_id}/{command}", responses=STATE)
async def session_command(
    session_id: uuid.UUID,
    command: Command,
    ctx: Ctx,
    uow: UoW,
    actor: CurrentActor,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> Response:
    """start, pause, resume, skip, back, finish, abandon: committed before the answer.
    `Idempotency-Key` makes a retry apply once; `If-Match: <revision>` refuses stale clients."""
    state = await service.command(
        ctx,
        uow,
        actor,
        session_id,
        command,
        idempotency_key=idempotency_key,
        if_match=service.parse_if_match(if_match),
    )
    return _json(state)

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from setpoint.auth.deps import CurrentActor
from setpoint.dependencies import Ctx, UoW
from setpoint.errors import SetpointError
from setpoint.exports import devices, service
from setpoint.exports.formats import JSON_MEDIA_TYPE, Format, erg, fit, zwo
from setpoint.exports.providers import Providers
from setpoint.exports.schemas import (
    AuthorizeOut,
    ConnectedOut,
    DeviceChange,
    DeviceOut,
    DevicesOut,
    ExportOut,
)
from setpoint.workouts.service import visible

router = APIRouter(prefix="/api", tags=["exports"])


@router.get(
    "/workouts/{workout_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "the file: FIT, ZWO (XML), ERG/MRC (text), Garmin or Wahoo JSON",
            "content": {
                **{
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in (fit.MEDIA_TYPE, zwo.MEDIA_TYPE, erg.MEDIA_TYPE)
                },
                JSON_MEDIA_TYPE: {"schema": {"type": "object"}},
            },
        },
        422: {"description": "the format cannot express the workout"},
    },
)
async def export_workout(
    workout_id: uuid.UUID,
    uow: UoW,
    actor: CurrentActor,
    format: Format = Query(description="fit, zwo, erg, mrc, garmin or wahoo"),
) -> Response:
    """Download the workout as a device or app file; 422 says what the format cannot express."""
    row = await visible(uow.session, actor, workout_id)
    file = await service.workout_file(uow.session, row, format)
    disposition = (
        f"attachment; filename=\"{file.filename}\"; filename*=UTF-8''{quote(file.filename)}"
    )
    return Response(
        file.content, media_type=file.media_type, headers={"Content-Disposition": disposition}
    )


# --- planned sessions on devices ----------------------------------------------------------------


@router.get("/plan-sessions/{planned_id}/export", response_model=ExportOut)
async def plan_session_export(planned_id: uuid.UUID, uow: UoW, actor: CurrentActor) -> ExportOut:
    """Where the planned session stands on the athlete's device (ENDURANCE sessions only)."""
    export = await service.export_of(uow.session, actor, planned_id)
    return ExportOut.model_validate(service.export_block(export))


@router.post("/plan-sessions/{planned_id}/export/retry", response_model=ExportOut)
async def retry_plan_session_export(
    planned_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> ExportOut:
    """Push a FAILED or NOT_CONNECTED session again, at once (it becomes PENDING, or stays
    NOT_CONNECTED without a device)."""
    export = await service.retry(ctx, uow, actor, planned_id)
    return ExportOut.model_validate(service.export_block(export))


# --- device connections ---------------------------------------------------------------------


@router.get("/devices", response_model=DevicesOut)
async def list_devices(
    ctx: Ctx, uow: UoW, actor: CurrentActor, athlete_id: uuid.UUID | None = None
) -> DevicesOut:
    """The athlete's device connections (yours, or an athlete's you coach), and the
    providers this server can connect to."""
    connections = await devices.connections(uow.session, actor, athlete_id)
    items = [DeviceOut.model_validate(c, from_attributes=True) for c in connections]
    return DevicesOut(items=items, providers=list(ctx.part(Providers).configured))


@router.get("/devices/{provider}/connect", response_model=AuthorizeOut)
async def connect_device(provider: str, ctx: Ctx, actor: CurrentActor) -> AuthorizeOut:
    """Where to send the browser to allow Setpoint at the provider (OAuth 2 with PKCE); the
    provider sends it back to the callback. 409 `provider_not_configured` when this server
    has no client for the provider."""
    return AuthorizeOut(authorize_url=await devices.connect(ctx, actor, provider))


@router.get(
    "/devices/{provider}/callback",
    response_model=ConnectedOut,
    responses={303: {"description": "back to the web app, `/?device=…&connected=1`"}},
)
async def device_callback(
    provider: str,
    request: Request,
    ctx: Ctx,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The provider's redirect (no bearer token: the `state` names the user). Answers JSON
    when the request prefers it, else sends the browser back to the web app."""
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        if error is not None or not code or not state:
            raise devices.InvalidOAuthState(
                f"the provider did not authorize Setpoint ({error or 'no code or state'})"
            )
        await devices.callback(ctx, provider, code, state)
    except SetpointError as exc:
        if wants_json:
            raise
        query = urlencode({"device": provider, "connected": 0, "error": exc.code})
        return RedirectResponse(f"/?{query}", status_code=303)
    if wants_json:
        return JSONResponse(ConnectedOut(provider=provider, connected=True).model_dump())
    return RedirectResponse(f"/?{urlencode({'device': provider, 'connected': 1})}", 303)


@router.patch("/devices/{provider}", status_code=204)
async def change_device(
    provider: str, body: DeviceChange, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> Response:
    """`{"primary": true}`: planned sessions go to this provider from now on."""
    await devices.set_primary(ctx, uow, actor, provider)
    return Response(status_code=204)


@router.delete("/devices/{provider}", status_code=204)
async def disconnect_device(provider: str, ctx: Ctx, actor: CurrentActor) -> Response:
    """Revoke Setpoint's access at the provider and forget the tokens."""
    await devices.disconnect(ctx, actor, provider)
    return Response(status_code=204)

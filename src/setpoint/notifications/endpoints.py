from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from setpoint.auth.deps import CurrentActor
from setpoint.dependencies import Ctx, UoW
from setpoint.notifications import repository, service
from setpoint.notifications.schemas import (
    DeliveryOut,
    NotificationOut,
    NotificationPage,
    WebhookCreate,
    WebhookOut,
)

router = APIRouter(prefix="/api", tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
async def notifications(
    uow: UoW,
    actor: CurrentActor,
    session_id: uuid.UUID | None = None,
    type: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotificationPage:
    """The inbox: the caller's notifications (and their athletes', for a coach), newest first."""
    rows, total = await service.inbox(uow.session, actor, session_id, type, limit, offset)
    items = [NotificationOut.model_validate(r, from_attributes=True) for r in rows]
    return NotificationPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/webhooks", response_model=WebhookOut, status_code=201)
async def create_webhook(
    body: WebhookCreate, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> WebhookOut:
    """Receive notifications (yours, and your athletes' for a coach) as signed HTTP POSTs:
    `X-Setpoint-Signature: sha256=HMAC(secret, "<X-Setpoint-Timestamp>." + body)`."""
    hook = await service.create_webhook(
        ctx, uow.session, actor, str(body.url), body.secret, body.events
    )
    return WebhookOut.model_validate(hook, from_attributes=True)


@router.get("/webhooks", response_model=list[WebhookOut])
async def list_webhooks(uow: UoW, actor: CurrentActor) -> list[WebhookOut]:
    return [
        WebhookOut.model_validate(h, from_attributes=True)
        for h in await service.webhooks(uow.session, actor)
    ]


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: uuid.UUID, uow: UoW, actor: CurrentActor) -> Response:
    await service.delete_webhook(uow.session, actor, webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/enable", response_model=WebhookOut)
async def enable_webhook(
    webhook_id: uuid.UUID, ctx: Ctx, uow: UoW, actor: CurrentActor
) -> WebhookOut:
    hook = await service.enable_webhook(ctx, uow, actor, webhook_id)
    return WebhookOut.model_validate(hook, from_attributes=True)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def webhook_deliveries(
    webhook_id: uuid.UUID, uow: UoW, actor: CurrentActor
) -> list[DeliveryOut]:
    """The latest deliveries of a webhook, with their status and last error."""
    await service.own_webhook(uow.session, actor, webhook_id)
    rows = await repository.deliveries_of(uow.session, webhook_id, 100)
    return [DeliveryOut.model_validate(d, from_attributes=True) for d in rows]

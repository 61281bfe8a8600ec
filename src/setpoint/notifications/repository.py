from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, bindparam, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from setpoint.auth.tables import CoachLink, User
from setpoint.db import paging
from setpoint.notifications.tables import Notification, Webhook, WebhookDelivery
from setpoint.workers.leases import due, next_free


def _subscribed_query() -> Select[uuid.UUID, Webhook]:
    ids: BindParameter[list[uuid.UUID]] = bindparam("ids", expanding=True)
    owners = union_all(
        select(User.id.label("user_id"), User.id.label("owner_id")).where(User.id.in_(ids)),
        select(CoachLink.athlete_id, CoachLink.coach_id).where(CoachLink.athlete_id.in_(ids)),
    ).subquery()
    return (
        select(owners.c.user_id, Webhook)
        .join(Webhook, Webhook.owner_id == owners.c.owner_id)
        .where(Webhook.active.is_(True))
    )


# Built once: a subquery built per call leaves ~100 objects in reference cycles behind, and
# the deadline job runs this for every batch of boundaries.
_SUBSCRIBED = _subscribed_query()


async def subscribed(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Webhook]]:
    """Active webhooks of each user and of the user's coaches, in one query."""
    ids = list(user_ids)
    rows = await session.execute(_SUBSCRIBED, {"ids": ids})
    hooks: dict[uuid.UUID, list[Webhook]] = {user_id: [] for user_id in ids}
    for user_id, hook in rows:
        hooks[user_id].append(hook)
    return hooks


async def inbox(
    session: AsyncSession,
    user_ids: Collection[uuid.UUID] | None,
    session_id: uuid.UUID | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Notification], int]:
    conditions: list[ColumnElement[bool]] = []
    if user_ids is not None:
        conditions.append(Notification.user_id.in_(list(user_ids)))
    if session_id is not None:
        conditions.append(Notification.session_id == session_id)
    if kind is not None:
        conditions.append(Notification.type == kind)
    query = select(Notification).where(*conditions)
    return await paging.page(
        session, query.order_by(Notification.created_at.desc(), Notification.id), limit, offset
    )


async def webhooks_of(session: AsyncSession, owner_id: uuid.UUID) -> list[Webhook]:
    rows = await session.scalars(
        select(Webhook).where(Webhook.owner_id == owner_id).order_by(Webhook.created_at)
    )
    return list(rows)


async def claim_deliveries(
    session: AsyncSession, now: float, lease_until: float, limit: int
) -> list[tuple[WebhookDelivery, Webhook, Notification]]:
    """Due deliveries of active webhooks, leased until `lease_until`."""
    query = (
        select(WebhookDelivery, Webhook, Notification)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(Notification, Notification.id == WebhookDelivery.notification_id)
        .where(WebhookDelivery.status == "pending", Webhook.active.is_(True))
    )
    leased = due(query, WebhookDelivery.next_attempt_at, WebhookDelivery.lease_until, now)
    rows = (await session.execute(leased.limit(limit))).all()
    for delivery, _, _ in rows:
        delivery.lease_until = lease_until
    return [(d, w, n) for d, w, n in rows]


async def next_delivery_at(session: AsyncSession) -> float | None:
    free = next_free(WebhookDelivery.next_attempt_at, WebhookDelivery.lease_until)
    return await session.scalar(
        select(func.min(free))
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.status == "pending", Webhook.active.is_(True))
    )


async def deliveries_of(
    session: AsyncSession, webhook_id: uuid.UUID, limit: int
) -> list[WebhookDelivery]:
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.next_attempt_at.desc())
        .limit(limit)
    )
    return list(rows)

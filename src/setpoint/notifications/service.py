"""Notifications: write them (outbox + deliveries, in the caller's transaction), read the
inbox, manage webhooks, deliver due webhook calls. Flushes, never commits."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth.keys import fernet
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import NotFound, Unprocessable
from setpoint.notifications import destinations, repository
from setpoint.notifications.model import EVENTS, USER_TOPIC_PREFIX, NotificationType
from setpoint.notifications.tables import Notification, Webhook, WebhookDelivery
from setpoint.workers.loop import JobClock

WEBHOOK_JOB = "webhook-deliveries"
FERNET_NAME = "webhook-secrets"


async def notify(
    ctx: Context,
    uow: UnitOfWork,
    user_id: uuid.UUID,
    kind: NotificationType,
    payload: dict[str, Any],
    *,
    session_id: uuid.UUID | None = None,
    planned_session_id: uuid.UUID | None = None,
    schedule_id: uuid.UUID | None = None,
) -> Notification:
    """The notifier port: record a notification for `user_id` (the outbox, which is also the
    inbox), queue it for every subscribed webhook, and after the commit push it to the user's
    open clients. A notification about a session reaches them through the session's own
    live socket, which already carries its events; the others go to the user's channel
    (`WS /api/live`), where the user's coaches listen too."""
    notification = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        session_id=session_id,
        planned_session_id=planned_session_id,
        schedule_id=schedule_id,
        type=kind.value,
        payload=payload,
        created_at=ctx.clock.now(),
    )
    uow.session.add(notification)
    if session_id is None:
        message = json.dumps({"type": "notification", "notification": live_doc(notification)})

        async def publish() -> None:
            await ctx.hub.publish(f"{USER_TOPIC_PREFIX}{user_id}", message)

        uow.after_commit(publish)
    now = ctx.clocks.now(JobClock.WALL)  # deliveries run on the wall clock
    queued = False
    for hook in await _subscribed(uow, user_id):
        if hook.events and kind not in hook.events:
            continue
        uow.session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                notification_id=notification.id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                lease_until=None,
                last_error=None,
                delivered_at=None,
            )
        )
        queued = True
    if queued:

        async def wake() -> None:
            await ctx.wake(WEBHOOK_JOB, now)

        uow.after_commit(wake)
    return notification


def live_doc(n: Notification) -> dict[str, Any]:
    return {
        "id": str(n.id),
        "type": n.type,
        "created_at": n.created_at.isoformat(),
        "user_id": str(n.user_id),
        "session_id": None if n.session_id is None else str(n.session_id),
        "planned_session_id": None if n.planned_session_id is None else str(n.planned_session_id),
        "schedule_id": None if n.schedule_id is None else str(n.schedule_id),
        "payload": n.payload,
    }


async def prefetch_subscribed(uow: UnitOfWork, user_ids: Collection[uuid.UUID]) -> None:
    """Look up the webhooks of many users at once, for a batch about to notify them all."""
    missing = [u for u in set(user_ids) if ("webhooks", u) not in uow.memo]
    if missing:
        with uow.session.no_autoflush:
            found = await repository.subscribed(uow.session, missing)
        for user_id, hooks in found.items():
            uow.memo["webhooks", user_id] = hooks


async def _subscribed(uow: UnitOfWork, user_id: uuid.UUID) -> list[Webhook]:
    """The user's webhooks, looked up once per transaction and without flushing the
    transaction's pending rows first."""
    await prefetch_subscribed(uow, [user_id])
    hooks: list[Webhook] = uow.memo["webhooks", user_id]
    return hooks


async def inbox(
    session: AsyncSession,
    actor: Actor,
    session_id: uuid.UUID | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Notification], int]:
    users = None if actor.is_admin else {actor.user_id} | set(actor.athlete_ids)
    return await repository.inbox(session, users, session_id, kind, limit, offset)


async def create_webhook(
    ctx: Context, session: AsyncSession, actor: Actor, url: str, secret: str, events: list[str]
) -> Webhook:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Unprocessable(f"events: unknown {', '.join(unknown)}; known: {', '.join(EVENTS)}")
    try:
        await destinations.check(url, ctx.settings.webhook_allow_private)
    except destinations.DestinationRefused as exc:
        problem = f"url: {exc}"
        raise Unprocessable(problem, problems=[problem]) from None
    box = await fernet(ctx.settings, session, FERNET_NAME)
    hook = Webhook(
        owner_id=actor.user_id,
        url=url,
        secret_encrypted=box.encrypt(secret.encode()).decode(),
        events=sorted(set(events)),
        active=True,
        consecutive_failures=0,
        disabled_reason=None,
        created_at=ctx.clock.now(),
    )
    session.add(hook)
    await session.flush()
    return hook


async def own_webhook(session: AsyncSession, actor: Actor, webhook_id: uuid.UUID) -> Webhook:
    hook = await session.get(Webhook, webhook_id)
    if hook is None or hook.owner_id != actor.user_id:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return hook


async def webhooks(session: AsyncSession, actor: Actor) -> list[Webhook]:
    return await repository.webhooks_of(session, actor.user_id)


async def delete_webhook(session: AsyncSession, actor: Actor, webhook_id: uuid.UUID) -> None:
    await session.delete(await own_webhook(session, actor, webhook_id))
    await session.flush()


async def enable_webhook(
    ctx: Context, uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID
) -> Webhook:
    """Turn a disabled webhook back on; its pending deliveries go out again, at once."""
    session = uow.session
    hook = await own_webhook(session, actor, webhook_id)
    hook.active, hook.consecutive_failures, hook.disabled_reason = True, 0, None
    await session.flush()
    now = ctx.clocks.now(JobClock.WALL)

    async def wake() -> None:
        await ctx.wake(WEBHOOK_JOB, now)

    uow.after_commit(wake)
    return hook

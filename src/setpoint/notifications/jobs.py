"""The webhook delivery job (a `LeasedJob`, on the wall clock): due deliveries are leased,
sent with no transaction open, and their outcomes written; a failed call is retried with
exponential backoff and jitter, a webhook that keeps failing is disabled (visible in the API).
Redirects are not followed, and the destination is checked on every call (`destinations`)."""

from __future__ import annotations

import json
import random
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from setpoint.auth.keys import fernet
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.notifications import destinations, repository
from setpoint.notifications.model import DISABLE_AFTER, MAX_ATTEMPTS, SIGNATURE_HEADER, signature
from setpoint.notifications.service import FERNET_NAME, WEBHOOK_JOB, live_doc
from setpoint.notifications.tables import Notification, Webhook, WebhookDelivery
from setpoint.workers.leases import LeasedJob, backoff_s

TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class _Call:
    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    url: str
    secret: str
    kind: str
    body: bytes


def _body(n: Notification) -> bytes:
    return json.dumps(live_doc(n), separators=(",", ":")).encode()


class WebhookDeliveries(LeasedJob[_Call, str | None]):
    """Outcome of a call: None when the receiver took it (2xx), else what went wrong."""

    name = WEBHOOK_JOB

    def __init__(self, ctx: Context, rng: random.Random | None = None) -> None:
        super().__init__(ctx, rng)
        self._tls = ssl.create_default_context()  # made once: each call's client reuses it

    async def claim(
        self, uow: UnitOfWork, now: float, lease_until: float, limit: int
    ) -> list[_Call]:
        claimed = await repository.claim_deliveries(uow.session, now, lease_until, limit)
        box = await fernet(self.ctx.settings, uow.session, FERNET_NAME)
        return [
            _Call(
                d.id,
                w.id,
                w.url,
                box.decrypt(w.secret_encrypted.encode()).decode(),
                n.type,
                _body(n),
            )
            for d, w, n in claimed
        ]

    async def act(self, call: _Call) -> str | None:
        timestamp = int(self.now())
        headers = {
            "Content-Type": "application/json",
            "X-Setpoint-Event": call.kind,
            "X-Setpoint-Delivery": str(call.delivery_id),
            "X-Setpoint-Timestamp": str(timestamp),
            SIGNATURE_HEADER: signature(call.secret, timestamp, call.body),
        }
        try:
            # Resolved and checked here, on every call; the call goes to the checked address.
            to = await destinations.resolve(call.url, self.ctx.settings.webhook_allow_private)
        except destinations.DestinationRefused as exc:
            return str(exc)
        headers["Host"] = to.host
        extensions = {} if to.sni_hostname is None else {"sni_hostname": to.sni_hostname}
        try:
            async with httpx.AsyncClient(
                timeout=TIMEOUT_S, follow_redirects=False, verify=self._tls
            ) as client:
                response = await client.post(
                    to.url, content=call.body, headers=headers, extensions=extensions
                )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return None if response.is_success else f"HTTP {response.status_code}"

    async def record(
        self,
        uow: UnitOfWork,
        calls: Sequence[_Call],
        errors: Sequence[str | None],
        now: float,
    ) -> None:
        for call, error in zip(calls, errors, strict=True):
            delivery = await uow.session.get(WebhookDelivery, call.delivery_id)
            hook = await uow.session.get(Webhook, call.webhook_id)
            if delivery is None or hook is None:  # the webhook was deleted meanwhile
                continue
            delivery.attempts += 1
            delivery.lease_until = None
            if error is None:
                delivery.status, delivery.next_attempt_at = "delivered", None
                delivery.delivered_at = self.ctx.clock.now()
                hook.consecutive_failures = 0
                continue
            delivery.last_error = error
            hook.consecutive_failures += 1
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status, delivery.next_attempt_at = "failed", None
            else:
                delivery.next_attempt_at = now + backoff_s(delivery.attempts, self.rng)
            if hook.active and hook.consecutive_failures >= DISABLE_AFTER:
                hook.active = False
                hook.disabled_reason = (
                    f"disabled after {hook.consecutive_failures} failed calls in a row; "
                    f"last: {error}"
                )

    async def next_due(self, uow: UnitOfWork) -> float | None:
        return await repository.next_delivery_at(uow.session)

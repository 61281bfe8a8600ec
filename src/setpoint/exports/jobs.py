"""The device jobs (`LeasedJob`s, on the wall clock): push PENDING planned sessions to the
athlete's provider, and withdraw copies whose planned session went away.

A push runs with no transaction open. Each remote id is committed the moment the provider
answers it (`on_ids`), and rotated tokens before they are used (`save`), so a crash at any
point leaves at most what the next attempt adopts or updates in place, never a duplicate the
server forgot. The outcome is written only if the planned session did not change meanwhile
(`PlanExport.revision`); a change re-queued it, and the next push writes the new content.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.db.engine import UnitOfWork
from setpoint.exports import devices, repository
from setpoint.exports.model import MAX_ATTEMPTS, ExportStatus
from setpoint.exports.providers import (
    Permanent,
    Providers,
    PushItem,
    RemoteCopy,
    Revoked,
    Throttled,
    TokenSet,
    Transient,
)
from setpoint.exports.service import PUSH_JOB, WITHDRAW_JOB, copy_made, export_context
from setpoint.exports.tables import DeviceConnection, ExportWithdrawal, PlanExport
from setpoint.heartrate.service import profile_of
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify
from setpoint.plans.tables import PlannedSession
from setpoint.workers.leases import LeasedJob, backoff_s
from setpoint.workouts.service import domain_of
from setpoint.workouts.tables import WorkoutRow

log = structlog.get_logger("setpoint.exports")


# --- outcomes of a provider call ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Done:
    copy: RemoteCopy | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure (5xx, 429, timeout): try again later; `counts` is False when our
    own quota limiter held the call back (nothing was sent)."""

    reason: str
    wait_s: float | None
    counts: bool = True


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The provider revoked the athlete's authorization."""


Outcome = Done | Retry | Refused | Disconnected


async def call_provider(work: Awaitable[RemoteCopy | None]) -> Outcome:
    """Await a provider call and turn its failures into outcomes."""
    try:
        result = await work
    except Throttled as exc:
        return Retry(exc.detail, exc.retry_after_s, counts=False)
    except Transient as exc:
        return Retry(exc.detail, exc.retry_after_s)
    except Permanent as exc:
        return Refused(exc.reason)
    except Revoked:
        return Disconnected()
    return Done(result)


def retry_at(rng: random.Random, now: float, attempts: int, wait_s: float | None) -> float:
    """Exponential backoff with jitter, never sooner than the provider asked."""
    return now + max(backoff_s(attempts, rng), wait_s or 0.0)


# --- pushes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Push:
    planned_session_id: uuid.UUID
    athlete_id: uuid.UUID
    provider: str
    revision: int
    item: PushItem
    known: RemoteCopy | None
    connection_id: uuid.UUID
    tokens: TokenSet
    tokens_version: datetime


class DevicePushes(LeasedJob[Push, Outcome]):
    name = PUSH_JOB
    overlap = 8  # batches in flight at once: a new push never waits for a slow batch

    async def claim(
        self, uow: UnitOfWork, now: float, lease_until: float, limit: int
    ) -> list[Push]:
        session = uow.session
        rows = await repository.claim_pushes(session, now, lease_until, limit)
        pushes: list[Push] = []
        for export, planned, workout, connection, time_zone in rows:
            if connection is None:  # disconnected since it was queued
                export.status, export.next_attempt_at = ExportStatus.NOT_CONNECTED.value, None
                export.lease_until = None
                continue
            pushes.append(
                await self._push(session, export, planned, workout, connection, time_zone)
            )
        return pushes

    async def _push(
        self,
        session: AsyncSession,
        export: PlanExport,
        planned: PlannedSession,
        workout: WorkoutRow,
        connection: DeviceConnection,
        time_zone: str | None,
    ) -> Push:
        profile = await profile_of(session, planned.athlete_id)
        known = None
        if export.external_workout_id or export.external_schedule_id:
            known = RemoteCopy(
                connection.provider,
                export.external_workout_id,
                export.external_schedule_id,
                export.remote_date,
                export.remote_fingerprint,
            )
        item = PushItem(
            planned_session_id=planned.id,
            local_date=planned.date,
            time_zone=time_zone or "UTC",
            name=planned.title or workout.name,
            workout=domain_of(workout),
            context=export_context(profile, workout.created_at, planned.id.hex),
        )
        return Push(
            planned.id,
            planned.athlete_id,
            connection.provider,
            export.revision,
            item,
            known,
            connection.id,
            await devices.token_set(self.ctx, session, connection),
            connection.updated_at,
        )

    async def act(self, push: Push) -> Outcome:
        providers = self.ctx.part(Providers)
        provider = push.provider
        client = providers.client(provider)
        try:
            client.check(push.item)
        except Permanent as exc:
            return Refused(exc.reason)
        tokens = providers.tokens(
            provider,
            push.tokens,
            save=lambda new: devices.save_tokens(self.ctx, push.connection_id, new),
            account=str(push.athlete_id),
        )

        async def store(copy: RemoteCopy) -> None:
            async with self.ctx.db.transaction() as uow:
                await copy_made(self.ctx, uow, push.athlete_id, push.planned_session_id, copy)

        return await call_provider(client.push(push.item, push.known, tokens, on_ids=store))

    async def record(
        self, uow: UnitOfWork, pushes: Sequence[Push], outcomes: Sequence[Outcome], now: float
    ) -> None:
        session = uow.session
        for push, outcome in zip(pushes, outcomes, strict=True):
            export = await session.get(PlanExport, push.planned_session_id)
            if export is None:
                continue  # the planned session was deleted meanwhile (its withdrawal is queued)
            if export.revision != push.revision:
                continue  # changed meanwhile: queued again with the new content
            export.lease_until = None
            export.updated_at = self.ctx.clock.now()
            if isinstance(outcome, Done):
                await self._sent(uow, export, push)
            elif isinstance(outcome, Retry):
                await self._retry(uow, export, push, outcome, now)
            elif isinstance(outcome, Refused):
                await self._failed(uow, export, push, outcome.reason)
            elif not await devices.changed_since(session, push.connection_id, push.tokens_version):
                await devices.revoked(self.ctx, uow, push.connection_id)
            else:  # another worker rotated the tokens under this push: try again with them
                export.next_attempt_at = now

    async def _sent(self, uow: UnitOfWork, export: PlanExport, push: Push) -> None:
        export.status, export.next_attempt_at = ExportStatus.SENT.value, None
        export.last_error = None
        export.exported_at = self.ctx.clock.now()
        payload = _payload(export, push)
        await notify(
            self.ctx,
            uow,
            push.athlete_id,
            NotificationType.EXPORT_SENT,
            payload,
            planned_session_id=push.planned_session_id,
        )

    async def _retry(
        self, uow: UnitOfWork, export: PlanExport, push: Push, outcome: Retry, now: float
    ) -> None:
        export.last_error = outcome.reason
        if not outcome.counts:  # held back by our own quota: not an attempt
            export.next_attempt_at = now + (outcome.wait_s or 1.0)
            return
        export.attempts += 1
        if export.attempts >= MAX_ATTEMPTS:
            reason = f"gave up after {export.attempts} attempts: {outcome.reason}"
            await self._failed(uow, export, push, reason)
            return
        export.next_attempt_at = retry_at(self.rng, now, export.attempts, outcome.wait_s)

    async def _failed(self, uow: UnitOfWork, export: PlanExport, push: Push, reason: str) -> None:
        export.status, export.next_attempt_at = ExportStatus.FAILED.value, None
        export.last_error = reason[:500]
        await notify(
            self.ctx,
            uow,
            push.athlete_id,
            NotificationType.EXPORT_FAILED,
            _payload(export, push) | {"reason": export.last_error},
            planned_session_id=push.planned_session_id,
        )

    async def next_due(self, uow: UnitOfWork) -> float | None:
        return await repository.next_push_at(uow.session)


def _payload(export: PlanExport, push: Push) -> dict[str, object]:
    return {
        "planned_session_id": str(push.planned_session_id),
        "date": push.item.local_date.isoformat(),
        "workout_name": push.item.name,
        "provider": export.provider,
        "external_workout_id": export.external_workout_id,
    }


# --- withdrawals -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Withdrawal:
    id: uuid.UUID
    athlete_id: uuid.UUID
    known: RemoteCopy
    connection_id: uuid.UUID
    tokens: TokenSet
    tokens_version: datetime


class DeviceWithdrawals(LeasedJob[Withdrawal, Outcome]):
    name = WITHDRAW_JOB

    async def claim(
        self, uow: UnitOfWork, now: float, lease_until: float, limit: int
    ) -> list[Withdrawal]:
        session = uow.session
        claimed: list[Withdrawal] = []
        for row, connection in await repository.claim_withdrawals(session, now, lease_until, limit):
            if connection is None:  # nothing can reach that copy any more
                log.info("copy left at a disconnected provider", provider=row.provider)
                await session.delete(row)
                continue
            known = RemoteCopy(row.provider, row.external_workout_id, row.external_schedule_id)
            tokens = await devices.token_set(self.ctx, session, connection)
            claimed.append(
                Withdrawal(
                    row.id,
                    row.athlete_id,
                    known,
                    connection.id,
                    tokens,
                    connection.updated_at,
                )
            )
        return claimed

    async def act(self, withdrawal: Withdrawal) -> Outcome:
        providers = self.ctx.part(Providers)
        provider = withdrawal.known.provider
        tokens = providers.tokens(
            provider,
            withdrawal.tokens,
            save=lambda new: devices.save_tokens(self.ctx, withdrawal.connection_id, new),
            account=str(withdrawal.athlete_id),
        )

        async def store(copy: RemoteCopy) -> None:  # the schedule is gone, the workout not yet
            async with self.ctx.db.transaction() as uow:
                row = await uow.session.get(ExportWithdrawal, withdrawal.id)
                if row is not None:
                    row.external_workout_id = copy.workout_id
                    row.external_schedule_id = copy.schedule_id

        client = providers.client(provider)
        return await call_provider(client.withdraw(withdrawal.known, tokens, on_ids=store))

    async def record(
        self,
        uow: UnitOfWork,
        withdrawals: Sequence[Withdrawal],
        outcomes: Sequence[Outcome],
        now: float,
    ) -> None:
        session = uow.session
        for withdrawal, outcome in zip(withdrawals, outcomes, strict=True):
            row = await session.get(ExportWithdrawal, withdrawal.id)
            if row is None:
                continue
            row.lease_until = None
            if isinstance(outcome, Done):
                await session.delete(row)
            elif isinstance(outcome, Retry):
                row.last_error = outcome.reason
                if outcome.counts:
                    row.attempts += 1
                if row.attempts >= MAX_ATTEMPTS:
                    row.next_attempt_at = None  # kept, visible, no longer tried
                else:
                    row.next_attempt_at = retry_at(self.rng, now, row.attempts, outcome.wait_s)
            elif isinstance(outcome, Refused):
                row.last_error, row.next_attempt_at = outcome.reason, None
            elif not await devices.changed_since(
                session, withdrawal.connection_id, withdrawal.tokens_version
            ):
                await devices.revoked(self.ctx, uow, withdrawal.connection_id)
                await session.delete(row)
            else:
                row.next_attempt_at = now

    async def next_due(self, uow: UnitOfWork) -> float | None:
        return await repository.next_withdrawal_at(uow.session)

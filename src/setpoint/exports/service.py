"""Workouts leaving Setpoint: files for download, and planned sessions queued for the
athlete's device (the push itself runs in `exports.jobs`). Flushes, never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import Conflict
from setpoint.exports import repository
from setpoint.exports.formats import ExportContext, ExportFile, export_workout
from setpoint.exports.formats.context import MAX_SOURCE_ID
from setpoint.exports.model import ConnectionStatus, ExportStatus, choose_provider
from setpoint.exports.providers import RemoteCopy
from setpoint.exports.tables import ExportWithdrawal, PlanExport
from setpoint.heartrate.model import Profile
from setpoint.heartrate.service import profile_of
from setpoint.plans.tables import PlannedSession
from setpoint.workers.loop import JobClock
from setpoint.workouts.service import domain_of
from setpoint.workouts.tables import WorkoutRow


async def workout_file(session: AsyncSession, row: WorkoutRow, fmt: str) -> ExportFile:
    """Relative targets (%FTP, HR zones) are resolved with the owner's profile."""
    profile = await profile_of(session, row.owner_id)
    return export_workout(domain_of(row), fmt, export_context(profile, row.created_at, row.id.hex))


def export_context(profile: Profile, created_at: datetime, source_id: str) -> ExportContext:
    return ExportContext(
        created_at=created_at,
        ftp_w=profile.ftp_w,
        max_hr=profile.max_hr,
        threshold_hr=profile.lthr,
        resting_hr=profile.resting_hr,
        source_id=source_id[:MAX_SOURCE_ID],
    )


# --- planned sessions on devices --------------------------------------------------------------
# Called by the plans area in the transaction that saves or deletes a planned session: the
# export row becomes due (PENDING) or NOT_CONNECTED there, and the push job is woken after
# the commit; the save never waits for a provider.


class NotExported(Conflict):
    code = "no_export"


class NotRetryable(Conflict):
    code = "export_not_retryable"


PUSH_JOB = "device-pushes"
WITHDRAW_JOB = "device-withdrawals"
ENDURANCE = "ENDURANCE"


async def planned_session_saved(ctx: Context, uow: UnitOfWork, planned: PlannedSession) -> None:
    """A planned session was created or changed: (re)queue its push when it is ENDURANCE,
    withdraw the copy on the device when it no longer is."""
    session = uow.session
    export = await session.get(PlanExport, planned.id)
    if planned.type != ENDURANCE:
        if export is not None:
            await _withdraw_copy(ctx, uow, export)
            await session.delete(export)
        return
    now = ctx.clock.now()
    if export is None:
        export = PlanExport(
            planned_session_id=planned.id,
            athlete_id=planned.athlete_id,
            status=ExportStatus.NOT_CONNECTED.value,
            provider=None,
            attempts=0,
            revision=0,
            updated_at=now,
        )
        session.add(export)
    await requeue_export(ctx, uow, export, changed=True)


async def requeue_export(
    ctx: Context, uow: UnitOfWork, export: PlanExport, *, changed: bool = False
) -> None:
    """Queue the export to the provider it should go to now (the old copy is withdrawn when
    that changed); a copy already SENT there stays, unless the planned session `changed`."""
    provider = await provider_for(uow.session, export.athlete_id)
    if export.provider != provider:
        await _withdraw_copy(ctx, uow, export)
    elif export.status == ExportStatus.SENT.value and not changed:
        return
    _queue(ctx, uow, export, provider)


async def export_of(session: AsyncSession, actor: Actor, planned_id: uuid.UUID) -> PlanExport:
    """The export of a planned session the actor may see; 404 for a STRENGTH session."""
    planned = await session.get(PlannedSession, planned_id)
    planned = authz.owned(
        actor, planned, planned.athlete_id if planned else None, f"planned session {planned_id}"
    )
    export = await session.get(PlanExport, planned.id)
    if export is None:
        raise NotExported(f"planned session {planned_id} is {planned.type}: it has no export")
    return export


async def retry(ctx: Context, uow: UnitOfWork, actor: Actor, planned_id: uuid.UUID) -> PlanExport:
    """Push a FAILED or NOT_CONNECTED export again, at once."""
    export = await export_of(uow.session, actor, planned_id)
    if export.status not in (ExportStatus.FAILED.value, ExportStatus.NOT_CONNECTED.value):
        raise NotRetryable(f"export is {export.status}: only FAILED or NOT_CONNECTED is retried")
    await requeue_export(ctx, uow, export, changed=True)
    await uow.session.flush()
    return export


async def planned_session_deleted(ctx: Context, uow: UnitOfWork, planned: PlannedSession) -> None:
    """The planned session is being deleted: its copy on the device is withdrawn."""
    export = await uow.session.get(PlanExport, planned.id)
    if export is not None:
        await _withdraw_copy(ctx, uow, export)


async def provider_for(session: AsyncSession, athlete_id: uuid.UUID) -> str | None:
    connections = await repository.connections_of(session, athlete_id)
    connected = [c.provider for c in connections if c.status == ConnectionStatus.CONNECTED.value]
    primary = next((c.provider for c in connections if c.primary), None)
    return choose_provider(connected, primary)


async def export_blocks(
    session: AsyncSession, planned_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The `export` block of each planned session that has one (ENDURANCE sessions)."""
    return {
        e.planned_session_id: export_block(e)
        for e in await repository.exports(session, planned_ids)
    }


def export_block(export: PlanExport) -> dict[str, Any]:
    return {
        "status": export.status,
        "provider": export.provider,
        "exported_at": export.exported_at,
        "external_workout_id": export.external_workout_id,
        "last_error": export.last_error,
        "attempts": export.attempts,
        "next_attempt_at": None
        if export.next_attempt_at is None
        else datetime.fromtimestamp(export.next_attempt_at, UTC),
    }


def _queue(ctx: Context, uow: UnitOfWork, export: PlanExport, provider: str | None) -> None:
    export.provider = provider
    export.attempts, export.last_error, export.lease_until = 0, None, None
    export.revision += 1
    export.updated_at = ctx.clock.now()
    if provider is None:
        export.status, export.next_attempt_at = ExportStatus.NOT_CONNECTED.value, None
        return
    now = ctx.clocks.now(JobClock.WALL)
    export.status, export.next_attempt_at = ExportStatus.PENDING.value, now

    async def wake() -> None:
        await ctx.wake(PUSH_JOB, now)

    uow.after_commit(wake)


async def copy_made(
    ctx: Context, uow: UnitOfWork, athlete_id: uuid.UUID, planned_id: uuid.UUID, copy: RemoteCopy
) -> None:
    """A push learned what the provider holds now: kept on the export, unless the planned
    session went away or now goes to another provider meanwhile; then that copy is withdrawn
    (never left at the provider with nothing here pointing to it)."""
    export = await uow.session.get(PlanExport, planned_id, with_for_update=True)
    if export is not None and export.provider == copy.provider:
        repository.keep_copy(export, copy)
    else:
        await _withdraw(ctx, uow, athlete_id, planned_id, copy)


async def _withdraw_copy(ctx: Context, uow: UnitOfWork, export: PlanExport) -> None:
    """Queue the deletion of whatever copy the provider holds, and forget it here."""
    if export.provider is None or not (export.external_workout_id or export.external_schedule_id):
        return
    copy = RemoteCopy(export.provider, export.external_workout_id, export.external_schedule_id)
    await _withdraw(ctx, uow, export.athlete_id, export.planned_session_id, copy)
    export.external_workout_id = export.external_schedule_id = None
    export.remote_date = export.remote_fingerprint = export.exported_at = None


async def _withdraw(
    ctx: Context, uow: UnitOfWork, athlete_id: uuid.UUID, planned_id: uuid.UUID, copy: RemoteCopy
) -> None:
    """One withdrawal per planned session and provider: a copy still growing (a workout,
    then its schedule) updates the waiting withdrawal instead of adding another."""
    now = ctx.clocks.now(JobClock.WALL)
    waiting = await repository.waiting_withdrawal(uow.session, planned_id, copy.provider)
    if waiting is None:
        waiting = ExportWithdrawal(
            athlete_id=athlete_id,
            provider=copy.provider,
            planned_session_id=planned_id,
            attempts=0,
            created_at=ctx.clock.now(),
        )
        uow.session.add(waiting)
    waiting.external_workout_id = copy.workout_id
    waiting.external_schedule_id = copy.schedule_id
    waiting.next_attempt_at = now

    async def wake() -> None:
        await ctx.wake(WITHDRAW_JOB, now)

    uow.after_commit(wake)

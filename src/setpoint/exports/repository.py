from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.exports.model import ConnectionStatus, ExportStatus
from setpoint.exports.providers import RemoteCopy
from setpoint.exports.tables import DeviceConnection, ExportWithdrawal, PlanExport
from setpoint.heartrate.tables import AthleteProfile
from setpoint.plans.tables import PlannedSession
from setpoint.workers.leases import due, next_free
from setpoint.workouts.tables import WorkoutRow


async def connections_of(session: AsyncSession, user_id: uuid.UUID) -> list[DeviceConnection]:
    rows = await session.scalars(
        select(DeviceConnection)
        .where(DeviceConnection.user_id == user_id)
        .order_by(DeviceConnection.provider)
    )
    return list(rows)


async def exports(session: AsyncSession, planned_ids: Collection[uuid.UUID]) -> list[PlanExport]:
    rows = await session.scalars(
        select(PlanExport).where(PlanExport.planned_session_id.in_(list(planned_ids)))
    )
    return list(rows)


async def claim_pushes(
    session: AsyncSession, now: float, lease_until: float, limit: int
) -> list[tuple[PlanExport, PlannedSession, WorkoutRow, DeviceConnection | None, str | None]]:
    """Due PENDING exports, leased, with what a push needs: the planned session, its
    workout, the connection to the export's provider (None when gone) and the athlete's
    time zone."""
    query = (
        select(PlanExport, PlannedSession, WorkoutRow, DeviceConnection, AthleteProfile.time_zone)
        .join(PlannedSession, PlannedSession.id == PlanExport.planned_session_id)
        .join(WorkoutRow, WorkoutRow.id == PlannedSession.workout_id)
        .outerjoin(
            DeviceConnection,
            (DeviceConnection.user_id == PlanExport.athlete_id)
            & (DeviceConnection.provider == PlanExport.provider)
            & (DeviceConnection.status == ConnectionStatus.CONNECTED.value),
        )
        .outerjoin(AthleteProfile, AthleteProfile.user_id == PlanExport.athlete_id)
        .where(PlanExport.status == ExportStatus.PENDING.value)
    )
    leased = due(query, PlanExport.next_attempt_at, PlanExport.lease_until, now)
    rows = (await session.execute(leased.limit(limit))).all()
    for export, *_ in rows:
        export.lease_until = lease_until
    return [(e, p, w, c, tz) for e, p, w, c, tz in rows]


async def next_push_at(session: AsyncSession) -> float | None:
    free = next_free(PlanExport.next_attempt_at, PlanExport.lease_until)
    return await session.scalar(
        select(func.min(free)).where(PlanExport.status == ExportStatus.PENDING.value)
    )


def keep_copy(export: PlanExport, copy: RemoteCopy) -> None:
    """What the provider holds now, the moment it is known."""
    export.external_workout_id = copy.workout_id
    export.external_schedule_id = copy.schedule_id
    export.remote_date = copy.scheduled_on
    export.remote_fingerprint = copy.fingerprint


async def waiting_withdrawal(
    session: AsyncSession, planned_session_id: uuid.UUID, provider: str
) -> ExportWithdrawal | None:
    """The planned session's withdrawal at `provider` that no worker holds yet, if any."""
    return await session.scalar(
        select(ExportWithdrawal)
        .where(
            ExportWithdrawal.planned_session_id == planned_session_id,
            ExportWithdrawal.provider == provider,
            ExportWithdrawal.lease_until.is_(None),
        )
        .with_for_update()
    )


async def claim_withdrawals(
    session: AsyncSession, now: float, lease_until: float, limit: int
) -> list[tuple[ExportWithdrawal, DeviceConnection | None]]:
    query = select(ExportWithdrawal, DeviceConnection).outerjoin(
        DeviceConnection,
        (DeviceConnection.user_id == ExportWithdrawal.athlete_id)
        & (DeviceConnection.provider == ExportWithdrawal.provider)
        & (DeviceConnection.status == ConnectionStatus.CONNECTED.value),
    )
    leased = due(query, ExportWithdrawal.next_attempt_at, ExportWithdrawal.lease_until, now)
    rows = (await session.execute(leased.limit(limit))).all()
    for row, _ in rows:
        row.lease_until = lease_until
    return [(r, c) for r, c in rows]


async def next_withdrawal_at(session: AsyncSession) -> float | None:
    free = next_free(ExportWithdrawal.next_attempt_at, ExportWithdrawal.lease_until)
    return await session.scalar(select(func.min(free)))


async def exports_of(
    session: AsyncSession, athlete_id: uuid.UUID, statuses: Collection[str], from_date: date
) -> list[PlanExport]:
    """The athlete's exports in these statuses, of planned sessions dated `from_date` or later."""
    rows = await session.scalars(
        select(PlanExport)
        .join(PlannedSession, PlannedSession.id == PlanExport.planned_session_id)
        .where(
            PlanExport.athlete_id == athlete_id,
            PlanExport.status.in_(list(statuses)),
            PlannedSession.date >= from_date,
        )
        .with_for_update(of=PlanExport)
    )
    return list(rows)


async def connection(
    session: AsyncSession, user_id: uuid.UUID, provider: str, *, lock: bool = False
) -> DeviceConnection | None:
    query = select(DeviceConnection).where(
        DeviceConnection.user_id == user_id, DeviceConnection.provider == provider
    )
    return await session.scalar(query.with_for_update() if lock else query)

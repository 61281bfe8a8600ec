from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.exports.tables import DeviceConnection, PlanExport


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

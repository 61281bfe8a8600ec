"""Offset pagination of a typed query: one page of rows and the total they come from."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def page(
    session: AsyncSession, query: Select[T], limit: int, offset: int
) -> tuple[list[T], int]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = await session.scalars(query.limit(limit).offset(offset))
    return list(rows), total or 0

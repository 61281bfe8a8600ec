"""The schema comes from the migrations only: they go up, down and up again cleanly, and the
result matches the models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.db.tables import Base
from tests.support import scratch_postgres, sqlite_url


@pytest.fixture
async def empty_database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        db = Database(sqlite_url(tmp_path / "fresh.db"))
        yield db
        await db.dispose()
        return
    async with scratch_postgres() as url:
        db = Database(url)
        yield db
        await db.dispose()


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_database: Database) -> None:
    db = empty_database
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()
    assert {t.name for t in Base.metadata.sorted_tables} <= await _tables(db)

    await migrate.downgrade(db, "base")
    assert await migrate.current_revision(db) is None
    assert await _tables(db) <= {"alembic_version"}

    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_migrated_schema_matches_the_models(empty_database: Database) -> None:
    await migrate.upgrade(empty_database)
    async with empty_database.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    assert diff == []

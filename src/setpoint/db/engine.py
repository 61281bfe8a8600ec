"""Engine, sessions and the unit of work.

One transaction per request or job, owned by the caller: `Database.transaction()` opens it,
commits once at the end (or rolls back on error), then runs what was registered with
`UnitOfWork.after_commit` (waking workers, publishing to the live hub), so nothing announces
a change that was rolled back.

On SQLite, write transactions start with `BEGIN IMMEDIATE`: the single writer takes the lock
up front instead of failing half-way through. Writers of this process queue on an asyncio
lock first (SQLite's own busy handler waits by sleeping in steps of up to 100 ms, which
would put those steps into command latency); `busy_timeout` still covers other processes
such as the CLI. Reads keep plain deferred transactions and run beside the writer (WAL).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

AfterCommit = Callable[[], Awaitable[None] | None]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=10000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class UnitOfWork:
    """The session of one transaction, plus the work that must follow its commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.memo: dict[object, Any] = {}  # lookups worth doing once per transaction
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def _run_after_commit(self) -> None:
        for callback in self._after_commit:
            result = callback()
            if result is not None:
                await result


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.engine = create_engine(url, **engine_kwargs)
        self.url = url
        writer = self.engine.execution_options(sqlite_immediate=True)
        self._read = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._write = async_sessionmaker(writer, expire_on_commit=False, autoflush=True)
        self._single_writer = asyncio.Lock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[UnitOfWork]:
        factory = self._write if write else self._read
        queue = self._single_writer if write and self._single_writer else contextlib.nullcontext()
        async with queue, factory() as session:
            uow = UnitOfWork(session)
            async with session.begin():
                yield uow
        await uow._run_after_commit()

    async def dispose(self) -> None:
        await self.engine.dispose()

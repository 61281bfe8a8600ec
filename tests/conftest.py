"""Fixtures: every database test runs on SQLite, and on PostgreSQL when
SETPOINT_TEST_DATABASE_URL is set. The schema is built by the migrations, once per backend."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from setpoint.app import create_app
from setpoint.auth import service as auth_service
from setpoint.auth.model import Role
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.db import migrate
from setpoint.db.engine import Database
from setpoint.db.tables import Base
from tests.support import (
    BACKENDS,
    FakeClock,
    Receiver,
    copy_sqlite,
    scratch_postgres,
    sqlite_url,
)

SERVICES = ("SETPOINT_TEST_DATABASE_URL", "SETPOINT_TEST_REDIS_URL")
_DESELECTED = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "services: needs PostgreSQL and Redis (SETPOINT_TEST_*_URL); else deselected"
    )
    config.addinivalue_line(
        "markers", "postgresql: a behaviour of PostgreSQL only (row locks); not run on SQLite"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `services` are deselected, with one line saying why, when PostgreSQL and
    Redis are not configured (CI configures them)."""
    sqlite_only = [
        item
        for item in items
        if item.get_closest_marker("postgresql")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("backend") == "sqlite"
    ]
    if sqlite_only:  # the test is about PostgreSQL: its SQLite variant is not a test
        config.hook.pytest_deselected(items=sqlite_only)
        items[:] = [item for item in items if item not in sqlite_only]
    missing = [name for name in SERVICES if not os.environ.get(name)]
    needing = [item for item in items if item.get_closest_marker("services")]
    if not missing or not needing:
        return
    config.hook.pytest_deselected(items=needing)
    items[:] = [item for item in items if not item.get_closest_marker("services")]
    config.stash[_DESELECTED] = (
        f"deselected {len(needing)} tests that need PostgreSQL and Redis: "
        f"{' and '.join(missing)} not set"
    )


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    return config.stash.get(_DESELECTED, None)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    reason = config.stash.get(_DESELECTED, None)
    if reason is not None:
        terminalreporter.write_line(reason)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")


@pytest.fixture(scope="session")
async def migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Per backend, once: a database migrated to head (an SQLite template file, or a
    scratch PostgreSQL database)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "setpoint.db"
        db = Database(sqlite_url(path))
        await migrate.upgrade(db)
        await db.dispose()
        yield str(path)
        return
    async with scratch_postgres() as url:
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()
        yield url


@pytest.fixture
async def database_url(backend: str, migrated: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database, empty at the start of each test."""
    if backend == "sqlite":
        yield copy_sqlite(Path(migrated), tmp_path / "setpoint.db")
        return
    yield migrated
    db = Database(migrated)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
        log_format="json",
        log_level="warning",
        run_workers=False,  # tests drive the jobs with the fake clock
        webhook_allow_private=True,  # the test receivers listen on loopback
    )


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://setpoint.test") as c:
        yield c


@dataclass
class UserHandle:
    id: str
    email: str
    password: str
    role: Role
    headers: dict[str, str]


MakeUser = Callable[..., Awaitable[UserHandle]]


@pytest.fixture
def make_user(app: FastAPI, client: httpx.AsyncClient) -> MakeUser:
    """Creates a user through the service and logs in over HTTP; returns auth headers."""
    counter = iter(range(1, 10_000))

    async def make(
        role: Role = Role.ATHLETE, coach: UserHandle | None = None, **_: Any
    ) -> UserHandle:
        ctx: Context = app.state.context
        email = f"{role}{next(counter)}@example.com"
        password = "correct horse battery"
        async with ctx.db.transaction() as uow:
            user = await auth_service.create_user(
                ctx, uow.session, email, password, role, coach.email if coach else None
            )
        response = await client.post("/api/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        return UserHandle(str(user.id), email, password, role, {"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()

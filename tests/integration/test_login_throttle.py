"""Login over HTTP under attack: failed logins are throttled by account and by address with
a growing wait, and a flood of bad logins neither hashes without bound nor makes a good login
wait behind it. Time is the fake clock's."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from setpoint.auth.passwords import Passwords
from setpoint.auth.throttle import ACCOUNT, ADDRESS
from setpoint.config import Settings
from setpoint.context import Context
from tests.conftest import MakeUser
from tests.support import FakeClock


@pytest.fixture
async def from_address(app: FastAPI) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients calling from the addresses asked for: `from_address["10.0.0.1"]`."""
    clients: dict[str, httpx.AsyncClient] = {}

    class Clients(dict[str, httpx.AsyncClient]):
        def __missing__(self, address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            clients[address] = httpx.AsyncClient(transport=transport, base_url="http://t")
            self[address] = clients[address]
            return clients[address]

    yield Clients()
    for client in clients.values():
        await client.aclose()


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", json={"email": email, "password": password})


async def test_failed_logins_of_an_account_wait_longer_each_time(
    from_address: dict[str, httpx.AsyncClient], make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    here = from_address["10.0.0.1"]
    for _ in range(ACCOUNT.free):
        assert (await login(here, athlete.email, "wrong-password")).status_code == 401
    waits = []
    for _ in range(3):
        refused = await login(here, athlete.email, "wrong-password")
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
        assert (await login(here, athlete.email, "wrong-password")).status_code == 401
    assert waits == [1, 2, 4]
    # the right password waits too (from anywhere), then works and clears the account
    elsewhere = from_address["10.9.9.9"]
    assert (await login(elsewhere, athlete.email, athlete.password)).status_code == 429
    clock.advance(8)
    assert (await login(elsewhere, athlete.email, athlete.password)).status_code == 200
    assert (await login(here, athlete.email, "wrong-password")).status_code == 401


async def test_an_address_is_throttled_across_accounts(
    from_address: dict[str, httpx.AsyncClient], make_user: MakeUser
) -> None:
    athlete = await make_user()
    prober = from_address["10.0.0.2"]
    for i in range(ADDRESS.free):
        assert (await login(prober, f"who{i}@example.com", "guess-guess")).status_code == 401
    refused = await login(prober, athlete.email, athlete.password)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert (await login(from_address["10.0.0.3"], athlete.email, athlete.password)).is_success


async def test_a_flood_of_bad_logins_hashes_little_and_a_good_login_gets_through(
    app: FastAPI,
    from_address: dict[str, httpx.AsyncClient],
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx: Context = app.state.context
    victim, athlete = await make_user(), await make_user()
    passwords = ctx.part(Passwords)
    verify = passwords._verify
    hashing, lock = {"now": 0, "peak": 0, "total": 0}, threading.Lock()

    def counted(stored_hash: str | None, password: str) -> bool:
        with lock:
            hashing["now"] += 1
            hashing["total"] += 1
            hashing["peak"] = max(hashing["peak"], hashing["now"])
        try:
            return verify(stored_hash, password)
        finally:
            with lock:
                hashing["now"] -= 1

    monkeypatch.setattr(passwords, "_verify", counted)
    flood = [login(from_address["10.6.6.6"], victim.email, f"guess-{i}") for i in range(100)]
    good = login(from_address["10.0.0.4"], athlete.email, athlete.password)
    *bad, answer = await asyncio.gather(*flood, good)

    assert answer.status_code == 200
    statuses = [r.status_code for r in bad]
    assert statuses.count(401) == ACCOUNT.free and statuses.count(429) == 100 - ACCOUNT.free
    # the good login queued behind at most the few hashes the throttle let through
    assert hashing["total"] == ACCOUNT.free + 1


async def test_no_more_hashes_run_at_once_than_there_are_slots(settings: Settings) -> None:
    passwords = Passwords(settings, slots=2)
    running, peak, lock, release = [0], [0], threading.Lock(), threading.Event()
    verify = passwords._verify

    def held(stored_hash: str | None, password: str) -> bool:
        """A hash that runs until the test releases it."""
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(timeout=10)
        with lock:
            running[0] -= 1
        return verify(stored_hash, password)

    passwords._verify = held  # type: ignore[method-assign]
    checks = asyncio.gather(*(passwords.verify(None, "x") for _ in range(20)))
    for _ in range(50):  # let every hash the bound admits (and any it wrongly would) start
        await asyncio.sleep(0.01)
    release.set()
    assert await checks == [False] * 20
    assert peak[0] == 2

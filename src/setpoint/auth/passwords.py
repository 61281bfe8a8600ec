"""Argon2id password hashing (argon2-cffi), with cost parameters from the settings.

Each hash runs in a worker thread, and at most one per CPU at a time: a flood of logins
queues here instead of starving the event loop's other work of CPU.
"""

from __future__ import annotations

import asyncio
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from setpoint.config import Settings

# A hash checked against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_PASSWORD = "not-a-real-password"


class Passwords:
    def __init__(self, settings: Settings, slots: int | None = None) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
        self._slots = asyncio.Semaphore(slots or os.cpu_count() or 1)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

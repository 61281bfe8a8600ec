"""Server secrets: derived from `SETPOINT_SECRET_KEY` when set, else made once and kept in the
database, so every node of a cluster shares them and restarts keep them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from cryptography.fernet import Fernet
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from setpoint.config import Settings
from setpoint.db.base import Base, utcnow


class ServerKey(Base):
    __tablename__ = "server_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


async def server_secret(settings: Settings, session: AsyncSession, name: str) -> bytes:
    """32 bytes of key material for one purpose (`name`)."""
    if settings.secret_key is not None:
        master = settings.secret_key.get_secret_value().encode()
        return hmac.new(master, name.encode(), hashlib.sha256).digest()
    stored = await session.get(ServerKey, name)
    if stored is None:
        stored = ServerKey(name=name, value=secrets.token_hex(32), created_at=utcnow())
        try:
            async with session.begin_nested():
                session.add(stored)
        except IntegrityError:  # another node made it first
            stored = await session.get(ServerKey, name)
            assert stored is not None
    return bytes.fromhex(stored.value)


async def fernet(settings: Settings, session: AsyncSession, name: str) -> Fernet:
    """Symmetric encryption for secrets the server must read back (webhook secrets)."""
    key = await server_secret(settings, session, name)
    return Fernet(base64.urlsafe_b64encode(key))

"""Export rules (pure): the statuses of a planned session's copy on a device, and which
provider an athlete's sessions go to."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class ExportStatus(StrEnum):
    NOT_CONNECTED = "NOT_CONNECTED"
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    REVOKED = "revoked"  # the provider refused the authorization: reconnect


MAX_ATTEMPTS = 8  # transient failures in a row before a push is FAILED


def choose_provider(connected: Collection[str], primary: str | None) -> str | None:
    """The primary provider, else the only connected one, else none (`NOT_CONNECTED`)."""
    if primary is not None and primary in connected:
        return primary
    if len(connected) == 1:
        return next(iter(connected))
    return None

"""Notification rules (pure): event names, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum


class NotificationType(StrEnum):
    """Every notification Setpoint sends; the names are the events' own (`SegmentChanged` is
    the session machine's event of that name)."""

    WORKOUT_READY = "WorkoutReady"
    SEGMENT_CHANGED = "SegmentChanged"
    ZONE_DEVIATION = "ZoneDeviation"
    BACK_IN_ZONE = "BackInZone"
    SESSION_COMPLETED = "SessionCompleted"
    EXPORT_SENT = "ExportSent"
    EXPORT_FAILED = "ExportFailed"
    DEVICE_DISCONNECTED = "DeviceDisconnected"

    @classmethod
    def of(cls, name: str) -> NotificationType | None:
        """The notification an event of this name is worth, if any."""
        try:
            return cls(name)
        except ValueError:
            return None


EVENTS = tuple(kind.value for kind in NotificationType)
USER_TOPIC_PREFIX = "user:"  # the per-user live channel (`WS /api/live`)
MAX_ATTEMPTS = 8  # a delivery is given up after this many failed attempts
DISABLE_AFTER = 20  # consecutive failed attempts that disable a webhook
SIGNATURE_HEADER = "X-Setpoint-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `"{timestamp}." + body`: the timestamp is signed
    too, so a receiver can refuse replays of old deliveries."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()

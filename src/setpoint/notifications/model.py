"""Notification rules (pure): event names, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac

EVENTS = (
    "WorkoutReady",
    "SegmentChanged",
    "ZoneDeviation",
    "BackInZone",
    "SessionCompleted",
    "ExportSent",
    "ExportFailed",
    "DeviceDisconnected",
)
MAX_ATTEMPTS = 8  # a delivery is given up after this many failed attempts
DISABLE_AFTER = 20  # consecutive failed attempts that disable a webhook
SIGNATURE_HEADER = "X-Setpoint-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `"{timestamp}." + body`: the timestamp is signed
    too, so a receiver can refuse replays of old deliveries."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()

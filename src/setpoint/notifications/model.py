"""Notification rules (pure): event names, webhook signatures, retry backoff."""

from __future__ import annotations

import hashlib
import hmac
import random

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


def backoff_s(
    attempt: int, rng: random.Random, base_s: float = 2.0, cap_s: float = 3600.0
) -> float:
    """Delay before retry number `attempt` (1 = the first retry): exponential, capped,
    with full jitter in [0.5, 1.5) so failing receivers are not hit in lockstep."""
    return min(base_s * 2.0 ** (attempt - 1), cap_s) * (0.5 + rng.random())

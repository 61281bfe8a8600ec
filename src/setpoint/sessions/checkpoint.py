"""The checkpoint file (seed 000's `plan, state, phase_index, elapsed_secs, last_checkpoint`),
signed with HMAC-SHA256 so a changed or foreign file is refused. Pure."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

VERSION = 1


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(doc: dict[str, Any], key: bytes) -> dict[str, Any]:
    return {**doc, "signature": hmac.new(key, _canonical(doc), hashlib.sha256).hexdigest()}


def verify(doc: dict[str, Any], key: bytes) -> bool:
    signature = doc.get("signature")
    if not isinstance(signature, str):
        return False
    expected = hmac.new(key, _canonical(doc), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)

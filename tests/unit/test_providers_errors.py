"""How provider answers map to Transient, Permanent and Revoked, in sentences without tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from setpoint.exports.providers import MISSING_PERMISSION, Permanent, Revoked, Transient
from setpoint.exports.providers.errors import excerpt, for_response, retry_after_s

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def error(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> object:
    return for_response("wahoo", status, headers or {}, body, NOW)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    result = error(status)
    assert isinstance(result, Transient)
    assert f"HTTP {status}" in str(result)


def test_429_is_transient_with_the_wait() -> None:
    result = error(429, {"retry-after": "12"})
    assert isinstance(result, Transient) and result.retry_after_s == 12


@pytest.mark.parametrize("status", [403, 412])
def test_missing_permission_asks_to_reconnect(status: int) -> None:
    result = error(status)
    assert isinstance(result, Permanent)
    assert MISSING_PERMISSION in result.reason


@pytest.mark.parametrize("status", [400, 422])
def test_a_refused_payload_is_permanent_with_the_providers_reason(status: int) -> None:
    result = error(status, body=b'{"message": "workout[minutes] is required"}')
    assert isinstance(result, Permanent)
    assert str(result) == f"Wahoo refused the workout (HTTP {status}: workout[minutes] is required)"


def test_401_is_revoked() -> None:
    assert isinstance(error(401), Revoked)


def test_retry_after_as_seconds_date_or_rate_limit_reset() -> None:
    assert retry_after_s({"retry-after": "30"}, NOW) == 30
    assert retry_after_s({"retry-after": "Mon, 02 Mar 2026 07:01:30 GMT"}, NOW) == 90
    assert retry_after_s({"x-ratelimit-reset": "45"}, NOW) == 45
    epoch = str(int(NOW.timestamp()) + 120)
    assert retry_after_s({"x-ratelimit-reset": epoch}, NOW) == 120
    assert retry_after_s({}, NOW) is None
    assert retry_after_s({"retry-after": "soon"}, NOW) is None


def test_excerpts_are_short_and_redacted() -> None:
    body = b'{"error": "bad token Bearer abc.def and eyJhbGciOiJIUzI1NiJ9abcdefghijkl"}'
    text = excerpt(body)
    assert "abc.def" not in text and "eyJhbGci" not in text
    assert "[redacted]" in text
    assert len(excerpt(b"x " * 1000)) <= 200

"""What can go wrong when talking to a provider, as three kinds a caller acts on.

- `Transient`: try again later (5xx, 429, timeouts, connection errors, a quota reached on
  our side); `retry_after_s` is the wait the provider asked for, when it said one.
- `Permanent`: trying again will not help (the provider refused the payload, the user did
  not grant the permission, the workout does not fit the provider).
- `Revoked`: the user's authorization is gone; they must connect again.

Every message is a sentence a user may read. None ever contains a token: the sentences
are built here from fixed words, the status and at most a short, redacted excerpt of the
provider's own error message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from setpoint.errors import Conflict, NotFound, SetpointError

MISSING_PERMISSION = "reconnect and allow workout import"
_EXCERPT_CHARS = 200
_EPOCH_THRESHOLD = 1_000_000_000  # a reset header above this is a Unix time, not seconds
# Anything that looks like a credential: long runs of token characters, bearer values.
_SECRET_LIKE = re.compile(r"(?i)bearer\s+\S+|[A-Za-z0-9_\-.~+/=]{24,}")


class ProviderError(SetpointError):
    code = "provider_error"
    status = 502

    def __init__(self, detail: str, provider: str) -> None:
        super().__init__(detail, provider=provider)
        self.provider = provider


class Transient(ProviderError):
    """Worth retrying; after `retry_after_s` seconds when the provider said so."""

    code = "provider_unavailable"
    status = 502

    def __init__(self, detail: str, provider: str, retry_after_s: float | None = None) -> None:
        super().__init__(detail, provider)
        self.retry_after_s = retry_after_s


class Throttled(Transient):
    """Our own limiter held the request back before it was sent: not a failed attempt."""

    code = "provider_quota"

    def __init__(self, provider: str, retry_after_s: float) -> None:
        super().__init__(
            f"{label(provider)}'s request quota is used up for now; "
            f"waiting {retry_after_s:.0f} s before the next request",
            provider,
            retry_after_s,
        )


class Permanent(ProviderError):
    """Not worth retrying as is; `reason` is the sentence to show."""

    code = "provider_refused"
    status = 422

    def __init__(self, reason: str, provider: str) -> None:
        super().__init__(reason, provider)
        self.reason = reason


class Revoked(ProviderError):
    """The authorization was withdrawn (or expired for good): the user must reconnect."""

    code = "provider_revoked"
    status = 409

    def __init__(self, provider: str, detail: str | None = None) -> None:
        super().__init__(
            detail or f"Access to the {label(provider)} account was revoked; reconnect the device",
            provider,
        )


def label(provider: str) -> str:
    """`garmin` → `Garmin`: the provider's name in a sentence."""
    return {"garmin": "Garmin", "wahoo": "Wahoo"}.get(provider, provider.capitalize())


def redact(text: str) -> str:
    """The text with anything token-like replaced by `[redacted]`."""
    return _SECRET_LIKE.sub("[redacted]", text)


def excerpt(body: bytes | str) -> str:
    """A short, redacted form of an error body: its `message`/`error` field when it is JSON."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "error_description", "error", "errors", "detail"):
            if data.get(key):
                value = data[key]
                text = value if isinstance(value, str) else json.dumps(value)
                break
    text = " ".join(text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 1] + "…"
    return redact(text)


def retry_after_s(headers: Mapping[str, str], now: datetime) -> float | None:
    """The wait a provider asked for: `Retry-After` (seconds or an HTTP date), else
    `X-RateLimit-Reset` (seconds until the reset, or the reset as a Unix time)."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, (when - now).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            number = float(reset.strip())
        except ValueError:
            return None
        if number >= _EPOCH_THRESHOLD:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    return None


def for_response(
    provider: str, status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> ProviderError:
    """The error an API answer with a non-success `status` means.

    401 is not mapped here: the caller refreshes once, and a second 401 is `Revoked`.
    """
    name = label(provider)
    if status == 429:
        return Transient(
            f"{name} is limiting requests (HTTP 429)",
            provider,
            retry_after_s(headers, now),
        )
    if status >= 500:
        return Transient(
            f"{name} is not available right now (HTTP {status})",
            provider,
            retry_after_s(headers, now),
        )
    if status in (403, 412):
        return Permanent(
            f"{name} refused the workout because the account has not allowed it: "
            f"{MISSING_PERMISSION}",
            provider,
        )
    if status == 401:
        return Revoked(provider)
    detail = excerpt(body)
    if status in (400, 422):
        return Permanent(
            f"{name} refused the workout (HTTP {status}" + (f": {detail})" if detail else ")"),
            provider,
        )
    return Permanent(f"{name} answered HTTP {status}" + (f": {detail}" if detail else ""), provider)


def unreachable(provider: str, exc: Exception) -> Transient:
    """A timeout or connection error as a Transient, naming only the kind of failure."""
    name = label(provider)
    if isinstance(exc, httpx.TimeoutException):
        return Transient(f"{name} did not answer in time", provider)
    return Transient(f"{name} could not be reached", provider)


class ProviderNotConfigured(Conflict):
    code = "provider_not_configured"

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"{label(provider)} is not configured on this server "
            f"(SETPOINT_{provider.upper()}_CLIENT_ID is not set)",
            provider=provider,
        )


class UnknownProvider(NotFound):
    code = "unknown_provider"

    def __init__(self, provider: str) -> None:
        super().__init__(f"unknown provider {provider[:40]!r}; use garmin or wahoo")

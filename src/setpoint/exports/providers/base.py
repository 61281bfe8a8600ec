"""What every provider client shares: its configuration, the item to push, the remote copy
known so far, the client protocol, and the authorized request with error mapping.

A push is resumable: each client takes the `RemoteCopy` known so far, creates only what is
missing, updates in place what changed, and awaits `on_ids(copy)` the moment a remote id
(or a change) is known, so the caller can commit it before the next request. A crash
between two requests therefore never leaves a second copy on the device.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

import httpx

from setpoint.config import Settings
from setpoint.exports.formats.context import MAX_SOURCE_ID, ExportContext
from setpoint.exports.providers.errors import (
    Permanent,
    Revoked,
    Throttled,
    for_response,
    unreachable,
)
from setpoint.exports.providers.limits import Limiter
from setpoint.workouts.model import Sport, Workout

PROVIDERS: tuple[str, ...] = ("garmin", "wahoo")
WAHOO_SCOPE = "user_read workouts_read workouts_write plans_read plans_write offline_data"
DAY_CODE_ORIGIN = date(2020, 1, 1)


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    api_url: str
    scope: str | None = None

    def __repr__(self) -> str:  # never print the client secret
        return f"ProviderConfig(name={self.name!r}, api_url={self.api_url!r})"

    def client_form(self) -> dict[str, str]:
        """The client credentials as token-endpoint form fields."""
        form = {"client_id": self.client_id}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        return form


def provider_config(settings: Settings, provider: str) -> ProviderConfig | None:
    """The provider's settings, or None when it is not configured (no client id)."""
    if provider not in PROVIDERS:
        return None
    client_id: str | None = getattr(settings, f"{provider}_client_id")
    if not client_id:
        return None
    secret = getattr(settings, f"{provider}_client_secret")
    return ProviderConfig(
        name=provider,
        client_id=client_id,
        client_secret=secret.get_secret_value() if secret is not None else "",
        authorize_url=getattr(settings, f"{provider}_authorize_url"),
        token_url=getattr(settings, f"{provider}_token_url"),
        api_url=getattr(settings, f"{provider}_api_url").rstrip("/"),
        scope=WAHOO_SCOPE if provider == "wahoo" else None,
    )


def redirect_uri(settings: Settings, provider: str) -> str:
    return f"{settings.public_url.rstrip('/')}/api/devices/{provider}/callback"


@dataclass(frozen=True, slots=True)
class PushItem:
    """One planned session to put on a device.

    `local_date` is the day in the athlete's `time_zone` (an IANA name); `name` is the
    workout's name on the device; `workout` and `context` are what the format writers take
    (the context's `source_id` is set by the client from the planned session id).
    """

    planned_session_id: uuid.UUID
    local_date: date
    time_zone: str
    name: str
    workout: Workout
    context: ExportContext

    @property
    def sport(self) -> Sport:
        return self.workout.sport

    def named_workout(self) -> Workout:
        return replace(self.workout, name=self.name)

    def writer_context(self) -> ExportContext:
        return replace(self.context, source_id=self.planned_session_id.hex[:MAX_SOURCE_ID])


@dataclass(frozen=True, slots=True)
class RemoteCopy:
    """What exists at the provider for one planned session.

    `workout_id`: Garmin's workout id / Wahoo's workout id. `schedule_id`: Garmin's
    schedule id / Wahoo's plan id. `scheduled_on`: the date the copy is scheduled on.
    `fingerprint`: the content last written in full (`None` when unknown), so an unchanged
    workout is not rewritten.
    """

    provider: str
    workout_id: str | None = None
    schedule_id: str | None = None
    scheduled_on: date | None = None
    fingerprint: str | None = None

    @property
    def empty(self) -> bool:
        return self.workout_id is None and self.schedule_id is None


OnIds = Callable[[RemoteCopy], Awaitable[None]]


class TokenSource(Protocol):
    """What the API calls need from `oauth.Tokens`."""

    @property
    def account(self) -> str: ...

    async def access_token(self) -> str: ...

    async def after_unauthorized(self, rejected: str) -> str: ...


class ProviderClient(Protocol):
    name: str

    def check(self, item: PushItem) -> None:
        """Raise Permanent when the provider cannot hold the workout; sends nothing."""
        ...

    async def push(
        self, item: PushItem, known: RemoteCopy | None, tokens: TokenSource, on_ids: OnIds
    ) -> RemoteCopy:
        """Create, update in place or move the remote copy; the copy as it now stands."""
        ...

    async def withdraw(self, known: RemoteCopy, tokens: TokenSource, on_ids: OnIds) -> None:
        """Remove the remote copy (what is already gone counts as removed)."""
        ...

    async def disconnect(self, tokens: TokenSource) -> None:
        """Revoke the authorization at the provider."""
        ...


def day_code(day: date) -> int:
    """Wahoo's day code: days since 2020-01-01, that day being 1."""
    return (day - DAY_CODE_ORIGIN).days + 1


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able content."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Api:
    """Authorized requests to one provider for one connection.

    Each request first asks the limiter (Throttled when it must wait), sends the bearer
    token, refreshes once on a 401 and tries again (Revoked on a second 401), and maps
    every other failure to a ProviderError.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        http: httpx.AsyncClient,
        tokens: TokenSource,
        limiter: Limiter | None,
        now: Callable[[], datetime],
    ) -> None:
        self.provider = provider
        self._base = base_url.rstrip("/")
        self._http = http
        self._tokens = tokens
        self._limiter = limiter
        self._now = now

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response | None:
        """The 2xx answer; None for a 404 when `missing_ok`."""
        token = await self._tokens.access_token()
        response = await self._send(method, path, token, json_body, form, params)
        if response.status_code == 401:
            token = await self._tokens.after_unauthorized(token)
            response = await self._send(method, path, token, json_body, form, params)
            if response.status_code == 401:
                raise Revoked(self.provider)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 300:
            raise for_response(
                self.provider,
                response.status_code,
                response.headers,
                response.content,
                self._now(),
            )
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON body (a Permanent error when it is not JSON)."""
        response = await self.call(method, path, **kwargs)
        assert response is not None
        try:
            return response.json()
        except ValueError:
            raise Permanent(
                f"{self.provider.capitalize()} answered {method} {path} with something "
                "that is not JSON",
                self.provider,
            ) from None

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        json_body: Any,
        form: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        if self._limiter is not None:
            wait = self._limiter.acquire(self._tokens.account)
            if wait > 0:
                raise Throttled(self.provider, wait)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            return await self._http.request(
                method,
                self._base + path,
                json=json_body,
                data=form,
                params=params,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise unreachable(self.provider, exc) from None


class Client:
    """What both provider clients share: their configuration, the HTTP client, the request
    limiter and the clock, and the authorized requests built from them."""

    name: str

    def __init__(
        self,
        config: ProviderConfig,
        http: httpx.AsyncClient,
        limiter: Limiter | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._http = http
        self._limiter = limiter
        self._now = now

    def _api(self, tokens: TokenSource) -> Api:
        return Api(self.name, self.config.api_url, self._http, tokens, self._limiter, self._now)

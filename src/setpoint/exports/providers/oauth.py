"""OAuth 2 authorization code with PKCE (S256), and refresh with rotation.

`pkce_pair()` and `authorize_url()` are pure; `OAuthClient` talks to the token URL
(form-encoded, client credentials in the form); `Tokens` hands a valid access token to
the API clients, refreshing shortly before expiry and once after a 401, and saving every
new token set before its access token is used (both providers rotate the refresh token,
and Wahoo revokes the old pair on the first use of the new access token).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from setpoint.exports.providers.base import ProviderConfig
from setpoint.exports.providers.errors import (
    Permanent,
    Revoked,
    Transient,
    excerpt,
    label,
    redact,
    unreachable,
)

REFRESH_MARGIN_S = 300.0  # refresh when the access token has less than this left
DEFAULT_EXPIRES_IN_S = 3600


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime

    def __repr__(self) -> str:  # never print the tokens themselves
        return f"TokenSet(expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True, slots=True)
class Pkce:
    verifier: str
    challenge: str


def pkce_pair() -> Pkce:
    """A fresh code verifier (43 url-safe characters) and its S256 challenge."""
    return pkce_from(secrets.token_urlsafe(32))


def pkce_from(verifier: str) -> Pkce:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return Pkce(verifier, challenge)


def authorize_url(config: ProviderConfig, redirect_uri: str, state: str, challenge: str) -> str:
    """Where to send the user's browser to grant access."""
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if config.scope:
        params["scope"] = config.scope
    separator = "&" if "?" in config.authorize_url else "?"
    return config.authorize_url + separator + urlencode(params)


class OAuthClient:
    """The token endpoint of one provider."""

    def __init__(
        self, config: ProviderConfig, http: httpx.AsyncClient, now: Callable[[], datetime]
    ) -> None:
        self.config = config
        self._http = http
        self._now = now

    async def exchange(self, code: str, redirect_uri: str, verifier: str) -> TokenSet:
        """The tokens for an authorization code; Permanent when the provider refuses it."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        return await self._token(form, refreshing=None)

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A new token set (with the new refresh token); Revoked on `invalid_grant`."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self._token(form, refreshing=refresh_token)

    async def _token(self, form: dict[str, str], refreshing: str | None) -> TokenSet:
        provider = self.config.name
        form = {**form, **self.config.client_form()}
        try:
            response = await self._http.post(
                self.config.token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise unreachable(provider, exc) from None
        name = label(provider)
        if response.status_code >= 500 or response.status_code == 429:
            raise Transient(
                f"{name}'s sign-in service failed (HTTP {response.status_code}); try again later",
                provider,
            )
        body = _json_object(response.content)
        if response.status_code != 200:
            error = str(body.get("error", "")) if body else ""
            if refreshing is not None and error in ("invalid_grant", "invalid_token"):
                raise Revoked(provider)
            what = "renewing access" if refreshing is not None else "the sign-in"
            detail = (
                redact(error[:60]) or excerpt(response.content) or f"HTTP {response.status_code}"
            )
            raise Permanent(f"{name} refused {what} ({detail}); connect the device again", provider)
        access_token = body.get("access_token") if body is not None else None
        if not isinstance(access_token, str) or not access_token:
            raise Transient(
                f"{name}'s sign-in service answered something that is not a token; try again later",
                provider,
            )
        assert body is not None
        refresh_token = body.get("refresh_token") or refreshing
        if not isinstance(refresh_token, str):
            raise Transient(f"{name}'s sign-in service answered no refresh token", provider)
        expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN_S)
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
            expires_in = DEFAULT_EXPIRES_IN_S
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=self._now() + timedelta(seconds=float(expires_in)),
        )


def _json_object(content: bytes) -> dict[str, object] | None:
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


SaveTokens = Callable[[TokenSet], Awaitable[None]]


class Tokens:
    """A valid access token for one connection.

    `save` is awaited with every new token set before its access token is used; when it
    raises, the new access token is not used. `account` names the connection for
    per-user quotas. Concurrent callers of one instance share one refresh (`Providers.tokens`
    hands out one instance per connection in a process). Across processes a refresh that
    loses the race for a single-use refresh token is refused (`invalid_grant`); the caller
    then finds the connection's tokens changed and tries again with them.
    """

    def __init__(
        self,
        oauth: OAuthClient,
        current: TokenSet,
        save: SaveTokens,
        now: Callable[[], datetime],
        account: str = "",
        margin_s: float = REFRESH_MARGIN_S,
    ) -> None:
        self.oauth = oauth
        self.account = account
        self._current = current
        self._save = save
        self._now = now
        self._margin = timedelta(seconds=margin_s)
        self._lock = asyncio.Lock()
        self._replaced: set[str] = set()  # refresh tokens this holder rotated away from

    @property
    def provider(self) -> str:
        return self.oauth.config.name

    def holds(self, tokens: TokenSet) -> bool:
        """Whether `tokens` are this holder's, now or before one of its refreshes."""
        return tokens == self._current or tokens.refresh_token in self._replaced

    async def access_token(self) -> str:
        """The current access token, refreshed first when it expires within the margin."""
        async with self._lock:
            if self._current.expires_at - self._now() <= self._margin:
                await self._refresh()
            return self._current.access_token

    async def after_unauthorized(self, rejected: str) -> str:
        """A new access token after `rejected` was answered 401 (unless another caller
        already replaced it)."""
        async with self._lock:
            if self._current.access_token == rejected:
                await self._refresh()
            return self._current.access_token

    async def _refresh(self) -> None:
        fresh = await self.oauth.refresh(self._current.refresh_token)
        await self._save(fresh)
        self._replaced.add(self._current.refresh_token)
        self._current = fresh

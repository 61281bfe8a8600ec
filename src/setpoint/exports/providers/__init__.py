"""Device providers (Garmin, Wahoo): OAuth 2 with PKCE, and pushing planned workouts.

No database and no web framework here: the callers (device routes, the push job) store
tokens and remote ids through the callbacks these clients take. `Providers` is built once
per process (it holds the request limiters) and hands out what the callers need:

    providers = Providers(settings, http, clock)
    client = providers.client("garmin")              # ProviderNotConfigured, UnknownProvider
    tokens = providers.tokens("garmin", stored_token_set, save=store_tokens, account=user_id)
    copy = await client.push(item, known_copy, tokens, on_ids=store_copy)
"""

from __future__ import annotations

import httpx

from setpoint.clock import Clock
from setpoint.config import Settings
from setpoint.exports.providers.base import (
    PROVIDERS,
    OnIds,
    ProviderClient,
    ProviderConfig,
    PushItem,
    RemoteCopy,
    TokenSource,
    day_code,
    provider_config,
    redirect_uri,
)
from setpoint.exports.providers.errors import (
    MISSING_PERMISSION,
    Permanent,
    ProviderError,
    ProviderNotConfigured,
    Revoked,
    Throttled,
    Transient,
    UnknownProvider,
)
from setpoint.exports.providers.garmin import GarminClient
from setpoint.exports.providers.limits import Limiter, Quota
from setpoint.exports.providers.oauth import (
    OAuthClient,
    Pkce,
    SaveTokens,
    Tokens,
    TokenSet,
    authorize_url,
    pkce_pair,
)
from setpoint.exports.providers.wahoo import WahooClient

__all__ = [
    "MISSING_PERMISSION",
    "PROVIDERS",
    "GarminClient",
    "Limiter",
    "OAuthClient",
    "OnIds",
    "Permanent",
    "Pkce",
    "ProviderClient",
    "ProviderConfig",
    "ProviderError",
    "ProviderNotConfigured",
    "Providers",
    "PushItem",
    "Quota",
    "RemoteCopy",
    "Revoked",
    "SaveTokens",
    "Throttled",
    "TokenSet",
    "TokenSource",
    "Tokens",
    "Transient",
    "UnknownProvider",
    "WahooClient",
    "authorize_url",
    "day_code",
    "pkce_pair",
    "provider_config",
    "redirect_uri",
]


class Providers:
    """The configured providers of this process, with one request limiter each."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, clock: Clock) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._configs: dict[str, ProviderConfig] = {}
        self._clients: dict[str, ProviderClient] = {}
        self._tokens: dict[tuple[str, str], Tokens] = {}
        for name in PROVIDERS:
            config = provider_config(settings, name)
            if config is None:
                continue
            self._configs[name] = config
            limiter = Limiter.for_provider(name, settings.provider_quotas, clock.monotonic)
            if name == "garmin":
                self._clients[name] = GarminClient(config, http, limiter, clock.now)
            else:
                self._clients[name] = WahooClient(config, http, limiter, clock.now)

    @property
    def configured(self) -> tuple[str, ...]:
        return tuple(self._configs)

    def config(self, provider: str) -> ProviderConfig:
        if provider not in PROVIDERS:
            raise UnknownProvider(provider)
        if provider not in self._configs:
            raise ProviderNotConfigured(provider)
        return self._configs[provider]

    def client(self, provider: str) -> ProviderClient:
        self.config(provider)
        return self._clients[provider]

    def oauth(self, provider: str) -> OAuthClient:
        return OAuthClient(self.config(provider), self._http, self._clock.now)

    def redirect_uri(self, provider: str) -> str:
        return redirect_uri(self._settings, provider)

    def authorize_url(self, provider: str, state: str, challenge: str) -> str:
        return authorize_url(self.config(provider), self.redirect_uri(provider), state, challenge)

    def tokens(
        self, provider: str, current: TokenSet, save: SaveTokens, account: str = ""
    ) -> Tokens:
        """The connection's token holder: one per connection in this process, as long as
        the stored tokens are its own (now or before its refreshes), so concurrent pushes
        refresh a single-use refresh token once."""
        key = (provider, account)
        held = self._tokens.get(key)
        if held is not None and held.holds(current):
            return held
        fresh = Tokens(self.oauth(provider), current, save, self._clock.now, account)
        if account:
            self._tokens[key] = fresh
        return fresh

"""PKCE, the authorize URL, the token endpoint's answers and the Tokens helper."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from setpoint.exports.providers import (
    OAuthClient,
    Permanent,
    ProviderConfig,
    Revoked,
    Tokens,
    TokenSet,
    Transient,
    authorize_url,
    pkce_pair,
)
from setpoint.exports.providers.oauth import pkce_from
from tests.support import FakeClock

WAHOO_SCOPE = "user_read workouts_read workouts_write plans_read plans_write offline_data"


def config(name: str = "garmin", scope: str | None = None) -> ProviderConfig:
    return ProviderConfig(
        name=name,
        client_id="the-client",
        client_secret="the-secret",
        authorize_url=f"https://{name}.example/oauth/authorize",
        token_url=f"https://{name}.example/oauth/token",
        api_url=f"https://{name}.example",
        scope=scope,
    )


def test_pkce_matches_the_rfc_7636_example() -> None:
    pair = pkce_from("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    assert pair.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_pairs_are_fresh_and_well_formed() -> None:
    a, b = pkce_pair(), pkce_pair()
    assert a.verifier != b.verifier
    assert 43 <= len(a.verifier) <= 128
    assert pkce_from(a.verifier) == a
    assert "=" not in a.challenge


@pytest.mark.parametrize(("name", "scope"), [("garmin", None), ("wahoo", WAHOO_SCOPE)])
def test_the_authorize_url_carries_every_parameter(name: str, scope: str | None) -> None:
    url = authorize_url(config(name, scope), "http://127.0.0.1:8000/cb", "st4te", "ch4llenge")
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == f"https://{name}.example/oauth/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    expected = {
        "response_type": "code",
        "client_id": "the-client",
        "redirect_uri": "http://127.0.0.1:8000/cb",
        "state": "st4te",
        "code_challenge": "ch4llenge",
        "code_challenge_method": "S256",
    }
    if scope:
        expected["scope"] = scope
    assert query == expected


def test_the_client_secret_never_shows_in_repr() -> None:
    assert "the-secret" not in repr(config())
    tokens = TokenSet("access-xyz", "refresh-xyz", datetime(2026, 1, 1, tzinfo=UTC))
    assert "xyz" not in repr(tokens)


# --- the token endpoint -----------------------------------------------------------------


def oauth_answering(
    status: int, body: bytes | dict[str, object], seen: list[httpx.Request]
) -> OAuthClient:
    content = json.dumps(body).encode() if isinstance(body, dict) else body

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=content)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OAuthClient(config(), http, FakeClock().now)


async def test_the_exchange_sends_the_form_and_reads_the_token_set() -> None:
    seen: list[httpx.Request] = []
    answer = {"access_token": "A1", "refresh_token": "R1", "expires_in": 86400}
    tokens = await oauth_answering(200, answer, seen).exchange("C0DE", "http://x/cb", "VERIFIER")
    form = {k: v[0] for k, v in parse_qs(seen[0].content.decode()).items()}
    assert form == {
        "grant_type": "authorization_code",
        "code": "C0DE",
        "redirect_uri": "http://x/cb",
        "code_verifier": "VERIFIER",
        "client_id": "the-client",
        "client_secret": "the-secret",
    }
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert tokens == TokenSet("A1", "R1", FakeClock().now() + timedelta(days=1))


async def test_a_refresh_answered_invalid_grant_is_revoked() -> None:
    client = oauth_answering(400, {"error": "invalid_grant"}, [])
    with pytest.raises(Revoked):
        await client.refresh("R0")


async def test_an_exchange_answered_invalid_grant_is_permanent() -> None:
    client = oauth_answering(400, {"error": "invalid_grant"}, [])
    with pytest.raises(Permanent, match="invalid_grant"):
        await client.exchange("C", "http://x/cb", "V")


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, b"oops"), (503, b""), (200, b"<html>"), (200, b'{"access_token": 3}'), (200, b"[]")],
)
async def test_a_broken_token_endpoint_is_transient(status: int, body: bytes) -> None:
    with pytest.raises(Transient, match="sign-in service"):
        await oauth_answering(status, body, []).refresh("R0-secret-refresh-token")


# --- Tokens -----------------------------------------------------------------------------


class StubOAuth(OAuthClient):
    """Refresh answers A<n>/R<n>, valid one hour; records every refresh."""

    def __init__(self, clock: FakeClock, events: list[str]) -> None:
        super().__init__(config(), httpx.AsyncClient(), clock.now)
        self.clock = clock
        self.events = events

    async def refresh(self, refresh_token: str) -> TokenSet:
        n = sum(e.startswith("refresh") for e in self.events) + 1
        self.events.append(f"refresh {refresh_token}")
        return TokenSet(f"A{n}", f"R{n}", self.clock.now() + timedelta(hours=1))


def tokens_for(clock: FakeClock, events: list[str], expires_in_s: float) -> Tokens:
    async def save(tokens: TokenSet) -> None:
        events.append(f"save {tokens.refresh_token}")

    current = TokenSet("A0", "R0", clock.now() + timedelta(seconds=expires_in_s))
    return Tokens(StubOAuth(clock, events), current, save, clock.now, margin_s=300)


async def test_a_valid_token_is_used_as_is() -> None:
    events: list[str] = []
    tokens = tokens_for(FakeClock(), events, 3600)
    assert await tokens.access_token() == "A0"
    assert events == []


async def test_a_token_close_to_expiry_is_refreshed_and_saved_first() -> None:
    clock, events = FakeClock(), list[str]()
    tokens = tokens_for(clock, events, 3600)
    clock.advance(3600 - 299)
    assert await tokens.access_token() == "A1"
    assert events == ["refresh R0", "save R1"]
    assert await tokens.access_token() == "A1"


async def test_a_401_refreshes_once_even_when_several_requests_saw_it() -> None:
    events: list[str] = []
    tokens = tokens_for(FakeClock(), events, 3600)
    assert await tokens.after_unauthorized("A0") == "A1"
    assert await tokens.after_unauthorized("A0") == "A1"  # already replaced
    assert events == ["refresh R0", "save R1"]


async def test_a_failed_save_keeps_the_new_access_token_unused() -> None:
    clock = FakeClock()

    async def save(tokens: TokenSet) -> None:
        raise RuntimeError("database down")

    current = TokenSet("A0", "R0", clock.now())
    tokens = Tokens(StubOAuth(clock, []), current, save, clock.now)
    with pytest.raises(RuntimeError):
        await tokens.access_token()

"""The Garmin and Wahoo clients against the fake provider server, over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from setpoint.exports.providers import (
    MISSING_PERMISSION,
    GarminClient,
    OAuthClient,
    Permanent,
    ProviderClient,
    ProviderConfig,
    PushItem,
    RemoteCopy,
    Revoked,
    Throttled,
    Tokens,
    TokenSet,
    Transient,
    WahooClient,
    authorize_url,
    pkce_pair,
)
from setpoint.exports.providers.fake import FakeProviderServer
from setpoint.exports.providers.limits import Limiter, Quota
from setpoint.workouts import model as m
from tests.support import FakeClock
from tests.unit.exports.factories import ctx, timed, zone

REDIRECT = "http://127.0.0.1:8000/api/devices/{provider}/callback"
MONDAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as running:
        yield running


@pytest.fixture
async def http(server: FakeProviderServer) -> AsyncIterator[httpx.AsyncClient]:
    server.state.reset()
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def config(server: FakeProviderServer, provider: str) -> ProviderConfig:
    base = f"{server.url}/{provider}"
    authorize = f"{base}/oauth2Confirm" if provider == "garmin" else f"{base}/oauth/authorize"
    return ProviderConfig(
        name=provider,
        client_id=f"{provider}-client",
        client_secret="client-secret",
        authorize_url=authorize,
        token_url=f"{base}/oauth/token",
        api_url=base,
        scope="user_read workouts_read workouts_write plans_read plans_write offline_data"
        if provider == "wahoo"
        else None,
    )


class Connection:
    """One connected account: its tokens and what the caller stored."""

    def __init__(self, oauth: OAuthClient, tokens: TokenSet, clock: FakeClock) -> None:
        self.saved: list[TokenSet] = [tokens]
        self.copies: list[RemoteCopy] = []
        self.tokens = Tokens(oauth, tokens, self.save, clock.now, account="athlete-1")

    async def save(self, tokens: TokenSet) -> None:
        self.saved.append(tokens)

    async def on_ids(self, copy: RemoteCopy) -> None:
        self.copies.append(copy)


async def authorize(http: httpx.AsyncClient, cfg: ProviderConfig) -> tuple[str, str]:
    """Follow the authorize URL as a browser would; the code and the PKCE verifier."""
    pkce = pkce_pair()
    redirect = REDIRECT.format(provider=cfg.name)
    url = authorize_url(cfg, redirect, "state-123", pkce.challenge)
    answer = await http.get(url)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(redirect)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["state-123"]
    return query["code"][0], pkce.verifier


async def connect(http: httpx.AsyncClient, server: FakeProviderServer, provider: str) -> Connection:
    cfg = config(server, provider)
    clock = FakeClock(datetime.now(UTC))
    oauth = OAuthClient(cfg, http, clock.now)
    code, verifier = await authorize(http, cfg)
    tokens = await oauth.exchange(code, REDIRECT.format(provider=provider), verifier)
    return Connection(oauth, tokens, clock)


def client(
    http: httpx.AsyncClient,
    server: FakeProviderServer,
    provider: str,
    limiter: Limiter | None = None,
) -> ProviderClient:
    cfg = config(server, provider)
    if provider == "garmin":
        return GarminClient(cfg, http, limiter)
    return WahooClient(cfg, http, limiter)


def item(
    local_date: date = MONDAY,
    minutes: int = 5,
    session_id: uuid.UUID | None = None,
    steps: int = 3,
) -> PushItem:
    blocks = tuple(timed(minutes * 60, "active", zone(2)) for _ in range(steps))
    return PushItem(
        planned_session_id=session_id or uuid.UUID("6b1f7c1e-0000-4000-8000-000000000001"),
        local_date=local_date,
        time_zone="Europe/Paris",
        name="Easy run",
        workout=m.Workout("Template name", m.Sport.RUN, blocks),
        context=ctx(max_hr=190),
    )


async def state(http: httpx.AsyncClient, server: FakeProviderServer, provider: str) -> dict:  # type: ignore[type-arg]
    answer = await http.get(f"{server.url}/_state")
    assert answer.status_code == 200
    result: dict = answer.json()[provider]  # type: ignore[type-arg]
    return result


async def fault(http: httpx.AsyncClient, server: FakeProviderServer, **change: object) -> None:
    answer = await http.post(f"{server.url}/_faults", json=change)
    assert answer.status_code == 200, answer.text


# --- OAuth ------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["garmin", "wahoo"])
async def test_the_code_is_exchanged_with_pkce_once(
    http: httpx.AsyncClient, server: FakeProviderServer, provider: str
) -> None:
    cfg = config(server, provider)
    oauth = OAuthClient(cfg, http, lambda: datetime.now(UTC))
    code, verifier = await authorize(http, cfg)
    with pytest.raises(Permanent, match="invalid_grant"):
        await oauth.exchange(code, REDIRECT.format(provider=provider), "not-the-verifier" * 3)

    code, verifier = await authorize(http, cfg)
    tokens = await oauth.exchange(code, REDIRECT.format(provider=provider), verifier)
    assert tokens.access_token and tokens.refresh_token
    assert tokens.expires_at > datetime.now(UTC) + timedelta(hours=1)
    with pytest.raises(Permanent):  # a code is single use
        await oauth.exchange(code, REDIRECT.format(provider=provider), verifier)


@pytest.mark.parametrize("provider", ["garmin", "wahoo"])
async def test_refresh_rotates_the_refresh_token(
    http: httpx.AsyncClient, server: FakeProviderServer, provider: str
) -> None:
    link = await connect(http, server, provider)
    first = link.saved[0]
    fresh = await link.tokens.oauth.refresh(first.refresh_token)
    assert fresh.refresh_token != first.refresh_token
    assert fresh.access_token != first.access_token
    with pytest.raises(Revoked, match="reconnect"):
        await link.tokens.oauth.refresh(first.refresh_token)
    assert (await link.tokens.oauth.refresh(fresh.refresh_token)).access_token


@pytest.mark.parametrize("provider", ["garmin", "wahoo"])
async def test_an_expired_token_is_refreshed_once_and_saved_before_use(
    http: httpx.AsyncClient, server: FakeProviderServer, provider: str
) -> None:
    link = await connect(http, server, provider)
    await fault(http, server, provider=provider, expire_tokens=True)

    copy = await client(http, server, provider).push(item(), None, link.tokens, link.on_ids)

    assert copy.workout_id is not None
    assert len(link.saved) == 2  # the refreshed set, stored
    snapshot = await state(http, server, provider)
    assert snapshot["requests"]["POST /oauth/token"] == 2  # exchange + one refresh


@pytest.mark.parametrize(
    ("status", "body"), [(500, None), (200, "<html>not a token</html>"), (200, '{"foo": 1}')]
)
async def test_a_failing_token_endpoint_is_a_clear_error_without_tokens(
    http: httpx.AsyncClient, server: FakeProviderServer, status: int, body: str | None
) -> None:
    link = await connect(http, server, "wahoo")
    change: dict[str, object] = {"provider": "wahoo", "status": status, "path": "/oauth/token"}
    if body is not None:
        change["body"] = body
    await fault(http, server, **change)
    with pytest.raises(Transient) as caught:
        await link.tokens.oauth.refresh(link.saved[0].refresh_token)
    message = str(caught.value)
    assert "Wahoo's sign-in service" in message
    assert link.saved[0].refresh_token not in message
    assert link.saved[0].access_token not in message


# --- Garmin -----------------------------------------------------------------------------


async def test_garmin_create_update_move_and_withdraw_keep_one_copy(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "garmin")
    garmin = client(http, server, "garmin")

    copy = await garmin.push(item(), None, link.tokens, link.on_ids)
    snapshot = await state(http, server, "garmin")
    assert len(snapshot["workouts"]) == 1 and len(snapshot["schedules"]) == 1
    assert snapshot["schedules"][0]["date"] == "2026-03-02"
    assert snapshot["workouts"][0]["workoutName"] == "Easy run"
    assert snapshot["workouts"][0]["workoutSourceId"] == "6b1f7c1e000040008000"
    assert [c.schedule_id is not None for c in link.copies] == [False, True]

    same = await garmin.push(item(), copy, link.tokens, link.on_ids)  # nothing changed
    assert same == copy

    longer = await garmin.push(item(minutes=8), copy, link.tokens, link.on_ids)
    assert longer.workout_id == copy.workout_id
    moved = await garmin.push(item(MONDAY + timedelta(days=2), 8), longer, link.tokens, link.on_ids)
    assert moved.schedule_id == copy.schedule_id

    snapshot = await state(http, server, "garmin")
    assert len(snapshot["workouts"]) == 1 and len(snapshot["schedules"]) == 1
    assert snapshot["workouts"][0]["segments"][0]["steps"][0]["durationValue"] == 480
    assert snapshot["schedules"][0]["date"] == "2026-03-04"
    assert snapshot["requests"] == {
        "GET authorize": 1,
        "POST /oauth/token": 1,
        "POST /workoutportal/workout/v2": 1,
        "POST /training-api/schedule/": 1,
        "PUT /training-api/workout/v2/{id}": 1,
        "PUT /training-api/schedule/{id}": 1,
    }

    await garmin.withdraw(moved, link.tokens, link.on_ids)
    snapshot = await state(http, server, "garmin")
    assert snapshot["workouts"] == [] and snapshot["schedules"] == []
    assert link.copies[-1].empty


async def test_garmin_refuses_more_than_100_steps_before_any_request(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "garmin")
    with pytest.raises(Permanent, match="at most 100 steps"):
        await client(http, server, "garmin").push(item(steps=101), None, link.tokens, link.on_ids)
    requests = (await state(http, server, "garmin"))["requests"]
    assert "POST /workoutportal/workout/v2" not in requests


async def test_garmin_adopts_a_schedule_made_just_before_a_crash(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "garmin")
    garmin = client(http, server, "garmin")
    stored: list[RemoteCopy] = []

    async def crash_on_schedule(copy: RemoteCopy) -> None:
        if copy.schedule_id is not None:
            raise RuntimeError("crashed before the commit")
        stored.append(copy)

    with pytest.raises(RuntimeError):
        await garmin.push(item(), None, link.tokens, crash_on_schedule)
    copy = await garmin.push(item(), stored[-1], link.tokens, link.on_ids)

    snapshot = await state(http, server, "garmin")
    assert len(snapshot["workouts"]) == 1 and len(snapshot["schedules"]) == 1
    assert copy.schedule_id == str(snapshot["schedules"][0]["workoutScheduleId"])


async def test_garmin_missing_permission_asks_to_reconnect(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "garmin")
    await fault(http, server, provider="garmin", missing_permission=True)
    with pytest.raises(Permanent) as caught:
        await client(http, server, "garmin").push(item(), None, link.tokens, link.on_ids)
    assert MISSING_PERMISSION in caught.value.reason


# --- Wahoo ------------------------------------------------------------------------------


async def test_wahoo_create_update_move_and_withdraw_keep_one_copy(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "wahoo")
    wahoo = client(http, server, "wahoo")

    copy = await wahoo.push(item(), None, link.tokens, link.on_ids)
    snapshot = await state(http, server, "wahoo")
    assert len(snapshot["plans"]) == 1 and len(snapshot["workouts"]) == 1
    plan, workout = snapshot["plans"][0], snapshot["workouts"][0]
    assert plan["external_id"] == "6b1f7c1e-0000-4000-8000-000000000001"
    assert plan["content"]["header"]["name"] == "Easy run"
    assert workout["workout_token"] == plan["external_id"]
    assert workout["plan_id"] == plan["id"]
    assert workout["starts"] == "2026-03-02T12:00:00+01:00"
    assert workout["day_code"] == 2253
    assert workout["minutes"] == 15
    assert workout["workout_type_id"] == 1

    assert await wahoo.push(item(), copy, link.tokens, link.on_ids) == copy
    longer = await wahoo.push(item(minutes=8), copy, link.tokens, link.on_ids)
    moved = await wahoo.push(item(MONDAY + timedelta(days=1), 8), longer, link.tokens, link.on_ids)
    assert (moved.workout_id, moved.schedule_id) == (copy.workout_id, copy.schedule_id)

    snapshot = await state(http, server, "wahoo")
    assert len(snapshot["plans"]) == 1 and len(snapshot["workouts"]) == 1
    assert snapshot["plans"][0]["content"]["intervals"][0]["exit_trigger_value"] == 480
    assert snapshot["workouts"][0]["minutes"] == 24
    assert snapshot["workouts"][0]["day_code"] == 2254
    assert snapshot["requests"]["POST /v1/plans"] == 1
    assert snapshot["requests"]["POST /v1/workouts"] == 1

    await wahoo.withdraw(moved, link.tokens, link.on_ids)
    snapshot = await state(http, server, "wahoo")
    assert snapshot["plans"] == [] and snapshot["workouts"] == []


async def test_wahoo_adopts_the_plan_uploaded_before_a_crash(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "wahoo")
    wahoo = client(http, server, "wahoo")

    async def crash(copy: RemoteCopy) -> None:
        raise RuntimeError("crashed before the commit")

    with pytest.raises(RuntimeError):
        await wahoo.push(item(), None, link.tokens, crash)
    copy = await wahoo.push(item(), None, link.tokens, link.on_ids)

    snapshot = await state(http, server, "wahoo")
    assert len(snapshot["plans"]) == 1 and len(snapshot["workouts"]) == 1
    assert copy.schedule_id == str(snapshot["plans"][0]["id"])
    assert snapshot["requests"]["POST /v1/plans"] == 1
    assert snapshot["requests"]["GET /v1/plans"] == 2


async def test_wahoo_503_three_times_then_sent_once(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "wahoo")
    wahoo = client(http, server, "wahoo")
    await fault(http, server, provider="wahoo", status=503, times=3, path="/v1/workouts")

    known: RemoteCopy | None = None
    failures = 0
    while True:
        try:
            known = await wahoo.push(item(), known, link.tokens, link.on_ids)
            break
        except Transient as exc:
            assert "HTTP 503" in str(exc)
            failures += 1
            known = link.copies[-1] if link.copies else None
    assert failures == 3
    snapshot = await state(http, server, "wahoo")
    assert len(snapshot["plans"]) == 1 and len(snapshot["workouts"]) == 1
    assert snapshot["requests"]["POST /v1/workouts"] == 4


@pytest.mark.parametrize("provider", ["garmin", "wahoo"])
async def test_429_is_transient_with_the_wait_asked_for(
    http: httpx.AsyncClient, server: FakeProviderServer, provider: str
) -> None:
    link = await connect(http, server, provider)
    await fault(http, server, provider=provider, status=429, retry_after=37)
    with pytest.raises(Transient) as caught:
        await client(http, server, provider).push(item(), None, link.tokens, link.on_ids)
    assert caught.value.retry_after_s == 37
    assert "HTTP 429" in str(caught.value)


async def test_wahoo_refused_payload_is_permanent(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "wahoo")
    await fault(http, server, provider="wahoo", status=422, path="/v1/plans")
    with pytest.raises(Permanent, match="Wahoo refused the workout"):
        await client(http, server, "wahoo").push(item(), None, link.tokens, link.on_ids)


async def test_wahoo_missing_scope_asks_to_reconnect(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "wahoo")
    await fault(http, server, provider="wahoo", missing_permission=True)
    with pytest.raises(Permanent, match=MISSING_PERMISSION):
        await client(http, server, "wahoo").push(item(), None, link.tokens, link.on_ids)


# --- revocation, limits -----------------------------------------------------------------


@pytest.mark.parametrize("provider", ["garmin", "wahoo"])
async def test_revoked_tokens_raise_revoked(
    http: httpx.AsyncClient, server: FakeProviderServer, provider: str
) -> None:
    link = await connect(http, server, provider)
    await fault(http, server, provider=provider, revoke=True)
    with pytest.raises(Revoked) as caught:
        await client(http, server, provider).push(item(), None, link.tokens, link.on_ids)
    assert link.saved[0].access_token not in str(caught.value)
    assert link.saved[0].refresh_token not in str(caught.value)


@pytest.mark.parametrize("provider", ["garmin", "wahoo"])
async def test_disconnect_revokes_at_the_provider(
    http: httpx.AsyncClient, server: FakeProviderServer, provider: str
) -> None:
    link = await connect(http, server, provider)
    provider_client = client(http, server, provider)
    await provider_client.disconnect(link.tokens)
    with pytest.raises(Revoked):
        await provider_client.push(item(), None, link.tokens, link.on_ids)
    assert (await state(http, server, provider))["tokens"] == {"access": 0, "refresh": 0}


async def test_the_limiter_holds_requests_back_without_sending_them(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    link = await connect(http, server, "garmin")
    clock = FakeClock()
    garmin = client(http, server, "garmin", Limiter([Quota(2, 60)], clock.monotonic))
    await garmin.push(item(), None, link.tokens, link.on_ids)  # 2 requests: the quota

    second = item(session_id=uuid.uuid4())
    with pytest.raises(Throttled) as caught:
        await garmin.push(second, None, link.tokens, link.on_ids)
    assert caught.value.retry_after_s == 60
    clock.advance(60)
    await garmin.push(second, None, link.tokens, link.on_ids)

    snapshot = await state(http, server, "garmin")
    assert len(snapshot["workouts"]) == 2 and len(snapshot["schedules"]) == 2
    assert snapshot["requests"]["POST /workoutportal/workout/v2"] == 2


# --- the fake itself --------------------------------------------------------------------


async def test_the_fake_validates_what_it_receives(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    garmin = await connect(http, server, "garmin")
    bearer = {"Authorization": f"Bearer {garmin.saved[0].access_token}"}
    body = {"workoutName": "x", "sport": "RUNNING", "workoutSourceId": "x" * 21, "segments": []}
    answer = await http.post(
        f"{server.url}/garmin/workoutportal/workout/v2", json=body, headers=bearer
    )
    assert answer.status_code == 400
    assert "workoutSourceId" in answer.json()["message"]

    wahoo = await connect(http, server, "wahoo")
    bearer = {"Authorization": f"Bearer {wahoo.saved[0].access_token}"}
    form = {"plan[file]": "data:application/json;base64,bm90IGpzb24=", "plan[filename]": "a.json"}
    answer = await http.post(f"{server.url}/wahoo/v1/plans", data=form, headers=bearer)
    assert answer.status_code == 422
    assert "plan[external_id] is required" in answer.json()["message"]


async def test_the_fake_can_ask_in_a_browser(
    http: httpx.AsyncClient, server: FakeProviderServer
) -> None:
    cfg = config(server, "wahoo")
    url = authorize_url(cfg, "http://127.0.0.1:8000/cb", "s1", pkce_pair().challenge)
    page = await http.get(url + "&interactive=1")
    assert page.status_code == 200 and ">Allow</button>" in page.text
    await fault(http, server, provider="wahoo", deny=True)
    denied = await http.get(url)
    assert parse_qs(urlsplit(denied.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["s1"],
    }

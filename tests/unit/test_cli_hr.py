"""The heart-rate clients' plumbing, against fake HTTP and WebSocket servers on this machine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from io import StringIO
from typing import Any

import httpx
import pytest
from rich.console import Console
from websockets.asyncio.server import ServerConnection, serve

from setpoint.cli.hr import render, simulate_session
from setpoint.cli.hr_client import (
    ClientError,
    LiveView,
    Timeline,
    hr_message,
    live_url,
    open_session,
    sign_in,
    start_or_resume,
    stream,
)
from setpoint.heartrate.simulator import HeartConfig, HeartModel


def state(status: str = "in_progress", revision: int = 1, **extra: Any) -> dict[str, Any]:
    """A session state as the server sends it (the fields the clients read)."""
    return {
        "id": "s-1",
        "workout_name": "5x3 min threshold",
        "status": status,
        "revision": revision,
        "elapsed_s": 30.0,
        "segment_index": 0,
        "segment_count": 12,
        "segment_elapsed_s": 30.0,
        "segment": {"name": "Warm up", "intensity": "warmup", "duration_s": 600, "targets": []},
        "server_time": 5000.0,
        "heart_rate": None,
        **extra,
    }


def http_client(routes: dict[tuple[str, str], httpx.Response]) -> httpx.AsyncClient:
    """A client whose requests get the canned response of their (method, path)."""

    def handle(request: httpx.Request) -> httpx.Response:
        return routes[request.method, request.url.path]

    return httpx.AsyncClient(base_url="http://test", transport=httpx.MockTransport(handle))


# --- pure pieces -----------------------------------------------------------------------------


def test_timeline_runs_at_the_server_speed() -> None:
    timeline = Timeline(server_time0=5000.0, mono0=10.0, speed=20.0)
    assert (timeline.at(10.0), timeline.at(10.5)) == (5000.0, 5010.0)


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/api/sessions/s-1/live?token=a+b%2F"),
        ("https://gym.example/setpoint/", "wss://gym.example/setpoint/api/sessions/s-1/live?token=a+b%2F"),
    ],
)  # fmt: skip
def test_live_url(server: str, url: str) -> None:
    assert live_url(server, "s-1", "a b/") == url


def test_hr_message() -> None:
    assert hr_message(5000.12345, 150) == {"type": "hr", "samples": [{"t": 5000.123, "bpm": 150}]}
    assert hr_message(1.0, 60, (1.0, 0.5))["samples"] == [{"t": 1.0, "bpm": 60, "rr": [1.0, 0.5]}]


def test_view_keeps_the_newest_state() -> None:
    view = LiveView("simulated")
    view.apply({"type": "state", "state": state(revision=3)})
    view.apply({"type": "ack", "state": state("paused", revision=2)})
    assert view.status == "in_progress"
    view.apply({"type": "update", "state": state("completed", revision=4), "events": []})
    assert view.finished


def test_view_follows_the_servers_heart_rate_and_errors() -> None:
    view = LiveView("simulated")
    hr = {"bpm": 151, "zone": 4, "in_target": True, "deviation": None}
    view.apply({"type": "state", "state": state(heart_rate=hr)})
    assert view.heart_rate == hr
    view.apply({"type": "heart_rate", "heart_rate": {**hr, "bpm": 170}, "events": []})
    assert view.heart_rate is not None and view.heart_rate["bpm"] == 170
    view.apply({"type": "error", "error": "rate_limited", "detail": "slow down"})
    assert view.error == "server: rate_limited: slow down"


def test_each_alert_is_listed_once() -> None:
    view = LiveView("simulated")
    deviation = {"type": "ZoneDeviation", "direction": "above", "bpm": 171.2, "low": 150,
                 "high": 165, "at": 5100.0}  # fmt: skip
    back = {"type": "BackInZone", "bpm": 160.0, "low": 150, "high": 165, "at": 5200.0}
    view.apply({"type": "heart_rate", "heart_rate": {}, "events": [deviation]})
    payload = {k: v for k, v in deviation.items() if k != "type"}
    view.apply(
        {"type": "notification", "notification": {"type": "ZoneDeviation", "payload": payload}}
    )
    view.apply({"type": "update", "state": state(), "events": [{"type": "SegmentChanged"}, back]})
    assert list(view.alerts) == [
        "above 150–165 bpm at 171.2 bpm",
        "back in 150–165 bpm at 160.0 bpm",
    ]


def test_view_moves_the_clock_on_while_running() -> None:
    view = LiveView("simulated")
    view.apply({"type": "state", "state": state()})
    view.timeline = Timeline(5000.0, mono0=0.0, speed=2.0)
    assert view.moving_s(5.0) == (40.0, 40.0)
    view.apply({"type": "update", "state": state("paused", revision=2)})
    assert view.moving_s(5.0) == (30.0, 30.0)


def test_render_shows_the_segment_heart_rates_and_alerts() -> None:
    view = LiveView("simulated", bpm=152.4)
    hr = {"bpm": 150, "zone": 4, "in_target": False, "deviation": "below"}
    view.apply({"type": "state", "state": state(heart_rate=hr)})
    view.alerts.append("below 155–165 bpm at 150 bpm")
    out = StringIO()
    Console(file=out, width=100).print(render(view, 0.0))
    text = out.getvalue()
    for expected in ("1/12 Warm up", "0:30 / 10:00", "152 bpm", "150 bpm · zone 4 · off target",
                     "alert: below 155–165 bpm"):  # fmt: skip
        assert expected in text


# --- HTTP -------------------------------------------------------------------------------------


async def test_sign_in_sets_the_bearer_token() -> None:
    token = httpx.Response(200, json={"access_token": "tok", "token_type": "bearer"})
    async with http_client({("POST", "/api/auth/token"): token}) as http:
        assert await sign_in(http, "a@example.com", "pw") == "tok"
        assert http.headers["Authorization"] == "Bearer tok"


async def test_refusals_say_what_the_server_said() -> None:
    refused = httpx.Response(401, json={"error": "unauthorized", "detail": "wrong password"})
    async with http_client({("POST", "/api/auth/token"): refused}) as http:
        with pytest.raises(ClientError, match="POST /api/auth/token: 401 wrong password"):
            await sign_in(http, "a@example.com", "bad")


async def test_open_session_reuses_the_active_one() -> None:
    active = state("paused", id="s-9")
    conflict = httpx.Response(
        409, json={"error": "session_already_active", "active_session": active}
    )
    async with http_client({("POST", "/api/sessions"): conflict}) as http:
        assert await open_session(http, "w-1") == (active, True)
    created = httpx.Response(201, json=state("not_started"))
    async with http_client({("POST", "/api/sessions"): created}) as http:
        assert await open_session(http, "w-1") == (state("not_started"), False)


@pytest.mark.parametrize(("status", "command"), [("not_started", "start"), ("paused", "resume")])
async def test_start_or_resume(status: str, command: str) -> None:
    route = ("POST", f"/api/sessions/s-1/{command}")
    async with http_client({route: httpx.Response(200, json=state(revision=2))}) as http:
        assert (await start_or_resume(http, state(status)))["revision"] == 2


async def test_a_running_session_is_left_as_it_is() -> None:
    async with http_client({}) as http:
        assert await start_or_resume(http, state()) == state()


# --- the live socket ----------------------------------------------------------------------------


@asynccontextmanager
async def fake_live(script: Callable[[ServerConnection], Awaitable[None]]) -> AsyncIterator[str]:
    """A WebSocket server on a free loopback port playing `script`; its http:// base URL."""
    async with serve(script, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"


async def test_simulate_sends_samples_on_the_server_timeline_until_completed() -> None:
    received: list[dict[str, Any]] = []
    paths: list[str] = []

    async def server(ws: ServerConnection) -> None:
        assert ws.request is not None
        paths.append(ws.request.path)
        await ws.send(json.dumps({"type": "state", "state": state(revision=2)}))
        while len(received) < 3:
            received.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "update", "state": state("completed", 3), "events": []}))
        await ws.wait_closed()

    routes = {
        ("POST", "/api/auth/token"): httpx.Response(200, json={"access_token": "tok"}),
        ("POST", "/api/sessions"): httpx.Response(201, json=state("not_started")),
        ("POST", "/api/sessions/s-1/start"): httpx.Response(200, json=state(revision=2)),
    }
    view = LiveView("simulated")
    model = HeartModel(HeartConfig(dropout_every_s=1e12), seed=1)
    async with fake_live(server) as base, http_client(routes) as http:
        await simulate_session(http, base, "a@example.com", "pw", "w-1", model, view, speed=1000)
    assert paths == ["/api/sessions/s-1/live?token=tok"]
    assert view.finished
    samples = [m["samples"][0] for m in received]
    assert all(m["type"] == "hr" for m in received)
    times = [s["t"] for s in samples]
    assert 5000 < times[0] < times[1] < times[2] < 5000 + 600  # simulated seconds, not wall
    assert all(isinstance(s["bpm"], int) and 40 < s["bpm"] < 150 for s in samples)


async def test_a_refused_socket_is_a_client_error() -> None:
    async def server(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"type": "error", "error": "not_found", "detail": "no session"}))
        await ws.close(4404)

    async def nothing(send: Any) -> None:
        return None

    async with fake_live(server) as base:
        with pytest.raises(ClientError, match="refused: no session"):
            await stream(live_url(base, "s-1", "tok"), LiveView("sensor"), nothing)


async def test_a_closed_socket_is_a_client_error() -> None:
    async def server(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"type": "state", "state": state()}))
        await ws.close(1011)

    async def idle(send: Any) -> None:
        await asyncio.Event().wait()

    async with fake_live(server) as base:
        with pytest.raises(ClientError, match=r"closed the live socket \(1011\)"):
            await stream(live_url(base, "s-1", "tok"), LiveView("sensor"), idle)

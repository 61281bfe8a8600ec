"""The heart-rate clients' side of a session's live socket (`setpoint simulate`, `hr-bridge`).

Sign in over HTTP, find or open the session, then `stream`: open
`WS /api/sessions/{id}/live`, send `{"type": "hr", "samples": [...]}` stamped on the server's
`Timeline`, and keep what the server says (state, filtered heart rate, alerts) in a `LiveView`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError

FINISHED = frozenset({"completed", "abandoned"})
ALERTS = frozenset({"ZoneDeviation", "BackInZone"})

Send = Callable[[int, Sequence[float]], Awaitable[None]]  # (bpm, rr_s) → sent


class ClientError(Exception):
    """Something the user must know, said as one sentence."""


# --- pure pieces --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeline:
    """The server's timeline seen from here, synced once from a state's `server_time`; it runs
    `speed` times faster than this machine's clock (`setpoint serve --speed`)."""

    server_time0: float
    mono0: float
    speed: float = 1.0

    def at(self, mono: float) -> float:
        """Server time at this machine's `time.monotonic()` reading `mono`."""
        return self.server_time0 + (mono - self.mono0) * self.speed


def live_url(server: str, session_id: str, token: str) -> str:
    """The session's live socket under `server` (http → ws, https → wss)."""
    url = urlsplit(server)
    scheme = {"http": "ws", "https": "wss"}.get(url.scheme, url.scheme)
    path = f"{url.path.rstrip('/')}/api/sessions/{session_id}/live"
    return urlunsplit((scheme, url.netloc, path, urlencode({"token": token}), ""))


def hr_message(t: float, bpm: int, rr_s: Sequence[float] = ()) -> dict[str, Any]:
    """One sample as the live socket takes it."""
    sample: dict[str, Any] = {"t": round(t, 3), "bpm": bpm}
    if rr_s:
        sample["rr"] = list(rr_s)
    return {"type": "hr", "samples": [sample]}


@dataclass
class LiveView:
    """What the server said about the session, and the last bpm measured here."""

    source: str  # "simulated" or "sensor"
    state: dict[str, Any] = field(default_factory=dict)
    heart_rate: dict[str, Any] | None = None
    timeline: Timeline | None = None
    bpm: float | None = None
    alerts: deque[str] = field(default_factory=lambda: deque(maxlen=5))
    error: str | None = None
    notice: str | None = None  # what this client is doing or did, for the user
    _seen_alerts: set[tuple[Any, Any]] = field(default_factory=set)

    @property
    def status(self) -> str | None:
        return self.state.get("status")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def apply(self, message: dict[str, Any]) -> None:
        """Take in one server message."""
        kind = message.get("type")
        state = message.get("state")
        if isinstance(state, dict) and state.get("revision", 0) >= self.state.get("revision", 0):
            self.state = state
            self.heart_rate = state.get("heart_rate")
        if kind == "heart_rate":
            self.heart_rate = message.get("heart_rate")
        if kind == "notification":
            note = message.get("notification") or {}
            self._alert({"type": note.get("type"), **(note.get("payload") or {})})
        for event in message.get("events") or ():
            self._alert(event)
        if kind == "error" and not (
            message.get("error") == "session_not_running" and self.status in FINISHED
        ):  # a sample sent as the session ended is refused, and that is no error
            self.error = f"server: {message.get('error')}: {message.get('detail')}"

    def moving_s(self, mono: float) -> tuple[float, float]:
        """(elapsed_s, segment_elapsed_s) now, moved on from the last state while running."""
        elapsed = self.state.get("elapsed_s") or 0.0
        in_segment = self.state.get("segment_elapsed_s") or 0.0
        if self.status == "in_progress" and self.timeline is not None:
            ahead = max(0.0, self.timeline.at(mono) - self.state.get("server_time", 0.0))
            return elapsed + ahead, in_segment + ahead
        return elapsed, in_segment

    def _alert(self, event: dict[str, Any]) -> None:
        key = (event.get("type"), event.get("at"))
        if key[0] not in ALERTS or key in self._seen_alerts:
            return
        self._seen_alerts.add(key)
        band = f"{event.get('low')}–{event.get('high')} bpm"
        if key[0] == "ZoneDeviation":
            self.alerts.append(f"{event.get('direction')} {band} at {event.get('bpm')} bpm")
        else:
            self.alerts.append(f"back in {band} at {event.get('bpm')} bpm")


# --- network ------------------------------------------------------------------------------


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _body(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful response; a `ClientError` naming the refusal otherwise."""
    body = _json(response)
    if response.is_error:
        what = f"{response.request.method} {response.request.url.path}"
        detail = body.get("detail") or response.reason_phrase
        raise ClientError(f"{what}: {response.status_code} {detail}")
    return body


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> str:
    """The bearer token for `email`; `http` sends it from now on."""
    body = _body(await http.post("/api/auth/token", json={"email": email, "password": password}))
    token = str(body["access_token"])
    http.headers["Authorization"] = f"Bearer {token}"
    return token


async def open_session(http: httpx.AsyncClient, workout_id: str) -> tuple[dict[str, Any], bool]:
    """A new session of the workout, or the athlete's active one (then `True`)."""
    response = await http.post("/api/sessions", json={"workout_id": workout_id})
    active = _json(response).get("active_session") if response.status_code == 409 else None
    if isinstance(active, dict):
        return active, True
    return _body(response), False


async def find_session(http: httpx.AsyncClient, session_id: str) -> dict[str, Any]:
    """The session's state; `active` is the caller's active session."""
    response = await http.get(f"/api/sessions/{session_id}")
    if session_id == "active" and response.status_code == 404:
        raise ClientError("no active session: start one in the player, or pass --session ID")
    return _body(response)


async def start_or_resume(http: httpx.AsyncClient, state: dict[str, Any]) -> dict[str, Any]:
    """The session started (or resumed when paused); a running session as it is."""
    command = {"not_started": "start", "paused": "resume"}.get(state["status"])
    if command is None:
        return state
    return _body(await http.post(f"/api/sessions/{state['id']}/{command}"))


async def stream(
    url: str,
    view: LiveView,
    produce: Callable[[Send], Coroutine[Any, Any, None]],
    speed: float = 1.0,
) -> None:
    """Follow the live socket into `view` while `produce` sends samples, until the session is
    finished (or `produce` gives up). The timeline syncs from the first state."""
    async with connect(url) as ws:
        first = json.loads(await ws.recv())
        if first.get("type") != "state":
            raise ClientError(f"the live socket refused: {first.get('detail') or first}")
        view.apply(first)
        timeline = view.timeline = Timeline(first["state"]["server_time"], time.monotonic(), speed)

        async def send(bpm: int, rr_s: Sequence[float]) -> None:
            await ws.send(json.dumps(hr_message(timeline.at(time.monotonic()), bpm, rr_s)))

        tasks = [asyncio.create_task(produce(send)), asyncio.create_task(_follow(ws, view))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises what the task raised
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _follow(ws: ClientConnection, view: LiveView) -> None:
    with contextlib.suppress(ConnectionClosedError):  # an abnormal close, said below
        async for text in ws:
            view.apply(json.loads(text))
            if view.finished:
                return
    raise ClientError(f"the server closed the live socket ({ws.close_code})")

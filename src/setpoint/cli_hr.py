"""`setpoint simulate` and `setpoint hr-bridge`: heart-rate clients of a session's live socket.

Both sign in over HTTP, find their session, open `WS /api/sessions/{id}/live` and send
`{"type": "hr", "samples": [...]}` stamped on the server's timeline, while a `LiveView` keeps
what the server says (state, filtered heart rate, alerts) and `render` draws it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, WebSocketException

from setpoint.heartrate.ble import (
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
    HeartRateMeasurement,
    MalformedMeasurement,
    parse_measurement,
)
from setpoint.heartrate.simulator import INTENSITY_RESERVE, HeartConfig, HeartModel, intensity_of

console = Console()
HTTP_TIMEOUT_S = 10.0
SCAN_TIMEOUT_S = 20.0
FINISHED = frozenset({"completed", "abandoned"})
ALERTS = frozenset({"ZoneDeviation", "BackInZone"})
IN_TARGET: dict[bool | None, str] = {True: "[green]in target[/]", False: "[red]off target[/]"}

Send = Callable[[int, Sequence[float]], Awaitable[None]]  # (bpm, rr_s) → sent


class ClientError(Exception):
    """Something the user must know, said as one sentence."""


# --- the shared client: pure pieces -------------------------------------------------------


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
    """One sample as the live socket takes it (DESIGN §5)."""
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
        if kind == "error":
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


# --- the shared client: network -----------------------------------------------------------


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


# --- simulate ---------------------------------------------------------------------------------


async def simulated_samples(
    send: Send, view: LiveView, model: HeartModel, speed: float = 1.0
) -> None:
    """One sample per simulated second (1/`speed` s here) at the current segment's intensity;
    a paused athlete rests, and only a running session gets samples."""
    config, start = model.config, time.monotonic()
    for tick in itertools.count(1):
        await asyncio.sleep(max(0.0, start + tick / speed - time.monotonic()))
        running = view.status == "in_progress"
        intensity = (
            intensity_of(view.state.get("segment") or {}, config.resting_bpm, config.max_bpm)
            if running
            else INTENSITY_RESERVE["rest"]
        )
        view.bpm = model.step(1.0, intensity)
        if running and view.bpm is not None:
            await send(round(view.bpm), ())


async def simulate_session(
    http: httpx.AsyncClient,
    server: str,
    email: str,
    password: str,
    workout_id: str,
    model: HeartModel,
    view: LiveView,
    speed: float = 1.0,
) -> None:
    token = await sign_in(http, email, password)
    state, reused = await open_session(http, workout_id)
    if reused:
        view.notice = (
            f"you already have an active session ({state.get('workout_name')}, {state['id']},"
            f" {state['status']}): simulating that one"
        )
    state = await start_or_resume(http, state)
    view.apply({"type": "state", "state": state})
    url = live_url(server, state["id"], token)
    await stream(url, view, lambda send: simulated_samples(send, view, model, speed), speed)


# --- hr-bridge ------------------------------------------------------------------------------


async def bridge_session(
    http: httpx.AsyncClient,
    server: str,
    email: str,
    password: str,
    session_id: str,
    device: str | None,
    view: LiveView,
) -> None:
    """Forward each Heart Rate Measurement of the sensor (the first one advertising the Heart
    Rate service, or the one named `device`) until the session ends or the sensor leaves."""
    try:
        from bleak import BleakClient, BleakScanner
    except ImportError:
        raise ClientError(
            "hr-bridge needs the optional BLE support: pip install 'setpoint[ble]'"
        ) from None
    token = await sign_in(http, email, password)
    state = await find_session(http, session_id)
    if state["status"] in FINISHED:
        raise ClientError(f"session {state['id']} is {state['status']}")
    view.apply({"type": "state", "state": state})

    def wanted(found: Any, advertisement: Any) -> bool:
        if device is not None:
            return device.lower() in (str(found.address).lower(), str(found.name or "").lower())
        return HEART_RATE_SERVICE_UUID in advertisement.service_uuids

    view.notice = "looking for the heart-rate sensor…"
    sensor = await BleakScanner.find_device_by_filter(wanted, timeout=SCAN_TIMEOUT_S)
    if sensor is None:
        what = device or "advertising the Heart Rate service"
        raise ClientError(f"no sensor {what} found in {SCAN_TIMEOUT_S:g} s")
    queue: asyncio.Queue[HeartRateMeasurement | None] = asyncio.Queue()

    def on_measurement(_characteristic: Any, data: bytearray) -> None:
        try:
            queue.put_nowait(parse_measurement(bytes(data)))
        except MalformedMeasurement as exc:
            view.error = f"sensor: {exc}"

    async def produce(send: Send) -> None:
        while (measurement := await queue.get()) is not None:
            if measurement.contact is False or measurement.bpm == 0:
                continue
            view.bpm = measurement.bpm
            if view.status == "in_progress":
                await send(measurement.bpm, measurement.rr_s)
        raise ClientError("the sensor disconnected")

    async with BleakClient(sensor, disconnected_callback=lambda _: queue.put_nowait(None)) as c:
        view.notice = f"connected to {sensor.name or sensor.address}"
        await c.start_notify(HEART_RATE_MEASUREMENT_UUID, on_measurement)
        await stream(live_url(server, state["id"], token), view, produce)


# --- the display ------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    h, m = divmod(minutes, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def render(view: LiveView, mono: float) -> RenderableType:
    """The live screen: workout, segment progress, elapsed, heart rates, alerts."""
    state = view.state
    if not state:
        return Text(view.notice or "connecting…")
    elapsed, in_segment = view.moving_s(mono)
    segment = state.get("segment") or {}
    name = segment.get("name") or str(segment.get("intensity", "")).capitalize()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("workout", Text(f"{state.get('workout_name')} · {state.get('status')}"))
    position = f"{state.get('segment_index', 0) + 1}/{state.get('segment_count', '?')}"
    grid.add_row("segment", Text(f"{position} {name}"))
    duration = segment.get("duration_s")
    if duration:
        bar = Table.grid(padding=(0, 1))
        bar.add_row(
            ProgressBar(total=duration, completed=min(in_segment, duration), width=40),
            f"{_clock(min(in_segment, duration))} / {_clock(duration)}",
        )
        grid.add_row("", bar)
    else:
        grid.add_row("", f"{_clock(in_segment)} (open: press next in the player)")
    grid.add_row("elapsed", _clock(elapsed))
    grid.add_row(view.source, "—" if view.bpm is None else f"{view.bpm:.0f} bpm")
    hr = view.heart_rate or {}
    if hr.get("bpm") is not None:
        target = IN_TARGET.get(hr.get("in_target"))
        parts = [
            f"{hr['bpm']:.0f} bpm",
            f"zone {hr.get('zone') or '—'}",
            target,
            hr.get("deviation"),
        ]
        grid.add_row("server", " · ".join(p for p in parts if p))
    lines: list[RenderableType] = [Text(view.notice, style="dim")] if view.notice else []
    lines.append(grid)
    lines += [Text(f"alert: {alert}", style="yellow") for alert in view.alerts]
    if view.error:
        lines.append(Text(view.error, style="red"))
    return Group(*lines)


def _run_live(view: LiveView, work: Coroutine[Any, Any, None]) -> None:
    """Run `work` under the live display; errors become one line and exit code 1."""
    from rich.live import Live

    try:
        with Live(console=console, get_renderable=lambda: render(view, time.monotonic())):
            asyncio.run(work)
    except KeyboardInterrupt:
        console.print(f"stopped; session {view.state.get('id')} is left {view.status}")
        return
    except ClientError as exc:
        console.print(f"[red]error[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except (httpx.HTTPError, WebSocketException, OSError) as exc:
        console.print(f"[red]error[/red] cannot talk to the server: {escape(str(exc))}")
        raise typer.Exit(1) from None
    console.print(f"session {view.state.get('id')} {view.status}")


# --- the commands ---------------------------------------------------------------------------

Server = Annotated[str, typer.Option(help="The Setpoint server's base URL.")]
Email = Annotated[str, typer.Option(help="Your login e-mail.")]
Password = Annotated[str, typer.Option(prompt=True, hide_input=True, help="Your password.")]


def simulate(
    email: Email,
    password: Password,
    workout: Annotated[str, typer.Option(help="The id of the workout to run.")],
    server: Server = "http://127.0.0.1:8000",
    speed: Annotated[
        float, typer.Option(min=0.01, help="Simulated seconds per second (match serve --speed).")
    ] = 1.0,
    seed: Annotated[int | None, typer.Option(help="Seed of the simulated heart.")] = None,
    resting: Annotated[int, typer.Option(min=25, max=120, help="Resting heart rate.")] = 55,
    max_hr: Annotated[int, typer.Option(min=100, max=230, help="Maximum heart rate.")] = 190,
) -> None:
    """Run a workout with a simulated athlete's heart rate sent live to the server."""
    if resting >= max_hr:
        raise typer.BadParameter("must be below --max-hr", param_hint="--resting")
    model = HeartModel(HeartConfig(resting_bpm=resting, max_bpm=max_hr), seed)
    view = LiveView("simulated")

    async def work() -> None:
        async with httpx.AsyncClient(base_url=server, timeout=HTTP_TIMEOUT_S) as http:
            await simulate_session(http, server, email, password, workout, model, view, speed)

    _run_live(view, work())


def hr_bridge(
    email: Email,
    password: Password,
    server: Server = "http://127.0.0.1:8000",
    session: Annotated[
        str, typer.Option(help="The session's id, or `active` for your active session.")
    ] = "active",
    device: Annotated[
        str | None, typer.Option(help="The sensor's name or address (default: the first found).")
    ] = None,
) -> None:
    """Forward a Bluetooth heart-rate strap's readings to a live session (needs the ble extra)."""
    view = LiveView("sensor")

    async def work() -> None:
        async with httpx.AsyncClient(base_url=server, timeout=HTTP_TIMEOUT_S) as http:
            await bridge_session(http, server, email, password, session, device, view)

    _run_live(view, work())


def register_hr_commands(app: typer.Typer) -> None:
    app.command()(simulate)
    app.command("hr-bridge")(hr_bridge)

"""`setpoint simulate` and `setpoint hr-bridge`: heart-rate clients of a session's live socket.

Both run a session through `cli.hr_client` (sign in, find the session, stream samples on
the live socket) while `render` draws the `LiveView` of what the server says.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Coroutine
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from websockets.exceptions import WebSocketException

from setpoint.cli.hr_client import (
    FINISHED,
    ClientError,
    LiveView,
    Send,
    find_session,
    live_url,
    open_session,
    sign_in,
    start_or_resume,
    stream,
)
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
IN_TARGET: dict[bool | None, str] = {True: "[green]in target[/]", False: "[red]off target[/]"}


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
            "hr-bridge needs the optional BLE support: pip install -e '.[ble]' in a checkout"
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
        try:
            with Live(console=console, get_renderable=lambda: render(view, time.monotonic())):
                asyncio.run(work)
        finally:
            if not console.is_terminal:
                console.line()  # rich ends its last frame with a newline only on a terminal
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

Server = Annotated[str, typer.Option(metavar="URL", help="The Setpoint server's base URL.")]
Email = Annotated[str, typer.Option(metavar="EMAIL", help="Your login e-mail.")]
Password = Annotated[
    str, typer.Option(metavar="PASSWORD", prompt=True, hide_input=True, help="Your password.")
]


def simulate(
    email: Email,
    password: Password,
    workout: Annotated[
        str, typer.Option(metavar="WORKOUT_ID", help="The id of the workout to run.")
    ],
    server: Server = "http://127.0.0.1:8000",
    speed: Annotated[
        float,
        typer.Option(
            metavar="X", min=0.01, help="Simulated seconds per second (match serve --speed)."
        ),
    ] = 1.0,
    seed: Annotated[
        int | None, typer.Option(metavar="N", help="Seed of the simulated heart.")
    ] = None,
    resting: Annotated[
        int, typer.Option(metavar="BPM", min=25, max=120, help="Resting heart rate.")
    ] = 55,
    max_hr: Annotated[
        int, typer.Option(metavar="BPM", min=100, max=230, help="Maximum heart rate.")
    ] = 190,
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
        str,
        typer.Option(
            metavar="SESSION_ID", help="The session's id, or `active` for your active session."
        ),
    ] = "active",
    device: Annotated[
        str | None,
        typer.Option(
            metavar="SENSOR", help="The sensor's name or address (default: the first found)."
        ),
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

"""The `setpoint` command: serve, migrate, users."""

from __future__ import annotations

import asyncio
import gc
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from setpoint.auth.model import Role
from setpoint.cli.hr import register_hr_commands
from setpoint.config import get_settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

# Plain help (no rich panels): rich panels print each type as `<bool>`, `<str>`, `{email}`.
app = typer.Typer(
    help="Setpoint: author, generate and run training sessions live.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
users = typer.Typer(help="Manage user accounts.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(users, name="users")
schedules = typer.Typer(
    help="Cron-scheduled workouts.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(schedules, name="schedules")
console = Console()
# Young collections every 50,000 allocations instead of 700: what a request or a boundary
# allocates is freed before a collection runs instead of being promoted, and the full
# collections those promotions trigger (they walk every object of every open socket: ~1 s
# at 5,000 sockets, bench/README.md) stop recurring every ~35 s.
GC_THRESHOLDS = (50_000, 20, 100)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(metavar="HOST", help="Interface to bind (default from settings).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(metavar="PORT", help="Port (default from settings).")
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            metavar="X", help="Run session time this many times faster (demos, `simulate`).", min=1
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Server processes on the one port (more than 1 needs PostgreSQL and Redis).",
            min=1,
        ),
    ] = 1,
) -> None:
    """Apply migrations, then serve the API on the configured database."""
    import uvicorn

    settings = get_settings()
    if workers > 1:
        missing = _multiprocess_missing(settings.database_url, settings.redis_url)
        if missing:
            typer.echo(f"setpoint serve --workers {workers} needs {missing}", err=True)
            raise typer.Exit(2)
    if speed is not None:
        settings = settings.model_copy(update={"speed": speed})
        os.environ["SETPOINT_SPEED"] = repr(speed)  # the worker processes read their settings
    asyncio.run(_migrate("head"))  # once, before any server process starts
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        # The cheapest of uvicorn's WebSocket implementations per heart-rate sample, and
        # cheaper than Granian (bench/README.md, "ASGI servers").
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": 10,
        "ws_max_size": 64 * 1024,
        "log_level": settings.log_level,
        "access_log": False,
    }
    if workers > 1:
        from setpoint.cli import processes

        processes.run(
            uvicorn.Config(processes.APP_FACTORY, factory=True, workers=workers, **options)
        )
        return
    from setpoint.app import create_app

    config = uvicorn.Config(create_app(settings), **options)
    server = uvicorn.Server(config)
    _prepare_process()
    server.run()


def served_app() -> ASGIApp:
    """The app of one `serve --workers N` process (uvicorn calls it in each of them)."""
    from setpoint.app import create_app

    app = create_app(get_settings())
    _prepare_process()
    return app


def _prepare_process() -> None:
    """After uvicorn configured its loggers and the app is made: redacted logs, and the
    collector tuned."""
    from setpoint.logs import redact_server_logs

    redact_server_logs()
    # What is alive now (modules, the app) lives as long as the process: leave it out of the
    # collector's full passes, which otherwise scan it again and again (bench/README.md).
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _multiprocess_missing(database_url: str, redis_url: str | None) -> str | None:
    """What several server processes need and the settings lack: they share sessions through
    PostgreSQL and live messages, wake-ups and heart-rate owners through Redis."""
    missing = []
    if not database_url.startswith("postgresql"):
        missing.append("PostgreSQL (SETPOINT_DATABASE_URL is not a postgresql+asyncpg URL)")
    if not redis_url:
        missing.append("Redis (SETPOINT_REDIS_URL is not set)")
    return " and ".join(missing) or None


@app.command("fake-provider")
def fake_provider(
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port.")] = 8900,
) -> None:
    """Serve a stand-in for Garmin's and Wahoo's OAuth and workout APIs (tests and demos;
    point SETPOINT_GARMIN_*_URL at /garmin and SETPOINT_WAHOO_*_URL at /wahoo on it)."""
    from setpoint.exports.providers.fake import run

    console.print(f"fake provider on http://{host}:{port} (/garmin, /wahoo, /_state, /_faults)")
    run(host, port)


@app.command()
def worker() -> None:
    """Run the background workers without the API (scale-out; see SETPOINT_RUN_WORKERS)."""
    asyncio.run(_worker())


async def _worker() -> None:
    import signal

    from setpoint.clock import SystemClock
    from setpoint.logs import configure
    from setpoint.sessions.jobs import recover_sessions
    from setpoint.wiring import build_context, worker_loop
    from setpoint.workers.hub import create_hub

    settings = get_settings()
    configure(settings.log_level, settings.log_format)
    await _migrate("head")
    hub = create_hub(settings.redis_url)
    await hub.start()
    ctx = build_context(settings, SystemClock(), hub)
    await recover_sessions(ctx)
    loop = worker_loop(ctx)
    ctx.workers = loop
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await loop.start()
    console.print("worker running; SIGTERM or Ctrl-C stops it after the work in hand")
    await stop.wait()
    await loop.stop()
    await hub.stop()
    await ctx.close()


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(metavar="REVISION", help="Target revision.")] = "head",
    down: Annotated[
        bool, typer.Option("--down", help="Downgrade to the revision instead.")
    ] = False,
) -> None:
    """Upgrade (or downgrade) the database schema."""
    asyncio.run(_migrate(revision, down=down))
    console.print(f"database at {'revision ' + revision if down else 'head'}")


async def _migrate(revision: str, *, down: bool = False) -> None:
    from setpoint.db import migrate as m
    from setpoint.db.engine import Database

    db = Database(get_settings().database_url)
    try:
        await (m.downgrade(db, revision) if down else m.upgrade(db, revision))
    finally:
        await db.dispose()


@app.command("export")
def export_workout(
    workout_id: Annotated[str, typer.Argument(metavar="WORKOUT_ID", help="The workout's id.")],
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="fit, zwo, erg, mrc, garmin or wahoo."
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="File to write (default: its own name)."
        ),
    ] = None,
) -> None:
    """Write a workout as a device or app file."""
    from setpoint.errors import SetpointError

    try:
        filename, content = asyncio.run(_export(workout_id, format))
    except SetpointError as exc:
        console.print(f"[red]error[/red] {exc.code}: {exc.detail}")
        raise typer.Exit(1) from None
    target = output or filename
    with open(target, "wb") as f:
        f.write(content)
    console.print(f"wrote {target} ({len(content)} bytes)")


async def _export(workout_id: str, fmt: str) -> tuple[str, bytes]:
    import uuid

    from setpoint.db.engine import Database
    from setpoint.errors import BadRequest, NotFound
    from setpoint.exports.service import workout_file
    from setpoint.workouts import repository

    try:
        wid = uuid.UUID(workout_id)
    except ValueError:
        raise BadRequest(f"workout_id: {workout_id!r} is not an id") from None
    db = Database(get_settings().database_url)
    try:
        async with db.transaction(write=False) as uow:
            row = await repository.get(uow.session, wid)
            if row is None:
                raise NotFound(f"workout {workout_id} does not exist")
            file = await workout_file(uow.session, row, fmt)
        return file.filename, file.content
    finally:
        await db.dispose()


@users.command("create")
def create_user(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail (their login).")],
    password: Annotated[
        str,
        typer.Option(
            metavar="PASSWORD", help="At least 8 characters.", prompt=True, hide_input=True
        ),
    ],
    role: Annotated[
        Role, typer.Option(metavar="ROLE", help="coach, athlete or admin.")
    ] = Role.ATHLETE,
    coach: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="E-mail of the athlete's coach.")
    ] = None,
) -> None:
    """Create a user (an athlete optionally linked to a coach)."""
    from setpoint.errors import SetpointError

    try:
        user_id = asyncio.run(_create_user(email, password, role, coach))
    except SetpointError as exc:
        console.print(f"[red]error[/red] {exc.code}: {exc.detail}")
        raise typer.Exit(1) from None
    console.print(f"created {role} {email.strip().lower()} ({user_id})")


async def _create_user(email: str, password: str, role: Role, coach: str | None) -> str:
    from setpoint.auth.service import create_user
    from setpoint.clock import SystemClock
    from setpoint.db import migrate as m
    from setpoint.db.engine import Database
    from setpoint.wiring import build_context

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        await m.upgrade(db)
        ctx = build_context(settings, SystemClock(), db=db)
        async with db.transaction() as uow:
            user = await create_user(ctx, uow.session, email, password, role, coach)
        return str(user.id)
    finally:
        await db.dispose()


@schedules.command("preview")
def preview_schedule(
    cron: Annotated[str, typer.Argument(metavar="CRON", help="Five fields, e.g. '30 6 * * TUE'.")],
    time_zone: Annotated[
        str, typer.Option("--time-zone", metavar="ZONE", help="IANA time zone.")
    ] = "UTC",
    start: Annotated[
        str | None,
        typer.Option("--from", metavar="WHEN", help="ISO date-time to start after (default now)."),
    ] = None,
    count: Annotated[int, typer.Option(metavar="N", help="How many fires.", min=1, max=100)] = 5,
) -> None:
    """Show the next fires of a cron expression in a time zone (nothing is stored)."""
    from datetime import UTC, datetime

    from setpoint.errors import SetpointError
    from setpoint.schedules.service import preview

    try:
        after = datetime.fromisoformat(start) if start else datetime.now(UTC)
        fires = preview(cron, time_zone, after, count)
    except ValueError as exc:
        console.print(f"[red]error[/red] from: {exc}")
        raise typer.Exit(1) from None
    except SetpointError as exc:
        console.print(f"[red]error[/red] {exc.code}: {exc.detail}")
        raise typer.Exit(1) from None
    for fire in fires:
        console.print(f"{fire.at:%Y-%m-%dT%H:%M:%SZ}  {fire.local.isoformat()}")


@schedules.command("list")
def list_schedules(
    athlete: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="Only this athlete's schedules.")
    ] = None,
) -> None:
    """List schedules with their next fire."""
    from setpoint.errors import SetpointError

    try:
        rows = asyncio.run(_list_schedules(athlete))
    except SetpointError as exc:
        console.print(f"[red]error[/red] {exc.code}: {exc.detail}")
        raise typer.Exit(1) from None
    for row in rows:
        console.print("  ".join(row))
    if not rows:
        console.print("no schedules")


@schedules.command("add")
def add_schedule(
    athlete: Annotated[str, typer.Argument(metavar="EMAIL", help="The athlete's e-mail.")],
    workout: Annotated[str, typer.Option(metavar="WORKOUT_ID", help="The workout to run.")],
    cron: Annotated[str, typer.Option(metavar="CRON", help="Five fields, e.g. '30 6 * * TUE'.")],
    type: Annotated[
        str, typer.Option("--type", metavar="TYPE", help="ENDURANCE or STRENGTH.")
    ] = "ENDURANCE",
    time_zone: Annotated[
        str | None,
        typer.Option("--time-zone", metavar="ZONE", help="IANA zone (default: the profile's)."),
    ] = None,
    title: Annotated[str | None, typer.Option(metavar="TITLE", help="A title.")] = None,
) -> None:
    """Schedule a workout for an athlete (as the athlete)."""
    from setpoint.errors import SetpointError

    try:
        line = asyncio.run(_add_schedule(athlete, workout, cron, type, time_zone, title))
    except SetpointError as exc:
        console.print(f"[red]error[/red] {exc.code}: {exc.detail}")
        raise typer.Exit(1) from None
    console.print(line)


async def _list_schedules(athlete: str | None) -> list[list[str]]:
    import uuid
    from datetime import UTC, datetime

    from setpoint.auth import repository as users_repository
    from setpoint.auth.model import Actor
    from setpoint.db.engine import Database
    from setpoint.errors import NotFound
    from setpoint.schedules import service

    db = Database(get_settings().database_url)
    try:
        async with db.transaction(write=False) as uow:
            admin = Actor(user_id=uuid.uuid4(), email="cli", role=Role.ADMIN)
            athlete_id = None
            if athlete is not None:
                user = await users_repository.user_by_email(uow.session, athlete.strip().lower())
                if user is None:
                    raise NotFound(f"athlete {athlete} does not exist")
                athlete_id = user.id
            found, _ = await service.list_schedules(uow.session, admin, athlete_id, 1000, 0)
            now = datetime.now(UTC)
            rows = []
            for s in found:
                doc = service.doc(admin, s, None, now)
                nxt = doc["next_fires"][0]["local"].isoformat() if doc["next_fires"] else "-"
                state = "paused" if s.paused else "active"
                rows.append([str(s.id), str(s.athlete_id), s.cron, s.time_zone, state, nxt])
            return rows
    finally:
        await db.dispose()


async def _add_schedule(
    athlete: str, workout: str, cron: str, kind: str, time_zone: str | None, title: str | None
) -> str:
    import uuid

    from setpoint.auth import repository as users_repository
    from setpoint.auth.service import actor_for_user
    from setpoint.clock import SystemClock
    from setpoint.db import migrate as m
    from setpoint.db.engine import Database
    from setpoint.errors import BadRequest, NotFound, Unprocessable
    from setpoint.plans.model import SessionType
    from setpoint.schedules import service
    from setpoint.wiring import build_context

    try:
        workout_id = uuid.UUID(workout)
    except ValueError:
        raise BadRequest(f"workout: {workout!r} is not an id") from None
    if kind.upper() not in SessionType.__members__:
        raise Unprocessable(f"type: {kind!r} is neither ENDURANCE nor STRENGTH")
    settings = get_settings()
    db = Database(settings.database_url)
    await m.upgrade(db)
    ctx = build_context(settings, SystemClock(), db=db)
    try:
        async with db.transaction() as uow:
            user = await users_repository.user_by_email(uow.session, athlete.strip().lower())
            if user is None:
                raise NotFound(f"athlete {athlete} does not exist")
            actor = await actor_for_user(uow.session, user)
            fields = {
                "workout_id": workout_id,
                "cron": cron,
                "time_zone": time_zone,
                "type": kind.upper(),
                "title": title,
            }
            schedule = await service.create(ctx, uow, actor, fields)
            doc = service.doc(actor, schedule, None, ctx.clock.now())
        fires = ", ".join(f["local"].isoformat() for f in doc["next_fires"][:3])
        return f"created schedule {schedule.id}; next: {fires or '-'}"
    finally:
        await ctx.close()


register_hr_commands(app)

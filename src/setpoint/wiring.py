"""The composition root: a process context with every area's state registered, and the
worker loop with every background job. Used by `serve`, `setpoint worker`, the CLI and tests."""

from __future__ import annotations

import httpx

from setpoint.auth.model import ActorCache
from setpoint.auth.passwords import Passwords
from setpoint.auth.revocations import OpenSockets
from setpoint.auth.throttle import LoginThrottle
from setpoint.clock import Clock
from setpoint.config import Settings
from setpoint.context import Context
from setpoint.db.engine import Database
from setpoint.exports.jobs import DevicePushes, DeviceWithdrawals
from setpoint.exports.providers import Providers
from setpoint.heartrate.live import HeartRates
from setpoint.heartrate.owners import Owners
from setpoint.notifications.jobs import WebhookDeliveries
from setpoint.schedules.jobs import ScheduleFires
from setpoint.sessions.jobs import SessionDeadlines
from setpoint.sessions.presence import Presence
from setpoint.sessions.snapshots import Snapshots
from setpoint.strength.plans import ExercisePlans
from setpoint.workers.hub import Hub, LocalHub
from setpoint.workers.loop import Job, WorkerLoop

PROVIDER_TIMEOUT_S = 15.0


def build_context(
    settings: Settings, clock: Clock, hub: Hub | None = None, db: Database | None = None
) -> Context:
    hub = hub or LocalHub()
    ctx = Context(settings, db or Database(settings.database_url), clock, hub)
    http = httpx.AsyncClient(timeout=PROVIDER_TIMEOUT_S, follow_redirects=False)
    heart_rates = HeartRates()
    ctx.on_close(http.aclose)
    for part in (
        Providers(settings, http, clock),
        Passwords(settings),
        ActorCache(),
        LoginThrottle(),
        OpenSockets(),
        Presence(),
        Snapshots.for_process(hub, redis=settings.redis_url is not None),
        heart_rates,
        Owners(hub, heart_rates, shared=settings.redis_url is not None),
        ExercisePlans(),
    ):
        ctx.register(part)
    return ctx


def worker_loop(ctx: Context) -> WorkerLoop:
    """Every background job, in one loop: run by `serve` (embedded) or `setpoint worker`."""
    jobs: list[Job] = [
        SessionDeadlines(ctx),
        WebhookDeliveries(ctx),
        DevicePushes(ctx),
        DeviceWithdrawals(ctx),
        ScheduleFires(ctx),
    ]
    return WorkerLoop(jobs, ctx.clocks, ctx.hub, ctx.settings.worker_poll_s)

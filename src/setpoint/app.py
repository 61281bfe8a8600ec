"""The ASGI application: routers, the one error handler, request limits, metrics, logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from setpoint import __version__, logs, web
from setpoint.auth import endpoints as auth_endpoints
from setpoint.auth.deps import token_of
from setpoint.auth.model import Role
from setpoint.auth.revocations import EXPIRY_CHECK_S, expire_sockets, follow_revocations
from setpoint.auth.service import actor_for_token
from setpoint.clock import Clock, SystemClock
from setpoint.config import Settings, get_settings
from setpoint.context import Context
from setpoint.errors import (
    Forbidden,
    MalformedJson,
    PayloadTooLarge,
    SetpointError,
    TooManyRequests,
    invalid_fields,
)
from setpoint.exports import endpoints as export_endpoints
from setpoint.heartrate import endpoints as heartrate_endpoints
from setpoint.heartrate.owners import BEAT_S, Owners
from setpoint.heartrate.service import ingest_forwarded, write_pending
from setpoint.notifications import endpoints as notification_endpoints
from setpoint.notifications import live as notification_live
from setpoint.plans import endpoints as plan_endpoints
from setpoint.schedules import endpoints as schedule_endpoints
from setpoint.sessions import endpoints as session_endpoints
from setpoint.sessions import live
from setpoint.sessions.jobs import PRESENCE_FLUSH_S, flush_seen, recover_sessions
from setpoint.strength import endpoints as strength_endpoints
from setpoint.wiring import build_context, worker_loop
from setpoint.workers.hub import create_hub
from setpoint.workers.loop import every
from setpoint.workouts import endpoints as workout_endpoints

REQUESTS = Counter(
    "setpoint_http_requests_total",
    "HTTP requests by route and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "setpoint_http_request_seconds", "HTTP request latency by route", ["method", "route"]
)
HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    logs.configure(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub = create_hub(settings.redis_url)
        await hub.start()
        ctx = build_context(settings, clock, hub)
        app.state.context = ctx
        await recover_sessions(ctx)
        if settings.run_workers:
            ctx.workers = worker_loop(ctx)
            await ctx.workers.start()
        owners = ctx.part(Owners)
        if owners.shared:  # other processes serve too: heart rate goes to each session's owner
            await owners.beat()
            owners.start(partial(ingest_forwarded, ctx))
        batches = [
            asyncio.create_task(every(PRESENCE_FLUSH_S, partial(flush_seen, ctx))),
            asyncio.create_task(every(settings.hr_write_every_s, partial(write_pending, ctx))),
            asyncio.create_task(every(EXPIRY_CHECK_S, partial(expire_sockets, ctx))),
            asyncio.create_task(follow_revocations(ctx)),
        ]
        if owners.shared:
            batches.append(asyncio.create_task(every(BEAT_S, owners.beat)))
        try:
            yield
        finally:
            for task in batches:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if ctx.workers is not None:
                await ctx.workers.stop()
            if owners.shared:
                with contextlib.suppress(Exception):  # its sessions then move within ALIVE_S
                    await owners.leave()
            await hub.stop()
            await ctx.close()

    app = FastAPI(
        title="Setpoint",
        version=__version__,
        description="Author, generate and run training sessions live.",
        lifespan=lifespan,
        docs_url=None,  # served from the package by `web.mount`, not from a CDN
        redoc_url=None,
        # Metrics are Prometheus's (`/metrics`); FastAPI's own OpenTelemetry hooks would only
        # look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.openapi = partial(_openapi_with_bearer, app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)  # outermost: sees every answer, 413s included
    _add_error_handlers(app)
    app.router.routes.append(  # the hottest read, first (see its docstring)
        LabelledRoute(
            "/api/sessions/{session_id:uuid}",
            session_endpoints.read_state,
            methods=["GET"],
            include_in_schema=False,
        )
    )
    app.include_router(auth_endpoints.router)
    app.include_router(heartrate_endpoints.router)
    app.include_router(workout_endpoints.router)
    app.include_router(export_endpoints.router)
    app.include_router(plan_endpoints.router)
    app.include_router(schedule_endpoints.router)
    app.include_router(strength_endpoints.router)  # before the sessions' /{id}/{command}
    app.include_router(session_endpoints.router)
    app.router.add_websocket_route(live.PATH, live.live)
    app.router.add_websocket_route(notification_live.PATH, notification_live.live)
    app.include_router(notification_endpoints.router)
    _add_ops_routes(app)
    web.mount(app)  # last: `/` serves the player, every route above wins
    return app


def _openapi_with_bearer(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, declaring the bearer token every `/api` route takes (routes read
    the header themselves), so `/docs` has an Authorize button."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/auth/token"}
        }
        schema["security"] = [{"bearer": []}]
        for path, method in (("/api/auth/token", "post"), ("/healthz", "get")):
            schema["paths"][path][method]["security"] = []  # open: no token needed
        _document_errors(schema)
        app.openapi_schema = schema
    return app.openapi_schema


ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "a stable code, e.g. `not_found`"},
        "detail": {"type": "string", "description": "one sentence for people"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "retry_after": {"type": "integer", "description": "seconds, as in `Retry-After`"},
    },
    "additionalProperties": True,
}
ERROR_RESPONSE = {
    "description": "Refused: `{error, detail, ...}` (400 malformed, 401 no valid token, "
    "403 not allowed, 404 not found or not yours, 409 conflict, 413 too large, "
    "422 invalid, 429 rate-limited)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _document_errors(schema: dict[str, Any]) -> None:
    """Every refusal is rendered by one handler as `Error` (`SetpointError.body`): say so on
    every operation (`4XX`), and in place of FastAPI's own validation-error shape, which the
    app never sends."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith("4"):
                    response["content"] = ERROR_RESPONSE["content"]
            responses.setdefault("4XX", ERROR_RESPONSE)


# --- errors ------------------------------------------------------------------------------


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SetpointError)
    async def setpoint_error(_: Request, exc: SetpointError) -> JSONResponse:
        headers = None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return await setpoint_error(_, MalformedJson("the request body is not valid JSON"))
        return await setpoint_error(_, invalid_fields(errors))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            # FastAPI's answer to a body its JSON parser gave up on (nested too deep)
            return await setpoint_error(_, MalformedJson("the request body is not valid JSON"))
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        structlog.get_logger("setpoint").exception("unhandled error", path=request.url.path)
        return JSONResponse(
            {"error": "internal_error", "detail": "an unexpected error occurred"}, 500
        )


# --- middleware (plain ASGI, cheap on the hot path) -----------------------------------------


class BodyLimit:
    """Refuses bodies over `max_bytes` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Other scopes go straight through, without a frame held here for a socket's life.
        return (
            self._http(scope, receive, send)
            if scope["type"] == "http"
            else self.app(scope, receive, send)
        )

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = chunked = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = value
        if declared is None and chunked is None:  # no body (a GET): nothing to count
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse(too_large.body(), status_code=413)(scope, receive, send)
            return
        seen = 0
        answered = False

        async def limited() -> Message:
            # Past the limit, answer 413 here and tell the app the client went away.
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                answered = True
                await JSONResponse(too_large.body(), status_code=413)(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def muted(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, limited, muted)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP answer that does not set its own: no MIME
    sniffing, no framing, and only the page's own scripts and styles."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http":
            return self.app(scope, receive, send)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        return self.app(scope, receive, sending)


class LabelledRoute(Route):
    """A plain Starlette route that names itself in the scope, as FastAPI's routes do, so
    logs and metrics label its requests with its path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


class RequestMetrics:
    """Counts and times requests per route template, and logs each one (no headers, no bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("setpoint.http")
        # (method, route, status) -> its counter and histogram: `labels` is a locked lookup
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return (
            self._http(scope, receive, send)
            if scope["type"] == "http"
            else self.app(scope, receive, send)
        )

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path_format", "unmatched")
            elapsed = time.perf_counter() - started
            method = scope["method"]
            metrics = self._metrics.get((method, route, status))
            if metrics is None:
                metrics = REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)
                self._metrics[method, route, status] = metrics
            metrics[0].inc()
            metrics[1].observe(elapsed)
            if self.log.is_enabled_for(logging.INFO):
                self.log.info(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                    request_id=uuid.uuid4().hex[:12],
                )


# --- ops -----------------------------------------------------------------------------------


def _add_ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves requests."""
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics, for an admin token or the configured metrics token."""
        token = token_of(request)
        context: Context = request.app.state.context
        expected = context.settings.metrics_token
        if expected is None or not secrets.compare_digest(token, expected.get_secret_value()):
            actor = await actor_for_token(context, token)
            if actor.role is not Role.ADMIN:
                raise Forbidden("metrics are for admins or the metrics token")
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

"""A local stand-in for Garmin and Wahoo: their OAuth and API wire formats, over HTTP.

Garmin lives under `/garmin`, Wahoo under `/wahoo`, so the settings point at it with
`SETPOINT_GARMIN_API_URL=http://HOST:PORT/garmin`, `..._AUTHORIZE_URL=.../garmin/oauth2Confirm`,
`..._TOKEN_URL=.../garmin/oauth/token` (Wahoo: `/wahoo`, `/wahoo/oauth/authorize`,
`/wahoo/oauth/token`). Authorization is approved at once (a new account per grant, or
`?user=NAME`), or shows an Allow button with `?interactive=1`. PKCE is checked, access
tokens expire, refresh tokens are single use, and what is received is validated as the
providers do. The admin routes:

- `GET /_state`: per provider its workouts, schedules, plans and request counts per route;
- `GET /_log`: per provider each request as `[arrival time (epoch s), "METHOD route",
  account or null]`, in arrival order;
- `POST /_faults`: e.g. `{"provider": "wahoo", "status": 503, "times": 3}` (optionally
  `path`, `retry_after`, `body`), `{"provider": "garmin", "latency_ms": 50}`,
  `{"provider": "garmin", "revoke": true}`, `{"provider": "garmin", "expire_tokens": true}`,
  `{"provider": "garmin", "missing_permission": true}` (Garmin 412, Wahoo 403),
  `{"provider": "wahoo", "deny": true}`, `{"provider": "garmin", "token_ttl_s": 60}`;
- `POST /_reset`: forget everything.
"""

from __future__ import annotations

import asyncio
import html
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from setpoint.exports.providers.fake_state import (
    PLAN_FIELDS,
    WORKOUT_FIELDS,
    FakeState,
    OAuthRefusal,
    ProviderState,
    garmin_problems,
    wahoo_plan_file,
)

Handler = Callable[[Request], Awaitable[Response]]
WHOLE_NUMBERS = ("workout_type_id", "minutes", "day_code")


class Answer(Exception):
    """Stop handling the request and send `response`."""

    def __init__(self, response: Response) -> None:
        self.response = response


def create_app(state: FakeState | None = None) -> Starlette:
    fake = state or FakeState(time.time)

    async def gate(request: Request, provider: str, route: str, auth: bool = True) -> str:
        """Count and log the request, wait the latency, apply a fault, check the bearer token."""
        p = fake[provider]
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        p.requests[f"{request.method} {route}"] += 1
        p.log.append((fake.clock(), f"{request.method} {route}", p.holder(token)))
        if p.latency_ms:
            await asyncio.sleep(p.latency_ms / 1000)
        fault = p.next_fault(request.url.path)
        if fault is not None:
            raise Answer(_fault_response(provider, fault.status, fault.retry_after, fault.body))
        if not auth:
            return ""
        account = fake.account_of(provider, token)
        if account is None:
            raise Answer(JSONResponse({"error": "invalid_token"}, 401))
        return account

    def allowed(p: ProviderState) -> None:
        if p.missing_permission:
            status = 412 if p.name == "garmin" else 403
            raise Answer(
                JSONResponse({"message": "the user did not grant this permission"}, status)
            )

    # --- OAuth ---------------------------------------------------------------------------

    def authorize(provider: str) -> Handler:
        async def handle(request: Request) -> Response:
            await gate(request, provider, "authorize", auth=False)
            p = fake[provider]
            params = dict(request.query_params)
            if request.method == "POST":
                params.update(parse_qsl((await request.body()).decode()))
            problem = _authorize_problem(params)
            if problem:
                return HTMLResponse(f"<p>{html.escape(problem)}</p>", 400)
            decision = params.get("decision")
            if decision is None and (p.interactive or params.get("interactive") == "1"):
                return HTMLResponse(_consent_page(provider, params))
            back: dict[str, str] = {}
            if p.deny or decision == "deny":
                back["error"] = "access_denied"
            else:
                back["code"] = fake.grant(
                    provider,
                    params["client_id"],
                    params["redirect_uri"],
                    params["code_challenge"],
                    params.get("user"),
                    params.get("scope"),
                )
            if "state" in params:
                back["state"] = params["state"]
            separator = "&" if "?" in params["redirect_uri"] else "?"
            return RedirectResponse(params["redirect_uri"] + separator + urlencode(back), 302)

        return handle

    def token(provider: str) -> Handler:
        async def handle(request: Request) -> Response:
            await gate(request, provider, "/oauth/token", auth=False)
            form = dict(parse_qsl((await request.body()).decode()))
            try:
                return JSONResponse(fake.exchange(provider, form))
            except OAuthRefusal as refusal:
                status = 401 if refusal.error == "invalid_client" else 400
                body = {"error": refusal.error, "error_description": refusal.description}
                return JSONResponse(body, status)

        return handle

    # --- Garmin --------------------------------------------------------------------------

    g = fake["garmin"]

    async def garmin_create(request: Request) -> Response:
        account = await gate(request, "garmin", "/workoutportal/workout/v2")
        allowed(g)
        body = await _json_body(request)
        _refuse_if(garmin_problems(body), 400)
        workout = {**body, "workoutId": fake.new_id(), "ownerId": account}
        g.workouts[str(workout["workoutId"])] = workout
        return JSONResponse(workout)

    async def garmin_workout(request: Request) -> Response:
        account = await gate(request, "garmin", "/training-api/workout/v2/{id}")
        allowed(g)
        key = request.path_params["id"]
        workout = _owned(g.workouts, key, account)
        if request.method == "GET":
            return JSONResponse(workout)
        if request.method == "DELETE":
            if any(s["workoutId"] == workout["workoutId"] for s in g.schedules.values()):
                return JSONResponse({"message": "the workout is still scheduled"}, 424)
            del g.workouts[key]
            return Response(status_code=204)
        body = await _json_body(request)
        _refuse_if(garmin_problems(body), 400)
        g.workouts[key] = {**body, "workoutId": workout["workoutId"], "ownerId": account}
        return JSONResponse(g.workouts[key])

    def garmin_schedule_body(body: Any, account: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Answer(JSONResponse({"message": "the body must be a JSON object"}, 400))
        workout = g.workouts.get(str(body.get("workoutId")))
        if workout is None or workout["ownerId"] != account:
            raise Answer(JSONResponse({"message": "unknown workoutId"}, 400))
        try:
            day = date.fromisoformat(str(body.get("date")))
        except ValueError:
            raise Answer(JSONResponse({"message": "date must be YYYY-MM-DD"}, 400)) from None
        return {"workoutId": workout["workoutId"], "date": day.isoformat(), "ownerId": account}

    async def garmin_schedule_create(request: Request) -> Response:
        account = await gate(request, "garmin", "/training-api/schedule/")
        allowed(g)
        schedule = garmin_schedule_body(await _json_body(request), account)
        schedule_id = fake.new_id()
        g.schedules[str(schedule_id)] = {"workoutScheduleId": schedule_id, **schedule}
        return JSONResponse(schedule_id)

    async def garmin_schedule_list(request: Request) -> Response:
        account = await gate(request, "garmin", "/training-api/schedule")
        start = request.query_params.get("startDate", "")
        end = request.query_params.get("endDate", "9999-12-31")
        found = [
            s for s in g.schedules.values() if s["ownerId"] == account and start <= s["date"] <= end
        ]
        return JSONResponse(found)

    async def garmin_schedule(request: Request) -> Response:
        account = await gate(request, "garmin", "/training-api/schedule/{id}")
        allowed(g)
        key = request.path_params["id"]
        schedule = _owned(g.schedules, key, account)
        if request.method == "GET":
            return JSONResponse(schedule)
        if request.method == "DELETE":
            del g.schedules[key]
            return Response(status_code=204)
        changed = garmin_schedule_body(await _json_body(request), account)
        g.schedules[key] = {"workoutScheduleId": schedule["workoutScheduleId"], **changed}
        return Response(status_code=204)

    async def garmin_permissions(request: Request) -> Response:
        await gate(request, "garmin", "/wellness-api/rest/user/permissions")
        return JSONResponse([] if g.missing_permission else ["WORKOUT_IMPORT"])

    async def garmin_registration(request: Request) -> Response:
        account = await gate(request, "garmin", "/wellness-api/rest/user/registration")
        g.revoke(account)
        return Response(status_code=204)

    # --- Wahoo ---------------------------------------------------------------------------

    w = fake["wahoo"]

    def plan_fields(form: dict[str, str], plan: dict[str, Any]) -> None:
        if "plan[file]" in form:
            try:
                content = wahoo_plan_file(form["plan[file]"])
            except ValueError as exc:
                raise Answer(JSONResponse({"error": str(exc)}, 422)) from None
            plan["name"] = content["header"].get("name")
            plan["workout_type_family"] = content["header"].get("workout_type_family")
            plan["content"] = content
        for key in ("filename", "external_id", "provider_updated_at"):
            if f"plan[{key}]" in form:
                plan[key] = form[f"plan[{key}]"]
        plan["updated_at"] = _now_iso()

    async def wahoo_plans(request: Request) -> Response:
        account = await gate(request, "wahoo", "/v1/plans")
        allowed(w)
        if request.method == "GET":
            external_id = request.query_params.get("external_id")
            plans = [
                p
                for p in w.plans.values()
                if p["user_id"] == account and external_id in (None, p["external_id"])
            ]
            return JSONResponse({"plans": plans, "total": len(plans), "page": 1})
        form = await _form(request)
        _refuse_if([f"{f} is required" for f in PLAN_FIELDS if not form.get(f)], 422)
        plan: dict[str, Any] = {"id": fake.new_id(), "user_id": account, "created_at": _now_iso()}
        plan_fields(form, plan)
        w.plans[str(plan["id"])] = plan
        return JSONResponse(plan, 201)

    async def wahoo_plan(request: Request) -> Response:
        account = await gate(request, "wahoo", "/v1/plans/{id}")
        allowed(w)
        key = request.path_params["id"]
        plan = _owned(w.plans, key, account, owner="user_id")
        if request.method == "DELETE":
            del w.plans[key]
            return JSONResponse({"success": True})
        if request.method == "PUT":
            plan_fields(await _form(request), plan)
        return JSONResponse(plan)

    def workout_fields(form: dict[str, str], workout: dict[str, Any], account: str) -> None:
        problems = []
        for key in WHOLE_NUMBERS:
            value = form.get(f"workout[{key}]")
            if value is not None and not value.lstrip("-").isdigit():
                problems.append(f"workout[{key}] must be a whole number")
        starts = form.get("workout[starts]")
        if starts is not None:
            try:
                datetime.fromisoformat(starts)
            except ValueError:
                problems.append("workout[starts] must be an ISO-8601 time")
        plan_id = form.get("workout[plan_id]")
        if plan_id is not None:
            plan = w.plans.get(plan_id)
            if plan is None or plan["user_id"] != account:
                problems.append("workout[plan_id] is not one of your plans")
        _refuse_if(problems, 422)
        for name, value in form.items():
            if name.startswith("workout[") and name.endswith("]"):
                key = name[len("workout[") : -1]
                workout[key] = int(value) if key in WHOLE_NUMBERS else value
        if plan_id is not None:
            workout["plan_id"] = int(plan_id) if plan_id.isdigit() else plan_id
        workout["updated_at"] = _now_iso()

    async def wahoo_workouts(request: Request) -> Response:
        account = await gate(request, "wahoo", "/v1/workouts")
        allowed(w)
        if request.method == "GET":
            mine = [x for x in w.workouts.values() if x["user_id"] == account]
            return JSONResponse({"workouts": mine, "total": len(mine), "page": 1})
        form = await _form(request)
        _refuse_if([f"{f} is required" for f in WORKOUT_FIELDS if not form.get(f)], 422)
        workout: dict[str, Any] = {"id": fake.new_id(), "user_id": account}
        workout_fields(form, workout, account)
        w.workouts[str(workout["id"])] = workout
        return JSONResponse(workout, 201)

    async def wahoo_workout(request: Request) -> Response:
        account = await gate(request, "wahoo", "/v1/workouts/{id}")
        allowed(w)
        key = request.path_params["id"]
        workout = _owned(w.workouts, key, account, owner="user_id")
        if request.method == "DELETE":
            del w.workouts[key]
            return JSONResponse({"success": True})
        if request.method == "PUT":
            workout_fields(await _form(request), workout, account)
        return JSONResponse(workout)

    async def wahoo_permissions(request: Request) -> Response:
        account = await gate(request, "wahoo", "/v1/permissions")
        w.revoke(account)
        return JSONResponse({"success": True})

    async def wahoo_user(request: Request) -> Response:
        account = await gate(request, "wahoo", "/v1/user")
        return JSONResponse({"id": account, "email": f"{account}@example.invalid"})

    # --- admin ---------------------------------------------------------------------------

    async def state_route(request: Request) -> Response:
        return JSONResponse(fake.snapshot())

    async def faults_route(request: Request) -> Response:
        change = await _json_body(request)
        if not isinstance(change, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, 400)
        try:
            fake.apply(change)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(fake.snapshot())

    async def log_route(request: Request) -> Response:
        return JSONResponse({name: p.log for name, p in fake.providers.items()})

    async def reset_route(request: Request) -> Response:
        fake.reset()
        return Response(status_code=204)

    any_method = ["GET", "POST"]
    routes = [
        Route("/garmin/oauth2Confirm", authorize("garmin"), methods=any_method),
        Route("/garmin/oauth/token", token("garmin"), methods=["POST"]),
        Route("/garmin/workoutportal/workout/v2", garmin_create, methods=["POST"]),
        Route(
            "/garmin/training-api/workout/v2/{id}",
            garmin_workout,
            methods=["GET", "PUT", "DELETE"],
        ),
        Route("/garmin/training-api/schedule/", garmin_schedule_create, methods=["POST"]),
        Route("/garmin/training-api/schedule", garmin_schedule_list, methods=["GET"]),
        Route(
            "/garmin/training-api/schedule/{id}",
            garmin_schedule,
            methods=["GET", "PUT", "DELETE"],
        ),
        Route("/garmin/wellness-api/rest/user/permissions", garmin_permissions, methods=["GET"]),
        Route(
            "/garmin/wellness-api/rest/user/registration", garmin_registration, methods=["DELETE"]
        ),
        Route("/wahoo/oauth/authorize", authorize("wahoo"), methods=any_method),
        Route("/wahoo/oauth/token", token("wahoo"), methods=["POST"]),
        Route("/wahoo/v1/plans", wahoo_plans, methods=["GET", "POST"]),
        Route("/wahoo/v1/plans/{id}", wahoo_plan, methods=["GET", "PUT", "DELETE"]),
        Route("/wahoo/v1/workouts", wahoo_workouts, methods=["GET", "POST"]),
        Route("/wahoo/v1/workouts/{id}", wahoo_workout, methods=["GET", "PUT", "DELETE"]),
        Route("/wahoo/v1/permissions", wahoo_permissions, methods=["DELETE"]),
        Route("/wahoo/v1/user", wahoo_user, methods=["GET"]),
        Route("/_state", state_route, methods=["GET"]),
        Route("/_log", log_route, methods=["GET"]),
        Route("/_faults", faults_route, methods=["POST"]),
        Route("/_reset", reset_route, methods=["POST"]),
    ]

    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Answer)
        return exc.response

    app = Starlette(routes=routes, exception_handlers={Answer: answer})
    app.state.fake = fake
    return app


def _authorize_problem(params: dict[str, str]) -> str | None:
    if params.get("response_type") != "code":
        return "response_type must be code"
    for name in ("client_id", "redirect_uri", "code_challenge"):
        if not params.get(name):
            return f"{name} is required"
    if params.get("code_challenge_method") != "S256":
        return "code_challenge_method must be S256"
    return None


def _consent_page(provider: str, params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("decision", "interactive")
    )
    title = f"Fake {provider.capitalize()}: allow access?"
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>Setpoint asks to put workouts on your calendar.</p>"
        f'<form method="post">{hidden}'
        '<button name="decision" value="allow">Allow</button> '
        '<button name="decision" value="deny">Deny</button></form></body></html>'
    )


def _fault_response(
    provider: str, status: int, retry_after: float | None, body: str | None
) -> Response:
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
        if provider == "wahoo":
            headers.update(
                {
                    "X-RateLimit-Limit": "25",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(int(retry_after)),
                }
            )
    if body is not None:
        return Response(body, status, headers=headers, media_type="text/plain")
    return JSONResponse({"error": f"injected fault (HTTP {status})"}, status, headers=headers)


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise Answer(JSONResponse({"message": "the body is not JSON"}, 400)) from None


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def _refuse_if(problems: list[str], status: int) -> None:
    if problems:
        raise Answer(JSONResponse({"message": "; ".join(problems), "errors": problems}, status))


def _owned(
    items: dict[str, dict[str, Any]], key: str, account: str, owner: str = "ownerId"
) -> dict[str, Any]:
    item = items.get(key)
    if item is None or item[owner] != account:
        raise Answer(JSONResponse({"message": "not found"}, 404))
    return item


def _now_iso() -> str:
    return datetime.now().astimezone().isoformat()


def run(host: str = "127.0.0.1", port: int = 8900) -> None:
    """Serve the fake provider until interrupted."""
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


class FakeProviderServer:
    """The fake provider on a loopback port in a background thread (tests, benchmarks).

    `url` is its base URL; `state` is what it holds, readable directly in the same process.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = FakeState(time.time)
        config = uvicorn.Config(
            create_app(self.state), log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self, timeout_s: float = 10.0) -> FakeProviderServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake provider server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

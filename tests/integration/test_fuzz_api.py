"""Schema fuzzing: schemathesis generates requests for every operation of the app's own
OpenAPI document, as an athlete and as their coach, with the path ids of real objects made
first (a workout, a strength session with its progress, a weekly plan and its planned
session, a schedule, a webhook) so that the calls get past 404, and a few with generated ids.
Every answer must be no 5xx, a documented status and content type, and a body that matches
the documented schema.

Generation is seeded (`derandomize`) and bounded per operation, so a run is the same every
time and takes well under a minute a backend; `bench/fuzz.py` runs the same checks longer.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation

from setpoint.auth.model import Role
from tests.conftest import MakeUser, UserHandle
from tests.support import SECRET

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and actor: with the real ids (valid data, then invalid data), and
# with generated path values (unknown ids, odd strings).
BUDGET = {"real": 10, "negative": 5, "generated": 3}
ROLES = (Role.ATHLETE, Role.COACH)
# What changes who we are or removes the objects the others use: last, in this order.
LAST = ("DELETE /api/auth/token",)
WEEK = "2027-01-04"

STRENGTH = {
    "name": "Squats",
    "sport": "strength",
    "steps": [
        {
            "intensity": "active",
            "exercise": {"name": "Squat", "type": "standard", "sets": 2, "reps": 5, "rest_s": 60},
        }
    ],
}
RUN = {
    "name": "Tempo",
    "sport": "run",
    "steps": [
        {"intensity": "warmup", "duration": {"type": "time", "seconds": 300}},
        {
            "intensity": "active",
            "duration": {"type": "time", "seconds": 600},
            "targets": [{"type": "hr_range", "low": 120, "high": 160}],
        },
    ],
}


@dataclass
class World:
    """The objects the fuzzed calls point at; `ids` fills path parameters by name."""

    athlete: UserHandle
    coach: UserHandle
    ids: dict[str, str]


async def created(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    r = await response
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


async def build_world(client: httpx.AsyncClient, make_user: MakeUser) -> World:
    coach = await make_user(Role.COACH)
    athlete = await make_user(coach=coach)
    h = athlete.headers
    run = await created(client.post("/api/workouts", json=RUN, headers=h))
    strength = await created(client.post("/api/workouts", json=STRENGTH, headers=h))
    session = await created(
        client.post("/api/sessions", json={"workout_id": strength["id"]}, headers=h)
    )
    plan = await created(
        client.post("/api/plans", json={"week_start": WEEK, "name": "Base"}, headers=h)
    )
    planned = await created(
        client.post(
            f"/api/plans/{plan['id']}/sessions",
            json={"date": "2027-01-06", "type": "ENDURANCE", "workout_id": run["id"]},
            headers=h,
        )
    )
    schedule = await created(
        client.post(
            "/api/schedules",
            json={
                "workout_id": run["id"],
                "cron": "30 6 * * TUE,THU",
                "time_zone": "Europe/Paris",
                "type": "ENDURANCE",
            },
            headers=h,
        )
    )
    hook = await created(
        client.post(
            "/api/webhooks", json={"url": "http://127.0.0.1:9/hook", "secret": SECRET}, headers=h
        )
    )
    return World(
        athlete,
        coach,
        {
            "athlete_id": athlete.id,
            "workout_id": strength["id"],
            "session_id": session["id"],
            "plan_id": plan["id"],
            "planned_id": planned["id"],
            "schedule_id": schedule["id"],
            "webhook_id": hook["id"],
            "position": "0",
            "name": "Squat",
        },
    )


def examples(
    strategy: st.SearchStrategy[Case[Any]], count: int, seed: int | None
) -> list[Case[Any]]:
    """Up to `count` cases from `strategy`: the same ones every run without a `seed`."""
    drawn: list[Case[Any]] = []

    @settings(
        max_examples=count,
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(case: Case[Any]) -> None:
        drawn.append(case)

    if seed is not None:
        draw = hypothesis_seed(seed)(draw)
    # Unsatisfiable: nothing to negate (no parameter, or all fixed); InvalidSchema: a schema
    # construct some seeds cannot negate. The cases drawn until then are kept.
    with contextlib.suppress(Unsatisfiable, InvalidSchema):
        draw()
    return drawn


def cases_for(
    operation: APIOperation[Any, Any, Any, Any],
    ids: dict[str, str],
    budget: dict[str, int],
    seed: int | None,
) -> list[Case[Any]]:
    names = [p.name for p in operation.path_parameters]
    fixed = {name: ids[name] for name in names if name in ids}
    found = examples(operation.as_strategy(path_parameters=fixed), budget["real"], seed)
    found += examples(
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=fixed),
        budget["negative"],
        seed,
    )
    if names:
        found += examples(operation.as_strategy(), budget["generated"], seed)
    return found


@dataclass
class Tally:
    """What a run did: calls per status, and each distinct failure once with one example."""

    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        return sum(self.statuses.values())


async def send(
    client: httpx.AsyncClient, case: Case[Any], headers: dict[str, str]
) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    body = kwargs.pop("data", None)
    return await client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=kwargs.get("headers"),
        json=kwargs.get("json"),
        content=body,
    )


def ordered(
    operations: Iterable[APIOperation[Any, Any, Any, Any]],
) -> list[APIOperation[Any, Any, Any, Any]]:
    """Deletions after the rest (what the others call must still exist), and `LAST` last."""

    def key(op: APIOperation[Any, Any, Any, Any]) -> tuple[int, str]:
        label = f"{op.method.upper()} {op.path}"
        return (2 if label in LAST else int(op.method.upper() == "DELETE"), label)

    return sorted(operations, key=key)


async def fuzz(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    role: Role,
    budget: dict[str, int],
    seed: int | None = None,
    progress: Callable[[str, Counter[int]], None] = lambda label, statuses: None,
) -> Tally:
    """Every operation of the app's OpenAPI document, called as `role` (the athlete who owns
    the world's objects, or their coach) with `budget` examples of each kind."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = ordered(r.ok() for r in schema.get_all_operations() if isinstance(r, Ok))
    user = world.athlete if role is Role.ATHLETE else world.coach
    tally = Tally()
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        statuses = tally.by_operation.setdefault(label, Counter())
        for case in cases_for(operation, world.ids, budget, seed):
            response = await send(client, case, user.headers)
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=user.headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    where = f"{label} as {role}: {failure.title}"
                    tally.failures.setdefault(where, str(failure)[:1500])
        tally.statuses.update(statuses)
        progress(label, statuses)
    return tally


@pytest.mark.parametrize("role", ROLES)
async def test_every_operation_answers_as_documented_and_never_5xx(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, role: Role
) -> None:
    world = await build_world(client, make_user)
    # A 500 is an answer to count and report, not an exception raised into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=client.base_url) as fuzzing:
        tally = await fuzz(app, fuzzing, world, role, BUDGET)
    print(f"{tally.calls} calls as {role}: {dict(sorted(tally.statuses.items()))}")
    assert not tally.failures, "\n\n".join(f"{k}\n{v}" for k, v in tally.failures.items())
    # Most operations got past authentication and lookup at least once.
    past = [op for op, statuses in tally.by_operation.items() if set(statuses) - {401, 404}]
    assert len(past) >= len(tally.by_operation) * 0.9, tally.by_operation

"""HTTP answers a browser or a careless client can rely on: security headers on every
answer, no caching of tokens, one error code for every unreadable body, every route labelled
in the metrics, and heart-rate answers that say what is durable."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from setpoint.app import CONTENT_SECURITY_POLICY
from setpoint.auth.model import Role
from setpoint.context import Context
from setpoint.heartrate import repository as heartrate_repository
from tests.conftest import MakeUser
from tests.integration.test_heart_rate import running
from tests.support import FakeClock


@pytest.mark.parametrize("path", ["/healthz", "/api/me", "/", "/docs", "/openapi.json"])
async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"


async def test_the_pages_need_nothing_the_policy_refuses(client: httpx.AsyncClient) -> None:
    """No inline script or style, no script from elsewhere: what the policy would block."""
    for path in ("/", "/docs"):
        page = (await client.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path  # inline script
        assert "<style" not in page and " style=" not in page, path
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), path


async def test_the_token_answer_is_not_cached(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    response = await client.post(
        "/api/auth/token", json={"email": athlete.email, "password": athlete.password}
    )
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "body", [b"{", b"[" * 50_000, b'{"email": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"]
)
async def test_unreadable_bodies_are_malformed_json(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/api/auth/token", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"


async def test_the_session_state_route_is_labelled_in_metrics(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    admin = await make_user(Role.ADMIN)
    await client.get(f"/api/sessions/{uuid.uuid4()}", headers=athlete.headers)
    metrics = (await client.get("/metrics", headers=admin.headers)).text
    line = re.search(
        r'setpoint_http_requests_total\{method="GET",route="/api/sessions/\{session_id\}",'
        r'status="404"\} (\d+)',
        metrics,
    )
    assert line is not None and int(line.group(1)) >= 1


async def test_heart_rate_answers_say_what_is_stored(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    ctx: Context = app.state.context
    athlete = await make_user()
    sid = await running(client, athlete)
    now = (await client.get(f"/api/sessions/{sid}", headers=athlete.headers)).json()
    t = now["server_time"]
    url = f"/api/sessions/{sid}/heart-rate"

    later = await client.post(
        url, headers=athlete.headers, json={"samples": [{"t": t, "bpm": 120}]}
    )
    assert later.json()["accepted"] == 1 and later.json()["stored"] == 0
    clock.advance(1)
    durable = await client.post(
        url, headers=athlete.headers, json={"samples": [{"t": t + 1, "bpm": 121}], "durable": True}
    )
    assert durable.json()["accepted"] == 1 and durable.json()["stored"] == 1
    async with ctx.db.transaction(write=False) as uow:  # no batch write has run
        stored = await heartrate_repository.samples(uow.session, uuid.UUID(sid))
    assert [s.raw_bpm for s in stored] == [121]

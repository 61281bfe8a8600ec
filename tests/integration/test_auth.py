from __future__ import annotations

import httpx
import pytest

from setpoint.auth.model import ActorCache, Role
from tests.conftest import MakeUser
from tests.support import FakeClock


async def test_login_me_and_logout(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    coach = await make_user(Role.COACH)
    athlete = await make_user(Role.ATHLETE, coach=coach)

    me = await client.get("/api/me", headers=athlete.headers)
    assert me.status_code == 200
    assert me.json() | {} == {
        "id": athlete.id,
        "email": athlete.email,
        "role": "athlete",
        "coach_ids": [coach.id],
        "athlete_ids": [],
    }
    coach_me = (await client.get("/api/me", headers=coach.headers)).json()
    assert coach_me["athlete_ids"] == [athlete.id]
    athletes = (await client.get("/api/athletes", headers=coach.headers)).json()
    assert [a["email"] for a in athletes] == [athlete.email]

    assert (await client.delete("/api/auth/token", headers=athlete.headers)).status_code == 204
    after = await client.get("/api/me", headers=athlete.headers)
    assert after.status_code == 401 and after.json()["error"] == "not_authenticated"


async def test_wrong_password_and_unknown_user_look_the_same(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    wrong = await client.post(
        "/api/auth/token", json={"email": athlete.email, "password": "nope-nope"}
    )
    unknown = await client.post(
        "/api/auth/token", json={"email": "who@example.com", "password": "x"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": "invalid_credentials", "detail": "email or password is wrong"}
    )


async def test_tokens_expire(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    assert (await client.get("/api/me", headers=athlete.headers)).status_code == 200
    clock.advance(31 * 24 * 3600)
    assert (await client.get("/api/me", headers=athlete.headers)).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer sp_forged"},
    ],
)
async def test_every_route_refuses_missing_or_bad_tokens(
    client: httpx.AsyncClient, app: object, headers: dict[str, str]
) -> None:
    routes = [
        ("GET", "/api/me"),
        ("GET", "/api/athletes"),
        ("POST", "/api/users"),
        ("DELETE", "/api/auth/token"),
        ("GET", "/api/workouts"),
        ("POST", "/api/workouts"),
        ("POST", "/api/workouts/generate"),
        ("GET", "/api/workouts/00000000-0000-0000-0000-000000000000"),
        ("PUT", "/api/workouts/00000000-0000-0000-0000-000000000000"),
        ("POST", "/api/workouts/00000000-0000-0000-0000-000000000000/regenerate"),
        ("GET", "/api/workouts/00000000-0000-0000-0000-000000000000/revisions"),
        ("GET", "/api/workouts/00000000-0000-0000-0000-000000000000/lineage"),
        ("GET", "/api/me/profile"),
        ("PUT", "/api/me/profile"),
        ("GET", "/api/athletes/00000000-0000-0000-0000-000000000000/profile"),
        ("PUT", "/api/athletes/00000000-0000-0000-0000-000000000000/profile"),
        ("GET", "/metrics"),
    ]
    for method, path in routes:
        response = await client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"] == "not_authenticated"


async def test_only_admins_create_users_over_http(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user(Role.ADMIN)
    coach = await make_user(Role.COACH)
    body = {
        "email": "New@Example.com",
        "password": "long enough pw",
        "role": "athlete",
        "coach_email": coach.email,
    }
    refused = await client.post("/api/users", json=body, headers=coach.headers)
    assert refused.status_code == 403
    created = await client.post("/api/users", json=body, headers=admin.headers)
    assert created.status_code == 201 and created.json()["email"] == "new@example.com"
    fresh = {**body, "email": "other@example.com"}
    for bad, field in [
        ({**fresh, "role": "king"}, "body.role"),
        ({**fresh, "password": "short"}, "body.password"),
        ({**fresh, "email": "not-an-email"}, "email"),
        ({**fresh, "coach_email": "x@y.z"}, "coach"),
    ]:
        r = await client.post("/api/users", json=bad, headers=admin.headers)
        assert r.status_code in (400, 404, 422) and field in r.json()["detail"], (bad, r.text)
    again = await client.post("/api/users", json=body, headers=admin.headers)
    assert again.status_code == 409 and again.json()["error"] == "already_exists"
    login = await client.post(
        "/api/auth/token", json={"email": "new@example.com", "password": "long enough pw"}
    )
    me = (
        await client.get(
            "/api/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        )
    ).json()
    assert me["coach_ids"] == [coach.id]


async def test_bad_input_is_a_clear_error(client: httpx.AsyncClient) -> None:
    malformed = await client.post(
        "/api/auth/token", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["error"] == "malformed_json"
    wrong_type = await client.post("/api/auth/token", json={"email": 5, "password": []})
    assert wrong_type.status_code == 422
    assert (
        "body.email" in wrong_type.json()["detail"]
        and "body.password" in wrong_type.json()["detail"]
    )
    huge = await client.post(
        "/api/auth/token",
        content=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"] == "payload_too_large"
    unknown = await client.get("/api/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    response = await client.post(
        "/api/auth/token", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_health_and_metrics(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    athlete = await make_user()
    assert (await client.get("/metrics", headers=athlete.headers)).status_code == 403
    admin = await make_user(Role.ADMIN)
    metrics = await client.get("/metrics", headers=admin.headers)
    assert metrics.status_code == 200
    assert (
        'setpoint_http_requests_total{method="POST",route="/api/auth/token",status="200"}'
        in metrics.text
    )


async def test_a_token_revoked_by_another_node_stops_working_within_seconds(
    app: object, client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    from sqlalchemy import update

    from setpoint.auth.tables import AccessToken
    from setpoint.context import Context

    ctx: Context = app.state.context  # type: ignore[attr-defined]
    athlete = await make_user()
    assert (await client.get("/api/me", headers=athlete.headers)).status_code == 200
    async with ctx.db.transaction() as uow:  # as another node's DELETE /api/auth/token would
        await uow.session.execute(update(AccessToken).values(revoked_at=clock.now()))
    clock.advance(ctx.part(ActorCache).ttl_s + 0.1)
    assert (await client.get("/api/me", headers=athlete.headers)).status_code == 401

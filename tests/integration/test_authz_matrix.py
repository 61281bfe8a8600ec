"""The authorization matrix, generated from the app's route table: every route that takes an
id, called by the owner, the owner's coach, another athlete, another coach, no token and a
revoked token, answers the status its entry in `MATRIX` expects. A route with an id and no
entry fails the test: a new route cannot escape the matrix.

`ALLOWED` means any answer but 401, 403 and 404 (the owner's call may still be refused by the
rules, e.g. `409` for a command the state does not allow); a refusal must be exactly the
status given (404 for what is not yours: ids cannot be probed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from setpoint.auth.model import Role
from tests.conftest import MakeUser, UserHandle
from tests.support import SECRET, AsgiSocket

ALLOWED = "allowed"
ACTORS = ("owner", "coach", "other_athlete", "other_coach", "no_token", "revoked")
OWNED = {
    "owner": ALLOWED,
    "coach": ALLOWED,
    "other_athlete": 404,
    "other_coach": 404,
    "no_token": 401,
    "revoked": 401,
}
ATHLETE_ONLY = {**OWNED, "coach": 403}  # the coach sees it, only the athlete sends it
PERSONAL = {**OWNED, "coach": 404}  # the owner's alone, not shared with their coach

Body = Callable[["World"], Any]


@dataclass(frozen=True)
class Entry:
    expect: dict[str, int | str] = field(default_factory=lambda: OWNED)
    body: Body | None = None
    query: str = ""


COVERED_ELSEWHERE = ("/api/plans", "/api/plan-sessions", "/api/devices", "/api/schedules")

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
PROFILE = {"max_hr": 190, "resting_hr": 50, "lthr": None, "ftp_w": None}

MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", "/api/athletes/{athlete_id}/profile"): Entry(),
    ("PUT", "/api/athletes/{athlete_id}/profile"): Entry(body=lambda w: PROFILE),
    ("PATCH", "/api/athletes/{athlete_id}/profile"): Entry(body=lambda w: {"max_hr": 191}),
    ("GET", "/api/workouts/{workout_id}"): Entry(),
    ("PUT", "/api/workouts/{workout_id}"): Entry(body=lambda w: STRENGTH),
    ("POST", "/api/workouts/{workout_id}/regenerate"): Entry(),
    ("GET", "/api/workouts/{workout_id}/revisions"): Entry(),
    ("GET", "/api/workouts/{workout_id}/lineage"): Entry(),
    ("GET", "/api/workouts/{workout_id}/export"): Entry(query="format=zwo"),
    ("GET", "/api/workouts/{workout_id}/attempts"): Entry(),
    ("GET", "/api/sessions/{session_id:uuid}"): Entry(),
    ("GET", "/api/sessions/{session_id}"): Entry(),
    ("GET", "/api/sessions/{session_id}/events"): Entry(),
    ("GET", "/api/sessions/{session_id}/draft"): Entry(),
    ("PUT", "/api/sessions/{session_id}/draft"): Entry(
        body=lambda w: {"revision": 0, "draft": {"screen": "player"}}
    ),
    ("GET", "/api/sessions/{session_id}/hydrate"): Entry(),
    ("GET", "/api/sessions/{session_id}/checkpoint"): Entry(),
    ("POST", "/api/sessions/{session_id}/{command}"): Entry(),
    ("GET", "/api/sessions/{session_id}/summary"): Entry(),
    ("POST", "/api/sessions/{session_id}/heart-rate"): Entry(
        ATHLETE_ONLY, body=lambda w: {"samples": [{"t": w.server_time, "bpm": 120}]}
    ),
    ("GET", "/api/sessions/{session_id}/progress"): Entry(),
    ("PUT", "/api/sessions/{session_id}/progress"): Entry(body=lambda w: w.progress),
    ("PATCH", "/api/sessions/{session_id}/progress/exercises/{position}"): Entry(
        body=lambda w: {"revision": w.progress["revision"], "notes": "knees"}
    ),
    ("POST", "/api/sessions/{session_id}/sets"): Entry(
        body=lambda w: {"position": 0, "reps": 5, "weight_kg": 60}
    ),
    # without a token the socket waits for `{"type": "auth", "token": ...}`; one without is 4400
    ("WS", "/api/sessions/{session_id}/live"): Entry({**OWNED, "no_token": 400}),
    ("DELETE", "/api/webhooks/{webhook_id}"): Entry(PERSONAL),
    ("POST", "/api/webhooks/{webhook_id}/enable"): Entry(PERSONAL),
    ("GET", "/api/webhooks/{webhook_id}/deliveries"): Entry(PERSONAL),
}
LAST = ("DELETE",)  # run after the others, so what they call still exists
CLOSE_STATUS = {4401: 401, 4403: 403, 4404: 404, 4400: 400}


def routes_with_ids(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route whose path names an id, websockets as `WS`."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not re.search(r"\{\w*id(:\w+)?\}", path):
            continue
        for method in route.methods or {"WS"}:
            if method != "HEAD":
                found.add((method, path))
    return sorted(found, key=lambda r: (r[0] in LAST, r))


@dataclass
class World:
    owner: UserHandle
    actors: dict[str, dict[str, str]]
    ids: dict[str, str]
    server_time: float
    progress: dict[str, Any]

    def path(self, template: str) -> str:
        values = {**self.ids, "command": "pause", "position": "0"}
        return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], template)


async def world(client: httpx.AsyncClient, make_user: MakeUser) -> World:
    coach = await make_user(Role.COACH)
    owner = await make_user(coach=coach)
    other_coach = await make_user(Role.COACH)
    other_athlete = await make_user(coach=other_coach)
    revoked = await client.post(
        "/api/auth/token", json={"email": owner.email, "password": owner.password}
    )
    revoked_headers = {"Authorization": f"Bearer {revoked.json()['access_token']}"}
    assert (await client.delete("/api/auth/token", headers=revoked_headers)).status_code == 204

    workout = (await client.post("/api/workouts", json=STRENGTH, headers=owner.headers)).json()
    session = await client.post(
        "/api/sessions", json={"workout_id": workout["id"]}, headers=owner.headers
    )
    hook = await client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "secret": SECRET},
        headers=owner.headers,
    )
    sid = session.json()["id"]
    progress = await client.get(f"/api/sessions/{sid}/progress", headers=owner.headers)
    return World(
        owner=owner,
        actors={
            "owner": owner.headers,
            "coach": coach.headers,
            "other_athlete": other_athlete.headers,
            "other_coach": other_coach.headers,
            "no_token": {},
            "revoked": revoked_headers,
        },
        ids={
            "athlete_id": owner.id,
            "workout_id": workout["id"],
            "session_id": sid,
            "webhook_id": hook.json()["id"],
        },
        server_time=session.json()["server_time"],
        progress=progress.json(),
    )


async def call(
    app: FastAPI, client: httpx.AsyncClient, w: World, method: str, path: str, actor: str
) -> int:
    entry = MATRIX[method, path]
    url = w.path(path) + (f"?{entry.query}" if entry.query else "")
    headers = w.actors[actor]
    if method == "WS":
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        async with AsgiSocket(app, url, f"token={token}" if token else "") as ws:
            if not token:
                await ws.send_json({"type": "auth"})
            first = await ws.receive_json()
            return 200 if first["type"] == "state" else CLOSE_STATUS[await ws.closed()]
    body = entry.body(w) if entry.body else None
    response = await client.request(method, url, headers=headers, json=body)
    return response.status_code


def matches(expected: int | str, status: int) -> bool:
    return status not in (401, 403, 404) if expected == ALLOWED else status == expected


async def test_every_route_with_an_id_answers_each_actor_as_the_matrix_says(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    routes = routes_with_ids(app)
    checked = [r for r in routes if not r[1].startswith(COVERED_ELSEWHERE)]
    missing = [r for r in checked if r not in MATRIX]
    assert not missing, f"routes with no entry in MATRIX: {missing}"
    assert not set(MATRIX) - set(routes), "entries for routes that no longer exist"

    w = await world(client, make_user)
    wrong = []
    for method, path in checked:
        expect = MATRIX[method, path].expect
        # refusals first, then the owner's coach and the owner (who may change things)
        for actor in reversed(ACTORS):
            status = await call(app, client, w, method, path, actor)
            if not matches(expect[actor], status):
                wrong.append(f"{method} {path} as {actor}: {status}, expected {expect[actor]}")
    assert not wrong, "\n".join(wrong)

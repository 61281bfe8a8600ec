from __future__ import annotations

import copy
from typing import Any

import httpx

from setpoint.auth.model import Role
from tests.conftest import MakeUser, UserHandle
from tests.documents import THRESHOLD

NOBODY = "00000000-0000-0000-0000-000000000000"
GENERATE = {"sport": "treadmill", "duration_min": 30, "goal": "intervals", "seed": 42}


async def create(
    client: httpx.AsyncClient, user: UserHandle, doc: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post("/api/workouts", json=doc or THRESHOLD, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_author_and_read_back_the_normalized_plan(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    created = await create(client, athlete)
    assert (
        created["revision"] == 1 and created["latest"] is True and created["owner_id"] == athlete.id
    )
    assert len(created["segments"]) == 13
    assert [s["offset_s"] for s in created["segments"][:3]] == [0, 600, 780]
    assert created["segments"][1]["targets"] == [{"type": "hr_range", "low": 150.0, "high": 165.0}]
    assert created["total_duration_s"] is None  # the open step
    assert created["steps"][1]["repeat"] == 5

    read = await client.get(f"/api/workouts/{created['id']}", headers=athlete.headers)
    assert read.status_code == 200 and read.json() == created


async def test_a_strength_step_needs_no_intensity(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    squat = {"name": "Squat", "type": "standard", "sets": 2, "reps": 5, "rest_s": 90}
    doc = {"name": "Legs", "sport": "strength", "steps": [{"exercise": squat}]}
    created = await create(client, athlete, doc)
    assert [s["intensity"] for s in created["segments"]] == ["active", "rest", "active", "rest"]
    no_intensity = {"name": "Run", "sport": "run", "steps": [{"duration": {"type": "open"}}]}
    refused = await client.post("/api/workouts", json=no_intensity, headers=athlete.headers)
    assert refused.status_code == 422 and "steps[0].intensity" in refused.text


async def test_a_change_is_a_new_revision_and_the_old_one_stays(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    first = await create(client, athlete)
    changed = copy.deepcopy(THRESHOLD)
    changed["steps"][1]["repeat"] = 6
    second = await client.put(f"/api/workouts/{first['id']}", json=changed, headers=athlete.headers)
    assert second.status_code == 201
    body = second.json()
    assert body["id"] != first["id"] and body["revision"] == 2 and body["origin_id"] == first["id"]
    assert len(body["segments"]) == 15

    old = (await client.get(f"/api/workouts/{first['id']}", headers=athlete.headers)).json()
    assert old["latest"] is False and len(old["segments"]) == 13

    stale = await client.put(f"/api/workouts/{first['id']}", json=changed, headers=athlete.headers)
    assert stale.status_code == 409 and stale.json()["error"] == "stale_revision"
    assert stale.json()["latest_id"] == body["id"]

    revisions = (
        await client.get(f"/api/workouts/{first['id']}/revisions", headers=athlete.headers)
    ).json()
    assert [r["revision"] for r in revisions] == [1, 2]
    listed = (await client.get("/api/workouts", headers=athlete.headers)).json()
    assert [w["id"] for w in listed["items"]] == [body["id"]]
    everything = (
        await client.get("/api/workouts?all_revisions=true", headers=athlete.headers)
    ).json()
    assert everything["total"] == 2


async def test_list_filters_and_pagination(
    client: httpx.AsyncClient, make_user: MakeUser, clock: Any
) -> None:
    athlete = await make_user()
    for i in range(5):
        await create(client, athlete, {**THRESHOLD, "name": f"Run {i}"})
        clock.advance(1)
    await create(client, athlete, {**THRESHOLD, "name": "Bike easy", "sport": "bike"})
    clock.advance(1)
    generated = await client.post("/api/workouts/generate", json=GENERATE, headers=athlete.headers)
    assert generated.status_code == 201

    page = (
        await client.get("/api/workouts?limit=2&offset=1&sport=run", headers=athlete.headers)
    ).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [w["name"] for w in page["items"]] == ["Run 3", "Run 2"]
    named = (await client.get("/api/workouts?q=bike", headers=athlete.headers)).json()
    assert [w["name"] for w in named["items"]] == ["Bike easy"]
    only_generated = (
        await client.get("/api/workouts?generated=true", headers=athlete.headers)
    ).json()
    assert [w["id"] for w in only_generated["items"]] == [generated.json()["id"]]
    percent = (await client.get("/api/workouts?q=%25", headers=athlete.headers)).json()
    assert percent["total"] == 0


async def test_generate_regenerate_and_lineage(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    first = (
        await client.post("/api/workouts/generate", json=GENERATE, headers=athlete.headers)
    ).json()
    again = (
        await client.post("/api/workouts/generate", json=GENERATE, headers=athlete.headers)
    ).json()
    assert first["seed"] == 42 and first["segments"] == again["segments"]
    assert (
        first["inputs"]["goal"] == "intervals"
        and first["inputs"]["constraints"]["max_speed_mps"] > 0
    )
    assert sum(s["duration_s"] for s in first["segments"]) == 30 * 60 == first["total_duration_s"]
    assert {t["type"] for s in first["segments"] for t in s["targets"]} >= {"speed", "incline"}

    other = (
        await client.post(
            "/api/workouts/generate", json={**GENERATE, "seed": 43}, headers=athlete.headers
        )
    ).json()
    assert other["segments"] != first["segments"]

    child = await client.post(f"/api/workouts/{first['id']}/regenerate", headers=athlete.headers)
    assert child.status_code == 201
    kid = child.json()
    assert kid["parent_id"] == first["id"] and kid["seed"] != first["seed"]
    assert kid["inputs"] == first["inputs"] and kid["segments"] != first["segments"]
    grandchild = (
        await client.post(
            f"/api/workouts/{kid['id']}/regenerate", json={"seed": 7}, headers=athlete.headers
        )
    ).json()
    assert grandchild["seed"] == 7 and grandchild["parent_id"] == kid["id"]

    untouched = (await client.get(f"/api/workouts/{first['id']}", headers=athlete.headers)).json()
    assert untouched["segments"] == first["segments"]
    lineage = (
        await client.get(f"/api/workouts/{grandchild['id']}/lineage", headers=athlete.headers)
    ).json()
    assert [w["id"] for w in lineage] == [first["id"], kid["id"], grandchild["id"]]

    bike = await client.post(
        "/api/workouts/generate",
        headers=athlete.headers,
        json={"sport": "bike", "duration_min": 45, "goal": "hills", "constraints": {"ftp_w": 250}},
    )
    assert bike.status_code == 201 and isinstance(bike.json()["seed"], int)
    assert all(any(t["type"] == "power" for t in s["targets"]) for s in bike.json()["segments"])


async def test_authored_workouts_cannot_be_regenerated(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    authored = await create(client, athlete)
    response = await client.post(
        f"/api/workouts/{authored['id']}/regenerate", headers=athlete.headers
    )
    assert response.status_code == 422 and "authored, not generated" in response.json()["detail"]


async def test_athletes_never_see_each_others_workouts(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    mine, theirs = await make_user(coach=coach), await make_user()
    secret = await create(client, theirs)
    generated = (
        await client.post("/api/workouts/generate", json=GENERATE, headers=theirs.headers)
    ).json()

    for wid in (secret["id"], generated["id"], NOBODY):
        for method, path in [
            ("GET", ""),
            ("GET", "/revisions"),
            ("GET", "/lineage"),
            ("POST", "/regenerate"),
            ("PUT", ""),
        ]:
            body = THRESHOLD if method == "PUT" else None
            r = await client.request(
                method, f"/api/workouts/{wid}{path}", json=body, headers=mine.headers
            )
            assert r.status_code == 404, (method, path, r.text)
            assert r.json()["error"] == "not_found"
    listed = (await client.get("/api/workouts", headers=mine.headers)).json()
    assert listed["total"] == 0
    by_owner = (
        await client.get(f"/api/workouts?owner_id={theirs.id}", headers=mine.headers)
    ).json()
    assert by_owner["total"] == 0
    assert (
        await client.get(f"/api/workouts/{secret['id']}", headers=coach.headers)
    ).status_code == 404


async def test_coaches_author_for_their_athletes_and_share_their_library(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete, stranger = await make_user(coach=coach), await make_user()

    for_athlete = await create(client, coach, {**THRESHOLD, "athlete_id": athlete.id})
    assert for_athlete["owner_id"] == athlete.id and for_athlete["created_by_id"] == coach.id
    seen = await client.get(f"/api/workouts/{for_athlete['id']}", headers=athlete.headers)
    assert seen.status_code == 200
    refused = await client.post(
        "/api/workouts", json={**THRESHOLD, "athlete_id": stranger.id}, headers=coach.headers
    )
    assert refused.status_code == 404 and stranger.id in refused.json()["detail"]
    refused_gen = await client.post(
        "/api/workouts/generate",
        json={**GENERATE, "athlete_id": stranger.id},
        headers=coach.headers,
    )
    assert refused_gen.status_code == 404

    library = await create(client, coach)
    readable = await client.get(f"/api/workouts/{library['id']}", headers=athlete.headers)
    assert readable.status_code == 200
    change = await client.put(
        f"/api/workouts/{library['id']}", json=THRESHOLD, headers=athlete.headers
    )
    assert change.status_code == 403
    assert (
        await client.get(f"/api/workouts/{library['id']}", headers=stranger.headers)
    ).status_code == 404
    coach_list = (await client.get("/api/workouts", headers=coach.headers)).json()
    assert {w["id"] for w in coach_list["items"]} == {for_athlete["id"], library["id"]}


async def test_bad_workouts_are_422_naming_the_path(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    bad = copy.deepcopy(THRESHOLD)
    bad["steps"][1]["steps"][0]["targets"][0] = {"type": "hr_range", "low": 170, "high": 160}
    response = await client.post("/api/workouts", json=bad, headers=athlete.headers)
    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_workout",
        "detail": "steps[1].steps[0].targets[0]: low 170 > high 160",
        "problems": ["steps[1].steps[0].targets[0]: low 170 > high 160"],
    }
    typed = copy.deepcopy(THRESHOLD)
    typed["steps"][0]["duration"]["seconds"] = "ten"
    response = await client.post("/api/workouts", json=typed, headers=athlete.headers)
    assert response.status_code == 422 and response.json()["error"] == "validation_error"
    assert "body.steps[0].duration.seconds" in response.json()["detail"]
    for doc, fragment in [
        ({**THRESHOLD, "sport": "swim"}, "body.sport"),
        ({**THRESHOLD, "steps": "none"}, "body.steps"),
        ({**THRESHOLD, "extra": 1}, "body.extra"),
        ({**THRESHOLD, "steps": [{"intensity": "active"}] * 201}, "body.steps"),
        ({**THRESHOLD, "steps": []}, "steps: a workout needs at least one step"),
        ({**THRESHOLD, "name": "x" * 201}, "body.name"),
    ]:
        r = await client.post("/api/workouts", json=doc, headers=athlete.headers)
        assert r.status_code == 422 and fragment in r.json()["detail"], (fragment, r.text)
    assert (
        await client.get("/api/workouts/not-a-uuid", headers=athlete.headers)
    ).status_code == 422
    assert (
        await client.get("/api/workouts?limit=1000", headers=athlete.headers)
    ).status_code == 422
    assert (
        await client.get("/api/workouts?sport=swim", headers=athlete.headers)
    ).status_code == 422
    assert (await client.get("/api/workouts", headers=athlete.headers)).json()["total"] == 0


async def test_bad_generation_inputs_are_422(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    cases = [
        ({**GENERATE, "sport": "run"}, "body.sport"),
        ({**GENERATE, "goal": "speed"}, "body.goal"),
        ({**GENERATE, "duration_min": 3}, "duration_min"),
        ({**GENERATE, "seed": -1}, "seed"),
        (
            {**GENERATE, "constraints": {"min_segment_s": 400, "max_segment_s": 300}},
            "min_segment_s",
        ),
        ({**GENERATE, "constraints": {"ftp_w": 200}}, "ftp_w"),
    ]
    for body, fragment in cases:
        r = await client.post("/api/workouts/generate", json=body, headers=athlete.headers)
        assert r.status_code == 422 and fragment in r.json()["detail"], (body, r.text)
    generated = (
        await client.post("/api/workouts/generate", json=GENERATE, headers=athlete.headers)
    ).json()
    r = await client.post(
        f"/api/workouts/{generated['id']}/regenerate", json={"seed": "x"}, headers=athlete.headers
    )
    assert r.status_code == 422 and "body.seed" in r.json()["detail"]

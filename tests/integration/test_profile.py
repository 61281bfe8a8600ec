from __future__ import annotations

import httpx

from setpoint.auth.model import Role
from tests.conftest import MakeUser

PROFILE = {"max_hr": 190, "resting_hr": 50, "lthr": 172, "ftp_w": 250, "zone_model": "karvonen"}


async def test_athlete_reads_and_replaces_their_profile(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    empty = (await client.get("/api/me/profile", headers=athlete.headers)).json()
    assert (
        empty["max_hr"] is None and empty["updated_at"] is None and empty["user_id"] == athlete.id
    )
    saved = await client.put("/api/me/profile", json=PROFILE, headers=athlete.headers)
    assert saved.status_code == 200 and saved.json()["ftp_w"] == 250
    read = (await client.get("/api/me/profile", headers=athlete.headers)).json()
    assert {k: read[k] for k in PROFILE} == PROFILE and read["updated_at"] is not None


async def test_coach_manages_their_athletes_profile_only(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete, stranger = await make_user(coach=coach), await make_user()
    put = await client.put(
        f"/api/athletes/{athlete.id}/profile", json=PROFILE, headers=coach.headers
    )
    assert put.status_code == 200
    seen = (await client.get("/api/me/profile", headers=athlete.headers)).json()
    assert seen["lthr"] == 172
    for method in ("GET", "PUT"):
        r = await client.request(
            method, f"/api/athletes/{stranger.id}/profile", json=PROFILE, headers=coach.headers
        )
        assert r.status_code == 404
        r = await client.request(
            method, f"/api/athletes/{athlete.id}/profile", json=PROFILE, headers=stranger.headers
        )
        assert r.status_code == 404
    assert (await client.get("/api/me/profile")).status_code == 401


async def test_inconsistent_profiles_are_422_naming_the_field(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    await client.put("/api/me/profile", json=PROFILE, headers=athlete.headers)
    cases = [
        ({**PROFILE, "max_hr": 300}, "max_hr: 300 is outside 100–230"),
        ({**PROFILE, "resting_hr": 195}, "resting_hr: 195 must be below max_hr 190"),
        ({**PROFILE, "resting_hr": None}, "zone_model: karvonen needs resting_hr"),
        ({**PROFILE, "zone_model": "magic"}, "body.zone_model"),
        ({**PROFILE, "ftp_w": "lots"}, "body.ftp_w"),
    ]
    for body, fragment in cases:
        r = await client.put("/api/me/profile", json=body, headers=athlete.headers)
        assert r.status_code == 422 and fragment in r.json()["detail"], (body, r.text)
    kept = (await client.get("/api/me/profile", headers=athlete.headers)).json()
    assert {k: kept[k] for k in PROFILE} == PROFILE

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


async def test_put_needs_the_whole_profile_and_patch_changes_only_what_it_names(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    await client.put("/api/me/profile", json=PROFILE, headers=athlete.headers)

    partial = await client.put(
        "/api/me/profile", json={"zone_model": "hrmax"}, headers=athlete.headers
    )
    assert partial.status_code == 422
    for name in ("max_hr", "resting_hr", "lthr", "ftp_w"):
        assert f"body.{name}: Field required" in partial.json()["detail"]

    patched = await client.patch(
        "/api/me/profile", json={"zone_model": "hrmax"}, headers=athlete.headers
    )
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in PROFILE} == {**PROFILE, "zone_model": "hrmax"}

    cleared = await client.patch("/api/me/profile", json={"ftp_w": None}, headers=athlete.headers)
    assert cleared.json()["ftp_w"] is None and cleared.json()["max_hr"] == 190

    refused = await client.patch(
        "/api/me/profile", json={"resting_hr": 200}, headers=athlete.headers
    )
    assert refused.status_code == 422 and "resting_hr: 200" in refused.json()["detail"]
    for body in ({"zone_model": None}, {"time_zone": None}, {"colour": "red"}):
        r = await client.patch("/api/me/profile", json=body, headers=athlete.headers)
        assert r.status_code == 422, body


async def test_the_time_zone_is_an_iana_name_utc_by_default_and_kept_by_put(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    coach = await make_user(Role.COACH)
    athlete, stranger = await make_user(coach=coach), await make_user()
    assert (await client.get("/api/me/profile", headers=athlete.headers)).json()[
        "time_zone"
    ] == "UTC"

    paris = await client.patch(
        "/api/me/profile", json={"time_zone": "Europe/Paris"}, headers=athlete.headers
    )
    assert paris.status_code == 200 and paris.json()["time_zone"] == "Europe/Paris"
    assert paris.json()["max_hr"] is None and paris.json()["zone_model"] == "hrmax"

    # A PUT without `time_zone` (scripts written before it existed) keeps it.
    put = await client.put("/api/me/profile", json=PROFILE, headers=athlete.headers)
    assert put.json()["time_zone"] == "Europe/Paris"
    put = await client.put(
        "/api/me/profile",
        json={**PROFILE, "time_zone": "America/New_York"},
        headers=athlete.headers,
    )
    assert put.json()["time_zone"] == "America/New_York"

    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "", "x" * 65):
        r = await client.patch("/api/me/profile", json={"time_zone": bad}, headers=athlete.headers)
        assert r.status_code == 422 and "time_zone" in r.json()["detail"], (bad, r.text)

    by_coach = await client.patch(
        f"/api/athletes/{athlete.id}/profile",
        json={"time_zone": "Asia/Tokyo"},
        headers=coach.headers,
    )
    assert by_coach.status_code == 200
    seen = (await client.get("/api/me/profile", headers=athlete.headers)).json()
    assert seen["time_zone"] == "Asia/Tokyo" and seen["lthr"] == 172
    r = await client.patch(
        f"/api/athletes/{stranger.id}/profile", json={"time_zone": "UTC"}, headers=coach.headers
    )
    assert r.status_code == 404

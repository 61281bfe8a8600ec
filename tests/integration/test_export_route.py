from __future__ import annotations

import httpx
from garmin_fit_sdk import Decoder, Stream

from setpoint.auth.model import Role
from tests.conftest import MakeUser
from tests.documents import THRESHOLD
from tests.integration.test_workouts import create

BIKE = {
    "name": "Sweet spot",
    "sport": "bike",
    "steps": [
        {
            "intensity": "warmup",
            "duration": {"type": "time", "seconds": 600},
            "targets": [{"type": "power_pct_ftp", "low": 50, "high": 70}],
        },
        {
            "repeat": 3,
            "steps": [
                {
                    "intensity": "interval",
                    "duration": {"type": "time", "seconds": 480},
                    "targets": [{"type": "power_pct_ftp", "low": 88, "high": 93}],
                },
                {
                    "intensity": "recovery",
                    "duration": {"type": "time", "seconds": 240},
                    "targets": [{"type": "power_pct_ftp", "low": 50, "high": 55}],
                },
            ],
        },
    ],
}


async def test_download_each_format(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    athlete = await make_user()
    await client.patch(
        "/api/me/profile", json={"ftp_w": 250, "max_hr": 190}, headers=athlete.headers
    )
    bike = await create(client, athlete, BIKE)
    expected = {
        "fit": ("application/vnd.ant.fit", "sweet-spot.fit"),
        "zwo": ("application/xml", "sweet-spot.zwo"),
        "erg": ("text/plain; charset=utf-8", "sweet-spot.erg"),
        "mrc": ("text/plain; charset=utf-8", "sweet-spot.mrc"),
        "garmin": ("application/json", "sweet-spot.json"),
        "wahoo": ("application/json", "sweet-spot.json"),
    }
    for fmt, (media_type, filename) in expected.items():
        r = await client.get(
            f"/api/workouts/{bike['id']}/export?format={fmt}", headers=athlete.headers
        )
        assert r.status_code == 200, (fmt, r.text)
        assert r.headers["content-type"] == media_type
        assert f'filename="{filename}"' in r.headers["content-disposition"]
    fit = await client.get(f"/api/workouts/{bike['id']}/export?format=fit", headers=athlete.headers)
    assert Decoder(Stream.from_byte_array(bytearray(fit.content))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(fit.content))).read()
    assert errors == []
    assert messages["workout_mesgs"][0]["wkt_name"] == "Sweet spot"
    erg = await client.get(f"/api/workouts/{bike['id']}/export?format=erg", headers=athlete.headers)
    assert "125" in erg.text  # 50 % of the profile's 250 W FTP


async def test_formats_that_cannot_express_a_workout_say_so(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    run = await create(client, athlete, THRESHOLD)
    r = await client.get(f"/api/workouts/{run['id']}/export?format=zwo", headers=athlete.headers)
    assert r.status_code == 422 and r.json()["error"] == "cannot_export" and r.json()["detail"]
    bike = await create(client, athlete, BIKE)
    no_ftp = await client.get(
        f"/api/workouts/{bike['id']}/export?format=erg", headers=athlete.headers
    )
    assert no_ftp.status_code == 422 and "FTP" in no_ftp.json()["detail"].upper()
    unknown = await client.get(
        f"/api/workouts/{bike['id']}/export?format=pdf", headers=athlete.headers
    )
    assert unknown.status_code == 422 and "format" in unknown.json()["detail"]


async def test_export_checks_ownership(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    coach = await make_user(Role.COACH)
    athlete, stranger = await make_user(coach=coach), await make_user()
    workout = await create(client, athlete, THRESHOLD)
    path = f"/api/workouts/{workout['id']}/export?format=fit"
    assert (await client.get(path, headers=stranger.headers)).status_code == 404
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers=coach.headers)).status_code == 200

"""What the clients send, computed without any request: day codes, start times, form
fields, schedule ids, Garmin's step limit, and which providers are configured."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date

import pytest
from pydantic import SecretStr

from setpoint.config import Settings
from setpoint.exports.providers import Permanent, PushItem, day_code, garmin, provider_config, wahoo
from setpoint.exports.providers.base import redirect_uri
from setpoint.exports.providers.errors import Transient
from setpoint.workouts import model as m
from tests.unit.exports.factories import ctx, reps, timed, zone

SESSION = uuid.UUID("12345678-1234-5678-1234-567812345678")


def item(*steps: m.Block, sport: m.Sport = m.Sport.RUN, tz: str = "Pacific/Auckland") -> PushItem:
    return PushItem(
        planned_session_id=SESSION,
        local_date=date(2026, 3, 2),
        time_zone=tz,
        name="Threshold 3x10",
        workout=m.Workout("template", sport, steps or (timed(600, "active", zone(3)),)),
        context=ctx(max_hr=190),
    )


def test_day_code_counts_from_2020_01_01_as_1() -> None:
    assert day_code(date(2020, 1, 1)) == 1
    assert day_code(date(2020, 1, 2)) == 2
    assert day_code(date(2021, 1, 1)) == 367
    assert day_code(date(2026, 3, 2)) == 2253


def test_wahoo_starts_at_local_noon_in_the_athletes_zone() -> None:
    assert wahoo.starts(item()) == "2026-03-02T12:00:00+13:00"
    with pytest.raises(Permanent, match="time zone"):
        wahoo.starts(item(tz="Mars/Olympus"))


def test_wahoo_forms() -> None:
    push = item()
    fields = wahoo.workout_form(push, "77")
    assert fields == {
        "workout[name]": "Threshold 3x10",
        "workout[workout_token]": str(SESSION),
        "workout[workout_type_id]": "1",
        "workout[starts]": "2026-03-02T12:00:00+13:00",
        "workout[minutes]": "10",
        "workout[day_code]": "2253",
        "workout[plan_id]": "77",
    }
    plan = wahoo.plan_body(push)
    form = wahoo.plan_form(push, plan, ctx().created_at)
    assert form["plan[filename]"] == "threshold-3x10.json"
    assert form["plan[external_id]"] == str(SESSION)
    assert form["plan[provider_updated_at]"] == "2025-01-06T07:30:00+00:00"
    prefix = "data:application/json;base64,"
    assert form["plan[file]"].startswith(prefix)
    decoded = json.loads(base64.b64decode(form["plan[file]"][len(prefix) :]))
    assert decoded == plan and decoded["header"]["name"] == "Threshold 3x10"


def test_wahoo_refuses_what_a_plan_cannot_hold_before_any_request() -> None:
    client = wahoo.WahooClient(None, None)  # type: ignore[arg-type]
    with pytest.raises(Permanent, match="Wahoo cannot hold this workout"):
        client.check(item(reps(10)))
    with pytest.raises(Permanent, match="bike or run"):
        client.check(item(sport=m.Sport.ROW))


def test_garmin_workout_carries_the_session_as_source_id() -> None:
    body = garmin.workout_body(item())
    assert body["workoutName"] == "Threshold 3x10"
    assert body["workoutSourceId"] == SESSION.hex[:20]


def test_garmin_holds_at_most_100_steps() -> None:
    steps = tuple(timed(60) for _ in range(100))
    assert garmin.count_steps(garmin.workout_body(item(*steps))["segments"][0]["steps"]) == 100
    with pytest.raises(Permanent, match="at most 100 steps in a workout and this one has 101"):
        garmin.workout_body(item(*steps, timed(60)))
    repeat = m.Repeat(2, steps)  # repeats are not expanded, but count as a step
    with pytest.raises(Permanent, match="has 101"):
        garmin.workout_body(item(repeat))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(4242, "4242"), ("4242", "4242"), ({"workoutScheduleId": 7}, "7"), ({"id": 8}, "8")],
)
def test_garmin_schedule_id_in_every_known_shape(answer: object, expected: str) -> None:
    assert garmin.schedule_id_of(answer) == expected


@pytest.mark.parametrize("answer", [None, {}, True, "", [1]])
def test_garmin_schedule_answer_without_an_id(answer: object) -> None:
    with pytest.raises(Transient):
        garmin.schedule_id_of(answer)


def test_a_provider_without_a_client_id_is_not_configured() -> None:
    settings = Settings(wahoo_client_id="wid", wahoo_client_secret=SecretStr("ws"))
    assert provider_config(settings, "garmin") is None
    assert provider_config(settings, "strava") is None
    wahoo_config = provider_config(settings, "wahoo")
    assert wahoo_config is not None
    assert wahoo_config.token_url == "https://api.wahooligan.com/oauth/token"
    assert wahoo_config.client_secret == "ws"
    assert wahoo_config.scope is not None and "plans_write" in wahoo_config.scope
    assert redirect_uri(settings, "wahoo") == "http://127.0.0.1:8000/api/devices/wahoo/callback"


def test_garmin_defaults_are_the_real_endpoints() -> None:
    settings = Settings(garmin_client_id="gid")
    config = provider_config(settings, "garmin")
    assert config is not None
    assert config.authorize_url == "https://connect.garmin.com/oauth2Confirm"
    assert config.token_url == "https://diauth.garmin.com/di-oauth2-service/oauth/token"
    assert config.api_url == "https://apis.garmin.com"
    assert config.scope is None

"""The coach's pages in a real browser (Debian's chromium, driven by Playwright) against a real
`setpoint serve` and a real `setpoint fake-provider`: the athlete connects Garmin through the
fake provider's authorize page; the coach plans an endurance session and watches it go
PENDING then SENT without reloading; a fault at the provider makes it FAILED and Retry sends
it; moving it to another day keeps one workout at the provider; what was done shows on a
past day; the builder shows a validation message beside the wrong step.

With `SETPOINT_SCREENSHOTS=<folder>` the week view and the builder are also saved at phone
and laptop sizes (as in `docs/screenshots/`)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from setpoint.auth import service as auth_service
from setpoint.auth.model import Role
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.db.engine import Database
from setpoint.wiring import build_context
from tests.e2e.procs import PASSWORD, Server, processes
from tests.e2e.test_cli_and_server import free_port

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (CI installs it with apt-get)", allow_module_level=True)
pw = pytest.importorskip("playwright.async_api")
expect = pw.expect

from tests.e2e.test_player import FLAGS, LAPTOP, PHONE, SQUATS, STEADY  # noqa: E402

Browser = Any  # playwright.async_api.Browser
Page = Any
COACH = "coach@example.com"
ATHLETE = "athlete@example.com"
LIVE_S = 10_000  # ms: how long a pushed status may take to show


@dataclass
class Stack:
    server: Server
    fake_url: str
    coach: httpx.Client
    athlete: httpx.Client
    athlete_id: str

    def fake(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The fake provider's admin routes: `/_state`, `/_faults`."""
        with httpx.Client(base_url=self.fake_url, timeout=10) as fake:
            answer = fake.get(path) if body is None else fake.post(path, json=body)
            assert answer.is_success, answer.text
            return answer.json()

    def garmin_workouts(self) -> list[dict[str, Any]]:
        return list(self.fake("/_state")["garmin"]["workouts"])


def client(server: Server, email: str) -> httpx.Client:
    http = httpx.Client(base_url=server.url, timeout=10)
    answer = http.post("/api/auth/token", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return http


async def create_users(database_url: str) -> None:
    """A coach and their athlete, written straight through the service."""
    settings = Settings(database_url=database_url, argon2_time_cost=1, argon2_memory_kib=1024)
    db = Database(database_url)
    ctx = build_context(settings, SystemClock(), db=db)
    try:
        async with db.transaction() as uow:
            await auth_service.create_user(ctx, uow.session, COACH, PASSWORD, Role.COACH)
            await auth_service.create_user(
                ctx, uow.session, ATHLETE, PASSWORD, Role.ATHLETE, coach_email=COACH
            )
    finally:
        await db.dispose()


def provider_env(fake: str, public: str) -> dict[str, str]:
    env = {"SETPOINT_PUBLIC_URL": public}
    for name, authorize, token in (
        ("GARMIN", "oauth2Confirm", "oauth/token"),
        ("WAHOO", "oauth/authorize", "oauth/token"),
    ):
        base = f"{fake}/{name.lower()}"
        env |= {
            f"SETPOINT_{name}_CLIENT_ID": f"{name.lower()}-client",
            f"SETPOINT_{name}_CLIENT_SECRET": "secret",
            f"SETPOINT_{name}_AUTHORIZE_URL": f"{base}/{authorize}",
            f"SETPOINT_{name}_TOKEN_URL": f"{base}/{token}",
            f"SETPOINT_{name}_API_URL": base,
        }
    return env


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    cwd = tmp_path_factory.mktemp("coach")
    url = f"sqlite+aiosqlite:///{cwd / 'setpoint.db'}"
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    with processes(cwd, url) as procs:
        fake = procs.command("fake-provider", "fake-provider", "--port", str(fake_port))
        port = free_port()
        env = provider_env(fake_url, f"http://127.0.0.1:{port}")
        server = procs.serve("serve", "--port", str(port), **env)  # the port PUBLIC_URL names
        server.port, server.url = port, f"http://127.0.0.1:{port}"
        server.ws_url = f"ws://127.0.0.1:{port}"
        await procs.up(server)
        await wait_for_fake(fake_url, lambda: fake.alive)
        await create_users(url)
        coach, athlete = client(server, COACH), client(server, ATHLETE)
        athlete_id = athlete.get("/api/me").json()["id"]
        for workout in (STEADY, {**STEADY, "name": "Long run"}, SQUATS):
            assert coach.post("/api/workouts", json=workout).status_code == 201
        try:
            yield Stack(server, fake_url, coach, athlete, athlete_id)
        finally:
            coach.close()
            athlete.close()


async def wait_for_fake(url: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while True:
            try:
                if (await http.get("/_state")).is_success:
                    return
            except httpx.TransportError:
                pass
            assert alive(), "the fake provider exited"
            assert time.monotonic() < deadline, "the fake provider did not come up"
            await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with pw.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        await browser.close()


@pytest.fixture
def errors() -> Iterator[list[str]]:
    """Uncaught errors and refused content in any page of the test: none allowed."""
    seen: list[str] = []
    yield seen
    assert seen == []


async def signed_in(
    browser: Browser, stack: Stack, email: str, errors: list[str], size: dict[str, int] = LAPTOP
) -> Page:
    page = await (await browser.new_context(viewport=size)).new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(  # the server's strict Content-Security-Policy: nothing inline is refused
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    await page.goto(stack.server.url + "/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    heading = "Athletes" if email == COACH else "Workouts"
    await page.get_by_role("heading", name=heading).wait_for()
    return page


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


NEXT_MONDAY = monday(dt.date.today()) + dt.timedelta(days=7)
WEDNESDAY = (NEXT_MONDAY + dt.timedelta(days=2)).isoformat()
FRIDAY = (NEXT_MONDAY + dt.timedelta(days=4)).isoformat()


def planned(page: Page, day: str) -> Any:
    return page.get_by_role("region", name=day, exact=True).get_by_role("article")


# --- the tests, in order: each builds on what the one before left ------------------------------


async def test_the_athlete_connects_garmin_through_the_providers_page(
    browser: Browser, stack: Stack, errors: list[str]
) -> None:
    stack.fake("/_faults", {"provider": "garmin", "interactive": True})
    page = await signed_in(browser, stack, ATHLETE, errors)
    await page.get_by_role("link", name="My week").click()
    devices = page.get_by_role("region", name="Devices")
    await expect(devices.get_by_role("button", name="Connect Wahoo")).to_be_visible()
    await devices.get_by_role("button", name="Connect Garmin").click()
    await expect(page.get_by_role("heading", name="Fake Garmin: allow access?")).to_be_visible()
    await page.get_by_role("button", name="Allow").click()

    await page.wait_for_url("**/#/me")
    await expect(page.get_by_role("alert")).to_have_text("Garmin connected.")
    garmin = devices.get_by_role("listitem", name="Garmin")
    await expect(garmin.get_by_role("button", name="Disconnect")).to_be_visible()
    await expect(garmin.get_by_role("button", name="Connect Garmin")).to_have_count(0)
    await expect(devices.get_by_role("radio", name="Garmin")).to_be_checked()
    items = stack.athlete.get("/api/devices").json()["items"]
    assert [(d["provider"], d["status"]) for d in items] == [("garmin", "connected")]
    stack.fake("/_faults", {"provider": "garmin", "interactive": False})
    await page.context.close()


async def test_the_coach_adds_a_session_and_watches_it_reach_the_watch(
    browser: Browser, stack: Stack, errors: list[str]
) -> None:
    page = await signed_in(browser, stack, COACH, errors)
    await page.get_by_role("link", name=ATHLETE).click()
    await page.get_by_role("link", name="Next week").click()
    wednesday = page.get_by_role("region", name=WEDNESDAY, exact=True)
    await expect(wednesday).to_be_visible()

    stack.fake("/_faults", {"provider": "garmin", "latency_ms": 400})  # PENDING stays visible
    await wednesday.get_by_role("button", name="Add session").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Workout").select_option(label="Steady run · run · 30 min")
    await dialog.get_by_role("button", name="Save").click()
    session = planned(page, WEDNESDAY)
    await expect(session.get_by_text("PENDING", exact=True)).to_be_visible()
    await expect(session.get_by_text("SENT", exact=True)).to_be_visible(timeout=LIVE_S)
    await expect(session).to_contain_text("to Garmin")
    stack.fake("/_faults", {"provider": "garmin", "latency_ms": 0})
    assert [w["workoutName"] for w in stack.garmin_workouts()] == ["Steady run"]

    # The provider refuses the next change: FAILED with the reason, then Retry sends it.
    stack.fake("/_faults", {"provider": "garmin", "missing_permission": True})
    await session.get_by_role("button", name="Edit").click()
    await dialog.get_by_label("Workout").select_option(label="Long run · run · 30 min")
    await dialog.get_by_role("button", name="Save").click()
    await expect(session.get_by_text("FAILED", exact=True)).to_be_visible(timeout=LIVE_S)
    await expect(session).to_contain_text("has not allowed it")
    stack.fake("/_faults", {"provider": "garmin", "missing_permission": False})
    await session.get_by_role("button", name="Retry").click()
    await expect(session.get_by_text("SENT", exact=True)).to_be_visible(timeout=LIVE_S)
    await expect(session.get_by_role("button", name="Retry")).to_have_count(0)
    assert [w["workoutName"] for w in stack.garmin_workouts()] == ["Long run"]

    # Moved to Friday: still one workout at the provider, now scheduled on Friday.
    await session.get_by_role("button", name="Edit").click()
    await dialog.get_by_label("Date").fill(FRIDAY)
    await dialog.get_by_role("button", name="Save").click()
    await expect(planned(page, WEDNESDAY)).to_have_count(0)
    friday = planned(page, FRIDAY)
    await expect(friday.get_by_text("SENT", exact=True)).to_be_visible(timeout=LIVE_S)
    state = stack.fake("/_state")["garmin"]
    assert len(state["workouts"]) == 1, state["workouts"]
    assert [s["date"] for s in state["schedules"]] == [FRIDAY], state["schedules"]

    shots = os.environ.get("SETPOINT_SCREENSHOTS")
    if shots:  # a fuller week for the pictures
        plan_id = plan_of_week(stack, NEXT_MONDAY)
        add_session(stack, plan_id, NEXT_MONDAY, "STRENGTH", "Squat day")
        add_session(stack, plan_id, NEXT_MONDAY + dt.timedelta(days=1), "ENDURANCE", "Steady run")
        await page.reload()
        await expect(planned(page, NEXT_MONDAY.isoformat())).to_have_count(1)
        await expect(planned(page, FRIDAY).get_by_text("SENT", exact=True)).to_be_visible()
        await screenshots(page, Path(shots), "week")
    await page.context.close()


def plan_of_week(stack: Stack, week_start: dt.date) -> str:
    made = stack.coach.post(
        "/api/plans", json={"athlete_id": stack.athlete_id, "week_start": week_start.isoformat()}
    )
    assert made.status_code in (201, 409), made.text
    return str(made.json()["id"] if made.status_code == 201 else made.json()["plan_id"])


def add_session(stack: Stack, plan_id: str, day: dt.date, kind: str, workout: str) -> str:
    items = stack.coach.get("/api/workouts").json()["items"]
    wid = next(w["id"] for w in items if w["name"] == workout)
    added = stack.coach.post(
        f"/api/plans/{plan_id}/sessions",
        json={"date": day.isoformat(), "type": kind, "workout_id": wid},
    )
    assert added.status_code == 201, added.text
    return str(added.json()["id"])


async def test_a_past_week_shows_what_was_done_and_its_compliance(
    browser: Browser, stack: Stack, errors: list[str]
) -> None:
    last_monday = monday(dt.date.today()) - dt.timedelta(days=7)
    tuesday, thursday = last_monday + dt.timedelta(days=1), last_monday + dt.timedelta(days=3)
    plan_id = plan_of_week(stack, last_monday)
    done = add_session(stack, plan_id, tuesday, "ENDURANCE", "Steady run")
    add_session(stack, plan_id, thursday, "STRENGTH", "Squat day")
    run = stack.athlete.post("/api/sessions", json={"planned_session_id": done}).json()
    for command in ("start", "finish"):
        answer = stack.athlete.post(f"/api/sessions/{run['id']}/{command}")
        assert answer.is_success, answer.text

    page = await signed_in(browser, stack, COACH, errors)
    await page.goto(f"{stack.server.url}/#/athlete/{stack.athlete_id}/{last_monday.isoformat()}")
    ran = planned(page, tuesday.isoformat())
    await expect(ran).to_contain_text("Completed")
    await expect(ran).to_contain_text("Red · off plan")  # a few seconds of 30 minutes
    await expect(ran.get_by_text("SENT", exact=True)).to_be_visible(timeout=LIVE_S)
    await expect(planned(page, thursday.isoformat())).to_contain_text("Not done")
    shots = os.environ.get("SETPOINT_SCREENSHOTS")
    if shots:
        await screenshots(page, Path(shots), "week-done")
    await page.context.close()


async def test_the_builder_shows_a_problem_beside_its_step(
    browser: Browser, stack: Stack, errors: list[str]
) -> None:
    page = await signed_in(browser, stack, COACH, errors)
    await page.get_by_role("link", name="Builder", exact=True).click()
    await expect(page.get_by_role("img", name="Intensity profile").locator("rect")).to_have_count(
        10  # warm-up, 4 × (interval + recovery), cool-down
    )
    step = page.get_by_role("group", name="Step 2.1")
    await step.get_by_role("button", name="Add target to Step 2.1").click()
    target = step.get_by_role("group", name="Target 1")
    await target.get_by_label("Type").select_option("hr_range")
    await target.get_by_label("Low").fill("170")
    await target.get_by_label("High").fill("160")
    await expect(step.get_by_role("listitem")).to_have_text("targets[0]: low 170 > high 160")
    await expect(page.get_by_role("group", name="Step 1")).not_to_contain_text("low 170")
    json_text = await page.get_by_label("Workout JSON").input_value()
    assert '"low": 170' in json_text and '"high": 160' in json_text
    shots = os.environ.get("SETPOINT_SCREENSHOTS")
    if shots:
        await screenshots(page, Path(shots), "builder")

    await target.get_by_label("High").fill("180")
    await expect(step.get_by_role("listitem")).to_have_count(0)
    await page.get_by_role("button", name="Save workout").click()
    await expect(page.get_by_role("alert")).to_have_text("Saved “New workout” to your workouts.")

    await page.get_by_role("link", name="Home").click()  # a saved workout opens in the builder
    await page.get_by_role("link", name="Open Steady run in the builder").click()
    await expect(page.get_by_label("Name", exact=True).first).to_have_value("Steady run")
    profile = page.get_by_role("img", name="Intensity profile")
    await expect(profile.locator("rect")).to_have_count(2)
    await page.context.close()


async def test_a_schedule_previews_its_next_fires_as_it_is_typed(
    browser: Browser, stack: Stack, errors: list[str]
) -> None:
    page = await signed_in(browser, stack, COACH, errors)
    await page.get_by_role("link", name=ATHLETE).click()
    schedules = page.get_by_role("region", name="Schedules")
    await expect(schedules).to_contain_text("No schedules.")
    await schedules.get_by_text("New schedule").click()
    form = schedules.get_by_role("form", name="New schedule")
    await form.get_by_label("Workout").select_option(label="Steady run · run")
    await form.get_by_label("Type").select_option("STRENGTH")
    await form.get_by_label("Time zone").fill("Europe/Paris")
    await form.get_by_label("Cron (minute hour day month weekday)").fill("61 6 * * MON")
    await expect(form).to_contain_text("minute")  # the server's rule, beside the field
    await expect(form.get_by_role("listitem")).to_have_count(0)
    await form.get_by_label("Cron (minute hour day month weekday)").fill("30 6 * * MON")
    fires = form.get_by_role("listitem")
    await expect(fires).to_have_count(5)
    await expect(fires.first).to_contain_text("Monday")
    await expect(fires.first).to_contain_text("06:30 (+01:00)")
    await form.get_by_role("button", name="Create schedule").click()
    made = schedules.get_by_role("listitem", name="Steady run, 30 6 * * MON")
    await expect(made).to_contain_text("Next: Monday")
    await made.get_by_role("button", name="Pause").click()
    await expect(made).to_contain_text("Paused")
    await page.context.close()


def test_validate_answers_the_plan_or_the_problems_and_stores_nothing(stack: Stack) -> None:
    before = stack.coach.get("/api/workouts").json()["total"]
    good = stack.coach.post("/api/workouts/validate", json=STEADY)
    assert good.status_code == 200, good.text
    assert good.json()["valid"] is True and good.json()["total_duration_s"] == 1800
    assert [s["offset_s"] for s in good.json()["segments"]] == [0, 600]
    wrong = {"type": "hr_range", "low": 170, "high": 160}
    bad: dict[str, Any] = copy.deepcopy(STEADY)
    bad["steps"][1]["targets"] = [wrong]
    answer = stack.coach.post("/api/workouts/validate", json=bad).json()
    assert answer == {
        "valid": False,
        "segments": [],
        "total_duration_s": None,
        "problems": ["steps[1].targets[0]: low 170 > high 160"],
    }
    shapeless = stack.coach.post("/api/workouts/validate", json={"name": "x", "steps": [{}]})
    assert shapeless.status_code == 200 and shapeless.json()["valid"] is False
    assert "sport: Field required" in shapeless.json()["problems"]
    assert stack.coach.get("/api/workouts").json()["total"] == before
    assert httpx.post(f"{stack.server.url}/api/workouts/validate", json=STEADY).status_code == 401


async def screenshots(page: Page, folder: Path, name: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for size_name, size in (("phone", PHONE), ("laptop", LAPTOP)):
        await page.set_viewport_size(size)
        await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        await page.wait_for_timeout(300)
        await page.screenshot(path=str(folder / f"{name}-{size_name}.png"), full_page=True)
    await page.set_viewport_size(LAPTOP)

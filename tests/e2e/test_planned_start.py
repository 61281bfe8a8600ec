"""Today's planned sessions on the athlete's home screen and week, in a real browser against a
real `setpoint serve` (the fixtures of `test_player`): "today" is the athlete's, in their
profile's zone, not the browser's; Start runs the planned session's workout live (through
the conflict dialog when another session is active) and the plan then shows it as run.

With `SETPOINT_SCREENSHOTS=<folder>` the home screen with a planned session is saved at phone
and laptop sizes."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.procs import PASSWORD, Server
from tests.e2e.test_player import (  # noqa: F401  (browser, server: the fixtures, one server here)
    PHONE,
    Athlete,
    browser,
    screenshots,
    server,
    session_id,
)

Browser = Any  # playwright.async_api.Browser
expect = pytest.importorskip("playwright.async_api").expect

# Whatever the machine's clock, the browser's date and the athlete's differ for most of the
# day (UTC-8/-7 against UTC+14), so a screen reckoning "today" in the browser's zone fails.
BROWSER_ZONE = "America/Los_Angeles"
ATHLETE_ZONE = "Pacific/Kiritimati"


@pytest.fixture(scope="module")
def athlete(server: Server) -> Iterator[Athlete]:  # noqa: F811
    made = Athlete(server, "run@example.com")
    yield made
    made.http.close()


def workout_id(athlete: Athlete, name: str) -> str:
    return str(next(w["id"] for w in athlete.get("/api/workouts")["items"] if w["name"] == name))


def another_day(today: dt.date) -> dt.date:
    """The day after, or before on a Sunday: in the same week."""
    return today + dt.timedelta(days=-1 if today.weekday() == 6 else 1)


def plan_today(athlete: Athlete, today: dt.date) -> tuple[str, str]:
    """The athlete's own plan for this week: an ENDURANCE session today, a STRENGTH one on
    another day of the week (never on today's list). Answers the plan's id and today's
    session's."""
    monday = today - dt.timedelta(days=today.weekday())
    plan = athlete.http.post("/api/plans", json={"week_start": monday.isoformat()})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    sessions = [
        (today, "ENDURANCE", "Steady run", "Morning tempo"),
        (another_day(today), "STRENGTH", "Squat day", None),
    ]
    ids = []
    for day, kind, workout, title in sessions:
        body = {"date": day.isoformat(), "type": kind, "workout_id": workout_id(athlete, workout)}
        added = athlete.http.post(f"/api/plans/{plan_id}/sessions", json=body | {"title": title})
        assert added.status_code == 201, added.text
        ids.append(added.json()["id"])
    return plan_id, ids[0]


async def test_the_athlete_starts_todays_planned_session_from_home(
    browser: Browser,  # noqa: F811
    server: Server,  # noqa: F811
    athlete: Athlete,
) -> None:
    zone = athlete.http.patch("/api/me/profile", json={"time_zone": ATHLETE_ZONE})
    assert zone.is_success, zone.text
    today = dt.datetime.now(ZoneInfo(ATHLETE_ZONE)).date()
    plan_id, planned_id = plan_today(athlete, today)
    # Another session is already running: Start asks first, as the workouts' Start does.
    running = athlete.http.post(
        "/api/sessions", json={"workout_id": workout_id(athlete, "Easy spin")}
    )
    assert running.status_code == 201, running.text
    assert athlete.http.post(f"/api/sessions/{running.json()['id']}/start").is_success

    context = await browser.new_context(viewport=PHONE, timezone_id=BROWSER_ZONE)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    await page.goto(server.url + "/")
    await page.get_by_label("Email").fill(athlete.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    # My week: Start on today's session only.
    await page.get_by_role("link", name="My week").click()
    day = page.get_by_role("region", name=today.isoformat(), exact=True)
    await expect(day.get_by_role("article", name="Morning tempo")).to_be_visible()
    await expect(day.get_by_role("button", name="Start")).to_have_count(1)
    other = page.get_by_role("region", name=another_day(today).isoformat(), exact=True)
    await expect(other.get_by_role("article", name="Squat day")).to_be_visible()
    await expect(page.get_by_role("button", name="Start")).to_have_count(1)

    # Home: the session running, then today's plan (only today's), then the workouts.
    await page.get_by_role("link", name="Home").click()
    planned = page.get_by_role("region", name="Planned today")
    session = planned.get_by_role("article", name="Morning tempo")
    await expect(session).to_be_visible()
    await expect(planned.get_by_role("article")).to_have_count(1)
    await expect(session).to_contain_text("Endurance")
    await expect(session).to_contain_text("Steady run")
    await expect(session.get_by_role("status")).to_have_text(
        re.compile(r"^(PENDING|NOT_CONNECTED)")
    )
    shots = os.environ.get("SETPOINT_SCREENSHOTS")
    if shots:
        await screenshots(page, Path(shots), "home")

    await session.get_by_role("button", name="Start").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Easy spin is in progress")
    await expect(dialog).to_contain_text("start Morning tempo?")
    await dialog.get_by_role("button", name="Discard and start new").click()
    await page.wait_for_url(lambda url: "/session/" in url and running.json()["id"] not in url)
    sid = await session_id(page)
    await expect(page.get_by_role("heading", name="Steady run")).to_be_visible()
    await expect(page.get_by_role("button", name="Pause")).to_be_visible()

    # The plan shows it run by that session; home no longer offers to start it.
    ran = next(s for s in athlete.get(f"/api/plans/{plan_id}")["sessions"] if s["id"] == planned_id)
    assert ran["execution"]["session_id"] == sid
    assert athlete.get(f"/api/sessions/{sid}")["status"] == "in_progress"
    assert athlete.get(f"/api/sessions/{running.json()['id']}")["status"] == "abandoned"
    await page.get_by_role("link", name="Home").click()
    await expect(session).to_contain_text("In progress")
    await expect(session.get_by_role("button", name="Start")).to_have_count(0)
    assert errors == []
    await context.close()

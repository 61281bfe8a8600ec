"""The web player in a real browser (Debian's chromium, driven by Playwright) against a real
`setpoint serve`: sign in, start, the timer against the server's, pause, reload, a second
device, a set logged offline, the summary.

With `SETPOINT_SCREENSHOTS=<folder>` the finish test also saves the player and the summary
at phone and laptop sizes (as in `docs/screenshots/`)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.procs import PASSWORD, Server, create_athletes, processes

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (CI installs it with apt-get)", allow_module_level=True)
pw = pytest.importorskip("playwright.async_api")
expect = pw.expect

Browser = Any  # playwright.async_api.Browser
Page = Any
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
ATHLETES = ["run@example.com", "two@example.com", "lift@example.com", "done@example.com"]
STEADY = {
    "name": "Steady run",
    "sport": "run",
    "steps": [
        {
            "name": "Warm up",
            "intensity": "warmup",
            "duration": {"type": "time", "seconds": 600},
            "targets": [{"type": "hr_zone", "zone": 2}],
        },
        {
            "name": "Tempo",
            "intensity": "interval",
            "duration": {"type": "time", "seconds": 1200},
            "targets": [{"type": "hr_range", "low": 150, "high": 165}],
        },
    ],
}
EASY = {**STEADY, "name": "Easy spin", "sport": "bike"}
SQUATS = {
    "name": "Squat day",
    "sport": "strength",
    "steps": [
        {
            "intensity": "active",
            "exercise": {
                "name": "Back squat",
                "type": "standard",
                "sets": 3,
                "reps": 5,
                "weight_kg": 100,
                "rest_s": 90,
            },
        }
    ],
}


class Athlete:
    """One athlete's API client (the test's own view of the server, never offline)."""

    def __init__(self, server: Server, email: str) -> None:
        self.email = email
        self.http = httpx.Client(base_url=server.url, timeout=10)
        answer = self.http.post("/api/auth/token", json={"email": email, "password": PASSWORD})
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        for workout in (STEADY, EASY, SQUATS):
            assert self.http.post("/api/workouts", json=workout).status_code == 201

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    cwd = tmp_path_factory.mktemp("player")
    url = f"sqlite+aiosqlite:///{cwd / 'setpoint.db'}"
    with processes(cwd, url) as procs:
        server = procs.serve("serve")
        await procs.up(server)  # `serve` migrates the database first
        await create_athletes(url, ATHLETES)
        yield server


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with pw.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
def athletes(server: Server) -> Iterator[dict[str, Athlete]]:
    made = {email: Athlete(server, email) for email in ATHLETES}
    yield made
    for athlete in made.values():
        athlete.http.close()


async def open_signed_in(
    browser: Browser, server: Server, email: str, size: dict[str, int]
) -> Page:
    page = await (await browser.new_context(viewport=size)).new_page()
    await page.goto(server.url + "/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Workouts").wait_for()
    return page


async def start(page: Page, workout: str) -> None:
    row = page.get_by_role("listitem").filter(has_text=workout)
    await row.get_by_role("button", name="Start").click()


async def session_id(page: Page) -> str:
    await page.wait_for_url("**/#/session/*")
    return str(page.url.rsplit("/", 1)[1])


def seconds(clock: str) -> int:
    total = 0
    for part in clock.split(":"):
        total = total * 60 + int(part)
    return total


async def assert_timer_follows_server(page: Page, athlete: Athlete, sid: str) -> None:
    """The timer, at the instant it turns to a new second, shows the server's elapsed time
    then (within 1 s). The server's time is read after and carried back with `server_time`:
    the test and the server share the machine's clock."""
    timer = page.get_by_role("timer")
    before = await timer.text_content()
    await page.wait_for_function(
        "before => document.querySelector('[role=timer]').textContent !== before", arg=before
    )
    turned_at = time.time()
    shown = seconds(await timer.text_content())
    state = athlete.get(f"/api/sessions/{sid}")
    assert state["status"] == "in_progress"
    server_elapsed_then = state["elapsed_s"] - (state["server_time"] - turned_at)
    assert abs(server_elapsed_then - shown) < 1.0, (shown, server_elapsed_then)


async def test_start_follow_the_server_clock_pause_and_reload(
    browser: Browser, server: Server, athletes: dict[str, Athlete]
) -> None:
    athlete = athletes["run@example.com"]
    page = await open_signed_in(browser, server, athlete.email, PHONE)
    await start(page, "Steady run")
    sid = await session_id(page)
    await expect(page.get_by_role("button", name="Pause")).to_be_visible()
    await assert_timer_follows_server(page, athlete, sid)

    await page.get_by_role("button", name="Pause").click()
    await expect(page.get_by_role("button", name="Resume")).to_be_visible()
    frozen = await page.get_by_role("timer").text_content()
    state = athlete.get(f"/api/sessions/{sid}")
    assert state["status"] == "paused"
    assert seconds(frozen) == int(state["elapsed_s"])
    await page.wait_for_timeout(1300)
    assert await page.get_by_role("timer").text_content() == frozen

    await page.get_by_role("button", name="Resume").click()
    await page.get_by_role("button", name="Skip").click()
    await expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    await page.wait_for_timeout(1200)  # some way into the second segment
    await page.reload()
    await expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    await expect(page.locator(".step.current")).to_contain_text("Tempo")
    assert athlete.get(f"/api/sessions/{sid}")["segment_index"] == 1
    await assert_timer_follows_server(page, athlete, sid)
    await page.context.close()


async def test_a_second_device_resumes_or_discards_the_active_session(
    browser: Browser, server: Server, athletes: dict[str, Athlete]
) -> None:
    athlete = athletes["two@example.com"]
    phone = await open_signed_in(browser, server, athlete.email, PHONE)
    await start(phone, "Steady run")
    first = await session_id(phone)
    await expect(phone.get_by_role("button", name="Pause")).to_be_visible()

    laptop = await open_signed_in(browser, server, athlete.email, LAPTOP)
    await start(laptop, "Easy spin")
    dialog = laptop.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Resume").click()
    assert await session_id(laptop) == first
    await expect(laptop.get_by_role("heading", name="Steady run")).to_be_visible()

    await laptop.get_by_role("link", name="Home").click()
    await start(laptop, "Easy spin")
    await laptop.get_by_role("dialog").get_by_role("button", name="Discard and start new").click()
    await laptop.wait_for_url(lambda url: "/session/" in url and first not in url)
    second = await session_id(laptop)
    await expect(laptop.get_by_role("heading", name="Easy spin")).to_be_visible()
    await expect(laptop.get_by_role("button", name="Pause")).to_be_visible()
    assert athlete.get(f"/api/sessions/{first}")["status"] == "abandoned"
    assert athlete.get(f"/api/sessions/{second}")["status"] == "in_progress"
    # The phone hears it over the live socket and shows the abandoned session's summary.
    await expect(phone.get_by_role("heading", name="Summary")).to_be_visible()
    await phone.context.close()
    await laptop.context.close()


async def test_a_set_logged_offline_reaches_the_server_when_back_online(
    browser: Browser, server: Server, athletes: dict[str, Athlete]
) -> None:
    athlete = athletes["lift@example.com"]
    page = await open_signed_in(browser, server, athlete.email, PHONE)
    await start(page, "Squat day")
    sid = await session_id(page)
    await expect(page.get_by_label("Reps")).to_have_value("5")  # the plan's, pre-filled
    await expect(page.get_by_label("Weight (kg)")).to_have_value("100")
    await expect(page.get_by_role("button", name="Pause")).to_be_visible()

    await page.context.set_offline(True)
    await page.get_by_label("Weight (kg)").fill("102.5")
    await page.get_by_label("RPE").fill("8")
    await page.get_by_role("button", name="Log set").click()
    await expect(page.get_by_role("status").filter(has_text="Offline")).to_have_text(
        "Offline · 1 action waiting"
    )
    waiting = athlete.get(f"/api/sessions/{sid}/progress")["exercises"][0]["data"]
    assert not waiting.get("sets_completed"), waiting

    await page.context.set_offline(False)
    await expect(page.get_by_text("Rest 01:", exact=False)).to_be_visible()
    data = athlete.get(f"/api/sessions/{sid}/progress")["exercises"][0]["data"]
    assert data["sets_completed"] == 1
    assert (data["reps_per_set"], data["weight_per_set"], data["rpe_per_set"]) == (
        [5],
        [102.5],
        [8],
    )
    await expect(page.locator("#network")).to_be_hidden()
    await page.context.close()


async def test_finish_shows_the_summary_with_the_heart_rate_chart(
    browser: Browser, server: Server, athletes: dict[str, Athlete]
) -> None:
    athlete = athletes["done@example.com"]
    assert athlete.http.put(
        "/api/me/profile", json={"max_hr": 190, "resting_hr": 50, "lthr": None, "ftp_w": None}
    ).is_success
    page = await open_signed_in(browser, server, athlete.email, PHONE)
    await start(page, "Steady run")
    sid = await session_id(page)
    await expect(page.get_by_role("button", name="Pause")).to_be_visible()
    for i in range(8):  # a strap at 1 Hz, through a warm-up into the tempo segment
        sample = {"t": time.time(), "bpm": 112 + 6 * i}
        posted = athlete.http.post(f"/api/sessions/{sid}/heart-rate", json={"samples": [sample]})
        assert posted.status_code == 200, posted.text
        if i == 4:
            await page.get_by_role("button", name="Skip").click()
        await asyncio.sleep(1)
    await expect(page.locator(".bpm")).not_to_have_text("--")  # from the live socket

    shots = os.environ.get("SETPOINT_SCREENSHOTS")
    if shots:
        await screenshots(page, Path(shots), "player")
    await page.get_by_role("button", name="Finish").click()
    await expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    chart = page.get_by_role("img", name="Heart rate")
    await expect(chart).to_be_visible()
    assert await chart.locator("path.line").count() == 1
    assert await chart.locator("rect.band").count() >= 1
    await expect(page.get_by_text("Zone 2", exact=True)).to_be_visible()
    if shots:
        await screenshots(page, Path(shots), "summary")
    assert athlete.get(f"/api/sessions/{sid}")["status"] == "completed"
    await page.context.close()


async def screenshots(page: Page, folder: Path, name: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for size_name, size in (("phone", PHONE), ("laptop", LAPTOP)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(300)
        await page.screenshot(path=str(folder / f"{name}-{size_name}.png"), full_page=True)
    await page.set_viewport_size(PHONE)

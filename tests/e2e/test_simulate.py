"""`setpoint simulate` against a real `setpoint serve --speed`: a simulated athlete runs a
heart-rate workout to the end, and the server keeps what it sent.

The server runs session time SPEED times faster, so the four-minute workout takes twelve
seconds. The simulator has no terminal here (its live display prints once, at the end) and
exits 0 when the session completes. The summary counts the samples written in batches and
those still waiting; after a graceful restart they are all in the database.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.procs import PASSWORD, bearer, create_athletes, login, processes

SPEED = 20
EMAIL = "sim@example.com"
WORKOUT: dict[str, Any] = {
    "name": "Simulated threshold",
    "sport": "run",
    "steps": [
        {
            "name": "Warm up",
            "intensity": "warmup",
            "duration": {"type": "time", "seconds": 60},
            "targets": [{"type": "hr_zone", "zone": 2}],
        },
        {
            "intensity": "interval",
            "duration": {"type": "time", "seconds": 90},
            "targets": [{"type": "hr_range", "low": 150, "high": 165}],
        },
        {"intensity": "recovery", "duration": {"type": "time", "seconds": 30}},
        {"intensity": "cooldown", "duration": {"type": "time", "seconds": 60}},
    ],
}
SESSION_S = 240
SIMULATE_TIMEOUT_S = 45  # 12 s of session at SPEED, plus the process start


async def test_simulate_runs_a_session_to_completion(database_url: str, tmp_path: Path) -> None:
    await create_athletes(database_url, [EMAIL])
    with processes(tmp_path, database_url) as procs:
        server = procs.serve("serve", "--speed", str(SPEED))
        await procs.up(server)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = bearer(await login(client, EMAIL))
            profile = {"max_hr": 190, "resting_hr": 55}
            assert (await client.patch("/api/me/profile", headers=headers, json=profile)).is_success
            created = await client.post("/api/workouts", headers=headers, json=WORKOUT)
            assert created.status_code == 201, created.text
            assert created.json()["total_duration_s"] == SESSION_S

            sim = procs.command(
                "simulate",
                *("simulate", "--email", EMAIL, "--password", PASSWORD),
                *("--workout", created.json()["id"], "--server", server.url),
                *("--speed", str(SPEED), "--seed", "1", "--resting", "55", "--max-hr", "190"),
            )
            try:
                code = await asyncio.to_thread(sim.popen.wait, SIMULATE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"simulate still running after {SIMULATE_TIMEOUT_S} s"
                ) from None
            assert code == 0, sim.tail()
            assert "completed" in sim.tail()

            (session,) = (
                await client.get("/api/sessions", headers=headers, params={"status": "completed"})
            ).json()["items"]
            assert session["elapsed_s"] == SESSION_S
            summary = await heart_rate_summary(client, headers, session["id"])
            samples = summary["heart_rate"]["totals"]["samples"]
            check_plausible(summary)

        # A graceful stop writes the samples still waiting for their batch; a new server
        # reads them all back.
        assert server.stop(signal.SIGTERM) == -signal.SIGTERM
        again = procs.serve("serve-2")
        await procs.up(again)
        async with httpx.AsyncClient(base_url=again.url, timeout=10) as client:
            headers = bearer(await login(client, EMAIL))
            after = await heart_rate_summary(client, headers, session["id"])
            assert after["heart_rate"]["totals"]["samples"] == samples


async def heart_rate_summary(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str
) -> dict[str, Any]:
    r = await client.get(f"/api/sessions/{session_id}/summary", headers=headers)
    assert r.status_code == 200, r.text
    summary: dict[str, Any] = r.json()
    assert summary["session"]["status"] == "completed"
    return summary


def check_plausible(summary: dict[str, Any]) -> None:
    """About a sample per session second (dropouts and rejected artifacts aside), heart rates
    a body makes, a harder segment beating faster, and the slow start below zone 2 noticed."""
    hr = summary["heart_rate"]
    totals = hr["totals"]
    assert totals["samples"] >= 0.8 * SESSION_S, totals
    assert totals["covered_s"] >= 0.8 * SESSION_S, totals
    assert 40 <= totals["min_bpm"] <= totals["avg_bpm"] <= totals["max_bpm"] <= 200, totals
    assert all(40 <= p["bpm"] <= p["max_bpm"] <= 200 for p in hr["series"]["points"])
    warmup, interval, _, _ = hr["segments"]
    assert warmup["band"] == {"low": 114, "high": 133}  # zone 2 of max_hr 190
    assert interval["band"] == {"low": 150, "high": 165}
    assert interval["avg_bpm"] > warmup["avg_bpm"] + 10, hr["segments"]
    zone_s = sum(z["time_s"] for z in hr["time_in_zones"]["zones"])
    zone_s += hr["time_in_zones"]["below_zone_1_s"]
    assert abs(zone_s - totals["covered_s"]) <= 1
    # The simulated heart starts at rest: far below the warm-up's zone 2 for most of it.
    assert summary["alerts"].get("ZoneDeviation", 0) >= 1, summary["alerts"]

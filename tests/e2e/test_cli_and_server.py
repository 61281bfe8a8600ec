"""The real thing: `setpoint` commands in their own processes, the server over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from garmin_fit_sdk import Decoder, Stream

from tests.documents import THRESHOLD

SETPOINT = [sys.executable, "-m", "setpoint.cli"]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SETPOINT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up in 30 s")


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = run(["--help"], dict(os.environ), tmp_path).stdout
    for command in ("serve", "migrate", "users", "export"):
        assert command in out
    assert "create" in run(["users", "--help"], dict(os.environ), tmp_path).stdout


def test_users_serve_author_export_and_shut_down(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SETPOINT_DATABASE_URL": database_url,
        "SETPOINT_PORT": str(port),
        "SETPOINT_ARGON2_MEMORY_KIB": "1024",
        "SETPOINT_ARGON2_TIME_COST": "1",
    }
    coach = run(
        ["users", "create", "coach@example.com", "--password", "coach-pass-1", "--role", "coach"],
        env,
        tmp_path,
    )
    assert coach.returncode == 0 and "created coach coach@example.com" in coach.stdout
    athlete = run(
        [
            "users",
            "create",
            "Ana@Example.com",
            "--password",
            "ana-pass-12",
            "--role",
            "athlete",
            "--coach",
            "coach@example.com",
        ],
        env,
        tmp_path,
    )
    assert athlete.returncode == 0, athlete.stdout + athlete.stderr
    again = run(["users", "create", "ana@example.com", "--password", "ana-pass-12"], env, tmp_path)
    assert again.returncode == 1 and "already_exists" in again.stdout
    short = run(["users", "create", "bo@example.com", "--password", "short"], env, tmp_path)
    assert short.returncode == 1 and "password" in short.stdout

    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([*SETPOINT, "serve"], env=env, cwd=tmp_path, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        token = httpx.post(
            f"{url}/api/auth/token", json={"email": "ana@example.com", "password": "ana-pass-12"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = httpx.get(f"{url}/api/me", headers=headers).json()
        assert me["email"] == "ana@example.com" and len(me["coach_ids"]) == 1
        created = httpx.post(f"{url}/api/workouts", json=THRESHOLD, headers=headers)
        assert created.status_code == 201
        workout_id = created.json()["id"]
    finally:
        server.send_signal(signal.SIGTERM)
        # Uvicorn shuts down gracefully, then re-raises the signal for the supervisor to see.
        assert server.wait(timeout=20) == -signal.SIGTERM
        log.close()
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()

    exported = run(["export", workout_id, "--format", "fit", "-o", "w.fit"], env, tmp_path)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    data = bytearray((tmp_path / "w.fit").read_bytes())
    assert Decoder(Stream.from_byte_array(data)).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(data)).read()
    assert errors == [] and messages["workout_mesgs"][0]["wkt_name"] == "5x3 min threshold"
    refused = run(["export", workout_id, "--format", "zwo"], env, tmp_path)
    assert refused.returncode == 1 and "cannot_export" in refused.stdout

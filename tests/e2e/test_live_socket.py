"""`WS /api/sessions/{id}/live` against a real server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.test_cli_and_server import SETPOINT, free_port, run, wait_until_up


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {
        **os.environ,
        "SETPOINT_DATABASE_URL": database_url,
        "SETPOINT_PORT": str(port),
        "SETPOINT_ARGON2_MEMORY_KIB": "1024",
        "SETPOINT_ARGON2_TIME_COST": "1",
    }
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([*SETPOINT, "serve"], env=env, cwd=tmp_path, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, env
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
        sys.stderr.write((tmp_path / "server.log").read_text()[-2000:])


def login(url: str, env: dict[str, str], cwd: Path, email: str) -> str:
    assert run(["users", "create", email, "--password", "pass-word-1"], env, cwd).returncode == 0
    r = httpx.post(f"{url}/api/auth/token", json={"email": email, "password": "pass-word-1"})
    return str(r.json()["access_token"])


def new_session(url: str, token: str, seconds: list[int]) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    steps = [{"intensity": "active", "duration": {"type": "time", "seconds": s}} for s in seconds]
    workout = httpx.post(
        f"{url}/api/workouts", headers=headers, json={"name": "w", "sport": "run", "steps": steps}
    ).json()
    return str(
        httpx.post(
            f"{url}/api/sessions", headers=headers, json={"workout_id": workout["id"]}
        ).json()["id"]
    )


def receive(ws: Any) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=5)))


def test_live_socket(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = server
    ws_url = url.replace("http", "ws")
    mine = login(url, env, tmp_path, "me@example.com")
    other = login(url, env, tmp_path, "other@example.com")
    sid = new_session(url, mine, [2, 1])

    # Refusals: no token, a bad token, someone else's session.
    with connect(f"{ws_url}/api/sessions/{sid}/live?token=sp_forged") as ws:
        assert receive(ws)["error"] == "not_authenticated"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    with connect(f"{ws_url}/api/sessions/{sid}/live?token={other}") as ws:
        assert receive(ws)["error"] == "not_found"
    with connect(f"{ws_url}/api/sessions/not-a-session/live?token={mine}") as ws:
        assert receive(ws)["error"] == "not_found"
    with connect(f"{ws_url}/api/sessions/{sid}/live") as ws:
        ws.send(json.dumps({"type": "hello"}))
        assert receive(ws)["error"] == "bad_request"

    # Token in the first message; the snapshot, then commands and boundary updates.
    with connect(f"{ws_url}/api/sessions/{sid}/live") as ws:
        ws.send(json.dumps({"type": "auth", "token": mine}))
        snapshot = receive(ws)
        assert snapshot["type"] == "state" and snapshot["state"]["status"] == "not_started"
        ws.send("not json")
        assert receive(ws)["error"] == "bad_request"
        ws.send(json.dumps({"type": "command", "command": "pause"}))
        assert receive(ws)["error"] == "invalid_transition"
        ws.send(json.dumps({"type": "command", "command": "start", "idempotency_key": "go"}))
        first, second = receive(ws), receive(ws)
        update, ack = (first, second) if first["type"] == "update" else (second, first)
        assert ack["type"] == "ack" and ack["state"]["status"] == "in_progress"
        assert [e["type"] for e in update["events"]] == ["SessionStarted"]
        started = ack["state"]["server_time"]

        change = receive(ws)  # the 2 s boundary, pushed by the deadline worker
        event = change["events"][0]
        assert event["type"] == "SegmentChanged" and event["to_index"] == 1
        assert abs(event["at"] - (started + 2)) < 0.01
        assert time.time() - event["at"] < 0.5  # announced at the boundary, not on a poll
        done = receive(ws)
        assert done["state"]["status"] == "completed"
        assert done["events"][-1]["type"] == "SessionCompleted" and done["state"]["elapsed_s"] == 3
        ws.send(json.dumps({"type": "ping"}))
        assert receive(ws)["type"] == "pong"
    log = (tmp_path / "server.log").read_text()
    assert mine not in log and other not in log, "tokens never reach the logs"


def test_heart_rate_over_the_socket(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = server
    token = login(url, env, tmp_path, "hr@example.com")
    sid = new_session(url, token, [600])
    with connect(f"{url.replace('http', 'ws')}/api/sessions/{sid}/live?token={token}") as ws:
        assert receive(ws)["type"] == "state"
        ws.send(json.dumps({"type": "hr", "samples": [{"t": time.time(), "bpm": 120}]}))
        assert receive(ws)["error"] == "session_not_running"
        ws.send(json.dumps({"type": "command", "command": "start"}))
        assert {receive(ws)["type"], receive(ws)["type"]} == {"update", "ack"}

        ws.send(json.dumps({"type": "hr", "samples": [{"t": time.time(), "bpm": 121}]}))
        pushed = receive(ws)  # samples get no reply; the first view is pushed to every client
        assert pushed["type"] == "heart_rate" and pushed["heart_rate"]["bpm"] == 121
        assert pushed["heart_rate"]["target"] is None and pushed["events"] == []
        ws.send(json.dumps({"type": "hr", "samples": []}))
        refused = receive(ws)
        assert refused["error"] == "validation_error" and "samples" in refused["detail"]
        for _ in range(3):  # more samples, same view: nothing pushed before 5 s
            ws.send(json.dumps({"type": "hr", "samples": [{"t": time.time(), "bpm": 122}]}))
            time.sleep(0.01)
        ws.send(json.dumps({"type": "ping"}))
        assert receive(ws)["type"] == "pong"

    state = httpx.get(f"{url}/api/sessions/{sid}", headers={"Authorization": f"Bearer {token}"})
    assert 121 <= state.json()["heart_rate"]["bpm"] <= 122

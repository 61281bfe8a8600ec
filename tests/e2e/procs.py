"""Real `setpoint` processes for the e2e tests that crash and multiply them: start, wait until
up, kill, and show each process's log tail when the test fails. Also the few API calls the
tests share (athletes, login, workouts, sessions, a WebSocket listener)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from setpoint.auth import service as auth_service
from setpoint.auth.model import Role
from setpoint.clock import SystemClock
from setpoint.config import Settings
from setpoint.db.engine import Database
from setpoint.wiring import build_context
from tests.e2e.test_cli_and_server import SETPOINT, free_port, wait_until_up

FAST_HASHING = {"SETPOINT_ARGON2_MEMORY_KIB": "1024", "SETPOINT_ARGON2_TIME_COST": "1"}
PASSWORD = "pass-word-1"


class Proc:
    """One `setpoint` process; stdout and stderr go to `<name>.log` in the test's tmp_path."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [*SETPOINT, *args], env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: signal.Signals = signal.SIGKILL, timeout: float = 20) -> int:
        """Send `sig` (SIGKILL by default: a crash) and reap the process."""
        if self.alive:
            self.popen.send_signal(sig)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait()
        self._log.close()
        return code

    def tail(self, chars: int = 3000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]

    async def wait_for_log(self, needle: str, within_s: float = 30) -> None:
        deadline = time.monotonic() + within_s
        while needle not in self.tail(1_000_000):
            assert self.alive, f"{self.name} exited early"
            assert time.monotonic() < deadline, (
                f"{self.name} did not log {needle!r} in {within_s} s"
            )
            await asyncio.sleep(0.05)


class Server(Proc):
    def __init__(self, name: str, env: dict[str, str], cwd: Path, args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        super().__init__(name, ["serve", *args], {**env, "SETPOINT_PORT": str(self.port)}, cwd)


@dataclass
class Processes:
    """Every process a test starts; all are killed at the end, whatever happened."""

    cwd: Path
    env: dict[str, str]
    started: list[Proc] = field(default_factory=list)

    def serve(self, name: str, *args: str, **env: str) -> Server:
        """`setpoint serve *args` (e.g. `--speed 20`) on a free port."""
        server = Server(name, {**self.env, **env}, self.cwd, args)
        self.started.append(server)
        return server

    def worker(self, name: str, **env: str) -> Proc:
        worker = Proc(name, ["worker"], {**self.env, **env}, self.cwd)
        self.started.append(worker)
        return worker

    def command(self, name: str, *args: str, **env: str) -> Proc:
        """Any other `setpoint` command (e.g. `simulate`), killed at the end like the rest."""
        proc = Proc(name, list(args), {**self.env, **env}, self.cwd)
        self.started.append(proc)
        return proc

    async def up(self, *servers: Server) -> None:
        """Wait (concurrently) until every server answers /healthz."""
        await asyncio.gather(*(asyncio.to_thread(wait_until_up, s.url, s.popen) for s in servers))

    def print_logs(self) -> None:
        for proc in self.started:
            print(f"----- {proc.name} (exit {proc.popen.poll()}): {proc.log_path} -----")
            print(proc.tail())

    def stop_all(self) -> None:
        for proc in self.started:
            proc.stop()


@contextlib.contextmanager
def processes(cwd: Path, database_url: str, **env: str) -> Iterator[Processes]:
    """`setpoint` processes on `database_url`; on failure their log tails are printed."""
    base = {**os.environ, **FAST_HASHING, "PYTHONUNBUFFERED": "1"}
    procs = Processes(cwd, {**base, "SETPOINT_DATABASE_URL": database_url, **env})
    try:
        yield procs
    except BaseException:
        procs.print_logs()
        raise
    finally:
        procs.stop_all()


# --- data ------------------------------------------------------------------------------------


async def create_athletes(database_url: str, emails: list[str]) -> None:
    """Athletes with password PASSWORD, written straight through the service (the CLI does
    the same, one slow process start per user)."""
    settings = Settings(database_url=database_url, argon2_time_cost=1, argon2_memory_kib=1024)
    db = Database(database_url)
    ctx = build_context(settings, SystemClock(), db=db)
    try:
        async with db.transaction() as uow:
            for email in emails:
                await auth_service.create_user(ctx, uow.session, email, PASSWORD, Role.ATHLETE)
    finally:
        await db.dispose()


async def login(client: httpx.AsyncClient, email: str) -> str:
    r = await client.post("/api/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def time_steps(*seconds: int | None) -> list[dict[str, Any]]:
    """Workout steps of these durations; None is an open step."""
    return [
        {
            "intensity": "active",
            "duration": {"type": "open"} if s is None else {"type": "time", "seconds": s},
        }
        for s in seconds
    ]


async def new_session(client: httpx.AsyncClient, token: str, steps: list[dict[str, Any]]) -> str:
    workout = await client.post(
        "/api/workouts", headers=bearer(token), json={"name": "w", "sport": "run", "steps": steps}
    )
    assert workout.status_code == 201, workout.text
    created = await client.post(
        "/api/sessions", headers=bearer(token), json={"workout_id": workout.json()["id"]}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


# --- the live stream -------------------------------------------------------------------------


@dataclass
class Received:
    at: float  # local wall time (epoch s) of receipt
    message: dict[str, Any]


class Listener:
    """A WebSocket client on a session's live stream that keeps every message with the time
    it arrived."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[Received] = []
        self._arrived = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server: Server, session_id: str, token: str) -> Listener:
        ws = await connect(f"{server.ws_url}/api/sessions/{session_id}/live?token={token}")
        listener = cls(ws)
        first = await listener.next_matching(lambda m: True, within_s=5)
        assert first.message["type"] == "state", first.message
        return listener

    async def _read(self) -> None:
        async for text in self.ws:
            self.messages.append(Received(time.time(), json.loads(text)))
            self._arrived.set()

    async def next_matching(
        self, predicate: Callable[[dict[str, Any]], bool], within_s: float, start: int = 0
    ) -> Received:
        """The first message from index `start` on that matches, waiting up to `within_s`."""
        deadline = time.monotonic() + within_s
        while True:
            for received in self.messages[start:]:
                if predicate(received.message):
                    return received
            start = len(self.messages)
            self._arrived.clear()
            left = deadline - time.monotonic()
            assert left > 0, f"no matching live message in {within_s} s; got {self.summary()}"
            assert not self._task.done(), f"the live socket closed: {self._task}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    def summary(self) -> list[tuple[Any, ...]]:
        """What came, for failure messages: (type, revision, status, segment, event types)."""
        out = []
        for r in self.messages:
            state = r.message.get("state") or {}
            events = [e["type"] for e in r.message.get("events", ())]
            out.append(
                (
                    r.message["type"],
                    state.get("revision"),
                    state.get("status"),
                    state.get("segment_index"),
                    events,
                )
            )
        return out

    def segment_changes(self, to_index: int, reason: str = "auto") -> list[Received]:
        return [
            r
            for r in self.messages
            for e in r.message.get("events", ())
            if e["type"] == "SegmentChanged" and e["to_index"] == to_index and e["reason"] == reason
        ]

    async def close(self) -> None:
        await self.ws.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


def has_segment_change(to_index: int, reason: str = "auto") -> Callable[[dict[str, Any]], bool]:
    def predicate(message: dict[str, Any]) -> bool:
        return message["type"] == "update" and any(
            e["type"] == "SegmentChanged" and e["to_index"] == to_index and e["reason"] == reason
            for e in message["events"]
        )

    return predicate

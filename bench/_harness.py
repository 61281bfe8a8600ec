"""What the bench scripts share: the child processes they start (and always stop), the
`setpoint serve` process under test, /proc readings of CPU and memory per phase, scratch
databases, the JSON-lines conversation with load-generator processes, and py-spy profiles.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _common import (
    CLK_TCK,
    cpu_seconds,
    free_port,
    listening_sockets,
    process_tree,
    processes_named,
    raise_nofile,
    total_cpu_seconds,
    tree_cpu_seconds,
    tree_rss_bytes,
)

HERE = Path(__file__).resolve().parent
PY = sys.executable
DEFAULT_PG = os.environ.get(
    "SETPOINT_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"  # with `--workers` > 1
MB = 1024 * 1024


def say(message: str) -> None:
    print(message, flush=True)


# --- child processes ---------------------------------------------------------------------


def die_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM if the bench dies (even SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def appending(path: Path) -> Any:
    return open(path, "ab")  # closed by the caller's `with`


class Children:
    """Every process the bench starts, stopped on exit whatever happens."""

    def __init__(self) -> None:
        self.popen: list[subprocess.Popen[bytes]] = []
        self.aio: list[asyncio.subprocess.Process] = []

    def start(
        self, args: list[str], env: dict[str, str] | None, log: Path
    ) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                args,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
        self.popen.append(proc)
        return proc

    async def start_piped(self, args: list[str], log: Path) -> asyncio.subprocess.Process:
        with appending(log) as err:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                limit=256 * MB,  # a client's result is one long line
                preexec_fn=die_with_parent,
            )
        self.aio.append(proc)
        return proc

    def pids(self) -> list[int]:
        return [p.pid for p in self.popen] + [p.pid for p in self.aio]

    @staticmethod
    def stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> int | None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        return proc.returncode

    async def close(self) -> None:
        for aproc in self.aio:
            if aproc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    aproc.terminate()
                try:
                    await asyncio.wait_for(aproc.wait(), 10)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        aproc.kill()
        for proc in self.popen:
            self.stop(proc, 10)


CHILDREN = Children()


async def wait_up(url: str, proc: subprocess.Popen[bytes], log: Path, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited early:\n{tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {limit_s} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- machine readings ----------------------------------------------------------------------


def machine_busy_s() -> float:
    """CPU seconds spent busy on the whole machine (all cores) since boot."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = parts[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


@dataclass
class Snapshot:
    t: float
    server_cpu: float
    server_rss: int
    clients_cpu: float
    pg_cpu: float
    self_cpu: float
    machine: float
    redis_cpu: float = 0.0
    server_parts: dict[int, float] = field(default_factory=dict)  # pid: CPU s (--workers)


def server_cpu_seconds(pid: int) -> float:
    """The server's CPU seconds: the process and every process under it (`serve --workers
    N`'s supervisor and its processes; Granian's worker process)."""
    return sum(tree_cpu_seconds(pid).values())


@dataclass
class Meter:
    server_pid: int
    client_pids: list[int] = field(default_factory=list)
    watch_pg: bool = False
    workers: int = 1  # > 1: the server is a supervisor and its processes, summed

    def snap(self) -> Snapshot:
        tree = tree_cpu_seconds(self.server_pid)  # one process, or a supervisor and its own
        parts = tree if self.workers > 1 else {}
        server_cpu, server_rss = sum(tree.values()), tree_rss_bytes(self.server_pid)
        return Snapshot(
            t=time.monotonic(),
            server_cpu=server_cpu,
            server_rss=server_rss,
            clients_cpu=total_cpu_seconds(self.client_pids),
            pg_cpu=total_cpu_seconds(processes_named("postgres")) if self.watch_pg else 0.0,
            self_cpu=cpu_seconds(os.getpid()),
            machine=machine_busy_s(),
            redis_cpu=(
                total_cpu_seconds(processes_named("redis-server")) if self.workers > 1 else 0.0
            ),
            server_parts=parts,
        )

    @staticmethod
    def phase(a: Snapshot, b: Snapshot) -> dict[str, Any]:
        """CPU use between two snapshots, in % of one core (the machine has 2: 200 % max)."""
        dt_ = max(b.t - a.t, 1e-9)
        pct = lambda x: round(100 * x / dt_, 1)  # noqa: E731
        server = b.server_cpu - a.server_cpu
        clients = b.clients_cpu - a.clients_cpu
        pg = b.pg_cpu - a.pg_cpu
        redis = b.redis_cpu - a.redis_cpu
        me = b.self_cpu - a.self_cpu
        machine = b.machine - a.machine
        out: dict[str, Any] = {
            "seconds": round(dt_, 2),
            "server_cpu_pct": pct(server),
            "clients_cpu_pct": pct(clients),
            "postgres_cpu_pct": pct(pg),
            "bench_cpu_pct": pct(me),
            "machine_cpu_pct": pct(machine),
            "others_cpu_pct": pct(max(0.0, machine - server - clients - pg - redis - me)),
            "server_rss_mb": round(b.server_rss / MB, 1),
        }
        if b.server_parts:  # --workers: each process of the server (the supervisor first)
            out["redis_cpu_pct"] = pct(redis)
            out["server_cpu_pct_by_process"] = {
                str(pid): pct(cpu - a.server_parts.get(pid, 0.0))
                for pid, cpu in b.server_parts.items()
            }
        return out


async def others_busy(seconds: float = 2.0) -> float:
    """% of one core used by everything on the machine but this process, over `seconds`."""
    m0, s0 = machine_busy_s(), cpu_seconds(os.getpid())
    await asyncio.sleep(seconds)
    return round(100 * ((machine_busy_s() - m0) - (cpu_seconds(os.getpid()) - s0)) / seconds, 1)


async def wait_for_quiet(limit_s: float, threshold_pct: float = 15.0) -> float:
    """Wait up to `limit_s` for other processes to use at most `threshold_pct` of a core;
    what they use at the end (a warning is printed when it is still more)."""
    busy = await others_busy()
    waited = 0.0
    while busy > threshold_pct and waited < limit_s:
        say(f"  others use {busy} % of a core; waiting ...")
        await asyncio.sleep(8)
        waited += 10
        busy = await others_busy()
    if busy > threshold_pct:
        say(f"WARNING: other processes use {busy} % of a core right now; figures will be disturbed")
    return busy


# --- database ------------------------------------------------------------------------------


async def make_database(args: argparse.Namespace, tmp: Path) -> tuple[str, str | None]:
    """The URL of a fresh database, and the scratch PostgreSQL database's name to drop."""
    if args.db == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'setpoint.db'}", None
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"setpoint_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(args.pg_url).set(database=name).render_as_string(hide_password=False), name


async def drop_database(args: argparse.Namespace, name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def clean_up(
    children: Children, args: argparse.Namespace, pg_name: str | None, tmp: Path
) -> None:
    """The end of a run: its processes stopped, its scratch database dropped, its temp dir
    removed (or kept, with `--keep`)."""
    await children.close()
    if pg_name is not None:
        with contextlib.suppress(Exception):
            await drop_database(args, pg_name)
    if args.keep:
        say(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


# --- load-generator processes: one JSON object a line each way -------------------------


async def read_event(proc: asyncio.subprocess.Process, limit_s: float, log: Path) -> dict[str, Any]:
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), limit_s)
    except TimeoutError:
        raise RuntimeError(f"a live client said nothing in {limit_s:.0f} s:\n{tail(log)}") from None
    if not line:
        raise RuntimeError(f"a live client exited:\n{tail(log)}")
    return json.loads(line)


async def tell(proc: asyncio.subprocess.Process, order: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(order) + "\n").encode())
    await proc.stdin.drain()


# --- what was measured ---------------------------------------------------------------------


def report_header(
    args: argparse.Namespace, targets: Any, hidden: tuple[str, ...] = ("pg_url",)
) -> dict[str, Any]:
    """What every bench report starts with: when, on what machine and source, with which
    arguments (`hidden` ones left out: URLs that may carry credentials), against which
    targets."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
        },
        "source_digest": source_digest(),
        "args": {k: v for k, v in vars(args).items() if k not in hidden},
        "targets": targets,
    }


def source_digest() -> str:
    """Which server code was measured: a digest of src/setpoint/**/*.py (others edit it)."""
    digest = hashlib.sha256()
    for path in sorted((HERE.parent / "src" / "setpoint").rglob("*.py")):
        digest.update(path.as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- profiling (optional: py-spy) ---------------------------------------------------------


async def start_profile(
    children: Children, tmp: Path, pid: int, seconds: float, tag: str
) -> tuple[asyncio.subprocess.Process, Path] | None:
    """py-spy (if installed: `pip install py-spy`, the `bench` extra) sampling the server."""
    spy = shutil.which("py-spy", path=os.pathsep.join((str(Path(PY).parent), os.defpath)))
    spy = spy or shutil.which("py-spy")
    if spy is None:
        say("  (--profile: py-spy not found; pip install py-spy)")
        return None
    out = tmp / f"profile-{tag}.txt"
    proc = await children.start_piped(
        [
            spy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds) + 1),
            "-r",
            "50",
            "--gil",  # samples of the thread holding the GIL: where the CPU-bound time goes
            "-f",
            "raw",
            "-o",
            str(out),
        ],
        tmp / "py-spy.log",
    )
    return proc, out


async def finish_profile(
    profile: tuple[asyncio.subprocess.Process, Path] | None, tmp: Path
) -> dict[str, Any] | None:
    """Stop py-spy, then fold its samples into the heaviest frames (self and inclusive)."""
    if profile is None:
        return None
    proc, out = profile
    if proc.returncode is None:  # py-spy writes what it has on SIGINT
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 30)
    if not out.exists():
        return {"error": tail(tmp / "py-spy.log")}
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        leaf = frames[-1]
        own[leaf] = own.get(leaf, 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n

    ours = {f: n for f, n in inclusive.items() if "setpoint/" in f and "cli.py" not in f}

    def top(d: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {"frame": f, "pct": round(100 * n / total, 1)}
            for f, n in sorted(d.items(), key=lambda x: -x[1])[:25]
        ]

    keep = Path(tempfile.gettempdir()) / f"setpoint-bench-{os.getpid()}-{out.name}"
    shutil.copyfile(out, keep)
    return {
        "samples": total,
        "self": top(own),
        "inclusive": top(inclusive),
        "setpoint_inclusive": top(ours),
        "raw": str(keep),
    }


def interrupted(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


# --- the server under test ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path
    up_wall: float  # time.time() when it answered /healthz: its periodic tasks count from here
    start_s: float


async def start_server(
    children: Children,
    tmp: Path,
    database_url: str,
    env_extra: dict[str, str] | None = None,
    launcher: list[str] | None = None,
    workers: int = 1,
    redis_url: str | None = None,
) -> Server:
    """`python -m setpoint.cli serve` on a free loopback port: fast argon2, warning logs, no
    Redis unless `redis_url`; every other `SETPOINT_*` variable of the caller is dropped.
    `launcher` replaces `python -m setpoint.cli` (e.g. a wrapper that records GC pauses).
    `workers` > 1: `serve --workers N` (PostgreSQL and `redis_url` needed), ready once all N
    processes listen."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETPOINT_")}
    env.update(
        SETPOINT_DATABASE_URL=database_url,
        SETPOINT_HOST="127.0.0.1",
        SETPOINT_PORT=str(port),
        SETPOINT_ARGON2_MEMORY_KIB="1024",
        SETPOINT_ARGON2_TIME_COST="1",
        SETPOINT_LOG_LEVEL="warning",
        SETPOINT_LOG_FORMAT="json",
        **({"SETPOINT_REDIS_URL": redis_url} if redis_url else {}),
        **(env_extra or {}),
    )
    log = tmp / "server.log"
    t0 = time.monotonic()
    command = launcher or [PY, "-m", "setpoint.cli"]
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        serve += ["--workers", str(workers)]
    proc = children.start([*command, *serve], env, log)
    await wait_up(url, proc, log)
    deadline = time.monotonic() + 60
    while listening_sockets(port) < workers:  # a process that does not listen yet gets none
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{workers} server processes did not all listen:\n{tail(log)}")
        await asyncio.sleep(0.1)
    return Server(proc, url, port, log, time.time(), round(time.monotonic() - t0, 2))


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every process under it (`serve --workers N`: the supervisor's
    processes would otherwise outlive it)."""
    for member in process_tree(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 30) -> int | None:
    """Stop the server with SIGINT (graceful: what it holds is written) and wait, up to
    `timeout`, for every process of its tree to be gone; SIGKILL what is left."""
    members = process_tree(proc.pid)
    code = Children.stop(proc, timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [m for m in members if m != proc.pid and os.path.exists(f"/proc/{m}")]
        if not alive:
            break
        time.sleep(0.2)
    else:
        for member in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)
    return code


def add_run_args(p: argparse.ArgumentParser) -> None:
    """The options every bench has: wait for a quiet machine, write the figures, keep the
    temp dir."""
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="first wait up to this many seconds for other processes to go idle",
    )
    p.add_argument("--json", type=Path, help="write every figure here")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, databases)")


def add_workers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (`setpoint serve --workers N`; > 1 needs --db postgresql, Redis)",
    )
    p.add_argument(
        "--redis-url",
        help=f"SETPOINT_REDIS_URL of the server (default {DEFAULT_REDIS} when --workers > 1)",
    )


def check_workers_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.workers < 1:
        p.error("--workers: at least 1")
    if args.workers > 1:
        if args.db != "postgresql":
            p.error("--workers > 1 needs --db postgresql")
        if args.profile or args.gc_log or getattr(args, "gc_freeze_after", None) is not None:
            p.error("--profile and the GC options see one process: not with --workers > 1")
        args.redis_url = args.redis_url or DEFAULT_REDIS
        # the stall recorder hooks the process it starts in, the supervisor: nothing to see
        args.diag = False


# --- garbage-collector pauses of the server (diagnostics: bench/_gc_serve.py) ----------------


def gc_launcher(log: Path, record: bool, freeze_after: float | None = None) -> list[str] | None:
    """The server's launcher when GC pauses are recorded (and maybe `gc.freeze()` tried)."""
    if not record and freeze_after is None:
        return None
    launcher = [PY, str(HERE / "_gc_serve.py"), str(log)]
    if freeze_after is not None:
        launcher += ["--freeze-after", str(freeze_after)]
    return launcher


def diag_launcher(log: Path) -> list[str]:
    """The server's launcher when its stalls are recorded for attribution (`_diag_serve.py`)."""
    return [PY, str(HERE / "_diag_serve.py"), str(log)]


def gc_pauses(pauses: list[list[float]], w0: float, w1: float) -> dict[str, Any]:
    """The server's garbage-collector pauses in the window, by generation."""
    inside = [p for p in pauses if w0 <= p[0] < w1]
    out: dict[str, Any] = {}
    for gen in (0, 1, 2):
        took = [p[2] for p in inside if p[1] == gen]
        out[f"gen{gen}"] = {
            "n": len(took),
            "total_ms": round(1000 * sum(took), 1),
            "max_ms": round(1000 * max(took), 1) if took else 0.0,
        }
    out["gen2_at_s"] = [round(p[0] - w0, 2) for p in inside if p[1] == 2]
    out["gen2_ms"] = [round(p[2] * 1000, 1) for p in inside if p[1] == 2]
    return out


# --- running a bench script ------------------------------------------------------------------


def install_signal_handlers() -> None:
    """Ctrl-C (even when started with SIGINT ignored, as background jobs are) and SIGTERM stop
    the run by raising KeyboardInterrupt: the clean-up in the script stops every child."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupted)


def kill_stragglers(children: Children) -> None:
    """SIGKILL any child that outlived the clean-up."""
    for pid in children.pids():
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)


def run_main(
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]],
    table: Callable[[dict[str, Any]], str],
) -> None:
    """A bench's entry point: run it, stop everything it started, print its table and write
    its JSON report when asked (`--json`)."""
    limit = raise_nofile(65536)
    if limit < args.sessions + 1000:
        say(f"WARNING: open-file limit {limit} is below {args.sessions + 1000}")
    install_signal_handlers()
    try:
        report = asyncio.run(run(args))
    except KeyboardInterrupt:
        say("interrupted; everything started was stopped")
        sys.exit(130)
    finally:
        kill_stragglers(CHILDREN)
    say("")
    say(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
        say(f"\nwrote {args.json}")

"""`setpoint serve` with what can stall it recorded, so a bench can say why a command was slow
or a notification late (`bench/_attribution.py` reads the record).

    python bench/_diag_serve.py DIAG.json serve --host 127.0.0.1 --port 8000

Recorded, as wall-clock intervals `[start, end, label]` (plus a detail where useful):
- `gc`: every garbage collection (`gc.callbacks`), labelled by generation;
- `stall`: event-loop turns longer than `STALL_S`. A heartbeat callback re-arms itself on the
  loop every `BEAT_S`; a watchdog thread notices when it is overdue and samples the main
  thread's stack meanwhile (`sys._current_frames`), so the stall is labelled by the project
  frames it spent its time in (a built-in sampler that only looks while the loop is stuck);
- `write`: every write transaction (`Database.transaction(write=True)`): when it asked for
  the single writer and when it ended (commit and after-commit work included), labelled by
  the calling function; the detail is when it got the writer;
- `work`: the periodic and batched work (presence flush, sample writes, deadline batches
  with their size, the after-commit fan-out with its callbacks).
Appended to DIAG.json as JSON lines `[kind, start, end, label, detail]` every second (a bench
may end the server with SIGKILL) and at exit. The
cost: one callback every `BEAT_S` on the loop and a thread waking as often; a few µs per
transaction. Diagnostics only.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _common import WS_VARIABLE

BEAT_S = 0.005
STALL_S = 0.025  # a loop turn longer than this is recorded as a stall
SAMPLE_S = 0.003

record: list[list[Any]] = []  # [kind, start, end, label, detail], appended (thread-safe)
_gc_started = 0.0
_beat = [time.perf_counter()]


def _wall(perf: float) -> float:
    """A perf_counter reading as wall-clock time."""
    return time.time() - (time.perf_counter() - perf)


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        record.append(["gc", _wall(_gc_started), time.time(), f"gc gen{info['generation']}", None])


def _label(frame: Any) -> str:
    """Where a sampled stack is: the innermost project frames (inner → outer), and the
    library frame it is in when that is not the project's."""
    if frame.f_code.co_qualname == "Runner.run":  # the main thread is inside uvloop (C)
        return "in the event loop's C code: socket I/O, or the process had no CPU"
    names: list[str] = []
    inner = None
    while frame is not None and len(names) < 3:
        filename = frame.f_code.co_filename
        if "/setpoint/" in filename:
            names.append(frame.f_code.co_qualname)
        elif inner is None and not names:
            module = filename.rsplit("site-packages/", 1)[-1].removesuffix(".py")
            inner = f"{module}:{frame.f_code.co_qualname}"
        frame = frame.f_back
    where = " < ".join(names) or "(no project frame)"
    return f"{where} [{inner}]" if inner else where


def _watchdog(main_id: int) -> None:
    """Samples the main thread while the loop's heartbeat is overdue; records the stall."""
    while True:
        time.sleep(SAMPLE_S)
        beat = _beat[0]
        if time.perf_counter() - beat < STALL_S + BEAT_S:
            continue
        samples: Counter[str] = Counter()
        while _beat[0] == beat:
            frame = sys._current_frames().get(main_id)
            if frame is not None:
                samples[_label(frame)] += 1
            del frame
            time.sleep(SAMPLE_S)
        end = _beat[0]
        top = samples.most_common(1)[0][0] if samples else "(no sample)"
        record.append(["stall", _wall(beat + BEAT_S), _wall(end), top, dict(samples)])


def _timed_work(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.time()
        result = await fn(*args, **kwargs)
        size = result if isinstance(result, int) else None
        record.append(["work", t0, time.time(), name, size])
        return result

    return wrapper


class _TimedTransaction:
    def __init__(self, inner: Any, label: str) -> None:
        self.inner, self.label = inner, label

    async def __aenter__(self) -> Any:
        self.asked = time.time()
        uow = await self.inner.__aenter__()
        self.got = time.time()
        return uow

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self.inner.__aexit__(*exc)
        finally:
            record.append(["write", self.asked, time.time(), self.label, self.got])


def _instrument() -> None:
    import uvicorn

    import setpoint.app
    from setpoint.db.engine import Database, UnitOfWork
    from setpoint.heartrate import service as heartrate
    from setpoint.sessions import jobs, service

    transaction = Database.transaction

    def timed_transaction(self: Database, *, write: bool = True) -> Any:
        inner = transaction(self, write=write)
        if not write:
            return inner
        return _TimedTransaction(inner, sys._getframe(1).f_code.co_qualname)

    Database.transaction = timed_transaction  # type: ignore[method-assign]
    setpoint.app.flush_seen = _timed_work("presence flush", jobs.flush_seen)  # type: ignore[attr-defined]
    setpoint.app.write_pending = _timed_work("sample write", heartrate.write_pending)  # type: ignore[attr-defined]
    service.settle_due = _timed_work("deadline batch", service.settle_due)  # type: ignore[assignment]

    run_after = UnitOfWork._run_after_commit

    async def after_commit(self: UnitOfWork) -> None:
        t0 = time.time()
        await run_after(self)
        if len(self._after_commit) > 1:
            n = len(self._after_commit)
            record.append(["work", t0, time.time(), "after-commit fan-out", n])

    UnitOfWork._run_after_commit = after_commit  # type: ignore[method-assign]

    startup = uvicorn.Server.startup

    async def startup_with_heartbeat(self: Any, sockets: Any = None) -> None:
        loop = asyncio.get_running_loop()

        def beat() -> None:
            _beat[0] = time.perf_counter()
            loop.call_later(BEAT_S, beat)

        beat()
        main_id = threading.get_ident()
        threading.Thread(target=_watchdog, args=(main_id,), daemon=True).start()
        await startup(self, sockets)

    uvicorn.Server.startup = startup_with_heartbeat  # type: ignore[method-assign]

    ws = os.environ.get(WS_VARIABLE)
    if ws:  # `heartrate.py --ws`: the server on another of uvicorn's WebSocket implementations
        config_init = uvicorn.Config.__init__

        def config_with_ws(self: Any, *args: Any, **kwargs: Any) -> None:
            config_init(self, *args, **{**kwargs, "ws": ws})

        uvicorn.Config.__init__ = config_with_ws  # type: ignore[method-assign]


def main() -> None:
    log = Path(sys.argv[1])

    written = [0]

    def write() -> None:
        end = len(record)
        with log.open("a") as f:
            f.writelines(json.dumps(entry) + "\n" for entry in record[written[0] : end])
        written[0] = end

    def every_few_seconds() -> None:
        while True:
            time.sleep(1)
            write()

    atexit.register(write)
    threading.Thread(target=every_few_seconds, daemon=True).start()
    gc.callbacks.append(_on_gc)
    _instrument()
    from setpoint.cli import app

    sys.argv = ["setpoint", *sys.argv[2:]]
    app()


if __name__ == "__main__":
    main()

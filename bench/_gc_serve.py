"""`setpoint serve` with the garbage collector's pauses recorded (diagnostics only: the
figures of a bench come from runs with the plain command).

    python bench/_gc_serve.py GC_LOG.json [--freeze-after S] serve --host 127.0.0.1 --port 8000

Each collection is recorded as `[wall time at its end, generation, seconds, collected]`; the
list is written to GC_LOG.json every 5 s (a bench may end the server with SIGKILL) and when
the server exits. `--freeze-after S` calls `gc.freeze()` S seconds after the start (an
experiment: what the pauses would be if the objects alive after the start-up were left out
of collections).
"""

from __future__ import annotations

import atexit
import gc
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

pauses: list[tuple[float, int, float, int]] = []
_started = 0.0


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _started
    if phase == "start":
        _started = time.perf_counter()
    else:
        took = time.perf_counter() - _started
        pauses.append((time.time(), info["generation"], round(took, 6), info["collected"]))


def main() -> None:
    log = Path(sys.argv[1])
    rest = sys.argv[2:]
    if rest[:1] == ["--freeze-after"]:
        threading.Timer(float(rest[1]), gc.freeze).start()
        rest = rest[2:]

    def write() -> None:
        log.write_text(json.dumps(pauses))

    def every_few_seconds() -> None:
        while True:
            time.sleep(5)
            write()

    atexit.register(write)
    threading.Thread(target=every_few_seconds, daemon=True).start()
    gc.callbacks.append(_on_gc)
    from setpoint.cli import app

    sys.argv = ["setpoint", *rest]
    app()


if __name__ == "__main__":
    main()

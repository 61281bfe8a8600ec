"""`setpoint serve --workers N`: N server processes on one port, each with its own listening
socket (SO_REUSEPORT), under uvicorn's supervisor.

With one socket shared by every process (uvicorn's own `workers=`), Linux hands nearly every
new connection to the same waiting process; with a socket each, it spreads them over the
processes by their addresses. The supervisor starts the processes, restarts one that dies
(the replacement listens on every socket, its predecessor's included) and passes SIGINT and
SIGTERM on: each process then shuts down gracefully.
"""

from __future__ import annotations

import logging
import socket

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

APP_FACTORY = "setpoint.cli.main:served_app"  # what each process serves (`factory=True`)


def bind(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets bound to one port (the first one's, when `port` is 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(family=family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


class PerProcessSockets(Multiprocess):
    """uvicorn's supervisor, starting each process on its own socket."""

    def init_processes(self) -> None:
        for sock in self.sockets:
            process = Process(self.config, [sock])
            process.start()
            self.processes.append(process)


def run(config: uvicorn.Config) -> None:
    """Serve `config` (its app `APP_FACTORY`) in `config.workers` processes until a signal."""
    logger = logging.getLogger("uvicorn.error")
    try:
        sockets = bind(config.host, config.port, config.workers)
    except OSError as exc:
        logger.error(exc)
        raise SystemExit(STARTUP_FAILURE) from None
    host, port = sockets[0].getsockname()[:2]
    logger.info(
        "Uvicorn running on http://%s:%d in %d processes (Press CTRL+C to quit)",
        host,
        port,
        config.workers,
    )
    try:
        PerProcessSockets(config, sockets).run()
    finally:
        for sock in sockets:
            sock.close()

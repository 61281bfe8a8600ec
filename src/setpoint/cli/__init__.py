"""The `setpoint` command line: the server, workers, users, and clients of a running server
(heart-rate simulation and bridge)."""

from setpoint.cli.main import app

__all__ = ["app"]

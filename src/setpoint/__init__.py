"""Setpoint: a self-hostable training-session server."""

__version__ = "0.1.0"

"""Workout documents tests share: the Workout JSON example."""

from __future__ import annotations

from typing import Any

THRESHOLD: dict[str, Any] = {
    "name": "5x3 min threshold",
    "sport": "run",
    "steps": [
        {
            "name": "Warm up",
            "intensity": "warmup",
            "duration": {"type": "time", "seconds": 600},
            "targets": [{"type": "hr_zone", "zone": 2}],
        },
        {
            "repeat": 5,
            "steps": [
                {
                    "intensity": "interval",
                    "duration": {"type": "time", "seconds": 180},
                    "targets": [{"type": "hr_range", "low": 150, "high": 165}],
                },
                {"intensity": "recovery", "duration": {"type": "time", "seconds": 120}},
            ],
        },
        {"intensity": "cooldown", "duration": {"type": "distance", "meters": 1000}},
        {"name": "Strides", "intensity": "active", "duration": {"type": "open"}},
    ],
}

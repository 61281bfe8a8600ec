"""Golden files: two representative workouts per format, compared byte for byte.

The files live in `golden/`. After an intended change of a writer, regenerate them with

    SETPOINT_UPDATE_GOLDEN=1 PYTHONPATH=src:. .venv/bin/python -m pytest \
        tests/unit/exports/test_golden.py

and review the diff (FIT files: decode them, e.g. with `fit_reader.decode`) before committing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from setpoint.exports.formats import export_workout
from setpoint.workouts import model as m
from tests.unit.exports.factories import (
    full_ctx,
    over_unders_bike,
    strength_day,
    sweet_spot_bike,
    threshold_run,
    treadmill_hills,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SETPOINT_UPDATE_GOLDEN") == "1"

CASES: list[tuple[str, str, Callable[[], m.Workout]]] = [
    ("fit", "threshold-run.fit", threshold_run),
    ("fit", "strength-day.fit", strength_day),
    ("zwo", "sweet-spot.zwo", sweet_spot_bike),
    ("zwo", "over-unders.zwo", over_unders_bike),
    ("erg", "sweet-spot.erg", lambda: sweet_spot_bike(with_cadence=False)),
    ("erg", "over-unders.erg", over_unders_bike),
    ("mrc", "sweet-spot.mrc", lambda: sweet_spot_bike(with_cadence=False)),
    ("mrc", "over-unders.mrc", over_unders_bike),
    ("garmin", "threshold-run.garmin.json", threshold_run),
    ("garmin", "strength-day.garmin.json", strength_day),
    ("wahoo", "treadmill-hills.wahoo.json", treadmill_hills),
    ("wahoo", "sweet-spot.wahoo.json", sweet_spot_bike),
]


@pytest.mark.parametrize(("fmt", "filename", "build"), CASES, ids=[c[1] for c in CASES])
def test_output_matches_the_golden_file(
    fmt: str, filename: str, build: Callable[[], m.Workout]
) -> None:
    content = export_workout(build(), fmt, full_ctx()).content
    path = GOLDEN / filename
    if UPDATE:
        path.write_bytes(content)
    assert path.exists(), f"missing {path.name}: run with SETPOINT_UPDATE_GOLDEN=1"
    assert content == path.read_bytes(), f"{path.name} changed: review, then regenerate"

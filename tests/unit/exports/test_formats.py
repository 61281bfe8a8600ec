"""The registry: `export_workout` for every format, file names, media types, refusals."""

from __future__ import annotations

import json

import pytest

from setpoint.errors import CannotExport
from setpoint.exports.formats import FORMATS, export_workout, json_schema
from setpoint.exports.formats.garmin import workout_json
from setpoint.exports.formats.wahoo import plan_json
from setpoint.workouts import model as m
from tests.unit.exports import fit_reader
from tests.unit.exports.factories import (
    full_ctx,
    sweet_spot_bike,
    timed,
    treadmill_hills,
    workout,
    zone,
)

MEDIA = {
    "fit": "application/vnd.ant.fit",
    "zwo": "application/xml",
    "erg": "text/plain; charset=utf-8",
    "mrc": "text/plain; charset=utf-8",
    "garmin": "application/json",
    "wahoo": "application/json",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_a_named_typed_file(fmt: str) -> None:
    w = sweet_spot_bike(with_cadence=fmt not in ("erg", "mrc"))
    file = export_workout(w, fmt, full_ctx())
    extension = "json" if fmt in ("garmin", "wahoo") else fmt
    assert file.filename == f"sweet-spot-3x10.{extension}"
    assert file.media_type == MEDIA[fmt]
    assert file.content


def test_json_formats_are_utf8_json_of_the_public_dicts() -> None:
    w = treadmill_hills()
    garmin = export_workout(w, "garmin", full_ctx())
    wahoo = export_workout(w, "wahoo", full_ctx())
    assert json.loads(garmin.content.decode("utf-8")) == workout_json(w, full_ctx())
    assert json.loads(wahoo.content.decode("utf-8")) == plan_json(w, full_ctx())


def test_fit_files_decode() -> None:
    file = export_workout(treadmill_hills(), "fit", full_ctx())
    assert fit_reader.decode(file.content)["workout_mesgs"][0]["sub_sport"] == "treadmill"


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("5x3 min Threshold!", "5x3-min-threshold"),
        ("Ünïcödé ride", "unicode-ride"),
        ("🚴", "workout"),
    ],
)
def test_file_names_are_lower_case_slugs(name: str, stem: str) -> None:
    file = export_workout(workout(name, "run", timed(60, "active", zone(2))), "fit", full_ctx())
    assert file.filename == f"{stem}.fit"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_invalid_workout_is_refused_with_its_problems(fmt: str) -> None:
    bad = m.Workout(
        "Bad", m.Sport.RUN, (timed(0, "active", m.Target(m.TargetType.HR_ZONE, zone=7)),)
    )
    with pytest.raises(CannotExport) as raised:
        export_workout(bad, fmt, full_ctx())
    assert raised.value.status == 422
    assert raised.value.extra["problems"] == [
        "steps[0].duration.seconds: 0 is outside 1–86400",
        "steps[0].targets[0].zone: 7 is outside 1–5",
    ]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(CannotExport, match="unknown export format 'tcx'"):
        export_workout(treadmill_hills(), "tcx", full_ctx())


@pytest.mark.parametrize("fmt", ["garmin", "wahoo"])
def test_json_schemas_load(fmt: str) -> None:
    assert json_schema(fmt)["$schema"] == "https://json-schema.org/draft/2020-12/schema"

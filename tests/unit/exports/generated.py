"""Workouts made by the generator (`setpoint.workouts.generate`), for the export corpus."""

from __future__ import annotations

from setpoint.workouts import model as m
from setpoint.workouts.generate import Constraints, GenerationInputs, generate

CASES: dict[str, tuple[GenerationInputs, int]] = {
    "generated-treadmill-hills": (GenerationInputs("treadmill", 30, "hills"), 3),
    "generated-treadmill-intervals": (
        GenerationInputs("treadmill", 45, "intervals", "advanced"),
        11,
    ),
    "generated-bike-intervals": (
        GenerationInputs("bike", 45, "intervals", constraints=Constraints(ftp_w=250)),
        7,
    ),
    "generated-bike-tempo": (GenerationInputs("bike", 60, "tempo", "beginner"), 1),
    "generated-bike-recovery": (GenerationInputs("bike", 20, "recovery"), 42),
}


def generated_workouts() -> dict[str, m.Workout]:
    return {name: generate(inputs, seed) for name, (inputs, seed) in CASES.items()}

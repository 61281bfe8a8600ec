"""The generated workout shown in docs/guide.md is what the generator gives today."""

from __future__ import annotations

import re
from pathlib import Path

from setpoint.workouts import generate as gen
from setpoint.workouts.model import TargetType
from setpoint.workouts.normalize import normalize

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
# The block that follows "Its segments (index, name, intensity, duration_s, targets):"
BLOCK = re.compile(
    r"Its segments \(index, name, intensity, duration_s, targets\):\n\n```\n(.*?)```", re.S
)


def rendered() -> str:
    inputs = gen.apply_defaults(gen.GenerationInputs("treadmill", 30, "intervals", "intermediate"))
    lines = []
    for s in normalize(gen.generate(inputs, 42)).segments:
        speed = next(t for t in s.targets if t.type is TargetType.SPEED)
        incline = next(t for t in s.targets if t.type is TargetType.INCLINE)
        pace = f"{speed.low}" if speed.low == speed.high else f"{speed.low}–{speed.high}"
        lines.append(
            f"{s.index} {s.name:<11} {s.intensity.value:<9} {s.duration_s:>4} s"
            f"  speed {pace} m/s, incline {incline.value} %"
        )
    return "\n".join(lines) + "\n"


def test_the_guide_shows_the_seed_42_workout_as_generated() -> None:
    found = BLOCK.search(GUIDE.read_text())
    assert found is not None, "the generated example is gone from docs/guide.md"
    assert found.group(1) == rendered(), "regenerate the block with rendered()"

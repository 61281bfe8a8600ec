"""The athlete profile and its rules (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ZoneModel(StrEnum):
    HRMAX = "hrmax"  # % of maximum heart rate
    KARVONEN = "karvonen"  # % of heart-rate reserve (max - resting)
    LTHR = "lthr"  # % of lactate-threshold heart rate


@dataclass(frozen=True, slots=True)
class Profile:
    max_hr: int | None = None
    resting_hr: int | None = None
    lthr: int | None = None
    ftp_w: int | None = None
    zone_model: ZoneModel = ZoneModel.HRMAX


BOUNDS = {"max_hr": (100, 230), "resting_hr": (25, 120), "lthr": (80, 225), "ftp_w": (30, 2000)}


def check_profile(p: Profile) -> list[str]:
    """Each broken rule as `field: sentence`; empty when the profile is consistent."""
    problems = []
    for name, (low, high) in BOUNDS.items():
        value = getattr(p, name)
        if value is not None and not low <= value <= high:
            problems.append(f"{name}: {value} is outside {low}–{high}")
    if p.resting_hr is not None and p.max_hr is not None and p.resting_hr >= p.max_hr:
        problems.append(f"resting_hr: {p.resting_hr} must be below max_hr {p.max_hr}")
    if p.lthr is not None and p.max_hr is not None and p.lthr > p.max_hr:
        problems.append(f"lthr: {p.lthr} must not be above max_hr {p.max_hr}")
    needs = {
        ZoneModel.HRMAX: ("max_hr",),
        ZoneModel.KARVONEN: ("max_hr", "resting_hr"),
        ZoneModel.LTHR: ("lthr",),
    }[p.zone_model]
    missing = [n for n in needs if getattr(p, n) is None]
    if missing and any(getattr(p, n) is not None for n in ("max_hr", "resting_hr", "lthr")):
        problems.append(f"zone_model: {p.zone_model} needs {' and '.join(missing)}")
    return problems

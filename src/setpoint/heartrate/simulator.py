"""A simulated athlete's heart rate (pure, seeded), for `setpoint simulate` and tests.

Each `HeartModel.step(dt, intensity)` moves the true heart rate towards its target,
`resting + intensity × (max − resting) + drift`, and returns what a chest strap would report:
- first-order lag: the gap to the target shrinks as `exp(-dt / tau)`, `tau` 30 s going up and
  45 s coming down;
- cardiac drift: the target creeps up by `drift_bpm_per_min` per minute of work (scaled by
  the intensity) and never comes back during the session;
- gaussian noise (`noise_bpm`), artifacts (a ±`artifact_bpm` spike on `artifact_rate` of the
  samples) and dropouts (no sample for 3–8 s, on average one per `dropout_every_s`).
Reported values are clamped to `MIN_BPM`–`MAX_BPM`, artifacts included.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from setpoint.heartrate.model import Profile
from setpoint.heartrate.zones import zones_for

MIN_BPM = 25
MAX_BPM = 250

# fraction of the heart-rate reserve an athlete works at, per segment intensity
INTENSITY_RESERVE = {
    "warmup": 0.5,
    "active": 0.7,
    "interval": 0.9,
    "recovery": 0.45,
    "rest": 0.35,
    "cooldown": 0.45,
}


@dataclass(frozen=True, slots=True)
class HeartConfig:
    resting_bpm: float = 55.0
    max_bpm: float = 190.0
    tau_up_s: float = 30.0
    tau_down_s: float = 45.0
    drift_bpm_per_min: float = 0.05
    noise_bpm: float = 1.5
    artifact_rate: float = 0.005
    artifact_bpm: float = 40.0
    dropout_every_s: float = 600.0
    dropout_min_s: float = 3.0
    dropout_max_s: float = 8.0

    def target_bpm(self, intensity: float) -> float:
        """The steady heart rate at `intensity` (0–1 of the reserve), without drift."""
        return self.resting_bpm + intensity * (self.max_bpm - self.resting_bpm)


class HeartModel:
    """One athlete's heart; the same config and seed give the same samples."""

    def __init__(self, config: HeartConfig, seed: int | None = None) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._bpm = config.resting_bpm
        self._drift_bpm = 0.0
        self._dropout_left_s = 0.0

    @property
    def bpm(self) -> float:
        """The true heart rate, without noise or artifacts."""
        return self._bpm

    def step(self, dt: float, intensity: float) -> float | None:
        """Advance `dt` seconds at `intensity` (0–1); the reported bpm, or None in a dropout."""
        c, rng = self.config, self._rng
        intensity = min(max(intensity, 0.0), 1.0)
        self._drift_bpm += c.drift_bpm_per_min * intensity * dt / 60
        target = c.target_bpm(intensity) + self._drift_bpm
        tau = c.tau_up_s if target > self._bpm else c.tau_down_s
        self._bpm = target + (self._bpm - target) * math.exp(-dt / tau)
        if self._dropout_left_s > 0:
            self._dropout_left_s -= dt
            return None
        if rng.random() < 1 - math.exp(-dt / c.dropout_every_s):
            self._dropout_left_s = rng.uniform(c.dropout_min_s, c.dropout_max_s) - dt
            return None
        bpm = self._bpm + rng.gauss(0.0, c.noise_bpm)
        if rng.random() < c.artifact_rate:
            bpm += rng.choice((-1, 1)) * c.artifact_bpm
        return min(max(bpm, MIN_BPM), MAX_BPM)


def intensity_of(segment: Mapping[str, Any], resting_bpm: float, max_bpm: float) -> float:
    """The fraction of the heart-rate reserve (0–1) a segment of the server's state asks for:
    the middle of its first HR target (`hr_range`, or `hr_zone` in the server's default %HRmax
    zones), else the typical effort of its `intensity`."""
    for target in segment.get("targets") or ():
        middle = _target_middle(target, resting_bpm, max_bpm)
        if middle is not None:
            return min(max((middle - resting_bpm) / (max_bpm - resting_bpm), 0.0), 1.0)
    return INTENSITY_RESERVE.get(segment.get("intensity", ""), INTENSITY_RESERVE["active"])


def _target_middle(target: Mapping[str, Any], resting_bpm: float, max_bpm: float) -> float | None:
    if target.get("type") == "hr_range":
        return (float(target["low"]) + float(target["high"])) / 2
    if target.get("type") == "hr_zone":
        zones = zones_for(Profile(max_hr=round(max_bpm), resting_hr=round(resting_bpm))) or ()
        zone = next((z for z in zones if z.number == target.get("zone")), None)
        return None if zone is None else (zone.low_bpm + zone.high_bpm) / 2
    return None

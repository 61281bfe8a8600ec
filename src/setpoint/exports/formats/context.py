"""What a format writer may know besides the workout: the time and the athlete's profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_SOURCE_ID = 20  # Garmin's workoutSourceId limit


@dataclass(frozen=True, slots=True)
class ExportContext:
    """Inputs of every writer besides the workout; nothing here is read from a clock.

    `created_at` is a timezone-aware instant (the FIT `time_created`). The profile values
    turn relative targets into absolute ones where a format needs it (`ftp_w` for %FTP in
    ERG, watts in ZWO/MRC, Wahoo `ftp`; `max_hr` for Wahoo heart-rate zones). `hr_zones_bpm`
    are the athlete's own zone bounds, zone 1 first, when the caller knows their zone model.
    `source_id` is the id a provider echoes back (Garmin `workoutSourceId`, at most 20
    characters).
    """

    created_at: datetime
    ftp_w: int | None = None
    max_hr: int | None = None
    threshold_hr: int | None = None
    resting_hr: int | None = None
    source_id: str | None = None
    hr_zones_bpm: tuple[tuple[int, int], ...] | None = None

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError("ExportContext.created_at must be timezone-aware")
        if self.source_id is not None and len(self.source_id) > MAX_SOURCE_ID:
            raise ValueError(f"ExportContext.source_id must be at most {MAX_SOURCE_ID} characters")

"""Workout files for download: the template, written in a device or app format."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.exports.formats import ExportContext, ExportFile, export_workout
from setpoint.heartrate.service import profile_of
from setpoint.workouts.service import domain_of
from setpoint.workouts.tables import WorkoutRow


async def workout_file(session: AsyncSession, row: WorkoutRow, fmt: str) -> ExportFile:
    """Relative targets (%FTP, HR zones) are resolved with the owner's profile."""
    profile = await profile_of(session, row.owner_id)
    ctx = ExportContext(
        created_at=row.created_at,
        ftp_w=profile.ftp_w,
        max_hr=profile.max_hr,
        threshold_hr=profile.lthr,
        resting_hr=profile.resting_hr,
        source_id=row.id.hex[:20],
    )
    return export_workout(domain_of(row), fmt, ctx)

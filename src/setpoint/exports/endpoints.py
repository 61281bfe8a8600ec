from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from setpoint.auth.deps import CurrentActor
from setpoint.dependencies import UoW
from setpoint.exports import service
from setpoint.exports.formats import Format
from setpoint.workouts.service import visible

router = APIRouter(prefix="/api", tags=["exports"])


@router.get(
    "/workouts/{workout_id}/export",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        422: {"description": "cannot export"},
    },
)
async def export_workout(
    workout_id: uuid.UUID,
    uow: UoW,
    actor: CurrentActor,
    format: Format = Query(description="fit, zwo, erg, mrc, garmin or wahoo"),
) -> Response:
    """Download the workout as a device or app file; 422 says what the format cannot express."""
    row = await visible(uow.session, actor, workout_id)
    file = await service.workout_file(uow.session, row, format)
    disposition = (
        f"attachment; filename=\"{file.filename}\"; filename*=UTF-8''{quote(file.filename)}"
    )
    return Response(
        file.content, media_type=file.media_type, headers={"Content-Disposition": disposition}
    )

"""The error hierarchy: every refusal Setpoint makes has a stable code, a sentence and a status.

Pure Python, so the domain may raise these; the one handler in `app.py` renders them as
`{"error": code, "detail": sentence, ...extra}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class SetpointError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}


class BadRequest(SetpointError):
    code = "bad_request"
    status = 400


class MalformedJson(SetpointError):
    code = "malformed_json"
    status = 400


class NotAuthenticated(SetpointError):
    code = "not_authenticated"
    status = 401


class InvalidCredentials(SetpointError):
    code = "invalid_credentials"
    status = 401


class Forbidden(SetpointError):
    code = "forbidden"
    status = 403


class NotFound(SetpointError):
    code = "not_found"
    status = 404


class Conflict(SetpointError):
    code = "conflict"
    status = 409


class StaleRevision(Conflict):
    code = "stale_revision"


class AlreadyExists(Conflict):
    code = "already_exists"


class PayloadTooLarge(SetpointError):
    code = "payload_too_large"
    status = 413


class Unprocessable(SetpointError):
    code = "validation_error"
    status = 422


class InvalidWorkout(Unprocessable):
    """The workout breaks domain rules; `problems` name each step path and rule."""

    code = "invalid_workout"

    def __init__(self, problems: Sequence[object]) -> None:
        lines = [str(p) for p in problems]
        super().__init__("; ".join(lines), problems=lines)


class InvalidGeneration(Unprocessable):
    code = "invalid_generation"

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems), problems=list(problems))


class CannotExport(Unprocessable):
    """The workout holds something the requested format cannot express."""

    code = "cannot_export"

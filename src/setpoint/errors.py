"""The error hierarchy: every refusal Setpoint makes has a stable code, a sentence and a status.

Pure Python, so the domain may raise these; the one handler in `app.py` renders them as
`{"error": code, "detail": sentence, ...extra}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


class TooManyRequests(SetpointError):
    """Over a rate limit; `retry_after` (whole seconds) also goes out as `Retry-After`."""

    code = "rate_limited"
    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


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


class InvalidCron(Unprocessable):
    """A cron expression that cannot be read; the detail names the field and the rule."""

    code = "invalid_cron"


class InvalidTimeZone(Unprocessable):
    code = "invalid_time_zone"


def field_path(loc: Sequence[Any]) -> str:
    """`('body', 'steps', 3, 'step', 'duration', 'seconds')` → `body.steps[3].duration.seconds`."""
    path = ""
    previous: Any = None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(previous, int) and part in ("step", "repeat"):
            pass  # the tag pydantic inserts for a tagged union member
        else:
            path += f".{part}" if path else str(part)
        previous = part
    return path


def invalid_fields(errors: Iterable[Mapping[str, Any]]) -> Unprocessable:
    """Pydantic's errors as one 422 naming each field by the user's own path."""
    problems = [f"{field_path(e['loc'])}: {e['msg']}" for e in errors]
    return Unprocessable("; ".join(problems), problems=problems)

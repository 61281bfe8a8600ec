"""Schedule rules (pure): which fires fall inside a schedule's dates, which are planned ahead
now, and which of the fires that came due fires and which are missed.

Instants are epoch seconds (the wall clock of the worker loop); fires come from
`setpoint.schedules.cron`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from setpoint.errors import Unprocessable
from setpoint.schedules.cron import Cron, Fire, next_fires

MAX_AHEAD = 50  # planned (not yet fired) fires a schedule holds at most
PLAN_BATCH = 200  # fires looked at by one planning step


class FireStatus(StrEnum):
    PLANNED = "planned"  # its planned session exists; it fires at its instant
    FIRED = "fired"
    MISSED = "missed"  # came due while no worker ran, and too long ago to fire late
    SKIPPED = "skipped"  # came due while paused, or its planned session was deleted


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise Unprocessable(f"ends_on: {ends_on} is before starts_on {starts_on}")


def upcoming(
    cron: Cron,
    zone: ZoneInfo,
    after: datetime,
    count: int,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> list[Fire]:
    """The first `count` fires strictly after `after` whose local date is within
    `starts_on`…`ends_on` (both optional, inclusive)."""
    begin = after
    if starts_on is not None:
        first = datetime.combine(starts_on, time.min).replace(tzinfo=zone)
        begin = max(after, first - timedelta(microseconds=1))
    fires = next_fires(cron, zone, begin, count)
    if ends_on is not None:
        fires = [f for f in fires if f.local.date() <= ends_on]
    return fires


def triage(due: Sequence[float], now: float, grace_s: float) -> tuple[float | None, list[float]]:
    """Of fire instants that came due (≤ `now`): the one that fires, and those missed.

    Only the latest fires, and only when it is at most `grace_s` old: fires that piled up
    while no worker ran are coalesced into one, and none fires later than the grace allows.
    """
    ordered = sorted(due)
    if not ordered:
        return None, []
    if now - ordered[-1] <= grace_s:
        return ordered[-1], ordered[:-1]
    return None, ordered


@dataclass(frozen=True)
class Planning:
    """What one planning step does: the fires to record as `missed`, the fires to plan (each
    with its planned session), how far the cursor moves, and when to plan again (`plan_at`;
    `after_next_fire`: once the earliest planned fire has fired, as the schedule holds
    `MAX_AHEAD` already)."""

    missed: list[Fire]
    planned: list[Fire]
    through: float | None
    plan_at: float | None
    after_next_fire: bool = False


def plan(
    fires: Sequence[Fire],
    complete: bool,
    now: float,
    horizon_s: float,
    grace_s: float,
    room: int,
) -> Planning:
    """Plan `fires` (the next fires after the cursor, earliest first; `complete` when no fire
    follows the last): those already past are triaged (the latest within grace is planned, to
    fire at once; the others are missed); those within `horizon_s` of `now` are planned,
    `room` at most in all."""
    at = [f.at.timestamp() for f in fires]
    past = [i for i, a in enumerate(at) if a <= now]
    to_fire, _ = triage([at[i] for i in past], now, grace_s)
    missed = [fires[i] for i in past if at[i] != to_fire]
    planned = [fires[i] for i in past if at[i] == to_fire]
    room -= len(planned)
    within = [i for i, a in enumerate(at) if now < a <= now + horizon_s]
    taken = within[: max(room, 0)]
    planned += [fires[i] for i in taken]
    done = len(past) + len(taken)
    through = at[done - 1] if done else None
    if done < len(fires):
        if len(taken) < len(within):
            return Planning(missed, planned, through, None, after_next_fire=True)
        return Planning(missed, planned, through, at[done] - horizon_s)
    return Planning(missed, planned, through, None if complete else now)

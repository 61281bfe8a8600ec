"""Weekly plans (pure): the week a plan covers, the dates its sessions may take, who may change
it, and how closely a session done matched the session planned."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from enum import StrEnum

from setpoint.errors import Unprocessable

# Done over planned duration (compared as a ratio, so a boundary such as exactly 80 % is exact).
GREEN = (0.8, 1.2)  # within ±20 %
AMBER = (0.5, 1.5)  # within ±50 %, and not green


class SessionType(StrEnum):
    STRENGTH = "STRENGTH"
    ENDURANCE = "ENDURANCE"


class Colour(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class NotAMonday(Unprocessable):
    code = "not_a_monday"


class OutsideWeek(Unprocessable):
    code = "outside_week"


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def week_end(week_start: date) -> date:
    """The Sunday that closes the week."""
    return week_start + timedelta(days=6)


def check_week_start(week_start: date) -> None:
    if week_start.weekday() != 0:
        raise NotAMonday(
            f"week_start: {week_start} is a {week_start:%A}; a week starts on a Monday "
            f"({week_of(week_start)})"
        )


def check_in_week(day: date, week_start: date) -> None:
    if week_of(day) != week_start:
        raise OutsideWeek(
            f"date: {day} is outside the plan's week {week_start}…{week_end(week_start)}"
        )


def may_change(user_id: uuid.UUID, athlete_id: uuid.UUID, created_by: uuid.UUID) -> bool:
    """Whether a user who may read the plan may also change it: coaches (and admins) change
    their athletes' plans; an athlete changes the plans they made, and reads those their coach
    made."""
    return user_id != athlete_id or created_by == athlete_id


def compliance_colour(planned_s: float | None, done_s: float) -> Colour | None:
    """How the duration done compares with the duration planned: green within ±20 %, amber
    within ±50 %, red beyond; None when the planned duration is unknown (open steps)."""
    if planned_s is None or planned_s <= 0:
        return None
    ratio = done_s / planned_s
    if GREEN[0] <= ratio <= GREEN[1]:
        return Colour.GREEN
    if AMBER[0] <= ratio <= AMBER[1]:
        return Colour.AMBER
    return Colour.RED

"""The pure rules of weekly plans: weeks, dates inside them, who may change a plan, and the
compliance colour of a session done against the session planned."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.auth.model import Actor, Role
from setpoint.plans.model import (
    Colour,
    NotAMonday,
    OutsideWeek,
    check_in_week,
    check_week_start,
    compliance_colour,
    may_change,
    week_end,
    week_of,
)

MONDAY = date(2027, 1, 4)


@given(st.dates())
def test_every_day_belongs_to_the_week_of_its_monday(day: date) -> None:
    monday = week_of(day)
    assert monday.weekday() == 0 and monday <= day <= week_end(monday)
    check_week_start(monday)
    check_in_week(day, monday)


def test_a_week_starts_on_a_monday() -> None:
    check_week_start(MONDAY)
    with pytest.raises(NotAMonday) as refused:
        check_week_start(date(2027, 1, 6))
    assert refused.value.detail == (
        "week_start: 2027-01-06 is a Wednesday; a week starts on a Monday (2027-01-04)"
    )


@pytest.mark.parametrize("offset", [-1, 7, 8, -7])
def test_a_date_outside_the_week_is_refused_naming_the_week(offset: int) -> None:
    day = MONDAY + timedelta(days=offset)
    with pytest.raises(OutsideWeek) as refused:
        check_in_week(day, MONDAY)
    assert refused.value.detail == f"date: {day} is outside the plan's week 2027-01-04…2027-01-10"
    assert refused.value.status == 422


@pytest.mark.parametrize(
    ("percent", "colour"),
    [
        (100, Colour.GREEN),
        (80, Colour.GREEN),
        (120, Colour.GREEN),
        (79, Colour.AMBER),
        (121, Colour.AMBER),
        (50, Colour.AMBER),
        (150, Colour.AMBER),
        (49, Colour.RED),
        (151, Colour.RED),
        (0, Colour.RED),
        (300, Colour.RED),
    ],
)
def test_the_compliance_colour_follows_the_share_of_the_planned_duration_done(
    percent: int, colour: Colour
) -> None:
    for planned_s in (600, 3600, 2700, 100):
        assert compliance_colour(planned_s, planned_s * percent / 100) is colour, planned_s


def test_without_a_planned_duration_there_is_no_colour() -> None:
    assert compliance_colour(None, 600) is None
    assert compliance_colour(0, 600) is None


def test_athletes_change_their_own_plans_and_read_their_coachs() -> None:
    athlete_id, coach_id = uuid.uuid4(), uuid.uuid4()
    athlete = Actor(athlete_id, "a@example.com", Role.ATHLETE, coach_ids=frozenset({coach_id}))
    coach = Actor(coach_id, "c@example.com", Role.COACH, athlete_ids=frozenset({athlete_id}))
    assert may_change(athlete.user_id, athlete_id, created_by=athlete_id)
    assert not may_change(athlete.user_id, athlete_id, created_by=coach_id)
    assert may_change(coach.user_id, athlete_id, created_by=coach_id)
    assert may_change(coach.user_id, athlete_id, created_by=athlete_id)

"""The schedule rules: dates a schedule keeps to, what one planning step plans, and which
fires that came due fire or are missed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.errors import Unprocessable
from setpoint.schedules.cron import next_fires, parse_cron
from setpoint.schedules.model import check_dates, plan, triage, upcoming

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600.0
DAY = 86400.0


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_the_latest_due_fire_within_the_grace_fires_and_the_rest_are_missed() -> None:
    now = at("2026-03-02T08:00:00+00:00")
    due = [now - 3 * HOUR, now - 10, now - 2 * HOUR]
    assert triage(due, now, HOUR) == (now - 10, [now - 3 * HOUR, now - 2 * HOUR])
    assert triage([now - 2 * HOUR], now, HOUR) == (None, [now - 2 * HOUR])
    assert triage([now - HOUR], now, HOUR) == (now - HOUR, [])  # the grace is inclusive
    assert triage([], now, HOUR) == (None, [])


@given(
    st.lists(st.floats(min_value=0, max_value=10 * DAY), max_size=30, unique=True),
    st.floats(min_value=0, max_value=2 * DAY),
)
def test_triage_fires_at_most_one_and_accounts_for_every_fire(
    ages: list[float], grace_s: float
) -> None:
    now = 1e9
    due = [now - a for a in ages]
    fired, missed = triage(due, now, grace_s)
    assert sorted([*missed, *([fired] if fired is not None else [])]) == sorted(due)
    if fired is not None:
        assert fired == max(due) and now - fired <= grace_s


def test_dates_bound_the_fires_in_local_time() -> None:
    fires = upcoming(
        parse_cron("30 6 * * *"),
        PARIS,
        datetime(2026, 1, 1, tzinfo=UTC),
        10,
        date(2026, 3, 28),
        date(2026, 3, 30),
    )
    assert [f.local.isoformat() for f in fires] == [
        "2026-03-28T06:30:00+01:00",
        "2026-03-29T06:30:00+02:00",
        "2026-03-30T06:30:00+02:00",
    ]
    midnight = upcoming(
        parse_cron("0 0 * * *"), PARIS, datetime(2026, 1, 1, tzinfo=UTC), 1, date(2026, 2, 1)
    )
    assert midnight[0].local.isoformat() == "2026-02-01T00:00:00+01:00"
    with pytest.raises(Unprocessable, match="ends_on"):
        check_dates(date(2026, 2, 1), date(2026, 1, 31))


def test_a_planning_step_plans_the_horizon_and_says_when_to_come_back() -> None:
    now = at("2026-03-02T07:00:00+00:00")
    fires = next_fires("30 6 * * *", "UTC", datetime.fromtimestamp(now, UTC), 200)
    step = plan(fires, False, now, 7 * DAY, HOUR, 50)
    assert step.planned[0].local.date().isoformat() == "2026-03-03"
    assert len(step.planned) == 7 and step.missed == []
    assert step.through == at("2026-03-09T06:30:00+00:00")
    assert step.plan_at == at("2026-03-10T06:30:00+00:00") - 7 * DAY
    assert not step.after_next_fire


def test_a_planning_step_after_an_outage_misses_the_old_and_plans_the_latest() -> None:
    start = at("2026-03-02T07:00:00+00:00")
    now = start + 10 * DAY
    fires = next_fires("30 6 * * *", "UTC", datetime.fromtimestamp(start, UTC), 200)
    step = plan(fires, False, now, 0.0, HOUR, 50)
    assert len(step.missed) == 9
    assert [f.at.timestamp() for f in step.planned] == [at("2026-03-12T06:30:00+00:00")]
    assert step.plan_at == at("2026-03-13T06:30:00+00:00")  # a horizon of 0: at the fire


def test_a_planning_step_holds_at_most_the_room_left() -> None:
    now = at("2026-03-02T07:00:00+00:00")
    fires = next_fires("*/10 * * * *", "UTC", datetime.fromtimestamp(now, UTC), 200)
    step = plan(fires, False, now, 7 * DAY, HOUR, 3)
    assert len(step.planned) == 3 and step.after_next_fire and step.plan_at is None
    full = plan(fires[:5], True, now, 7 * DAY, HOUR, 50)
    assert len(full.planned) == 5 and full.plan_at is None  # no fire follows: done
    batch = plan(fires[:5], False, now, 7 * DAY, HOUR, 50)
    assert batch.plan_at == now  # more may follow within the horizon: at once

"""Cron parsing and fire instants, against tables worked out by hand and a brute-force reference.

Daylight-saving changes of 2026 used by the tables (UTC instants):
- Europe/Paris: 03-29 01:00 (02:00 CET → 03:00 CEST), 10-25 01:00 (03:00 CEST → 02:00 CET).
- America/New_York: 03-08 07:00 (02:00 EST → 03:00 EDT), 11-01 06:00 (02:00 EDT → 01:00 EST).
- Australia/Lord_Howe, a 30-minute shift: 04-04 15:00 (02:00 +11 → 01:30 +10:30 on 04-05) and
  10-03 15:30 (02:00 +10:30 → 02:30 +11 on 10-04).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.errors import InvalidCron, InvalidTimeZone
from setpoint.schedules.cron import (
    Cron,
    Fire,
    next_fire,
    next_fires,
    parse_cron,
    parse_time_zone,
)

MINUTE = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def shown(fires: list[Fire]) -> list[str]:
    """Each fire as `instant UTC = local wall time with offset`."""
    return [f"{f.at:%Y-%m-%d %H:%M}Z = {f.local:%Y-%m-%d %H:%M%z}" for f in fires]


# Parsing


def test_steps_ranges_and_lists() -> None:
    cron = parse_cron("*/15 1-5/2 1,15,31 * *")
    assert cron.minutes == (0, 15, 30, 45)
    assert cron.hours == (1, 3, 5)
    assert cron.days_of_month == {1, 15, 31}
    assert cron.months == set(range(1, 13))


def test_a_single_value_with_a_step_runs_to_the_end_of_the_field() -> None:
    assert parse_cron("10/20 * * * *").minutes == (10, 30, 50)


def test_month_and_day_names_are_case_insensitive_and_work_in_ranges() -> None:
    cron = parse_cron("0 6 * jan,Mar-MAY mon-Fri")
    assert cron.months == {1, 3, 4, 5}
    assert cron.days_of_week == {1, 2, 3, 4, 5}


def test_zero_and_seven_are_both_sunday() -> None:
    assert parse_cron("0 0 * * 7").days_of_week == {0}
    assert parse_cron("0 0 * * 0,7").days_of_week == {0}
    assert parse_cron("0 0 * * 5-7").days_of_week == {0, 5, 6}
    assert parse_cron("0 0 * * SUN").days_of_week == {0}


def test_spaces_around_and_between_fields_do_not_matter() -> None:
    assert parse_cron("  0\t6   * *  1 ") == parse_cron("0 6 * * 1")


@pytest.mark.parametrize(
    ("shortcut", "expression"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@DAILY", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_shortcuts(shortcut: str, expression: str) -> None:
    assert parse_cron(shortcut) == parse_cron(expression)


def test_a_day_field_starting_with_a_star_is_unrestricted() -> None:
    assert parse_cron("0 0 * * 1").day_of_month_star
    assert parse_cron("0 0 */2 * 1").day_of_month_star
    assert not parse_cron("0 0 1-31 * 1").day_of_month_star
    assert parse_cron("0 0 1 * *").day_of_week_star


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ("0 25 * * *", "cron: field 2 (hour) 25 is outside 0–23"),
        ("0 0 * *", "cron: expected 5 fields, got 4"),
        ("", "cron: expected 5 fields, got 0"),
        ("0 0 0 * * *", "cron: expected 5 fields, got 6"),
        ("0 0 * * FUNDAY", "cron: field 5 (day of week) 'FUNDAY' is not a day name"),
        ("0 0 * JANUARY *", "cron: field 4 (month) 'JANUARY' is not a month name"),
        ("60 * * * *", "cron: field 1 (minute) 60 is outside 0–59"),
        ("0 0 0 * *", "cron: field 3 (day of month) 0 is outside 1–31"),
        ("0 0 32 * *", "cron: field 3 (day of month) 32 is outside 1–31"),
        ("0 0 * 13 *", "cron: field 4 (month) 13 is outside 1–12"),
        ("0 0 * 0 *", "cron: field 4 (month) 0 is outside 1–12"),
        ("0 0 * * 8", "cron: field 5 (day of week) 8 is outside 0–7"),
        ("0 0 * * 1-8", "cron: field 5 (day of week) 8 is outside 0–7"),
        ("MON * * * *", "cron: field 1 (minute) 'MON' is not a number"),
        ("0 x * * *", "cron: field 2 (hour) 'x' is not a number"),
        ("-1 * * * *", "cron: field 1 (minute) '' is not a number"),
        ("0 0 * * 1x", "cron: field 5 (day of week) '1x' is not a number"),
        ("*/0 * * * *", "cron: field 1 (minute) step 0 must be at least 1"),
        ("*/x * * * *", "cron: field 1 (minute) step 'x' is not a number"),
        ("*/ * * * *", "cron: field 1 (minute) step '' is not a number"),
        ("0 22-2 * * *", "cron: field 2 (hour) range 22-2 runs backwards"),
        ("0 0 * * FRI-MON", "cron: field 5 (day of week) range FRI-MON runs backwards"),
        ("1,,2 * * * *", "cron: field 1 (minute) has an empty list item"),
        ("0 0 L * *", "cron: field 3 (day of month) 'L': L, W, # and ? are not supported"),
        ("0 0 15W * *", "cron: field 3 (day of month) '15W': L, W, # and ? are not supported"),
        ("0 0 * * 5L", "cron: field 5 (day of week) '5L': L, W, # and ? are not supported"),
        ("0 0 * * MON#2", "cron: field 5 (day of week) 'MON#2': L, W, # and ? are not supported"),
        ("0 0 ? * 1", "cron: field 3 (day of month) '?': L, W, # and ? are not supported"),
        (
            "@reboot",
            "cron: '@reboot' is not one of @yearly, @annually, @monthly, @weekly, @daily, "
            "@midnight, @hourly",
        ),
    ],
)
def test_each_error_names_the_field_and_the_rule(expression: str, detail: str) -> None:
    with pytest.raises(InvalidCron) as raised:
        parse_cron(expression)
    assert raised.value.detail == detail
    assert raised.value.body() == {"error": "invalid_cron", "detail": detail}
    assert raised.value.status == 422


@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_by_name(text: str) -> None:
    try:
        parse_cron(text)
    except InvalidCron as error:
        assert error.detail.startswith("cron: ")


def test_iana_time_zones_are_accepted() -> None:
    assert parse_time_zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert parse_time_zone("UTC") == ZoneInfo("UTC")


@pytest.mark.parametrize("name", ["Mars/Base", "", "europe/paris", "localtime", "../etc/passwd"])
def test_other_time_zones_are_refused(name: str) -> None:
    with pytest.raises(InvalidTimeZone) as raised:
        parse_time_zone(name)
    assert raised.value.detail == f"time_zone: '{name}' is not an IANA time zone"
    assert raised.value.code == "invalid_time_zone"
    assert raised.value.status == 422


def test_next_fires_refuses_a_bad_zone_by_name() -> None:
    with pytest.raises(InvalidTimeZone):
        next_fires("0 0 * * *", "Mars/Base", utc(2026, 1, 1), 1)


# Fires: hand-computed tables


TABLES = [
    # A daily time inside the spring-forward gap fires at the gap's end, 03:00 CEST.
    (
        "Europe/Paris",
        "30 2 * * *",
        utc(2026, 3, 28),
        [
            "2026-03-28 01:30Z = 2026-03-28 02:30+0100",
            "2026-03-29 01:00Z = 2026-03-29 03:00+0200",
            "2026-03-30 00:30Z = 2026-03-30 02:30+0200",
        ],
    ),
    # A daily time that happens twice fires once, at the first (CEST) 02:30.
    (
        "Europe/Paris",
        "30 2 * * *",
        utc(2026, 10, 24),
        [
            "2026-10-24 00:30Z = 2026-10-24 02:30+0200",
            "2026-10-25 00:30Z = 2026-10-25 02:30+0200",
            "2026-10-26 01:30Z = 2026-10-26 02:30+0100",
        ],
    ),
    # Every 15 minutes: 02:00-02:45 never happen and all land on 03:00 with it, once.
    (
        "Europe/Paris",
        "*/15 * * * *",
        utc(2026, 3, 29, 0, 30),
        [
            "2026-03-29 00:45Z = 2026-03-29 01:45+0100",
            "2026-03-29 01:00Z = 2026-03-29 03:00+0200",
            "2026-03-29 01:15Z = 2026-03-29 03:15+0200",
        ],
    ),
    # Every 15 minutes at fall back: the repeated 02:00-02:45 (CET) do not fire again.
    (
        "Europe/Paris",
        "*/15 * * * *",
        utc(2026, 10, 25, 0, 30),
        [
            "2026-10-25 00:45Z = 2026-10-25 02:45+0200",
            "2026-10-25 02:00Z = 2026-10-25 03:00+0100",
            "2026-10-25 02:15Z = 2026-10-25 03:15+0100",
        ],
    ),
    # Hourly: the 02:00 of the gap and 03:00 are one fire.
    (
        "Europe/Paris",
        "0 * * * *",
        utc(2026, 3, 28, 23, 30),
        [
            "2026-03-29 00:00Z = 2026-03-29 01:00+0100",
            "2026-03-29 01:00Z = 2026-03-29 03:00+0200",
            "2026-03-29 02:00Z = 2026-03-29 04:00+0200",
        ],
    ),
    # Hourly at fall back: the second 02:00 (01:00Z) does not fire.
    (
        "Europe/Paris",
        "0 * * * *",
        utc(2026, 10, 24, 22, 30),
        [
            "2026-10-24 23:00Z = 2026-10-25 01:00+0200",
            "2026-10-25 00:00Z = 2026-10-25 02:00+0200",
            "2026-10-25 02:00Z = 2026-10-25 03:00+0100",
        ],
    ),
    # Tuesdays and Thursdays at 06:30 across the autumn change keep their local time.
    (
        "Europe/Paris",
        "30 6 * * TUE,THU",
        utc(2026, 10, 19),
        [
            "2026-10-20 04:30Z = 2026-10-20 06:30+0200",
            "2026-10-22 04:30Z = 2026-10-22 06:30+0200",
            "2026-10-27 05:30Z = 2026-10-27 06:30+0100",
            "2026-10-29 05:30Z = 2026-10-29 06:30+0100",
        ],
    ),
    (
        "America/New_York",
        "30 2 * * *",
        utc(2026, 3, 7),
        [
            "2026-03-07 07:30Z = 2026-03-07 02:30-0500",
            "2026-03-08 07:00Z = 2026-03-08 03:00-0400",
            "2026-03-09 06:30Z = 2026-03-09 02:30-0400",
        ],
    ),
    (
        "America/New_York",
        "30 1 * * *",
        utc(2026, 10, 31),
        [
            "2026-10-31 05:30Z = 2026-10-31 01:30-0400",
            "2026-11-01 05:30Z = 2026-11-01 01:30-0400",
            "2026-11-02 06:30Z = 2026-11-02 01:30-0500",
        ],
    ),
    # Weekly on Sundays at 02:00, the day of the spring change.
    (
        "America/New_York",
        "0 2 * * SUN",
        utc(2026, 3, 1),
        [
            "2026-03-01 07:00Z = 2026-03-01 02:00-0500",
            "2026-03-08 07:00Z = 2026-03-08 03:00-0400",
            "2026-03-15 06:00Z = 2026-03-15 02:00-0400",
        ],
    ),
    # Weekly on Sundays at 01:30, the day of the autumn change: the first 01:30 only.
    (
        "America/New_York",
        "30 1 * * 0",
        utc(2026, 10, 25),
        [
            "2026-10-25 05:30Z = 2026-10-25 01:30-0400",
            "2026-11-01 05:30Z = 2026-11-01 01:30-0400",
            "2026-11-08 06:30Z = 2026-11-08 01:30-0500",
        ],
    ),
    # Every 15 minutes at the New York fall back: after 01:45 EDT comes 02:00 EST.
    (
        "America/New_York",
        "*/15 * * * *",
        utc(2026, 11, 1, 5, 40),
        [
            "2026-11-01 05:45Z = 2026-11-01 01:45-0400",
            "2026-11-01 07:00Z = 2026-11-01 02:00-0500",
        ],
    ),
    # Lord Howe, 30-minute gap 02:00-02:30 on 10-04: 02:15 fires at 02:30 (+11).
    (
        "Australia/Lord_Howe",
        "15 2 * * *",
        utc(2026, 10, 2),
        [
            "2026-10-02 15:45Z = 2026-10-03 02:15+1030",
            "2026-10-03 15:30Z = 2026-10-04 02:30+1100",
            "2026-10-04 15:15Z = 2026-10-05 02:15+1100",
        ],
    ),
    (
        "Australia/Lord_Howe",
        "0 2 * * *",
        utc(2026, 10, 3),
        [
            "2026-10-03 15:30Z = 2026-10-04 02:30+1100",
            "2026-10-04 15:00Z = 2026-10-05 02:00+1100",
        ],
    ),
    # Lord Howe, 01:30-02:00 twice on 04-05: 01:45 fires once, at +11.
    (
        "Australia/Lord_Howe",
        "45 1 * * *",
        utc(2026, 4, 3),
        [
            "2026-04-03 14:45Z = 2026-04-04 01:45+1100",
            "2026-04-04 14:45Z = 2026-04-05 01:45+1100",
            "2026-04-05 15:15Z = 2026-04-06 01:45+1030",
        ],
    ),
    (
        "Australia/Lord_Howe",
        "*/15 * * * *",
        utc(2026, 4, 4, 14, 20),
        [
            "2026-04-04 14:30Z = 2026-04-05 01:30+1100",
            "2026-04-04 14:45Z = 2026-04-05 01:45+1100",
            "2026-04-04 15:30Z = 2026-04-05 02:00+1030",
            "2026-04-04 15:45Z = 2026-04-05 02:15+1030",
        ],
    ),
    (
        "Australia/Lord_Howe",
        "*/15 * * * *",
        utc(2026, 10, 3, 15, 10),
        [
            "2026-10-03 15:15Z = 2026-10-04 01:45+1030",
            "2026-10-03 15:30Z = 2026-10-04 02:30+1100",
            "2026-10-03 15:45Z = 2026-10-04 02:45+1100",
        ],
    ),
    # Day of month OR day of week (neither starts with *): the 1st and every Monday.
    (
        "UTC",
        "0 8 1 * MON",
        utc(2026, 6, 1, 8),
        [
            "2026-06-08 08:00Z = 2026-06-08 08:00+0000",
            "2026-06-15 08:00Z = 2026-06-15 08:00+0000",
            "2026-06-22 08:00Z = 2026-06-22 08:00+0000",
            "2026-06-29 08:00Z = 2026-06-29 08:00+0000",
            "2026-07-01 08:00Z = 2026-07-01 08:00+0000",
            "2026-07-06 08:00Z = 2026-07-06 08:00+0000",
        ],
    ),
    # `1-7` with MON is not "the first Monday": days 1 to 7 and every Monday.
    (
        "UTC",
        "0 8 1-7 * 1",
        utc(2026, 5, 31, 9),
        [
            f"2026-06-{d:02} 08:00Z = 2026-06-{d:02} 08:00+0000"
            for d in (1, 2, 3, 4, 5, 6, 7, 8, 15)
        ],
    ),
    # A day field starting with * ANDs: odd days that are Mondays.
    (
        "UTC",
        "0 8 */2 * MON",
        utc(2026, 5, 31),
        [
            "2026-06-01 08:00Z = 2026-06-01 08:00+0000",
            "2026-06-15 08:00Z = 2026-06-15 08:00+0000",
            "2026-06-29 08:00Z = 2026-06-29 08:00+0000",
            "2026-07-13 08:00Z = 2026-07-13 08:00+0000",
            "2026-07-27 08:00Z = 2026-07-27 08:00+0000",
        ],
    ),
]


@pytest.mark.parametrize(("zone", "expression", "after", "expected"), TABLES)
def test_fires_match_the_hand_computed_table(
    zone: str, expression: str, after: datetime, expected: list[str]
) -> None:
    assert shown(next_fires(expression, zone, after, len(expected))) == expected


def test_after_is_exclusive_and_seconds_round_up() -> None:
    assert next_fire("0 9 * * *", "UTC", utc(2026, 1, 1, 9)) == Fire(
        at=utc(2026, 1, 2, 9), local=utc(2026, 1, 2, 9).astimezone(ZoneInfo("UTC"))
    )
    fire = next_fire("0 9 * * *", "UTC", utc(2026, 1, 1, 8, 59) + timedelta(seconds=30))
    assert fire is not None
    assert fire.at == utc(2026, 1, 1, 9)


def test_after_may_be_in_any_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    after = datetime(2026, 1, 1, 10, 0, tzinfo=paris)  # 09:00Z
    fire = next_fire("30 9 * * *", "UTC", after)
    assert fire is not None
    assert fire.at == utc(2026, 1, 1, 9, 30)
    assert fire.at.tzinfo is UTC


def test_a_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fires("* * * * *", "UTC", datetime(2026, 1, 1), 1)


@pytest.mark.parametrize(
    "after", [datetime(1, 12, 31, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)]
)
def test_an_after_at_the_ends_of_the_calendar_is_refused(after: datetime) -> None:
    with pytest.raises(ValueError, match="between years 2 and 9998"):
        next_fires("* * * * *", "UTC", after, 1)


def test_fires_stop_before_the_last_year_of_the_calendar() -> None:
    fires = next_fires("0 0 1 1 *", "Pacific/Kiritimati", utc(9995, 1, 1), 5)
    assert [f.local.year for f in fires] == [9996, 9997, 9998]


def test_parsed_expressions_and_zones_are_accepted_too() -> None:
    assert next_fires(parse_cron("0 0 * * *"), ZoneInfo("UTC"), utc(2026, 1, 1), 2) == next_fires(
        "0 0 * * *", "UTC", utc(2026, 1, 1), 2
    )


def test_no_count_no_fires() -> None:
    assert next_fires("* * * * *", "UTC", utc(2026, 1, 1), 0) == []


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_an_expression_that_never_fires_returns_no_fire(expression: str) -> None:
    assert next_fires(expression, "Europe/Paris", utc(2026, 1, 1), 5) == []
    assert next_fire(expression, "Europe/Paris", utc(2026, 1, 1)) is None


def test_leap_days_are_found_across_a_century_that_skips_one() -> None:
    assert shown(next_fires("0 0 29 2 *", "UTC", utc(2096, 3, 1), 1)) == [
        "2104-02-29 00:00Z = 2104-02-29 00:00+0000"
    ]


def test_a_day_skipped_by_its_zone_fires_once_at_the_end_of_the_gap() -> None:
    # Samoa skipped 2011-12-30 entirely: 23:59:59 -10 on the 29th was followed by 00:00 +14 on
    # the 31st (2011-12-30 10:00Z).
    assert shown(next_fires("0 12 * * *", "Pacific/Apia", utc(2011, 12, 29), 3)) == [
        "2011-12-29 22:00Z = 2011-12-29 12:00-1000",
        "2011-12-30 10:00Z = 2011-12-31 00:00+1400",
        "2011-12-30 22:00Z = 2011-12-31 12:00+1400",
    ]


# Properties

ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "America/St_Johns",
    "Europe/Dublin",
    "Africa/Casablanca",
    "Asia/Kathmandu",
    "UTC",
]


@functools.cache
def transitions(zone_name: str) -> list[datetime]:
    """The zone's offset changes from 2025 to 2027, found minute by minute within each hour."""
    zone = ZoneInfo(zone_name)
    found = []
    hour = utc(2025, 1, 1)
    while hour.year < 2028:
        following = hour + timedelta(hours=1)
        if hour.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            instant = hour
            while instant.astimezone(zone).utcoffset() == hour.astimezone(zone).utcoffset():
                instant += MINUTE
            found.append(instant)
        hour = following
    return found


def items(low: int, high: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    span = st.tuples(value, value).map(sorted).map(lambda ab: f"{ab[0]}-{ab[1]}")
    step = st.integers(1, high - low + 1)
    singles: st.SearchStrategy[str] = value.map(str)
    if names:
        singles = singles | st.sampled_from(names).map(str.lower) | st.sampled_from(names)
    return st.one_of(
        singles,
        span,
        step.map(lambda s: f"*/{s}"),
        st.tuples(span, step).map(lambda t: f"{t[0]}/{t[1]}"),
    )


def field(low: int, high: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    return st.just("*") | st.lists(items(low, high, names), min_size=1, max_size=3).map(",".join)


expressions = st.tuples(
    field(0, 59),
    field(0, 23),
    field(1, 31),
    st.just("*") | field(1, 12, ["JAN", "MAR", "APR", "OCT", "NOV"]),
    field(0, 7, ["SUN", "MON", "SAT"]),
).map(" ".join)


def near_a_change(change: datetime, zone: ZoneInfo) -> st.SearchStrategy[str]:
    """Expressions firing in the hours around a change, so some fall in its gap or repeat."""
    hour = (change - timedelta(seconds=1)).astimezone(zone).hour
    hours = st.lists(st.sampled_from([(hour + d) % 24 for d in (-1, 0, 1)]), min_size=1, max_size=2)
    return st.tuples(
        field(0, 59),
        hours.map(lambda hs: ",".join(map(str, hs))),
        st.just("* *"),
        st.just("*") | field(0, 7),
    ).map(" ".join)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, datetime]:
    """An expression, a zone and an instant, most often within two days of an offset change."""
    zone_name = draw(st.sampled_from(ZONES))
    changes = transitions(zone_name)
    if draw(st.booleans()) and changes:
        change = draw(st.sampled_from(changes))
        shift = timedelta(minutes=draw(st.integers(-2 * 24 * 60, 12 * 60)))
        after = change + shift + timedelta(seconds=draw(st.integers(0, 59)))
        near = near_a_change(change, ZoneInfo(zone_name))
        return draw(expressions | near), zone_name, after
    after = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31))).replace(tzinfo=UTC)
    return draw(expressions), zone_name, after


def reference_matches(cron: Cron, wall: datetime) -> bool:
    """Written apart from the code under test: Vixie's day rule, read from crontab(5)."""
    if wall.minute not in cron.minutes or wall.hour not in cron.hours:
        return False
    if wall.month not in cron.months:
        return False
    by_month = wall.day in cron.days_of_month
    by_week = (wall.weekday() + 1) % 7 in cron.days_of_week
    if cron.day_of_month_star or cron.day_of_week_star:
        return by_month and by_week
    return by_month or by_week


def brute_force(cron: Cron, zone: ZoneInfo, after: datetime, end: datetime) -> list[datetime]:
    """Every minute of (after, end] at which the cron fires, looking at each minute's wall time.

    A minute fires when its wall time matches and happens for the first time (fold 0), or when
    the clock jumped just before it over a wall time that matches.
    """
    fires = []
    instant = after.replace(second=0, microsecond=0)
    while instant <= end:
        if instant > after:
            wall = instant.astimezone(zone)
            before = (instant - MINUTE).astimezone(zone).replace(tzinfo=None)
            skipped = before + MINUTE
            jumped_over_match = False
            while skipped < wall.replace(tzinfo=None):
                jumped_over_match = jumped_over_match or reference_matches(cron, skipped)
                skipped += MINUTE
            if (wall.fold == 0 and reference_matches(cron, wall)) or jumped_over_match:
                fires.append(instant)
        instant += MINUTE
    return fires


@settings(max_examples=100, deadline=None)
@given(cases())
def test_no_fire_is_missed_or_added_against_minute_by_minute(
    case: tuple[str, str, datetime],
) -> None:
    expression, zone_name, after = case
    zone = ZoneInfo(zone_name)
    end = after + timedelta(hours=26)
    expected = brute_force(parse_cron(expression), zone, after, end)
    fires = next_fires(expression, zone_name, after, len(expected) + 1)
    assert [f.at for f in fires if f.at <= end] == expected


@settings(max_examples=150, deadline=None)
@given(cases())
def test_fires_increase_a_minute_apart_and_each_matches_or_ends_a_gap(
    case: tuple[str, str, datetime],
) -> None:
    expression, zone_name, after = case
    zone = ZoneInfo(zone_name)
    cron = parse_cron(expression)
    fires = next_fires(expression, zone_name, after, 40)
    instants = [f.at for f in fires]
    assert all(b - a >= MINUTE for a, b in pairwise(instants))
    assert all(f.at > after for f in fires)
    for fire in fires:
        assert fire.at.tzinfo is UTC
        # Compared across zones, a wall time that happens twice never equals anything.
        assert fire.local.astimezone(UTC) == fire.at
        assert fire.local.tzinfo is zone
        assert fire.at.second == fire.at.microsecond == 0
        wall = fire.local.replace(tzinfo=None)
        if fire.local.fold == 0 and reference_matches(cron, wall):
            continue
        # Otherwise the clock jumped forward at this instant over a matching wall time.
        before = (fire.at - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
        skipped = before + timedelta(seconds=1)
        assert skipped < wall, f"{fire} neither matches nor ends a gap"
        matched = False
        while skipped < wall:
            matched = matched or reference_matches(cron, skipped)
            skipped += MINUTE
        assert matched, f"{fire} ends a gap that holds no matching wall time"


@settings(max_examples=100, deadline=None)
@given(cases())
def test_asking_again_after_each_fire_gives_the_same_fires(
    case: tuple[str, str, datetime],
) -> None:
    expression, zone_name, after = case
    fires = next_fires(expression, zone_name, after, 10)
    again = []
    moment = after
    for _ in fires:
        fire = next_fire(expression, zone_name, moment)
        assert fire is not None
        again.append(fire)
        moment = fire.at
    assert again == fires

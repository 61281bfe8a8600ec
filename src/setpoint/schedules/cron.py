"""Cron expressions and their fire instants in an IANA time zone.

`parse_cron` reads the standard five fields (minute, hour, day of month, month, day of week)
with `*`, lists, ranges, steps, month and day names (case-insensitive), 0 and 7 for Sunday and
the `SHORTCUTS` (`@daily` …). As in Vixie cron, when neither day field starts with `*` a day
matches if EITHER field matches; otherwise it must match both (so `*/2` in one day field still
ANDs with the other).

`next_fires` walks local wall times in the schedule's zone and turns each into an instant:
- a wall time inside a spring-forward gap fires at the first instant after the gap (once, however
  many matching minutes fall in the gap);
- a wall time that happens twice (fall back) fires once, at its first occurrence;
- fires strictly increase.
Months and days that cannot match are skipped whole, and the search stops `SEARCH_YEARS` after
`after`, so an expression that never fires returns no fire.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from setpoint.errors import InvalidCron, InvalidTimeZone

# The longest wait between two fires of a plain date: leap days, 2096 → 2104.
SEARCH_YEARS = 8
# Wall times stay a year clear of the ends of `datetime` in every zone.
LAST_DAY = date(MAXYEAR - 1, 12, 31)

MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
DAY_NAMES = {
    name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))
}

SHORTCUTS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# Quartz and friends' day specials: last day, nearest weekday, nth weekday, no value.
_UNSUPPORTED = re.compile(r"L|LW|L-\d+|\d+[LW]|.*#.*|\?")


@dataclass(frozen=True)
class _Field:
    number: int
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    names_kind: str = ""

    def fail(self, rule: str) -> InvalidCron:
        return InvalidCron(f"cron: field {self.number} ({self.name}) {rule}")


MINUTE = _Field(1, "minute", 0, 59, {})
HOUR = _Field(2, "hour", 0, 23, {})
DAY_OF_MONTH = _Field(3, "day of month", 1, 31, {})
MONTH = _Field(4, "month", 1, 12, MONTH_NAMES, "month")
DAY_OF_WEEK = _Field(5, "day of week", 0, 7, DAY_NAMES, "day")
FIELDS = (MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)


@dataclass(frozen=True)
class Cron:
    """A parsed expression. Days of week count from 0 = Sunday to 6 = Saturday."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    day_of_month_star: bool
    day_of_week_star: bool

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days_of_month
        in_week = day.isoweekday() % 7 in self.days_of_week
        if self.day_of_month_star or self.day_of_week_star:
            return in_month and in_week
        return in_month or in_week


@dataclass(frozen=True)
class Fire:
    """One fire: `at` the instant (aware UTC), `local` the wall time there (aware, in the zone).

    Compare instants with `at`: Python never finds a repeated wall time equal to a datetime of
    another zone, so `local == at` is False during a fall-back hour.
    """

    at: datetime
    local: datetime


@functools.lru_cache(maxsize=4096)
def parse_cron(expression: str) -> Cron:
    """The expression's matching values per field, or `InvalidCron` naming the field and rule."""
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() not in SHORTCUTS:
            known = ", ".join(SHORTCUTS)
            raise InvalidCron(f"cron: '{text}' is not one of {known}")
        text = SHORTCUTS[text.lower()]
    parts = text.split()
    if len(parts) != len(FIELDS):
        raise InvalidCron(f"cron: expected {len(FIELDS)} fields, got {len(parts)}")
    minutes, hours, days, months, weekdays = (
        _parse_field(field, part) for field, part in zip(FIELDS, parts, strict=True)
    )
    return Cron(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days_of_month=frozenset(days),
        months=frozenset(months),
        days_of_week=frozenset(day % 7 for day in weekdays),
        day_of_month_star=parts[2].startswith("*"),
        day_of_week_star=parts[4].startswith("*"),
    )


def parse_time_zone(name: str) -> ZoneInfo:
    """The IANA zone so named, or `InvalidTimeZone`."""
    if name not in _iana_names():
        raise InvalidTimeZone(f"time_zone: '{name}' is not an IANA time zone")
    return ZoneInfo(name)


def next_fires(
    expression: str | Cron, time_zone: str | ZoneInfo, after: datetime, count: int
) -> list[Fire]:
    """The first `count` fires strictly after `after` (an aware datetime), earliest first.

    Fewer come back when the expression has no more fires within `SEARCH_YEARS` (or before
    `LAST_DAY`).
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if not MINYEAR < after.year < MAXYEAR:
        raise ValueError(f"after must fall between years {MINYEAR + 1} and {MAXYEAR - 1}")
    cron = parse_cron(expression) if isinstance(expression, str) else expression
    zone = parse_time_zone(time_zone) if isinstance(time_zone, str) else time_zone
    last = after.astimezone(UTC)
    start = last.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    fires: list[Fire] = []
    if count <= 0:
        return fires
    for wall in _wall_times(cron, start):
        at = _instant(wall, zone)
        if at > last:
            fires.append(Fire(at=at, local=at.astimezone(zone)))
            if len(fires) == count:
                break
            last = at
    return fires


def next_fire(expression: str | Cron, time_zone: str | ZoneInfo, after: datetime) -> Fire | None:
    """The first fire strictly after `after`, or None when there is none within `SEARCH_YEARS`."""
    fires = next_fires(expression, time_zone, after, 1)
    return fires[0] if fires else None


def _parse_field(field: _Field, text: str) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(field, item))
    return values


def _parse_item(field: _Field, item: str) -> range:
    """`*`, `a`, `a-b`, each optionally `/step`; `a/step` runs from a to the field's end."""
    if not item:
        raise field.fail("has an empty list item")
    if (field is DAY_OF_MONTH or field is DAY_OF_WEEK) and _UNSUPPORTED.fullmatch(item.upper()):
        raise field.fail(f"'{item}': L, W, # and ? are not supported")
    span, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not _is_digits(step_text):
            raise field.fail(f"step '{step_text}' is not a number")
        step = int(step_text)
        if step < 1:
            raise field.fail(f"step {step} must be at least 1")
    if span == "*":
        return range(field.low, field.high + 1, step)
    first, dash, last = span.partition("-")
    low = _value(field, first)
    high = _value(field, last) if dash else field.high if slash else low
    if high < low:
        raise field.fail(f"range {span} runs backwards")
    return range(low, high + 1, step)


def _value(field: _Field, token: str) -> int:
    if _is_digits(token):
        number = int(token)
        if not field.low <= number <= field.high:
            raise field.fail(f"{number} is outside {field.low}–{field.high}")
        return number
    if field.names and token.isalpha():
        if token.upper() not in field.names:
            raise field.fail(f"'{token}' is not a {field.names_kind} name")
        return field.names[token.upper()]
    raise field.fail(f"'{token}' is not a number")


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


@functools.cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def _wall_times(cron: Cron, start: datetime) -> Iterator[datetime]:
    """Matching local wall times from `start` on, in order, for `SEARCH_YEARS`."""
    day = start.date()
    end = date.fromordinal(min(day.toordinal() + 366 * SEARCH_YEARS, LAST_DAY.toordinal()))
    while day <= end:
        if day.month not in cron.months:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            continue
        if cron.matches_day(day):
            first = (start.hour, start.minute) if day == start.date() else (0, 0)
            for hour, minute in _times_from(cron, *first):
                yield datetime.combine(day, time(hour, minute))
        day += timedelta(days=1)


def _times_from(cron: Cron, hour: int, minute: int) -> Iterator[tuple[int, int]]:
    """The day's matching (hour, minute) pairs at or after `hour:minute`."""
    for h in cron.hours[bisect_left(cron.hours, hour) :]:
        start = bisect_left(cron.minutes, minute) if h == hour else 0
        for m in cron.minutes[start:]:
            yield h, m


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a wall time fires at: its first occurrence, or the end of the gap holding it."""
    at = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first of a repeated time
    if at.astimezone(zone).replace(tzinfo=None) == wall:
        return at
    return _gap_end(wall, zone)


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after the spring-forward gap that `wall` (which never happens) falls in.

    Read with the offset before the change and after it, `wall` gives two instants around the
    change; a bisection over whole seconds finds the first one on the later offset.
    """
    one, other = (
        int(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC).timestamp()) for fold in (0, 1)
    )
    low, high = min(one, other), max(one, other)
    offset_after = _offset(high, zone)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(middle, zone) == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _offset(timestamp: int, zone: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, zone).utcoffset()

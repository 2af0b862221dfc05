"""Schedule expressions: `rate(5 minutes)` and AWS's six-field `cron(min hour dom month dow year)`,
and the next instant each fires (UTC).

Cron fields take `*`, `,`, `-`, `/`; day-of-month also `?`, `L`, `LW`, `<n>W`; day-of-week
(1-7 = SUN-SAT, or names) also `?`, `L`, `<n>L` (last such weekday of the month) and `<n>#<k>`
(k-th such weekday). Exactly one of day-of-month and day-of-week must be `?`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .common import validation

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                             "OCT", "NOV", "DEC"), 1)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_SEARCH_DAYS = 366 * 8   # a cron that does not fire within eight years is taken as never firing


def invalid() -> Exception:
    return validation("Parameter ScheduleExpression is not valid.")


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, anchor: float, after: float) -> float:
        """The first instant anchor + k*interval (k >= 1) strictly after `after`."""
        if after < anchor:
            return anchor + self.seconds
        k = int((after - anchor) // self.seconds) + 1
        return anchor + k * self.seconds


@dataclass(frozen=True)
class Cron:
    minutes: frozenset
    hours: frozenset
    months: frozenset
    years: frozenset
    dom: tuple | None     # (days set, last, last_weekday, nearest_weekday days) or None for "?"
    dow: tuple | None     # (weekdays set, last-of-month weekdays, (weekday, k) pairs) or None

    def next_after(self, anchor: float, after: float) -> float | None:
        start = datetime.fromtimestamp(after, timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if day.year > max(self.years):
                return None
            if day.year in self.years and day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)
                        if when >= start:
                            return when.timestamp()
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.dom is not None:
            days, want_last, want_last_weekday, nearest = self.dom
            if day.day in days or (want_last and day.day == last):
                return True
            if want_last_weekday and day == _nearest_weekday(day.replace(day=last), last):
                return True
            return any(day == _nearest_weekday(day.replace(day=min(n, last)), last) for n in nearest)
        weekdays, last_of, nth = self.dow
        weekday = (day.weekday() + 1) % 7 + 1  # 1 = Sunday ... 7 = Saturday
        if weekday in weekdays:
            return True
        if weekday in last_of and day.day + 7 > last:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in nth


def _nearest_weekday(target: date, last: int) -> date:
    """The weekday nearest to target within its month (AWS's `W`)."""
    if target.weekday() == 5:  # Saturday: Friday, or Monday when Friday is last month
        return target - timedelta(days=1) if target.day > 1 else target + timedelta(days=2)
    if target.weekday() == 6:  # Sunday: Monday, or Friday when Monday is next month
        return target + timedelta(days=1) if target.day < last else target - timedelta(days=2)
    return target


def parse(expression: str) -> Rate | Cron:
    match = _RATE.match(expression)
    if match:
        value, unit = int(match.group(1)), match.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise invalid()
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    match = _CRON.match(expression)
    if not match:
        raise invalid()
    fields = match.group(1).split()
    if len(fields) != 6:
        raise invalid()
    minute, hour, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise invalid()
    return Cron(minutes=_values(minute, 0, 59), hours=_values(hour, 0, 23), months=_values(month, 1, 12, _MONTHS),
                years=_values(year, 1970, 2199), dom=None if dom == "?" else _day_of_month(dom),
                dow=None if dow == "?" else _day_of_week(dow))


def _number(text: str, low: int, high: int, names: dict | None = None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit() or not low <= int(text) <= high:
        raise invalid()
    return int(text)


def _values(field: str, low: int, high: int, names: dict | None = None) -> frozenset:
    found: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, 1, high - low + 1) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _number(a, low, high, names), _number(b, low, high, names)
        else:
            start = _number(base, low, high, names)
            end = high if step_text else start
        if start <= end:
            found.update(range(start, end + 1, step))
        else:  # a range that wraps (FRI-MON)
            found.update(v for i, v in enumerate(list(range(start, high + 1)) + list(range(low, end + 1)))
                         if i % step == 0)
    return frozenset(found)


def _day_of_month(field: str) -> tuple:
    days: set[int] = set()
    want_last = want_last_weekday = False
    nearest: list[int] = []
    rest = []
    for item in field.split(","):
        if item == "L":
            want_last = True
        elif item == "LW":
            want_last_weekday = True
        elif item.endswith("W"):
            nearest.append(_number(item[:-1], 1, 31))
        else:
            rest.append(item)
    if rest:
        days = set(_values(",".join(rest), 1, 31))
    return frozenset(days), want_last, want_last_weekday, tuple(nearest)


def _day_of_week(field: str) -> tuple:
    weekdays: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    rest = []
    for item in field.split(","):
        if item == "L":
            weekdays.add(7)
        elif item.endswith("L"):
            last_of.add(_number(item[:-1], 1, 7, _DAYS))
        elif "#" in item:
            day, _, k = item.partition("#")
            nth.add((_number(day, 1, 7, _DAYS), _number(k, 1, 5)))
        else:
            rest.append(item)
    if rest:
        weekdays |= set(_values(",".join(rest), 1, 7, _DAYS))
    return frozenset(weekdays), frozenset(last_of), frozenset(nth)

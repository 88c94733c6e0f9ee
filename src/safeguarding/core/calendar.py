"""The working-day calendar: England and Wales bank holidays, working days and working hours.

Counting convention (the project's decision, docs/timescales.md): the day a clock starts is day 0 and a
deadline of N working days falls on the Nth working day after it. A clock started on a weekend or bank holiday
counts from the last working day before it, so its first working day is the next working day.

Working hours are the MASH's office hours (a local setting, default 09:00 to 17:00 Europe/London). A clock started
outside them starts at the next opening time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


def today_in_london() -> date:
    """Today's date in England. Every "today" of the service is this one, never the server's local date: a server
    set to another zone (or UTC just after midnight in summer) would otherwise move deadlines and "in the future"
    checks by a day."""
    return datetime.now(UTC).astimezone(LONDON).date()


def now_in_london() -> datetime:
    """The current moment as a clock in England reads it (aware)."""
    return datetime.now(UTC).astimezone(LONDON)


# Source: gov.uk bank holidays, division "england-and-wales", as the `holidays` package encodes them offline.
_SUBDIVISION = "ENG"


@lru_cache(maxsize=64)
def _bank_holidays_for_year(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("GB", subdiv=_SUBDIVISION, years=year))


def bank_holiday_name(day: date) -> str | None:
    return _bank_holidays_for_year(day.year).get(day)


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays_for_year(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def bank_holidays_between(start: date, end: date) -> list[tuple[date, str]]:
    """Bank holidays falling on weekdays strictly after ``start`` and up to ``end`` inclusive."""
    found: list[tuple[date, str]] = []
    for year in range(start.year, end.year + 1):
        for day, name in sorted(_bank_holidays_for_year(year).items()):
            if start < day <= end and day.weekday() < 5:
                found.append((day, name))
    return found


def add_working_days(start: date, n: int) -> date:
    """The Nth working day after ``start`` (day 0). ``n`` must be at least 0; 0 gives the start's working day."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    if n == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``: the inverse of ``add_working_days``.

    Negative when ``end`` is before ``start``.
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def add_calendar_months(start: date, months: int) -> date:
    """Same day number N months on, or the month's last day where that month is shorter (31 Jan + 3 = 30 Apr)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    next_month_first = date(year + (month // 12), month % 12 + 1, 1)
    last_day = (next_month_first - timedelta(days=1)).day
    return date(year, month, min(start.day, last_day))


# --- working hours -------------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(LONDON)


def add_working_hours(start: datetime, hours: float, opens: time = time(9, 0), closes: time = time(17, 0)) -> datetime:
    """The moment ``hours`` of office time after ``start``, skipping nights, weekends and bank holidays."""
    if hours < 0:
        raise ValueError("hours must be >= 0")
    if closes <= opens:
        raise ValueError("office must close after it opens")
    remaining = timedelta(hours=hours)
    cursor = _local(start)
    while True:
        day = cursor.date()
        day_open = datetime.combine(day, opens, LONDON)
        day_close = datetime.combine(day, closes, LONDON)
        if not is_working_day(day) or cursor >= day_close:
            cursor = datetime.combine(day + timedelta(days=1), opens, LONDON)
            continue
        cursor = max(cursor, day_open)
        available = day_close - cursor
        if remaining <= available:
            return (cursor + remaining).astimezone(UTC)
        remaining -= available
        cursor = datetime.combine(day + timedelta(days=1), opens, LONDON)


def _office_hours_by_day(start: datetime, end: datetime, opens: time, closes: time) -> timedelta:
    """Office time from ``start`` to ``end``, walking day by day (spans of a few days)."""
    cursor, stop = _local(start), _local(end)
    total = timedelta()
    while cursor < stop:
        day = cursor.date()
        if is_working_day(day):
            window_start = max(cursor, datetime.combine(day, opens, LONDON))
            window_end = min(stop, datetime.combine(day, closes, LONDON))
            if window_end > window_start:
                total += window_end - window_start
        cursor = datetime.combine(day + timedelta(days=1), time(0, 0), LONDON)
    return total


def _working_days_strictly_between(first: date, last: date) -> int:
    """Working days after ``first`` and before ``last``: weekdays by arithmetic, less weekday bank holidays."""
    days = (last - first).days - 1
    weeks, rest = divmod(days, 7)
    tail_start = first + timedelta(days=1 + weeks * 7)
    weekdays = weeks * 5 + sum(1 for k in range(rest) if (tail_start + timedelta(days=k)).weekday() < 5)
    return weekdays - len(bank_holidays_between(first, last - timedelta(days=1)))


def working_hours_between(
    start: datetime, end: datetime, opens: time = time(9, 0), closes: time = time(17, 0)
) -> float:
    """Office hours elapsed from ``start`` to ``end`` (negative when ``end`` is earlier).

    Quick over long spans (a contact left overdue for months must not slow a queue of them): whole days in the
    middle count one full office day each when they are working days.
    """
    if end < start:
        return -working_hours_between(end, start, opens, closes)
    first, last = _local(start).date(), _local(end).date()
    if (last - first).days <= 2:
        return _office_hours_by_day(start, end, opens, closes).total_seconds() / 3600
    after_first = datetime.combine(first + timedelta(days=1), time(0), LONDON)
    last_midnight = datetime.combine(last, time(0), LONDON)
    office_day = datetime.combine(first, closes) - datetime.combine(first, opens)
    middle = _working_days_strictly_between(first, last)
    total = (
        _office_hours_by_day(start, after_first, opens, closes)
        + middle * office_day
        + _office_hours_by_day(last_midnight, end, opens, closes)
    )
    return total.total_seconds() / 3600


# --- quick working-day arithmetic over many clocks (timescales) --------------------------------------------------
#
# Deriving every deadline of a large council adds working days hundreds of thousands of times; walking day by day
# is too slow for that. ``WorkingDays`` holds the ordinal of every working day over a span of years and answers by
# bisection, with the same convention as ``add_working_days`` / ``working_days_between`` (tests/core compare them).

_INDEX_FIRST_YEAR = 1990
_INDEX_LAST_YEAR = 2080


@lru_cache(maxsize=1)
def _working_day_ordinals() -> tuple[int, ...]:
    start, end = date(_INDEX_FIRST_YEAR, 1, 1), date(_INDEX_LAST_YEAR, 12, 31)
    holidays_by_ordinal = {
        day.toordinal()
        for year in range(_INDEX_FIRST_YEAR, _INDEX_LAST_YEAR + 1)
        for day in _bank_holidays_for_year(year)
    }
    return tuple(
        o for o in range(start.toordinal(), end.toordinal() + 1) if (o + 6) % 7 < 5 and o not in holidays_by_ordinal
    )  # date.fromordinal(1) is a Monday


def _indexed(*days: date) -> bool:
    return all(_INDEX_FIRST_YEAR <= d.year < _INDEX_LAST_YEAR for d in days)


def add_working_days_quick(start: date, n: int) -> date:
    """``add_working_days`` by bisection (falls back to walking outside 1990-2079)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if not _indexed(start):
        return add_working_days(start, n)
    ordinals = _working_day_ordinals()
    o = start.toordinal()
    if n == 0:
        return date.fromordinal(ordinals[bisect_left(ordinals, o)])
    return date.fromordinal(ordinals[bisect_right(ordinals, o) + n - 1])


def working_days_between_quick(start: date, end: date) -> int:
    """``working_days_between`` by bisection: working days after ``start`` up to and including ``end``."""
    if not _indexed(start, end):
        return working_days_between(start, end)
    ordinals = _working_day_ordinals()
    return bisect_right(ordinals, end.toordinal()) - bisect_right(ordinals, start.toordinal())


def previous_working_day(day: date) -> date:
    """``day`` itself when it is a working day, otherwise the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def weekend_days_between(start: date, end: date) -> int:
    """Saturdays and Sundays strictly after ``start`` and up to ``end`` inclusive."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    return weeks * 2 + sum(1 for k in range(1, rest + 1) if (start + timedelta(days=k)).weekday() >= 5)

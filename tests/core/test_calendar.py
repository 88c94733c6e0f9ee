"""The working-day calendar: the counting convention of docs/timescales.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.calendar import (
    LONDON,
    add_calendar_months,
    add_working_days,
    add_working_hours,
    bank_holidays_between,
    is_working_day,
    working_days_between,
    working_hours_between,
)

days = st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31))

# England and Wales bank holidays 2024-2027, as published on gov.uk (the working-day tests must skip each one).
BANK_HOLIDAYS = [
    date(2024, 1, 1),
    date(2024, 3, 29),
    date(2024, 4, 1),
    date(2024, 5, 6),
    date(2024, 5, 27),
    date(2024, 8, 26),
    date(2024, 12, 25),
    date(2024, 12, 26),
    date(2025, 1, 1),
    date(2025, 4, 18),
    date(2025, 4, 21),
    date(2025, 5, 5),
    date(2025, 5, 26),
    date(2025, 8, 25),
    date(2025, 12, 25),
    date(2025, 12, 26),
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),
    date(2027, 1, 1),
    date(2027, 3, 26),
    date(2027, 3, 29),
    date(2027, 5, 3),
    date(2027, 5, 31),
    date(2027, 8, 30),
    date(2027, 12, 27),
    date(2027, 12, 28),
]


@pytest.mark.parametrize("holiday", BANK_HOLIDAYS, ids=str)
def test_each_bank_holiday_2024_to_2027_is_not_a_working_day(holiday: date) -> None:
    assert not is_working_day(holiday)
    # The working day before it plus one working day lands after the holiday.
    before = holiday - timedelta(days=1)
    while not is_working_day(before):
        before -= timedelta(days=1)
    assert add_working_days(before, 1) > holiday


def test_domain_examples() -> None:
    # docs/timescales.md: an assessment for a referral on Mon 1 Dec 2025 is due Thu 5 Feb 2026.
    assert add_working_days(date(2025, 12, 1), 45) == date(2026, 2, 5)
    # A contact on Saturday 27 Dec 2025 with a one-working-day deadline is due Monday 29 Dec 2025.
    assert add_working_days(date(2025, 12, 27), 1) == date(2025, 12, 29)
    # 31 Jan + 3 calendar months = 30 Apr.
    assert add_calendar_months(date(2025, 1, 31), 3) == date(2025, 4, 30)
    assert add_calendar_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_easter_2026_is_skipped() -> None:
    # Thursday 2 April 2026 + 1 working day skips Good Friday (3rd), the weekend and Easter Monday (6th).
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert [d for d, _ in bank_holidays_between(date(2026, 4, 2), date(2026, 4, 7))] == [
        date(2026, 4, 3),
        date(2026, 4, 6),
    ]


@given(start=days, n=st.integers(min_value=0, max_value=400))
def test_adding_then_counting_back_gives_n(start: date, n: int) -> None:
    due = add_working_days(start, n)
    assert is_working_day(due)
    if is_working_day(start):
        assert working_days_between(start, due) == n


@given(start=days, n=st.integers(min_value=1, max_value=300))
def test_due_date_is_a_working_day_after_the_start(start: date, n: int) -> None:
    due = add_working_days(start, n)
    assert due > start
    assert is_working_day(due)


@given(a=days, b=days)
def test_counting_is_antisymmetric(a: date, b: date) -> None:
    assert working_days_between(a, b) == -working_days_between(b, a)


@given(start=days, months=st.integers(min_value=0, max_value=36))
def test_calendar_months_never_overflow_the_month(start: date, months: int) -> None:
    result = add_calendar_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    assert result.day <= start.day


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@given(start=moments, hours=st.floats(min_value=0.25, max_value=200, allow_nan=False))
def test_working_hours_land_in_office_hours_on_a_working_day(start: datetime, hours: float) -> None:
    due = add_working_hours(start, hours)
    local = due.astimezone(LONDON)
    assert due > start
    assert is_working_day(local.date())
    assert time(9, 0) < local.time() <= time(17, 0)
    assert working_hours_between(start, due) == pytest.approx(hours, abs=1e-6)


def test_red_contact_on_friday_afternoon_is_due_monday_morning() -> None:
    received = datetime(2025, 11, 21, 16, 0, tzinfo=LONDON)  # Friday 16:00
    due = add_working_hours(received, 4).astimezone(LONDON)
    assert due == datetime(2025, 11, 24, 12, 0, tzinfo=LONDON)


def test_working_hours_skip_christmas() -> None:
    received = datetime(2025, 12, 24, 15, 0, tzinfo=LONDON)  # Wednesday 24 Dec 15:00
    due = add_working_hours(received, 24).astimezone(LONDON)
    # 2 h on the 24th, then 25th, 26th (holidays) and the weekend skipped: 8 h on 29th, 8 h on 30th, 6 h on 31st.
    assert due == datetime(2025, 12, 31, 15, 0, tzinfo=LONDON)

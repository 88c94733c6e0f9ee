"""Properties of the working-day arithmetic the deadlines rest on (core/calendar.py, the quick and the walking
versions): adding n then counting back gives n; weekends and every bank holiday of 2024-2027 are skipped;
later starts and longer clocks never give earlier dates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.core.calendar import (
    add_working_days,
    add_working_days_quick,
    bank_holidays_between,
    is_working_day,
    weekend_days_between,
    working_days_between,
    working_days_between_quick,
)

starts = st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 12, 31))
lengths = st.integers(min_value=1, max_value=130)


@given(starts, lengths)
def test_adding_n_then_counting_back_gives_n(start: date, n: int) -> None:
    due = add_working_days_quick(start, n)
    assert working_days_between_quick(start, due) == n
    assert working_days_between(start, due) == n


@given(starts, lengths)
def test_the_due_date_is_a_working_day_and_every_day_skipped_is_a_weekend_or_bank_holiday(start: date, n: int) -> None:
    due = add_working_days_quick(start, n)
    assert is_working_day(due)
    days = [start + timedelta(days=k) for k in range(1, (due - start).days + 1)]
    skipped = [d for d in days if not is_working_day(d)]
    assert all(d.weekday() >= 5 or d in dict(bank_holidays_between(start, due)) for d in skipped)
    assert len(days) - len(skipped) == n
    assert weekend_days_between(start, due) + len(bank_holidays_between(start, due)) == len(skipped)


@settings(max_examples=200)
@given(starts, st.integers(min_value=0, max_value=130))
def test_the_quick_arithmetic_agrees_with_walking_day_by_day(start: date, n: int) -> None:
    assert add_working_days_quick(start, n) == add_working_days(start, n)


@given(starts, starts)
def test_counting_agrees_and_is_antisymmetric(a: date, b: date) -> None:
    assert working_days_between_quick(a, b) == working_days_between(a, b) == -working_days_between_quick(b, a)


@given(starts, lengths, lengths)
def test_a_longer_clock_is_never_due_earlier(start: date, n: int, m: int) -> None:
    low, high = sorted((n, m))
    assert add_working_days_quick(start, low) <= add_working_days_quick(start, high)
    if low < high:
        assert add_working_days_quick(start, low) < add_working_days_quick(start, high)


@given(starts, starts, lengths)
def test_a_later_start_is_never_due_earlier(a: date, b: date, n: int) -> None:
    early, late = sorted((a, b))
    assert add_working_days_quick(early, n) <= add_working_days_quick(late, n)


def test_every_bank_holiday_of_2024_to_2027_is_skipped() -> None:
    holidays = [day for day, _ in bank_holidays_between(date(2023, 12, 31), date(2027, 12, 31))]
    # 8 a year in England and Wales (2024-2027 have no extra ones).
    assert len(holidays) == 32
    for holiday in holidays:
        assert not is_working_day(holiday)
        before = holiday - timedelta(days=1)
        while not is_working_day(before):
            before -= timedelta(days=1)
        after = holiday + timedelta(days=1)
        while not is_working_day(after):
            after += timedelta(days=1)
        # The working day before a bank holiday plus one working day is the working day after it.
        assert add_working_days_quick(before, 1) == after == add_working_days(before, 1)


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=90),
)
def test_the_due_soon_horizon_agrees_with_the_state_of_each_deadline(today: date, days: int, ahead: int) -> None:
    """The pages and the bulk recompute count 'due soon' by one horizon date; it must say what state_of says."""
    from safeguarding.timescales.rules import State, state_of
    from safeguarding.timescales.store import due_soon_until

    due = today + timedelta(days=ahead)
    assert (state_of(due, None, today, days) is State.DUE_SOON) == (due <= due_soon_until(today, days))

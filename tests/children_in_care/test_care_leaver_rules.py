"""The care leaver rules (children_in_care/care_leavers.py): ages, the 13-week rule, the birthday, the OC3 row."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.children_in_care.care_leavers import (
    Category,
    Oc3Fact,
    PeriodOfCare,
    birthday,
    eligibility,
    oc3_row,
    oc3_window,
)
from safeguarding.people.rules import age_on

births = st.dates(date(1995, 1, 1), date(2015, 12, 31))


@given(births, st.integers(1, 30))
def test_a_birthday_is_the_day_the_age_is_attained(born: date, years: int) -> None:
    day = birthday(born, years)
    assert age_on(born, day) == years
    assert age_on(born, day - timedelta(days=1)) == years - 1


@given(births, st.integers(0, 200), st.integers(0, 3000))
def test_still_looked_after_is_eligible_exactly_from_16_to_18_with_13_weeks(
    born: date, days_before_16: int, offset: int
) -> None:
    start = birthday(born, 16) - timedelta(days=days_before_16)
    on = birthday(born, 15) + timedelta(days=offset)
    status = eligibility(born, [PeriodOfCare(start)], on)
    days_in_care = (on - max(start, birthday(born, 14))).days + 1
    if status.category is Category.ELIGIBLE:
        assert 16 <= age_on(born, on) < 18 and days_in_care >= 91
    elif 16 <= age_on(born, on) < 18 and on >= start:
        assert days_in_care < 91 and status.category is Category.NONE


@given(births, st.integers(60, 120))
def test_the_13_week_rule_at_its_edge(born: date, days: int) -> None:
    """Left care at 17 after ``days`` days in care: 91 days (13 weeks) or more makes a relevant child, fewer a
    qualifying care leaver."""
    left = birthday(born, 17)
    status = eligibility(born, [PeriodOfCare(left - timedelta(days=days), left)], left + timedelta(days=1))
    assert status.category is (Category.RELEVANT if days >= 91 else Category.QUALIFYING)


@given(births, st.integers(100, 700), st.integers(16 * 366, 26 * 366))
def test_former_relevant_from_18_to_the_25th_birthday_then_nothing(born: date, days: int, age_days: int) -> None:
    left = birthday(born, 17)
    periods = [PeriodOfCare(left - timedelta(days=days), left)]
    on = born + timedelta(days=age_days)
    category = eligibility(born, periods, on).category
    age = age_on(born, on)
    if on < left:
        return
    expected = Category.RELEVANT if age < 18 else Category.FORMER_RELEVANT if age < 25 else Category.NONE
    assert category is expected


@given(
    births, st.lists(st.tuples(st.integers(0, 1500), st.integers(1, 400)), min_size=1, max_size=4), st.integers(0, 4000)
)
def test_the_order_periods_are_given_in_does_not_matter(born: date, spans: list[tuple[int, int]], offset: int) -> None:
    base = birthday(born, 13)
    periods = [PeriodOfCare(base + timedelta(days=a), base + timedelta(days=a + b)) for a, b in spans]
    on = base + timedelta(days=offset)
    assert eligibility(born, periods, on) == eligibility(born, list(reversed(periods)), on)


def test_under_16_and_never_in_care_after_16_are_not_care_leavers() -> None:
    born = date(2010, 6, 1)
    assert eligibility(born, [PeriodOfCare(date(2024, 7, 1))], date(2026, 5, 31)).category is Category.NONE
    left_at_15 = [PeriodOfCare(date(2024, 7, 1), date(2026, 1, 1))]
    assert eligibility(born, left_at_15, date(2026, 12, 1)).category is Category.NONE


@given(births, st.integers(2010, 2040))
def test_oc3_row_only_in_the_year_of_a_17th_to_21st_birthday(born: date, year: int) -> None:
    left = birthday(born, 17)
    periods = [PeriodOfCare(left - timedelta(days=400), left)]
    row = oc3_row(born, periods, [], year)
    ages = [a for a in range(17, 22) if date(year - 1, 4, 1) <= birthday(born, a) <= date(year, 3, 31)]
    assert (row is None) == (not ages)
    if row is not None:
        assert row.age in ages and not row.recorded  # nothing recorded: blank, never filled in


def test_oc3_takes_the_fact_recorded_in_the_birthday_window() -> None:
    born = date(2006, 5, 10)
    periods = [PeriodOfCare(date(2022, 1, 1), date(2023, 6, 1))]
    opens, closes = oc3_window(born, 19)
    assert (opens, closes) == (date(2025, 2, 10), date(2025, 6, 10))
    facts = [
        Oc3Fact(19, date(2025, 1, 31), "NO"),  # before the window
        Oc3Fact(19, date(2025, 5, 20), "YES", "F5", "U1"),
    ]
    row = oc3_row(born, periods, facts, 2026)
    assert row is not None and (row.age, row.in_touch, row.activity, row.accommodation) == (19, "YES", "F5", "U1")
    only_outside = oc3_row(born, periods, facts[:1], 2026)
    assert only_outside is not None and not only_outside.recorded


def test_a_young_person_still_in_care_at_17_has_no_oc3_row() -> None:
    born = date(2008, 9, 1)
    assert oc3_row(born, [PeriodOfCare(date(2023, 1, 1))], [], 2026) is None

"""The house's one reckoning of ages (core.dates): a person attains an age at the start of the anniversary of their
birth, so someone born on 29 February is a year older on 1 March in a year without one, never on 28 February; and
every helper that reads ages (people, the returns, children in care, the pages) agrees with it."""

from __future__ import annotations

import io
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.children_in_care import care_leavers
from safeguarding.core.dates import age_on, birthday
from safeguarding.people import rules as people_rules
from safeguarding.returns.annex_a import lists as annex_a
from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.cin_census.validator import validate_file
from safeguarding.returns.ssda903 import rules as ssda903
from tests.returns.census_xml import census, child, episode

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
years = st.integers(min_value=0, max_value=120)


@given(births, years)
def test_the_age_is_attained_on_the_birthday_and_not_the_day_before(born: date, n: int) -> None:
    day = birthday(born, n)
    assert age_on(born, day) == n
    assert age_on(born, day - timedelta(days=1)) == n - 1


@given(births, years)
def test_a_birthday_is_the_same_day_and_month_or_1_march_for_29_february(born: date, n: int) -> None:
    day = birthday(born, n)
    if (born.month, born.day) == (2, 29) and day.month == 3:
        assert day == date(born.year + n, 3, 1)
    else:
        assert (day.month, day.day) == (born.month, born.day)


@given(births, st.dates(min_value=date(1900, 1, 1), max_value=date(2130, 12, 31)))
def test_every_helper_gives_the_same_age(born: date, on: date) -> None:
    if on < born:
        return
    age = age_on(born, on)
    assert people_rules.age_on(born, on) == age
    assert annex_a.age_on(born, on) == age
    assert ssda903.age_on(born, on) == age
    assert ssda903.birthday(born, age) == care_leavers.birthday(born, age) == birthday(born, age)


def test_born_on_29_february_is_a_year_older_on_1_march() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_on(born, date(2026, 3, 1)) == 18
    assert birthday(born, 18) == date(2026, 3, 1)
    assert birthday(born, 16) == date(2024, 2, 29)  # a leap year has the day


def _cin_8775q(closed: str) -> list[str]:
    """The CIN census query "child is over 25" for a child born on 29 February 2000, whose case closed on ``closed``
    (the 2024-25 census: reference date 31 March 2025)."""
    return_file = census(child(birth="2000-02-29", episodes=[episode(closed=closed, reason="RC7")]), year=2025)
    report = validate_file(io.BytesIO(return_file), CensusYear(2025))
    return [f.message for f in report.findings if f.code == "8775Q"]


def test_the_cin_census_counts_a_29_february_birthday_from_1_march() -> None:
    # 25 on 1 March 2025, not on 28 February: a case that closed on the birthday was not open after it.
    assert _cin_8775q("2025-03-01") == []
    (message,) = _cin_8775q("2025-03-02")
    assert "01/03/2025" in message

"""The sane range of every date and time that enters by a form or the API: one definition for both.

A date far outside any child's record (year 1, year 9999) is a typing slip or an attack; stored, it would break
whatever later turns it into a clock time in England. Each kind of date has its own latest day:

- ``BIRTH``: dates of birth and death, expected dates of birth (up to a year ahead).
- ``EVENT``: what happened or is recorded (a contact received, a visit held); the services say where a date may not
  be in the future at all. Up to a year ahead here.
- ``BOOKED``: what is planned (a review, a due date, the end of an order): up to ten years ahead.

Every kind starts on 1 January 1900. In the API a date and time must carry its zone (``2026-03-31T14:30:00+01:00``
or ``...Z``): a time without one is refused rather than guessed, in every API.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from safeguarding.core.calendar import today_in_london

EARLIEST = date(1900, 1, 1)


class DateKind(Enum):
    BIRTH = "birth"
    EVENT = "event"
    BOOKED = "booked"

    @property
    def latest(self) -> date:
        today = today_in_london()
        year = today.year + YEARS_AHEAD[self]
        try:
            return today.replace(year=year)
        except ValueError:  # 29 February, in a year that has none
            return date(year, 2, 28)


YEARS_AHEAD = {DateKind.BIRTH: 1, DateKind.EVENT: 1, DateKind.BOOKED: 10}


def out_of_range(day: date, kind: DateKind = DateKind.EVENT) -> str | None:
    """Why ``day`` is outside the sane range of its kind (the end of a message naming the field), or None."""
    latest = kind.latest
    if EARLIEST <= day <= latest:
        return None
    return f"must be between {EARLIEST.day} {EARLIEST:%B %Y} and {latest.day} {latest:%B %Y}"


def _checked(kind: DateKind) -> AfterValidator:
    def check(value: date | datetime) -> date | datetime:
        # The date in the sender's own zone: converting year 1 or 9999 to another zone could overflow.
        day = value.date() if isinstance(value, datetime) else value
        if problem := out_of_range(day, kind):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # Pydantic reads "0" or "1700000000" as a date (seconds since 1970); the document says a date like 2026-03-31.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("Enter a date like 2026-03-31")
    return value


def _written_as_text(value: Any) -> Any:
    # Pydantic reads a number as seconds since 1970; the document says an ISO 8601 date and time.
    if isinstance(value, int | float):
        raise ValueError("Enter a date and time like 2026-03-31T14:30:00+01:00")
    return value


_DATE = BeforeValidator(_iso_date_only)
_MOMENT = BeforeValidator(_written_as_text)

# The API's date types: a date of birth, an event's date, a booked date, and an event's moment (zone required),
# each written as the OpenAPI document's format says (never a number) and within the range of its kind.
BirthDate = Annotated[date, _DATE, _checked(DateKind.BIRTH)]
EventDate = Annotated[date, _DATE, _checked(DateKind.EVENT)]
BookedDate = Annotated[date, _DATE, _checked(DateKind.BOOKED)]
EventMoment = Annotated[AwareDatetime, _MOMENT, _checked(DateKind.EVENT)]


def long_date(day: date) -> str:
    """A date as people read it: "3 November 2026" (GOV.UK style), in pages, messages and explanations alike."""
    return f"{day.day} {day:%B %Y}"


def long_month(day: date) -> str:
    """A month as people read it: "March 2026"."""
    return f"{day:%B %Y}"


# --- ages -----------------------------------------------------------------------------------------------------------
# The one reckoning of ages in the house (people, the returns, children in care and care leavers, exploitation and the
# pages all use these). A person attains an age at the start of the anniversary of their birth (Family Law Reform
# Act 1969 s9(1)); someone born on 29 February attains it on 1 March in a year without one, never on 28 February
# (the anniversary has not yet come on the 28th). ``age_on`` and ``birthday`` always agree: on ``birthday(born, n)``
# the age is ``n``, and the day before it ``n - 1``.


def birthday(born: date, years: int) -> date:
    """The day the age ``years`` is attained (born on 29 February: 1 March in a year without one)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February, in a year that has none
        return date(born.year + years, 3, 1)


def age_on(born: date, day: date) -> int:
    """Age in whole years on ``day`` (negative before birth is never asked: callers check ``born <= day``)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

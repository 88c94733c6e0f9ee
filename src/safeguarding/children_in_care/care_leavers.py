"""Care leavers, the pure rules: who is a care leaver and of which kind, and the OC3 row of a collection year.

No database and no clock: every function takes the young person's date of birth, their periods of care and the day
asked about. The periods come from whoever holds them (``PeriodsOfCare``): the children-in-care record's
``periods_of_care(session, person_id)`` once it is joined, and until then the "left care" fact recorded on the care
leaver's record (``care_leaver_service.periods_from_fact``).

Sources (the published text, legislation.gov.uk):

- **Eligible child**: Children Act 1989 Sch.2 para 19B(2) (inserted by the Children (Leaving Care) Act 2000 s1): aged
  16 or 17, and looked after "for a prescribed period, or periods amounting in all to a prescribed period, which
  began after he reached a prescribed age and ended after he reached the age of sixteen"; the period is 13 weeks and
  the age 14 (Care Planning, Placement and Case Review (England) Regulations 2010, reg 40(1)). An eligible child is
  still looked after.
- **Relevant child**: Children Act 1989 s23A(2): not looked after, aged 16 or 17, and an eligible child before last
  ceasing to be looked after (plus the additional category of the Care Leavers (England) Regulations 2010 reg 3:
  detained or in hospital on the 16th birthday, not modelled here: see ``NOT_MODELLED``).
- **Former relevant child**: s23C(1): aged 18 or over and either a relevant child before turning 18, or looked after
  on reaching 18 having been an eligible child immediately before ceasing to be looked after. The personal adviser
  is offered to 25: s23CZB (inserted by the Children and Social Work Act 2017 s3). At 25 the duties end.
- **Qualifying care leaver**: s24(1)-(1A): aged 16 to 20, looked after at some time after reaching 16 but no longer,
  and not a relevant or former relevant child (looked after for less than the 13 weeks, for example).

Decided here (the domain note and the published text agree): the 13 weeks are counted in whole days, from the later
of each period's start and the 14th birthday, to the earlier of its end and the day asked about (91 days = 13
weeks); the periods "ended after he reached the age of sixteen" when the young person was looked after on or after
their 16th birthday. A birthday is the day the age is attained: someone born on 29 February is 18 on 1 March in a
year without one (``core.dates.birthday``), so that ``core.dates.age_on`` and the birthday always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from safeguarding.core.calendar import add_calendar_months
from safeguarding.core.dates import age_on, birthday

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

THIRTEEN_WEEKS = timedelta(weeks=13)  # CPPCR 2010 reg 40(1): the prescribed period
ELIGIBILITY_FROM_AGE = 14  # CPPCR 2010 reg 40(1): the prescribed age
CARE_LEAVER_FROM_AGE = 16
ADULT_AGE = 18
QUALIFYING_UNTIL_AGE = 21  # s24(2)(b): a qualifying care leaver is under 21
SUPPORT_UNTIL_AGE = 25  # s23CZB: personal adviser support offered to former relevant children to 25

NOT_MODELLED = (
    "The additional relevant children of the Care Leavers (England) Regulations 2010 reg 3 (detained or in hospital "
    "on the 16th birthday), the children excluded by CPPCR 2010 reg 48 (a series of short breaks), and qualifying "
    "care leavers under a special guardianship order (s24(1A)(b)) are not worked out from periods of care: the "
    "record says which young people they are."
)


@dataclass(frozen=True)
class PeriodOfCare:
    """One period during which a child was looked after: from ``start`` to ``end`` (the day they ceased to be looked
    after, not counted), or still looked after (``end`` None)."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def days_between(self, begin: date, until: date) -> int:
        """Days of this period between ``begin`` (counted) and ``until`` (not counted)."""
        first = max(self.start, begin)
        last = until if self.end is None else min(self.end, until)
        return max(0, (last - first).days)


# What the children-in-care record supplies (the lead joins cic's ``periods_of_care`` here at merge).
PeriodsOfCare = Callable[["Session", int], list[PeriodOfCare]]


class Category(StrEnum):
    """The care leaver categories of the Children (Leaving Care) Act 2000, as Annex A List 9 names them."""

    ELIGIBLE = "eligible"
    RELEVANT = "relevant"
    FORMER_RELEVANT = "former_relevant"
    QUALIFYING = "qualifying"
    NONE = "none"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: Final = MappingProxyType(
    {
        Category.ELIGIBLE: "Eligible child (still looked after)",
        Category.RELEVANT: "Relevant child",
        Category.FORMER_RELEVANT: "Former relevant child",
        Category.QUALIFYING: "Qualifying care leaver",
        Category.NONE: "Not a care leaver",
    }
)

SOURCES: Final = MappingProxyType(
    {
        Category.ELIGIBLE: "Children Act 1989 Sch.2 para 19B(2); CPPCR 2010 reg 40(1) (13 weeks from age 14)",
        Category.RELEVANT: "Children Act 1989 s23A(2)",
        Category.FORMER_RELEVANT: "Children Act 1989 s23C(1); to 25: s23CZB (Children and Social Work Act 2017 s3)",
        Category.QUALIFYING: "Children Act 1989 s24(1)-(1A)",
        Category.NONE: "Children Act 1989 Sch.2 para 19B, s23A, s23C, s24",
    }
)


def weeks_looked_after_since_14(born: date, periods: Iterable[PeriodOfCare], on: date) -> float:
    """Weeks looked after from the 14th birthday up to ``on`` (not counted), periods added together."""
    return days_looked_after_since_14(born, periods, on) / 7


def days_looked_after_since_14(born: date, periods: Iterable[PeriodOfCare], on: date) -> int:
    from_14 = birthday(born, ELIGIBILITY_FROM_AGE)
    return sum(p.days_between(from_14, on) for p in _merged(periods))


def _merged(periods: Iterable[PeriodOfCare]) -> list[PeriodOfCare]:
    """Overlapping or touching periods as one (a day is never counted twice)."""
    out: list[PeriodOfCare] = []
    for period in sorted(periods, key=lambda p: p.start):
        if out and (out[-1].end is None or period.start <= out[-1].end):
            last = out[-1]
            end = None if last.end is None or period.end is None else max(last.end, period.end)
            out[-1] = PeriodOfCare(last.start, end)
        else:
            out.append(period)
    return out


def _looked_after_at_16_or_later(born: date, periods: Sequence[PeriodOfCare], by: date) -> bool:
    """Looked after on some day from the 16th birthday up to ``by`` (not counted)."""
    sixteen = birthday(born, CARE_LEAVER_FROM_AGE)
    return any(p.days_between(sixteen, by) > 0 for p in periods)


def _met_the_13_weeks(born: date, periods: Sequence[PeriodOfCare], by: date) -> bool:
    """Para 19B(2)(b) by ``by`` (not counted): 13 weeks in all from the 14th birthday, ending after the 16th."""
    return (
        _looked_after_at_16_or_later(born, periods, by)
        and days_looked_after_since_14(born, periods, by) >= THIRTEEN_WEEKS.days
    )


@dataclass(frozen=True)
class Eligibility:
    """A young person's category on a day, why, and the source."""

    category: Category
    reason: str
    source: str
    # The day the young person became eligible or relevant (the needs assessment clock: CPPCR reg 42(1), "reaches
    # the age of 16 or becomes an eligible child after that age"), where that is known.
    became_on: date | None = None
    support_until: date | None = None  # the day the personal adviser duty ends (the 21st or 25th birthday)

    @property
    def is_care_leaver(self) -> bool:
        return self.category is not Category.NONE


def eligibility(born: date, periods: Iterable[PeriodOfCare], on: date) -> Eligibility:
    """The young person's care leaver category on ``on`` from their date of birth and periods of care."""
    periods = _merged(periods)
    age = age_on(born, on)
    ever_after_16 = _looked_after_at_16_or_later(born, periods, on + timedelta(days=1))
    looked_after_now = any(p.covers(on) for p in periods)
    twenty_five = birthday(born, SUPPORT_UNTIL_AGE)
    if age < CARE_LEAVER_FROM_AGE or age >= SUPPORT_UNTIL_AGE or not ever_after_16:
        why = (
            "under 16"
            if age < CARE_LEAVER_FROM_AGE
            else "25 or over: the duties to care leavers have ended"
            if age >= SUPPORT_UNTIL_AGE
            else "not looked after at any time after their 16th birthday"
        )
        return Eligibility(Category.NONE, f"Not a care leaver: {why}.", SOURCES[Category.NONE])
    if looked_after_now and age < ADULT_AGE:
        if _met_the_13_weeks(born, periods, on + timedelta(days=1)):  # looked after today counts
            return Eligibility(
                Category.ELIGIBLE,
                "Aged 16 or 17, still looked after, and looked after for 13 weeks or more since their 14th birthday.",
                SOURCES[Category.ELIGIBLE],
                became_on=_became_eligible(born, periods),
                support_until=birthday(born, ADULT_AGE),
            )
        return Eligibility(
            Category.NONE,
            "Still looked after but not yet looked after for 13 weeks since their 14th birthday.",
            SOURCES[Category.NONE],
        )
    # Not looked after now (or looked after at 18 or over, which ends it): when did they last cease to be?
    left_on = max((p.end for p in periods if p.end is not None and p.end <= on), default=None)
    if looked_after_now:  # 18 or over and still recorded as looked after: treated as leaving at 18
        left_on = birthday(born, ADULT_AGE)
    assert left_on is not None  # ever_after_16 and not looked after now: a period ended
    was_eligible = age_on(born, left_on - timedelta(days=1)) >= CARE_LEAVER_FROM_AGE and _met_the_13_weeks(
        born, periods, left_on
    )
    if was_eligible and age < ADULT_AGE:
        return Eligibility(
            Category.RELEVANT,
            "Aged 16 or 17, no longer looked after, and an eligible child before they last left care.",
            SOURCES[Category.RELEVANT],
            became_on=_became_eligible(born, periods),
            support_until=twenty_five,
        )
    if was_eligible:
        return Eligibility(
            Category.FORMER_RELEVANT,
            "Aged 18 to 24, and an eligible or relevant child before turning 18: a personal adviser is offered to 25.",
            SOURCES[Category.FORMER_RELEVANT],
            became_on=_became_eligible(born, periods),
            support_until=twenty_five,
        )
    if age < QUALIFYING_UNTIL_AGE:
        return Eligibility(
            Category.QUALIFYING,
            "Aged 16 to 20 and looked after after their 16th birthday, but not for the 13 weeks that make an eligible "
            "child.",
            SOURCES[Category.QUALIFYING],
            support_until=birthday(born, QUALIFYING_UNTIL_AGE),
        )
    return Eligibility(
        Category.NONE,
        "Not a care leaver: 21 or over and never an eligible child.",
        SOURCES[Category.NONE],
    )


def _became_eligible(born: date, periods: Sequence[PeriodOfCare]) -> date:
    """The first day both hold: aged 16, and 13 weeks looked after since 14 (CPPCR reg 42(1): the needs assessment
    is due three months after it)."""
    sixteen = birthday(born, CARE_LEAVER_FROM_AGE)
    from_14 = birthday(born, ELIGIBILITY_FROM_AGE)
    counted = 0
    for period in periods:
        begin = max(period.start, from_14)
        end = period.end
        if end is not None and end <= begin:
            continue
        # The 13th week is completed inside this period, on its 91st day looked after (counted from the 14th birthday).
        needed = THIRTEEN_WEEKS.days - counted
        length = None if end is None else (end - begin).days
        if length is None or length >= needed:
            return max(sixteen, begin + timedelta(days=needed - 1))
        counted += length
    return sixteen


# --- OC3: care leavers around their 17th to 21st birthdays ------------------------------------------------------

OC3_AGES = (17, 18, 19, 20, 21)
# DfE "Children looked after by local authorities in England: guide to the SSDA903 collection", care leavers: the
# information is about the young person on or around their birthday, from contact in the three months before it to
# the month after it. (The domain note says "measured on or around the birthday"; the window is the guide's.)
OC3_MONTHS_BEFORE = 3
OC3_MONTHS_AFTER = 1

IN_TOUCH: Final = MappingProxyType(
    {
        "YES": "In touch",
        "NO": "Not in touch",
        "DIED": "Died",
        "REFU": "Refuses contact",
        "NREQ": "No longer requires services",
        "RHOM": "Returned home for 7 days or more and not receiving support",
    }
)
ACTIVITY: Final = MappingProxyType(
    {
        "F1": "Full-time higher education",
        "P1": "Part-time higher education",
        "F2": "Full-time education other than higher education",
        "P2": "Part-time education other than higher education",
        "F4": "Full-time apprenticeship",
        "P4": "Part-time apprenticeship",
        "F5": "Full-time training or employment (not an apprenticeship)",
        "P5": "Part-time training or employment (not an apprenticeship)",
        "G4": "Not in education, employment or training: illness or disability",
        "G5": "Not in education, employment or training: other reasons",
        "G6": "Not in education, employment or training: pregnancy or parenting",
        "0": "Not known",
    }
)
ACCOMMODATION_TYPES: Final = MappingProxyType(
    {
        "B": "With parents or relatives",
        "C": "Community home or other residential care",
        "D": "Semi-independent, transitional accommodation",
        "E": "Supported lodgings",
        "G": "Gone abroad",
        "H": "Deported",
        "K": "Ordinary lodgings, without formal support",
        "R": "Residence not known",
        "S": "No fixed abode or homeless",
        "T": "Foyers and similar supported accommodation",
        "U": "Independent living",
        "V": "Emergency accommodation",
        "W": "Bed and breakfast",
        "X": "In custody",
        "Y": "Other accommodation",
        "Z": "With former foster carers (staying put)",
    }
)
SUITABILITY: Final = MappingProxyType({"1": "Suitable", "2": "Not suitable"})
# Staying put (living on with former foster carers) begins at 18, when the young person leaves care: at the 17th
# birthday they are still looked after, so the OC3 accommodation cannot be "Z" then (the DfE's SSDA903 validation
# rule 3001: "Where care leavers information is being returned for a young person around their 17th birthday, the
# accommodation cannot be with their former foster carer(s)").
STAYING_PUT: Final = "Z"
NOT_STAYING_PUT_AT: Final = 17
# Where the accommodation is not known, its suitability cannot be: the DfE code is the type letter alone is not
# valid, so these take "0" (no information) instead of a type and suitability.
ACCOMMODATION_NOT_KNOWN = "0"


def accommodation_code(kind: str, suitable: str) -> str:
    """The DfE ACCOM code: the type letter and 1 (suitable) or 2 (not suitable), e.g. "B1"."""
    return f"{kind}{suitable}"


def accommodation_label(code: str | None) -> str:
    if not code:
        return ""
    if code == ACCOMMODATION_NOT_KNOWN:
        return "No information"
    kind, suitable = code[:1], code[1:]
    return f"{ACCOMMODATION_TYPES.get(kind, kind)}: {SUITABILITY.get(suitable, suitable).lower()}"


def oc3_window(born: date, age: int) -> tuple[date, date]:
    """The days (both counted) whose information describes the young person at the birthday of ``age``."""
    day = birthday(born, age)
    return add_calendar_months(day, -OC3_MONTHS_BEFORE), add_calendar_months(day, OC3_MONTHS_AFTER)


def collection_year_span(year: int) -> tuple[date, date]:
    """The SSDA903 collection year ``year``: 1 April of the year before to 31 March (both counted)."""
    return date(year - 1, 4, 1), date(year, 3, 31)


@dataclass(frozen=True)
class Oc3Fact:
    """What was recorded about a care leaver at one birthday: the day of the information and the DfE codes."""

    age: int
    recorded_on: date
    in_touch: str
    activity: str | None = None
    accommodation: str | None = None


@dataclass(frozen=True)
class Oc3Row:
    """A row of the OC3 table (CHILD, DOB, IN_TOUCH, ACTIV, ACCOM) and which birthday it is about. Blank codes mean
    nothing was recorded in the birthday's window: the return's checks name it, it is never filled in for them."""

    age: int
    birthday: date
    date_of_birth: date
    in_touch: str | None
    activity: str | None
    accommodation: str | None

    @property
    def recorded(self) -> bool:
        return self.in_touch is not None


def oc3_row(born: date, periods: Iterable[PeriodOfCare], facts: Iterable[Oc3Fact], year: int) -> Oc3Row | None:
    """The young person's OC3 row for collection year ``year``: when their 17th to 21st birthday falls in it and on
    that birthday they are a relevant or former relevant child (looked after for 13 weeks from 14, looked after
    after 16, not looked after on the birthday). The facts used are those recorded for that birthday inside its
    window (the latest of them); none recorded gives a row with blank codes."""
    periods = _merged(periods)
    first, last = collection_year_span(year)
    for age in OC3_AGES:
        day = birthday(born, age)
        if not first <= day <= last:
            continue
        status = eligibility(born, periods, day)
        if status.category not in (Category.RELEVANT, Category.FORMER_RELEVANT):
            return None
        opens, closes = oc3_window(born, age)
        inside = [f for f in facts if f.age == age and opens <= f.recorded_on <= closes]
        chosen = max(inside, key=lambda f: f.recorded_on, default=None)
        if chosen is None:
            return Oc3Row(age, day, born, None, None, None)
        return Oc3Row(age, day, born, chosen.in_touch, chosen.activity, chosen.accommodation)
    return None


def periods_from_fact(
    born: date, left_care_on: date | None, weeks_since_14: int, recorded_on: date
) -> list[PeriodOfCare]:
    """The periods of care the "left care" fact on a care leaver's record stands for, until the children-in-care
    record's own periods are joined: one period of ``weeks_since_14`` weeks ending on ``left_care_on`` (or, still
    looked after, running on from ``recorded_on`` back that many weeks), never starting before the 14th birthday.
    Where the weeks do not fit between the 14th birthday and the day, the period starts on the birthday."""
    until = left_care_on or recorded_on
    start = max(birthday(born, ELIGIBILITY_FROM_AGE), until - timedelta(weeks=weeks_since_14))
    if left_care_on is None:
        return [PeriodOfCare(min(start, recorded_on))]
    return [PeriodOfCare(start, left_care_on)] if start < left_care_on else []


def needs_assessment_from(status: Eligibility) -> date | None:
    """When the needs assessment clock starts (CPPCR 2010 reg 42(1); CLR 2010 Part 2 for a relevant child): the day
    the young person became an eligible child (or the 16th birthday), or became relevant; none for a qualifying care
    leaver, to whom no needs assessment duty is owed."""
    if status.category in (Category.ELIGIBLE, Category.RELEVANT, Category.FORMER_RELEVANT):
        return status.became_on
    return None

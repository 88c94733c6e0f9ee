"""The CIN census as plain data: one child with their episodes, as the DfE layout nests them
(the DfE's CIN census XML specification).

The validator works on these dataclasses, not on XML, so that the same rules check a file from any system (fed by
``reader``) and the live record every night (fed by ``export``) without writing XML in between.

Codes, booleans and counts are kept as the text given (stripped; None where absent), because the rules must be able
to say that a value is invalid. Dates are ``date`` or None; a date that is not a date is reported by the reader and
then treated as absent, as the DfE's own validator does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from safeguarding.core import codes
from safeguarding.core.calendar import add_calendar_months, is_working_day

FIRST_YEAR = 2023  # the oldest ruleset held: cin2022_23
LATEST_YEAR = 2026  # cin2025_26
UNSET_LA_CODE = "999"  # the LEA of a return from a council that has not set its code (local setting returns.la_code)


def la_code_of(value: object) -> str | None:
    """A council's own DfE LA code as the census writes it (three digits, 201 to 998), or None for anything else
    (unset, 999, not a code)."""
    text = str(value).strip() if value is not None else ""
    return text if len(text) == 3 and text.isdigit() and 201 <= int(text) < 999 else None


@dataclass(frozen=True)
class CensusYear:
    """A collection year, named by the year it ends: 2026 is 1 April 2025 to 31 March 2026 (ruleset cin2025_26)."""

    year: int
    # The council making the return (its DfE LA code, or None): the UPNs it allocates pass rule 1530 even before
    # the list held in core/codes.py names a new authority's code. Not part of the year's identity (equality).
    la_code: str | None = field(default=None, compare=False)
    # The live record checked mid-year "as things stand": the day the date-driven rules count to instead of the
    # reference date (an assessment open 20 working days is not yet late), and work still open (an episode not
    # yet closed) is taken as able to finish. None: the census itself, at its reference date.
    as_of: date | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.year <= LATEST_YEAR + 1:
            raise ValueError(f"the CIN census years held are {FIRST_YEAR} to {LATEST_YEAR + 1}")

    # Read for every child by many rules: made once per year (cached_property writes the instance's __dict__
    # directly, which a frozen dataclass allows).
    @cached_property
    def reference_date(self) -> date:
        end = date(self.year, 3, 31)
        return min(self.as_of, end) if self.as_of is not None else end

    @cached_property
    def period_start(self) -> date:
        return date(self.year - 1, 4, 1)

    @cached_property
    def upn_la_codes(self) -> frozenset[str]:
        """The LA codes a UPN may carry in characters 2-4 (rule 1530): the DfE list and the council's own."""
        return codes.UPN_LA_CODES | {self.la_code} if self.la_code else codes.UPN_LA_CODES

    @property
    def ruleset(self) -> str:
        return f"cin{self.year - 1}_{self.year % 100:02d}"

    def in_period(self, day: date) -> bool:
        return self.period_start <= day <= self.reference_date

    @cached_property
    def nfa_cut(self) -> date:
        """One working day before the period began: a referral before it cannot be a no further action case of
        this year (rule 8569Q; the export marks NFA the same way)."""
        day = self.period_start - timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
        return day

    def months_after_reference(self, months: int) -> date:
        return add_calendar_months(self.reference_date, months)

    def days_before_reference(self, days: int) -> date:
        return self.reference_date - timedelta(days=days)


TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


_BOOLS = {"true": True, "1": True, "false": False, "0": False, "TRUE": True, "FALSE": False}


def as_bool(raw: str | None) -> bool | None:
    """A DfE yesnotype value (true / false / TRUE / FALSE / 1 / 0), or None when absent or not a boolean."""
    if raw is None:
        return None
    known = _BOOLS.get(raw)
    if known is not None:
        return known
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


@dataclass
class Header:
    collection: str | None = None
    year: str | None = None
    reference_date: date | None = None
    source_level: str | None = None
    lea: str | None = None
    software_code: str | None = None
    release: str | None = None
    serial_no: str | None = None
    date_time: str | None = None


@dataclass
class Assessment:
    start: date | None = None
    internal_review: date | None = None
    authorised: date | None = None
    factors: tuple[str, ...] = ()
    factors_given: bool = False  # a FactorsIdentifiedAtAssessment element was present (rule 8614)


@dataclass
class CinPlan:
    start: date | None = None
    end: date | None = None


@dataclass
class Section47:
    start: date | None = None
    icpc_target: date | None = None
    icpc: date | None = None
    icpc_not_required: str | None = None

    @property
    def open(self) -> bool:
        """No conference held and not recorded as not required: the enquiry is still going on."""
        return self.icpc is None and as_bool(self.icpc_not_required) is not True


@dataclass
class ProtectionPlan:
    start: date | None = None
    end: date | None = None
    initial_category: str | None = None
    latest_category: str | None = None
    previous_plans: str | None = None
    reviews: tuple[date | None, ...] = ()
    reviews_given: bool = False  # a Reviews element was present (rule 8842Q)


@dataclass
class PreProceedings:
    """The PreProceedingsandFGDM block (module 5: pre-proceedings and family group decision-making), its items as
    given by name. The DfE's rules on it start in 2026-27 (ruleset cin2026_27); a file of an earlier year carrying
    it (the D2I 2026 sample does) has it carried through unchecked."""

    items: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.items.get(name)
        return value if value else None

    def day(self, name: str) -> date | None:
        """An item's date, or None when absent or not a date (an ISO date, as the census writes dates)."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None


@dataclass
class Episode:
    """One CINdetails: a referral and what followed it."""

    referral_date: date | None = None
    referral_source: str | None = None
    primary_need: str | None = None
    closure_date: date | None = None
    closure_reason: str | None = None
    icpc_date: date | None = None  # an initial conference held without a section 47 in this episode
    referral_nfa: str | None = None
    assessments: list[Assessment] = field(default_factory=list)
    cin_plans: list[CinPlan] = field(default_factory=list)
    section47s: list[Section47] = field(default_factory=list)
    protection_plans: list[ProtectionPlan] = field(default_factory=list)
    pre_proceedings: list[PreProceedings] = field(default_factory=list)

    @property
    def nfa(self) -> bool:
        return as_bool(self.referral_nfa) is True

    @property
    def not_nfa(self) -> bool:
        return as_bool(self.referral_nfa) is False


@dataclass
class Child:
    la_child_id: str | None = None
    upn: str | None = None
    former_upn: str | None = None
    upn_unknown: str | None = None
    birth_date: date | None = None
    expected_birth_date: date | None = None
    gender: str | None = None  # GenderCurrent, to 2023-24
    sex: str | None = None  # Sex, from 2024-25
    death_date: date | None = None
    ethnicity: str | None = None
    disabilities: tuple[str, ...] = ()
    disabilities_given: bool = False
    episodes: list[Episode] = field(default_factory=list)
    # Where the child came from: the line of <Child> in a file, or the person's id in the live record.
    line: int | None = None
    person_id: int | None = None
    # Lists the rules walk, built once per child while it is validated (not part of the child's value).
    views: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> str:
        return self.la_child_id or ""

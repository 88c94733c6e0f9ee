"""The DfE CIN census validation rules, one small pure function per rule code, each with its text.

Source: the DfE's CIN census validation rules for 2025 to 2026 (ruleset cin2025_26: 109 rules, 83 errors and 26
queries, as the Data to Insight validator csc-validator-be-cin implements the DfE specification), with the year's
changes and code sets from the DfE specification (core/codes.py). Codes are written as the DfE writes them: a query
keeps its Q (8770Q).
The texts are the DfE's where the D2I validator quotes them (for example 8820) and otherwise say the rule in the
DfE's terms; check them against the year's published specification each autumn.

A child rule takes one :class:`~.census.Child` and the :class:`~.census.CensusYear` (the reference date and the
census period, 1 April to 31 March, come from the year) and yields a :class:`Problem` for each place it breaks.
A return rule (1520, 8510, 2883, 2886Q, 2887Q, 2888Q) looks across all children: it reads a :class:`ReturnTally`
that the validator fills one child at a time, so the file is never held in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from itertools import permutations
from typing import NamedTuple

from safeguarding.core import codes
from safeguarding.core.calendar import is_working_day, working_days_between
from safeguarding.core.dates import birthday
from safeguarding.people.rules import UPN_LETTERS, upn_check_letter, years_before
from safeguarding.returns.cin_census.census import (
    CensusYear,
    Child,
    Episode,
    Header,
    PreProceedings,
    ProtectionPlan,
    as_bool,
)


class Severity(StrEnum):
    ERROR = "error"  # must be fixed before the DfE signs the return off
    QUERY = "query"  # the LA must fix or explain it


class Problem(NamedTuple):
    element: str
    message: str
    la_child_id: str | None = None  # return rules name the child; child rules leave it to the validator


ChildCheck = Callable[[Child, CensusYear], Iterator[Problem]]
ReturnCheck = Callable[["ReturnTally", CensusYear], Iterator[Problem]]
HeaderCheck = Callable[[Header, CensusYear], Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    code: str
    module: str  # the table the DfE (and D2I) assign the rule to
    text: str
    check: ChildCheck | ReturnCheck | HeaderCheck
    scope: str = "child"  # "child", "return" or "header"
    first_year: int = 2023
    last_year: int | None = None
    # What a child must have for the rule to have anything to check (see ``features``); None: every child.
    needs: str | None = None

    @property
    def severity(self) -> Severity:
        return Severity.QUERY if self.code.endswith("Q") else Severity.ERROR

    def applies_to(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


RULES: dict[str, Rule] = {}

# A rule of these modules has nothing to check on a child without the part named; the validator skips it there.
MODULE_NEEDS = {
    "Assessments": "assessments",
    "CINplanDates": "cin_plans",
    "Section47": "section47s",
    "ChildProtectionPlans": "protection_plans",
    "Reviews": "protection_plans",
    "PreProceedings": "pre_proceedings",
}
# Rules of other modules that read only a value most children do not have: each yields nothing without it (the
# rule's first test is on that value), so a child without it skips the rule. Checked both ways by the rule tests.
NEEDS: dict[str, str | None] = {
    "1104": "conference",
    "8715": "conference",
    "8875": "conference",  # S47 or CINdetails conference dates
    **dict.fromkeys(("1510", "1530", "1540", "1550"), "upn"),
    "1560Q": "former_upn",
    **dict.fromkeys(("4008", "4009Q", "8535Q", "8545Q", "8555Q"), "death"),
    **dict.fromkeys(("8530Q", "8750"), "expected_birth"),
    **dict.fromkeys(("8565", "8620", "8630", "8805", "8867", "8868"), "closed"),  # an episode with a closure date
    **dict.fromkeys(("2990", "8585Q", "8640", "8810", "8825Q"), "closure_reason"),
    **dict.fromkeys(("8569Q", "8831"), "nfa"),  # an episode marked no further action
    **dict.fromkeys(("2991Q", "8890"), "section47s"),
    **dict.fromkeys(("8815", "8816", "8820"), "episodes"),  # two episodes or more
}


def features(child: Child) -> frozenset[str]:
    """The parts a child has, for skipping the rules that need a part the child does not have."""
    found: set[str] = set()
    if child.upn:
        found.add("upn")
    if child.former_upn:
        found.add("former_upn")
    if child.death_date:
        found.add("death")
    if child.expected_birth_date:
        found.add("expected_birth")
    if len(child.episodes) > 1:
        found.add("episodes")
    for e in child.episodes:
        if e.closure_date:
            found.add("closed")
        if e.closure_reason:
            found.add("closure_reason")
        if e.nfa:
            found.add("nfa")
        if e.assessments:
            found.add("assessments")
        if e.cin_plans:
            found.add("cin_plans")
        if e.section47s:
            found.update(("section47s", "conference"))
        if e.protection_plans:
            found.add("protection_plans")
        if e.icpc_date:
            found.add("conference")
        if e.pre_proceedings:
            found.add("pre_proceedings")
    return frozenset(found)


Check = Callable[..., Iterator[Problem]]


def rule(
    code: str, module: str, text: str, *, scope: str = "child", first_year: int = 2023, last_year: int | None = None
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if code in RULES:
            raise ValueError(f"rule {code} registered twice")
        needs = NEEDS.get(code, MODULE_NEEDS.get(module))
        RULES[code] = Rule(code, module, text, check, scope, first_year, last_year, needs)
        return check

    return register


def rules_for(year: int) -> list[Rule]:
    return [r for r in RULES.values() if r.applies_to(year)]


# --- helpers ---------------------------------------------------------------------------------------------------


def show(day: date | None) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day else "none"


def ep(i: int) -> str:
    return f"CINdetails[{i + 1}]"


class Said:
    """Words about a thing, made only when a message is written (most children break no rule)."""

    __slots__ = ("day", "words")

    def __init__(self, words: str, day: date | None) -> None:
        self.words = words
        self.day = day

    def __format__(self, spec: str) -> str:
        return f"{self.words} {show(self.day)}"

    def __str__(self) -> str:
        return self.__format__("")


def episodes(child: Child) -> list[tuple[int, Episode, Said]]:
    found: list[tuple[int, Episode, Said]] | None = child.views.get("episodes")
    if found is None:
        found = child.views["episodes"] = [
            (i, e, Said("referral of", e.referral_date)) for i, e in enumerate(child.episodes)
        ]
    return found


def plans(child: Child) -> list[tuple[str, Episode, ProtectionPlan]]:
    found: list[tuple[str, Episode, ProtectionPlan]] | None = child.views.get("plans")
    if found is None:
        found = child.views["plans"] = [
            (f"{ep(i)}/ChildProtectionPlans[{j + 1}]", e, plan)
            for i, e in enumerate(child.episodes)
            for j, plan in enumerate(e.protection_plans)
        ]
    return found


def during(day: date, start: date, end: date | None) -> bool:
    """``day`` on or after ``start`` and before ``end`` (an open period has no end)."""
    return start <= day and (end is None or day < end)


def working_day_before(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


# --- Header ----------------------------------------------------------------------------------------------------


@rule("100", "Header", "Reference date is incorrect: it must be 31 March of the collection year", scope="header")
def r100(header: Header, year: CensusYear) -> Iterator[Problem]:
    expected = year.reference_date
    if header.year and header.year.isdigit() and len(header.year) == 4:
        expected = date(int(header.year), 3, 31)
    if header.reference_date != expected:
        yield Problem(
            "Header/CollectionDetails/ReferenceDate",
            f"ReferenceDate is {show(header.reference_date)}; it must be {show(expected)}",
        )


# --- ChildIdentifiers ------------------------------------------------------------------------------------------

_UPN_13 = frozenset("0123456789" + UPN_LETTERS)


@rule("1510", "ChildIdentifiers", "UPN invalid (wrong check letter at character 1)")
def r1510(child: Child, year: CensusYear) -> Iterator[Problem]:
    upn = child.upn
    if not upn:
        return
    body = upn[1:].upper()
    if len(upn) != 13:
        yield Problem("ChildIdentifiers/UPN", f"UPN {upn!r} is not 13 characters")
    elif (
        body[:11].isascii() and body[:11].isdigit() and body[11] in _UPN_13 and upn_check_letter(body) != upn[0].upper()
    ):
        yield Problem(
            "ChildIdentifiers/UPN",
            f"UPN {upn} has the wrong check letter: it should start with {upn_check_letter(body)}",
        )


@rule("1520", "ChildIdentifiers", "More than one record with the same UPN", scope="return")
def r1520(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    for upn, ids in tally.upns.items():
        if len(ids) > 1:
            for la_child_id in ids:
                yield Problem("ChildIdentifiers/UPN", f"UPN {upn} is given for {len(ids)} children", la_child_id)


@rule("1530", "ChildIdentifiers", "UPN invalid (characters 2-4 not a recognised LA code)")
def r1530(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.upn and len(child.upn) >= 4 and child.upn[1:4] not in year.upn_la_codes:
        yield Problem("ChildIdentifiers/UPN", f"UPN {child.upn}: {child.upn[1:4]} is not a local authority code")


@rule("1540", "ChildIdentifiers", "UPN invalid (characters 5-12 not all numeric)")
def r1540(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.upn and not (len(child.upn) >= 12 and child.upn[4:12].isascii() and child.upn[4:12].isdigit()):
        yield Problem("ChildIdentifiers/UPN", f"UPN {child.upn!r}: characters 5 to 12 must be digits")


@rule("1550", "ChildIdentifiers", "UPN invalid (character 13 not a recognised value)")
def r1550(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.upn and (len(child.upn) < 13 or child.upn[12].upper() not in _UPN_13):
        yield Problem(
            "ChildIdentifiers/UPN", f"UPN {child.upn!r}: character 13 must be a digit or a letter other than I, O or S"
        )


@rule("1560Q", "ChildIdentifiers", "Please check: Former UPN wrongly formatted")
def r1560q(child: Child, year: CensusYear) -> Iterator[Problem]:
    former = child.former_upn
    if former and not (
        len(former) == 13
        and former[0].isascii()
        and former[0].isalpha()
        and former[1:].isascii()
        and former[1:].isdigit()
    ):
        yield Problem("ChildIdentifiers/FormerUPN", f"FormerUPN {former!r} is not a letter followed by 12 digits")


@rule("1570", "ChildIdentifiers", "The LA child ID must be no longer than 20 characters", first_year=2025)
def r1570(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.la_child_id and len(child.la_child_id) > 20:
        yield Problem("ChildIdentifiers/LAchildID", f"LAchildID is {len(child.la_child_id)} characters long")


@rule("1580", "ChildIdentifiers", "The LA child ID must contain only letters and numbers", first_year=2025)
def r1580(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.la_child_id and not (child.la_child_id.isascii() and child.la_child_id.isalnum()):
        yield Problem("ChildIdentifiers/LAchildID", "LAchildID contains characters other than letters and digits")


@rule(
    "2886Q",
    "ChildIdentifiers",
    "Please check: Percentage of children with no sex recorded is more than 2% (to 2023-24: gender)",
    scope="return",
)
def r2886q(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    if tally.born and tally.born_without_sex * 100 > tally.born * 2:
        what = "sex" if year.year >= 2025 else "gender"
        yield Problem(
            "ChildIdentifiers/Sex" if year.year >= 2025 else "ChildIdentifiers/GenderCurrent",
            f"{tally.born_without_sex} of {tally.born} born children have no {what} recorded "
            f"({tally.born_without_sex * 100 / tally.born:.1f}%)",
            "",
        )


@rule("4008", "ChildIdentifiers", "CIN Plan shown as starting after the child’s Date of Death")
def r4008(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.death_date:
        for i, episode, _ in episodes(child):
            for j, plan in enumerate(episode.cin_plans):
                if plan.start and plan.start > child.death_date:
                    yield Problem(
                        f"{ep(i)}/CINPlanDates[{j + 1}]/CINPlanStartDate",
                        f"CIN plan starts {show(plan.start)}, after the death on {show(child.death_date)}",
                    )


@rule("4009Q", "ChildIdentifiers", "Please check: CIN Plan shown as ending after the child’s Date of Death")
def r4009q(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.death_date:
        for i, episode, _ in episodes(child):
            for j, plan in enumerate(episode.cin_plans):
                if plan.end and plan.end > child.death_date:
                    yield Problem(
                        f"{ep(i)}/CINPlanDates[{j + 1}]/CINPlanEndDate",
                        f"CIN plan ends {show(plan.end)}, after the death on {show(child.death_date)}",
                    )


@rule(
    "4180",
    "ChildIdentifiers",
    "Sex is missing or invalid: it must be M, F or U (to 2023-24: GenderCurrent must be 0, 1, 2 or 9)",
)
def r4180(child: Child, year: CensusYear) -> Iterator[Problem]:
    if year.year >= 2025:
        if child.sex not in codes.SEXES:
            yield Problem(
                "ChildIdentifiers/Sex",
                f"Sex {child.sex or 'is missing'}: it must be M, F or U"
                if child.sex
                else "Sex is missing: it must be M, F or U",
            )
    elif child.gender not in codes.GENDERS:
        yield Problem("ChildIdentifiers/GenderCurrent", "GenderCurrent is missing or not 0, 1, 2 or 9")


@rule("8500", "ChildIdentifiers", "LA Child ID missing")
def r8500(child: Child, year: CensusYear) -> Iterator[Problem]:
    if not child.la_child_id:
        yield Problem("ChildIdentifiers/LAchildID", "LAchildID is missing")


@rule("8510", "ChildIdentifiers", "More than one child record with the same LA Child ID", scope="return")
def r8510(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    for la_child_id, count in tally.child_ids.items():
        if count > 1:
            yield Problem(
                "ChildIdentifiers/LAchildID", f"LAchildID {la_child_id} is used by {count} children", la_child_id
            )


@rule(
    "8520",
    "ChildIdentifiers",
    "Date of Birth is after data collection period (must be on or before the end of the census period)",
)
def r8520(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.birth_date and child.birth_date > year.reference_date:
        yield Problem(
            "ChildIdentifiers/PersonBirthDate",
            f"PersonBirthDate {show(child.birth_date)} is after {show(year.reference_date)}",
        )


@rule(
    "8525Q",
    "ChildIdentifiers",
    "Please check: Either Date of Birth or Expected Date of Birth must be provided (but not both)",
)
def r8525q(child: Child, year: CensusYear) -> Iterator[Problem]:
    if (child.birth_date is None) == (child.expected_birth_date is None):
        yield Problem(
            "ChildIdentifiers/PersonBirthDate",
            "both PersonBirthDate and ExpectedPersonBirthDate are given"
            if child.birth_date
            else "neither PersonBirthDate nor ExpectedPersonBirthDate is given",
        )


@rule(
    "8530Q",
    "ChildIdentifiers",
    "Please check: Expected Date of Birth is outside the expected range for this "
    "census (ReferenceDate minus 30 days to ReferenceDate plus 9 months)",
)
def r8530q(child: Child, year: CensusYear) -> Iterator[Problem]:
    due = child.expected_birth_date
    if due and not year.days_before_reference(30) <= due <= year.months_after_reference(9):
        yield Problem(
            "ChildIdentifiers/ExpectedPersonBirthDate",
            f"ExpectedPersonBirthDate {show(due)} is not between {show(year.days_before_reference(30))} "
            f"and {show(year.months_after_reference(9))}",
        )


@rule("8535Q", "ChildIdentifiers", "Please check: Child’s date of death should not be prior to the date of birth")
def r8535q(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.death_date and child.birth_date and child.death_date < child.birth_date:
        yield Problem(
            "ChildIdentifiers/PersonDeathDate",
            f"PersonDeathDate {show(child.death_date)} is before the birth on {show(child.birth_date)}",
        )


@rule("8545Q", "ChildIdentifiers", "Please check: Child’s date of death should be within the census year")
def r8545q(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.death_date and not year.in_period(child.death_date):
        yield Problem(
            "ChildIdentifiers/PersonDeathDate",
            f"PersonDeathDate {show(child.death_date)} is outside {show(year.period_start)} to "
            f"{show(year.reference_date)}",
        )


@rule("8590", "ChildIdentifiers", "Child does not have a recorded CIN episode")
def r8590(child: Child, year: CensusYear) -> Iterator[Problem]:
    if not child.episodes:
        yield Problem("CINdetails", "the child has no CINdetails")


@rule("8750", "ChildIdentifiers", "Sex must equal U for an unborn child (to 2023-24: gender must equal 0)")
def r8750(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.expected_birth_date and child.birth_date is None:
        if year.year >= 2025 and child.sex != "U":
            yield Problem("ChildIdentifiers/Sex", f"an unborn child's Sex is {child.sex or 'missing'}, not U")
        elif year.year < 2025 and child.gender != "0":
            yield Problem(
                "ChildIdentifiers/GenderCurrent",
                f"an unborn child's GenderCurrent is {child.gender or 'missing'}, not 0",
            )


def school_age_cut_off(year: CensusYear) -> date:
    """Born on or before this day, a child is of school age in the census (rule 8770Q): to 2023-24 six years before
    the reference date; from 2024-25 the start of the school year, 31 August six years before the year ends."""
    if year.year >= 2025:
        return date(year.year - 6, 8, 31)
    return years_before(year.reference_date, 6) - timedelta(days=1)


@rule(
    "8770Q",
    "ChildIdentifiers",
    "Please check: UPN or reason UPN missing expected for a child who is more than 5 "
    "years old (from 2024-25 UN1 is not an acceptable reason for a child of school age)",
)
def r8770q(child: Child, year: CensusYear) -> Iterator[Problem]:
    acceptable = {"UN2", "UN3", "UN4", "UN5", "UN6", "UN7"}
    if year.year < 2025:
        acceptable.add("UN1")
    if (
        child.birth_date
        and child.birth_date <= school_age_cut_off(year)
        and not child.upn
        and any(e.not_nfa for e in child.episodes)
        and child.upn_unknown not in acceptable
    ):
        reason = (
            f"UPNunknown {child.upn_unknown} is not an acceptable reason"
            if child.upn_unknown
            else "there is no UPN and no UPNunknown reason"
        )
        yield Problem("ChildIdentifiers/UPN", f"child of school age (born {show(child.birth_date)}): {reason}")


@rule(
    "8772",
    "ChildIdentifiers",
    "UPN unknown reason is UN7 (Referral with no further action) but at least one "
    "CIN details is a referral going on to further action",
)
def r8772(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.upn_unknown == "UN7" and any(not e.nfa for e in child.episodes):
        yield Problem("ChildIdentifiers/UPNunknown", "UPNunknown is UN7 but a referral went on to further action")


@rule("8775Q", "ChildIdentifiers", "Please check: Child is over 25 years old")
def r8775q(child: Child, year: CensusYear) -> Iterator[Problem]:
    birth = child.birth_date
    if birth and birth < years_before(year.reference_date, 25):
        turned_25 = birthday(birth, 25)  # born 29 February: 1 March (core.dates)
        if any(e.closure_date is None or e.closure_date > turned_25 for e in child.episodes):
            yield Problem(
                "ChildIdentifiers/PersonBirthDate",
                f"born {show(birth)}: the child was 25 on {show(turned_25)} and a case was open after",
            )


# --- ChildCharacteristics and Disabilities -------------------------------------------------------------------------


@rule("4220", "ChildCharacteristics", "Ethnicity is missing or invalid (see Ethnicity table)")
def r4220(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.ethnicity not in codes.ETHNICITIES:
        yield Problem(
            "ChildCharacteristics/Ethnicity",
            f"Ethnicity {child.ethnicity!r} is not a DfE code" if child.ethnicity else "Ethnicity is missing",
        )


@rule("8540", "ChildCharacteristics", "Child’s disability is missing or invalid (see Disability table)")
def r8540(child: Child, year: CensusYear) -> Iterator[Problem]:
    if child.birth_date and any(not e.nfa for e in child.episodes):
        invalid = [d for d in child.disabilities if d not in codes.DISABILITIES]
        if not child.disabilities:
            yield Problem("ChildCharacteristics/Disabilities", "no Disability is recorded (NONE if none)")
        elif invalid:
            yield Problem("ChildCharacteristics/Disabilities", f"Disability {', '.join(invalid)} is not a DfE code")


@rule(
    "2887Q",
    "Disabilities",
    "Please check: Fewer than 8 different disability codes have been used in your return",
    scope="return",
)
def r2887q(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    used = tally.disability_codes - {"NONE"}
    if len(used) < 8:
        yield Problem("ChildCharacteristics/Disabilities", f"only {len(used)} different disability codes are used", "")


@rule("2888Q", "Disabilities", "Please check: No child has more than one disability recorded", scope="return")
def r2888q(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    if tally.children and not tally.any_multiple_disabilities:
        yield Problem("ChildCharacteristics/Disabilities", "no child has more than one disability recorded", "")


@rule("8790", "Disabilities", "Disability information includes both No disability and other disabilities")
def r8790(child: Child, year: CensusYear) -> Iterator[Problem]:
    if "NONE" in child.disabilities and len(set(child.disabilities)) > 1:
        yield Problem("ChildCharacteristics/Disabilities", "NONE is recorded with other disabilities")


@rule("8794", "Disabilities", "Child has two or more disabilities with the same code")
def r8794(child: Child, year: CensusYear) -> Iterator[Problem]:
    if len(set(child.disabilities)) == len(child.disabilities):
        return
    repeated = sorted(code for code, n in Counter(child.disabilities).items() if n > 1)
    if repeated:
        yield Problem("ChildCharacteristics/Disabilities", f"{', '.join(repeated)} recorded more than once")


# --- CINdetails ----------------------------------------------------------------------------------------------------


@rule(
    "2990",
    "CINdetails",
    "Activity is recorded against a case marked as ‘Case closed after assessment, no further "
    "action’ or ‘Case closed after assessment, referred to early help’",
)
def r2990(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_reason in ("RC8", "RC9") and (e.section47s or e.protection_plans or e.cin_plans or e.icpc_date):
            yield Problem(
                f"{ep(i)}/ReasonForClosure",
                f"{what} closed {e.closure_reason} but has a section 47, conference or plan",
            )


@rule("2991Q", "CINdetails", "Please check: A Section 47 module is recorded and there is no assessment on the episode")
def r2991q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.section47s and not e.assessments:
            yield Problem(f"{ep(i)}/Section47", f"{what} has a section 47 enquiry and no assessment")


@rule("8555Q", "CINdetails", "Please check: Child cannot be referred after its recorded date of death")
def r8555q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if child.death_date and e.referral_date and e.referral_date > child.death_date:
            yield Problem(f"{ep(i)}/CINreferralDate", f"{what} is after the death on {show(child.death_date)}")


@rule("8568", "CINdetails", "RNFA flag is missing or invalid")
def r8568(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if as_bool(e.referral_nfa) is None:
            yield Problem(
                f"{ep(i)}/ReferralNFA",
                f"{what}: ReferralNFA {e.referral_nfa!r} is not true or false"
                if e.referral_nfa
                else f"{what}: ReferralNFA is missing",
            )


@rule(
    "8569Q",
    "CINdetails",
    "Please check: A case with referral date before one working day prior to the collection "
    "start date must not be flagged as a no further action case",
)
def r8569q(child: Child, year: CensusYear) -> Iterator[Problem]:
    cut = year.nfa_cut
    for i, e, what in episodes(child):
        if e.nfa and e.referral_date and e.referral_date < cut:
            yield Problem(f"{ep(i)}/ReferralNFA", f"{what} is before {show(cut)} and marked no further action")


@rule("8585Q", "CINdetails", "Please check: Reason for closure is RC2 (died) but there is no date of death")
def r8585q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_reason == "RC2" and child.death_date is None:
            yield Problem(f"{ep(i)}/ReasonForClosure", f"{what} closed RC2 (died) with no PersonDeathDate")


@rule("8600", "CINdetails", "Child referral date is missing or after data collection period")
def r8600(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, _ in episodes(child):
        if e.referral_date is None or e.referral_date > year.reference_date:
            yield Problem(
                f"{ep(i)}/CINreferralDate",
                f"CINreferralDate {show(e.referral_date)} is missing or after {show(year.reference_date)}",
            )


@rule("8606", "CINdetails", "Child referral date is more than 40 weeks before DOB or expected DOB")
def r8606(child: Child, year: CensusYear) -> Iterator[Problem]:
    birth = child.birth_date or child.expected_birth_date
    for i, e, what in episodes(child):
        if birth and e.referral_date and e.referral_date < birth - timedelta(days=280):
            yield Problem(f"{ep(i)}/CINreferralDate", f"{what} is more than 40 weeks before birth ({show(birth)})")


@rule("8610", "CINdetails", "Primary Need code is missing for a referral which led to further action")
def r8610(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.not_nfa and not e.primary_need:
            yield Problem(f"{ep(i)}/PrimaryNeedCode", f"{what} went on to further action and has no PrimaryNeedCode")


@rule("8620", "CINdetails", "CIN Closure Date present and does not fall within the Census year")
def r8620(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_date and not year.in_period(e.closure_date):
            yield Problem(f"{ep(i)}/CINclosureDate", f"{what}: closed {show(e.closure_date)}, outside the year")


@rule("8630", "CINdetails", "Child referral date must be on or before the CIN Closure Date")
def r8630(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_date and e.referral_date and e.closure_date < e.referral_date:
            yield Problem(f"{ep(i)}/CINclosureDate", f"{what}: closed {show(e.closure_date)}, before the referral")


@rule("8640", "CINdetails", "CIN Reason for closure code invalid (see Reason for Closure table)")
def r8640(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_reason and e.closure_reason not in codes.CLOSURE_REASONS:
            yield Problem(f"{ep(i)}/ReasonForClosure", f"{what}: {e.closure_reason!r} is not a closure reason")


@rule("8650", "CINdetails", "Primary Need Code invalid (see Primary Need table)")
def r8650(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.primary_need and e.primary_need not in codes.PRIMARY_NEEDS:
            yield Problem(f"{ep(i)}/PrimaryNeedCode", f"{what}: {e.primary_need!r} is not a primary need code")


@rule("8805", "CINdetails", "A CIN case cannot have a CIN closure date without a Reason for Closure")
def r8805(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_date and not e.closure_reason:
            yield Problem(f"{ep(i)}/ReasonForClosure", f"{what}: closed {show(e.closure_date)} without a reason")


@rule("8810", "CINdetails", "A CIN case cannot have a Reason for Closure without a CIN Closure Date")
def r8810(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_reason and not e.closure_date:
            yield Problem(f"{ep(i)}/CINclosureDate", f"{what}: reason {e.closure_reason} without a closure date")


def open_further_action(child: Child) -> list[int]:
    return [i for i, e in enumerate(child.episodes) if e.closure_date is None and not e.nfa]


@rule(
    "8815",
    "CINdetails",
    "More than one open CIN Details episode (a module with no CIN Closure Date) has been "
    "provided for this child and the referral is not a no further action case",
)
def r8815(child: Child, year: CensusYear) -> Iterator[Problem]:
    open_ones = open_further_action(child)
    if len(open_ones) > 1:
        for i in open_ones:
            yield Problem(f"{ep(i)}/CINclosureDate", f"{len(open_ones)} episodes of need are open")


@rule("8816", "CINdetails", "An open CIN episode is shown and this is not reported as the latest episode")
def r8816(child: Child, year: CensusYear) -> Iterator[Problem]:
    dates = [e.referral_date for e in child.episodes if e.referral_date]
    if not dates:
        return
    latest = max(dates)
    for i in open_further_action(child):
        referral = child.episodes[i].referral_date
        if referral and referral < latest:
            yield Problem(
                f"{ep(i)}/CINreferralDate",
                f"the open referral of {show(referral)} is not the latest (a referral of {show(latest)} follows it)",
            )


@rule("8820", "CINdetails", "The dates on the CIN episodes for this child overlap")
def r8820(child: Child, year: CensusYear) -> Iterator[Problem]:
    # Source: DfE rule text via D2I: a referral must not fall between another episode's referral and closure dates,
    # or its referral date and the reference date where it is open and not NFA; one may end the day the next starts.
    for (i, a), (_, b) in permutations(enumerate(child.episodes), 2):
        if a.referral_date is None or b.referral_date is None or a.referral_date < b.referral_date:
            continue
        inside_closed = b.closure_date is not None and a.referral_date < b.closure_date
        inside_open = b.closure_date is None and b.not_nfa and a.referral_date <= year.reference_date
        if inside_closed or inside_open:
            yield Problem(
                f"{ep(i)}/CINreferralDate",
                f"referral of {show(a.referral_date)} falls within the episode referred "
                f"{show(b.referral_date)} (closed {show(b.closure_date)})",
            )


@rule("8825Q", "CINdetails", "Please check: A CIN case closed with reason RC8 or RC9 has no assessment recorded")
def r8825q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_reason in ("RC8", "RC9") and not e.assessments:
            yield Problem(f"{ep(i)}/ReasonForClosure", f"{what} closed {e.closure_reason} with no assessment")


@rule("8831", "CINdetails", "Activity is recorded against a case marked as a referral with no further action")
def r8831(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.nfa and (e.assessments or e.section47s or e.icpc_date):
            yield Problem(
                f"{ep(i)}/ReferralNFA",
                f"{what} is marked no further action but has an assessment, section 47 or conference",
            )


SOURCES_FROM = date(2013, 4, 1)  # referral sources were first collected for referrals from 1 April 2013


@rule("8866", "CINdetails", "Source of Referral is missing or an invalid code")
def r8866(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.referral_date and e.referral_date >= SOURCES_FROM and e.referral_source not in codes.REFERRAL_SOURCES:
            yield Problem(
                f"{ep(i)}/ReferralSource",
                f"{what}: ReferralSource {e.referral_source!r} is not a DfE code"
                if e.referral_source
                else f"{what}: ReferralSource is missing",
            )


@rule("8867", "CINdetails", "CIN episode is shown as closed, however Assessment is not shown as completed")
def r8867(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_date:
            for j, a in enumerate(e.assessments):
                if a.authorised is None:
                    yield Problem(
                        f"{ep(i)}/Assessments[{j + 1}]/AssessmentAuthorisationDate",
                        f"{what} is closed but the assessment started {show(a.start)} is not authorised",
                    )


@rule(
    "8868",
    "CINdetails",
    "CIN episode is shown as closed, however Section 47 enquiry is not shown as completed "
    "by ICPC date or ICPC not required flag",
)
def r8868(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_date:
            for j, s in enumerate(e.section47s):
                if s.open:
                    yield Problem(
                        f"{ep(i)}/Section47[{j + 1}]",
                        f"{what} is closed but the section 47 started "
                        f"{show(s.start)} has no conference date and is not marked not required",
                    )


@rule(
    "8890", "CINdetails", "A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing"
)
def r8890(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        for (j, b), (k, a) in permutations(enumerate(e.section47s), 2):
            if a.start is None or b.start is None:
                continue
            end = a.icpc if a.icpc else (a.start if as_bool(a.icpc_not_required) else None)
            if during(b.start, a.start, end) and (b.start != a.start or j > k):
                yield Problem(
                    f"{ep(i)}/Section47[{j + 1}]/S47ActualStartDate",
                    f"{what}: a section 47 starts {show(b.start)} while the one started {show(a.start)} is ongoing",
                )


# --- Assessments ---------------------------------------------------------------------------------------------------


def assessments(child: Child) -> list[tuple[str, Episode, int, Said]]:
    found: list[tuple[str, Episode, int, Said]] | None = child.views.get("assessments")
    if found is None:
        found = child.views["assessments"] = [
            (f"{ep(i)}/Assessments[{j + 1}]", e, j, Said("assessment started", a.start))
            for i, e in enumerate(child.episodes)
            for j, a in enumerate(e.assessments)
        ]
    return found


@rule("1103", "Assessments", "The assessment start date cannot be before the referral date")
def r1103(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.start and e.referral_date and a.start < e.referral_date:
            yield Problem(f"{at}/AssessmentActualStartDate", f"{what}, before the referral of {show(e.referral_date)}")


@rule("8608", "Assessments", "Assessment Start Date cannot be later than its End Date")
def r8608(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.start and a.authorised and a.authorised < a.start:
            yield Problem(f"{at}/AssessmentAuthorisationDate", f"{what}, authorised earlier ({show(a.authorised)})")


@rule(
    "8614", "Assessments", "Parental or child factors at assessment should only be present for a completed assessment"
)
def r8614(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.factors_given and a.authorised is None:
            yield Problem(f"{at}/FactorsIdentifiedAtAssessment", f"{what} is not authorised but has factors")


@rule(
    "8670Q",
    "Assessments",
    "Please check: Assessment started more than 45 working days before the end of the "
    "census year. However, there is no Assessment end date",
)
def r8670q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.start and a.authorised is None and working_days_between(a.start, year.reference_date) > 45:
            yield Problem(
                f"{at}/AssessmentAuthorisationDate",
                f"{what} is not authorised, more than 45 working days after it started "
                f"(counted to {show(year.reference_date)})",
            )


@rule("8696", "Assessments", "Assessment end date must fall within the census year")
def r8696(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.authorised and not year.in_period(a.authorised):
            yield Problem(
                f"{at}/AssessmentAuthorisationDate", f"{what}, authorised {show(a.authorised)}, outside the year"
            )


@rule("8736", "Assessments", "For an incomplete assessment, the start date must fall within the census year")
def r8736(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.authorised is None and a.start and not year.in_period(a.start):
            yield Problem(f"{at}/AssessmentActualStartDate", f"{what}, outside the year, and not authorised")


@rule(
    "8863Q", "Assessments", "Please check: An Assessment is shown as starting when there is another Assessment ongoing"
)
def r8863q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e in enumerate(child.episodes):
        for (j, b), (k, a) in permutations(enumerate(e.assessments), 2):
            if a.start and b.start and during(b.start, a.start, a.authorised) and (b.start != a.start or j > k):
                yield Problem(
                    f"{ep(i)}/Assessments[{j + 1}]/AssessmentActualStartDate",
                    f"assessment started {show(b.start)} while the one started {show(a.start)} is ongoing",
                )


@rule(
    "8869",
    "Assessments",
    "The assessment factors code “21” cannot be used in conjunction with any other assessment factors",
)
def r8869(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        factors = e.assessments[j].factors
        if "21" in factors and len(set(factors)) > 1:
            yield Problem(f"{at}/FactorsIdentifiedAtAssessment", f"{what}: 21 (no factors) is given with others")


@rule(
    "8873Q",
    "Assessments",
    "Please check: When there is only one assessment on the episode and the factors code "
    "“21 No factors identified” has been used for the completed assessment, the reason for closure ‘RC8’ or ‘RC9’ "
    "must be used",
)
def r8873q(child: Child, year: CensusYear) -> Iterator[Problem]:
    # The DfE's logic: one <Assessments> group on the episode with factor 21, and <ReasonForClosure> not RC8 or
    # RC9. It has no condition on the episode being closed: an open episode (no reason yet) is queried too.
    for i, e, what in episodes(child):
        if year.as_of is not None and e.closure_date is None and not e.closure_reason:
            continue  # checked as things stand mid-year: the open episode may yet close with RC8 or RC9
        if len(e.assessments) == 1 and "21" in e.assessments[0].factors and e.closure_reason not in ("RC8", "RC9"):
            yield Problem(
                f"{ep(i)}/ReasonForClosure",
                f"{what}: no factors identified, "
                + (f"closed {e.closure_reason}" if e.closure_reason else "no reason for closure given"),
            )


@rule("8896", "Assessments", "The child has two or more open assessments (with no authorisation date) on one episode")
def r8896(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        open_ones = [a for a in e.assessments if a.authorised is None]
        if len(open_ones) > 1:
            yield Problem(f"{ep(i)}/Assessments", f"{what} has {len(open_ones)} open assessments")


@rule(
    "8897Q",
    "Assessments",
    "Please check: Parental or child factors at assessment information is missing from a completed assessment",
)
def r8897q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        a = e.assessments[j]
        if a.authorised and year.in_period(a.authorised) and not a.factors:
            yield Problem(f"{at}/FactorsIdentifiedAtAssessment", f"{what} is authorised and has no factors")


@rule("8898", "Assessments", "The assessment has more than one parental or child factors with the same code")
def r8898(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        factors = e.assessments[j].factors
        if len(set(factors)) == len(factors):
            continue
        repeated = sorted(c for c, n in Counter(factors).items() if n > 1)
        if repeated:
            yield Problem(f"{at}/FactorsIdentifiedAtAssessment", f"{what}: {', '.join(repeated)} given twice")


@rule(
    "8945Q",
    "Assessments",
    "Please check: Assessment factor 18A (physical abuse) has been used; use 18B (child on "
    "child) or 18C (adult on child)",
    first_year=2025,
)
def r8945q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        if "18A" in e.assessments[j].factors:
            yield Problem(f"{at}/FactorsIdentifiedAtAssessment", f"{what}: factor 18A should be 18B or 18C")


@rule(
    "8950Q",
    "Assessments",
    "Please check: Assessment factor 19A (sexual abuse) has been used; use 19B (child on "
    "child) or 19C (adult on child)",
    first_year=2025,
)
def r8950q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in assessments(child):
        if "19A" in e.assessments[j].factors:
            yield Problem(f"{at}/FactorsIdentifiedAtAssessment", f"{what}: factor 19A should be 19B or 19C")


# --- CINplanDates --------------------------------------------------------------------------------------------------


def cin_plans(child: Child) -> list[tuple[str, Episode, int, Said]]:
    found: list[tuple[str, Episode, int, Said]] | None = child.views.get("cin_plans")
    if found is None:
        found = child.views["cin_plans"] = [
            (f"{ep(i)}/CINPlanDates[{j + 1}]", e, j, Said("CIN plan started", plan.start))
            for i, e in enumerate(child.episodes)
            for j, plan in enumerate(e.cin_plans)
        ]
    return found


@rule("4000", "CINplanDates", "CIN Plan details provided for a referral with no further action")
def r4000(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.nfa and e.cin_plans:
            yield Problem(f"{ep(i)}/CINPlanDates", f"{what} is marked no further action but has a CIN plan")


@rule("4001", "CINplanDates", "A CIN Plan cannot run concurrently with a Child Protection Plan")
def r4001(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if any(p.end is None for p in e.cin_plans) and any(p.end is None for p in e.protection_plans):
            yield Problem(f"{ep(i)}/CINPlanDates", f"{what} has an open CIN plan and an open child protection plan")


@rule("4004", "CINplanDates", "This child is showing more than one open CIN Plan, i.e. with no End Date")
def r4004(child: Child, year: CensusYear) -> Iterator[Problem]:
    open_ones = [at for at, e, j, _ in cin_plans(child) if e.cin_plans[j].end is None]
    if len(open_ones) > 1:
        yield Problem(open_ones[-1], f"{len(open_ones)} CIN plans have no end date")


@rule("4010", "CINplanDates", "CIN Plan start date is missing or out of data collection period")
def r4010(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in cin_plans(child):
        start = e.cin_plans[j].start
        if start is None or start > year.reference_date:
            yield Problem(f"{at}/CINPlanStartDate", f"{what}: missing or after {show(year.reference_date)}")


@rule("4011", "CINplanDates", "CIN Plan End Date earlier than Start Date")
def r4011(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in cin_plans(child):
        plan = e.cin_plans[j]
        if plan.start and plan.end and plan.end < plan.start:
            yield Problem(f"{at}/CINPlanEndDate", f"{what} ends earlier, {show(plan.end)}")


@rule("4012Q", "CINplanDates", "Please check: CIN Plan shown as starting and ending on the same day")
def r4012q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in cin_plans(child):
        plan = e.cin_plans[j]
        if plan.start and plan.start == plan.end:
            yield Problem(f"{at}/CINPlanEndDate", f"{what} ends the same day")


@rule("4013", "CINplanDates", "CIN Plan end date must fall within the census year")
def r4013(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in cin_plans(child):
        end = e.cin_plans[j].end
        if end and not year.in_period(end):
            yield Problem(f"{at}/CINPlanEndDate", f"{what} ends {show(end)}, outside the year")


@rule("4014", "CINplanDates", "CIN Plan data contains overlapping dates")
def r4014(child: Child, year: CensusYear) -> Iterator[Problem]:
    # The DfE compares every <CINPlanDates> group of the child with every other, across all their episodes.
    found = [(at, e.cin_plans[j]) for at, e, j, _ in cin_plans(child)]
    for (n, (at, b)), (m, (_, a)) in permutations(enumerate(found), 2):
        if not (a.start and b.start):
            continue
        if b.start != a.start:
            hit = during(b.start, a.start, a.end)
        else:
            # Two plans from one day: one finding for the pair, whichever way round they are listed.
            hit = n > m and (during(b.start, a.start, a.end) or during(a.start, b.start, b.end))
        if hit:
            yield Problem(
                f"{at}/CINPlanStartDate",
                f"CIN plan started {show(b.start)} overlaps the plan started {show(a.start)}",
            )


@rule("4015", "CINplanDates", "The CIN Plan start date cannot be before the referral date")
def r4015(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in cin_plans(child):
        start = e.cin_plans[j].start
        if start and e.referral_date and start < e.referral_date:
            yield Problem(f"{at}/CINPlanStartDate", f"{what}, before the referral of {show(e.referral_date)}")


@rule("4016", "CINplanDates", "A CIN Plan has been reported as open at the same time as a Child Protection Plan")
def r4016(child: Child, year: CensusYear) -> Iterator[Problem]:
    # A CIN plan may start on the day a CP plan ends (step down), not during it.
    for at, e, j, what in cin_plans(child):
        start = e.cin_plans[j].start
        for cp in e.protection_plans:
            if start and cp.start and during(start, cp.start, cp.end):
                yield Problem(f"{at}/CINPlanStartDate", f"{what}, during the CP plan started {show(cp.start)}")


@rule("4017", "CINplanDates", "A CP Plan has been reported as open at the same time as a CIN Plan")
def r4017(child: Child, year: CensusYear) -> Iterator[Problem]:
    # A CP plan may start on the day a CIN plan ends (step up), not during it.
    for at, e, cp in plans(child):
        for plan in e.cin_plans:
            if cp.start and plan.start and during(cp.start, plan.start, plan.end):
                yield Problem(
                    f"{at}/CPPstartDate",
                    f"CP plan started {show(cp.start)}, during the CIN plan started {show(plan.start)}",
                )


# --- Section47 -----------------------------------------------------------------------------------------------------


def section47s(child: Child) -> list[tuple[str, Episode, int, Said]]:
    found: list[tuple[str, Episode, int, Said]] | None = child.views.get("section47s")
    if found is None:
        found = child.views["section47s"] = [
            (f"{ep(i)}/Section47[{j + 1}]", e, j, Said("section 47 started", s.start))
            for i, e in enumerate(child.episodes)
            for j, s in enumerate(e.section47s)
        ]
    return found


def conferences(child: Child) -> Iterator[tuple[str, Episode, date]]:
    """Every initial conference date in the child's record: at section 47 level and at CINdetails level."""
    for i, e in enumerate(child.episodes):
        if e.icpc_date:
            yield f"{ep(i)}/DateOfInitialCPC", e, e.icpc_date
        for j, s in enumerate(e.section47s):
            if s.icpc:
                yield f"{ep(i)}/Section47[{j + 1}]/DateOfInitialCPC", e, s.icpc


@rule("1104", "Section47", "The date of the initial child protection conference cannot be before the referral date")
def r1104(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, icpc in conferences(child):
        if e.referral_date and icpc < e.referral_date:
            yield Problem(at, f"conference of {show(icpc)} is before the referral of {show(e.referral_date)}")


@rule(
    "2884",
    "Section47",
    "An initial child protection conference is recorded at both the S47 and CIN Details "
    "level and it should only be recorded in one",
)
def r2884(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.icpc_date and any(s.icpc for s in e.section47s):
            yield Problem(f"{ep(i)}/DateOfInitialCPC", f"{what}: the conference is recorded twice")


@rule("2889", "Section47", "The S47 start date cannot be before the referral date")
def r2889(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in section47s(child):
        start = e.section47s[j].start
        if start and e.referral_date and start < e.referral_date:
            yield Problem(f"{at}/S47ActualStartDate", f"{what}, before the referral of {show(e.referral_date)}")


@rule(
    "8615",
    "Section47",
    "Section 47 Enquiry Start Date must be present and cannot be later than the date of the "
    "initial Child Protection Conference",
)
def r8615(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in section47s(child):
        s = e.section47s[j]
        if s.icpc and (s.start is None or s.start > s.icpc):
            yield Problem(f"{at}/S47ActualStartDate", f"{what}: missing or after the conference of {show(s.icpc)}")


@rule(
    "8675Q",
    "Section47",
    "Please check: S47 Enquiry started more than 15 working days before the end of the "
    "census year. However, there is no date of Initial Child Protection Conference",
)
def r8675q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in section47s(child):
        s = e.section47s[j]
        if (
            s.start
            and s.icpc is None
            and as_bool(s.icpc_not_required) is False
            and working_days_between(s.start, year.reference_date) > 15
        ):
            yield Problem(
                f"{at}/DateOfInitialCPC",
                f"{what}: no initial conference, more than 15 working days after the enquiry started "
                f"(counted to {show(year.reference_date)})",
            )


@rule("8715", "Section47", "Date of Initial Child Protection Conference must fall within the census year")
def r8715(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, icpc in conferences(child):
        if not year.in_period(icpc):
            yield Problem(at, f"conference of {show(icpc)} is outside the year")


@rule(
    "8740",
    "Section47",
    "For a Section 47 Enquiry that has not held the Initial Child Protection Conference by "
    "the end of the census year, the start date must fall within the census year",
)
def r8740(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in section47s(child):
        s = e.section47s[j]
        if s.start and s.icpc is None and as_bool(s.icpc_not_required) is False and not year.in_period(s.start):
            yield Problem(f"{at}/S47ActualStartDate", f"{what}, outside the year, with no conference")


@rule("8839", "Section47", "Within one CINDetails group there are 2 or more open S47 Assessments")
def r8839(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        open_ones = [s for s in e.section47s if s.open]
        if len(open_ones) > 1:
            yield Problem(f"{ep(i)}/Section47", f"{what} has {len(open_ones)} open section 47 enquiries")


@rule(
    "8870Q",
    "Section47",
    "Please check: The Target Date for Initial Child Protection Conference should not be a weekend",
)
def r8870q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, j, what in section47s(child):
        target = e.section47s[j].icpc_target
        if target and target.weekday() >= 5:
            yield Problem(f"{at}/InitialCPCtarget", f"{what}: target {show(target)} is a {target:%A}")


@rule("8875", "Section47", "The Date of Initial Child Protection Conference cannot be a weekend")
def r8875(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, icpc in conferences(child):
        if icpc.weekday() >= 5:
            yield Problem(at, f"conference of {show(icpc)} is on a {icpc:%A}")


# --- ChildProtectionPlans ------------------------------------------------------------------------------------------


@rule("1105", "ChildProtectionPlans", "The child protection plan start date cannot be before the referral date")
def r1105(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, cp in plans(child):
        if cp.start and e.referral_date and cp.start < e.referral_date:
            yield Problem(
                f"{at}/CPPstartDate",
                f"CP plan started {show(cp.start)}, before the referral of {show(e.referral_date)}",
            )


@rule(
    "2883",
    "ChildProtectionPlans",
    "There are more child protection plans starting than initial conferences taking place",
    scope="return",
)
def r2883(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    if tally.plans_started > tally.conferences_held:
        yield Problem(
            "ChildProtectionPlans/CPPstartDate",
            f"{tally.plans_started} plans start in the year and {tally.conferences_held} initial conferences are held",
            "",
        )


@rule(
    "2885",
    "ChildProtectionPlans",
    "Child protection plan shown as starting a different day to the initial child protection conference",
)
def r2885(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, cp in plans(child):
        if cp.start and year.in_period(cp.start):
            dates = {s.icpc for s in e.section47s if s.icpc} if e.section47s else {e.icpc_date}
            if cp.start not in dates:
                yield Problem(
                    f"{at}/CPPstartDate",
                    f"CP plan started {show(cp.start)}, not on a conference date "
                    f"({', '.join(show(d) for d in sorted(d for d in dates if d)) or 'none'})",
                )


@rule("8565", "ChildProtectionPlans", "Activity shown after a case has been closed")
def r8565(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.closure_date is None:
            continue
        activity: list[date | None] = [e.icpc_date]
        activity += [d for a in e.assessments for d in (a.start, a.authorised)]
        activity += [d for s in e.section47s for d in (s.start, s.icpc)]
        activity += [d for p in e.cin_plans for d in (p.start, p.end)]
        # The DfE's list of dates names CPPendDate, not CPPstartDate.
        activity += [p.end for p in e.protection_plans]
        later = [d for d in activity if d and d > e.closure_date]
        if later:
            yield Problem(
                f"{ep(i)}/CINclosureDate",
                f"{what}: closed {show(e.closure_date)} but activity is dated {show(max(later))}",
            )


@rule("8720", "ChildProtectionPlans", "Child Protection Plan Start Date missing or out of data collection period")
def r8720(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.start is None or cp.start > year.reference_date:
            yield Problem(f"{at}/CPPstartDate", f"CPPstartDate {show(cp.start)} is missing or after the year")


@rule(
    "8730",
    "ChildProtectionPlans",
    "Number of Previous Child Protection Plans missing or not a whole number of 0 or more",
)
def r8730(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        value = cp.previous_plans
        if not value or not (value.isascii() and value.isdigit()):
            yield Problem(
                f"{at}/NumberOfPreviousCPP",
                f"NumberOfPreviousCPP {value!r} is not 0 or more" if value else "NumberOfPreviousCPP is missing",
            )


@rule("8832", "ChildProtectionPlans", "Child Protection details provided for a referral with no further action")
def r8832(child: Child, year: CensusYear) -> Iterator[Problem]:
    for i, e, what in episodes(child):
        if e.nfa and e.protection_plans:
            yield Problem(f"{ep(i)}/ChildProtectionPlans", f"{what} is marked no further action but has a CP plan")


@rule("8840", "ChildProtectionPlans", "Child Protection Plan cannot start and end on the same day")
def r8840(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.start and cp.start == cp.end:
            yield Problem(f"{at}/CPPendDate", f"CP plan starts and ends on {show(cp.start)}")


@rule(
    "8841",
    "ChildProtectionPlans",
    "The review date cannot be on the same day or before the Child protection Plan start date",
)
def r8841(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        for k, review in enumerate(cp.reviews):
            if review and cp.start and review <= cp.start:
                yield Problem(
                    f"{at}/Reviews/CPPreviewDate[{k + 1}]",
                    f"review of {show(review)} is not after the plan's start on {show(cp.start)}",
                )


@rule(
    "8905",
    "ChildProtectionPlans",
    "Initial Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census code set)",
)
def r8905(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.initial_category not in codes.CATEGORIES_OF_ABUSE:
            yield Problem(
                f"{at}/InitialCategoryOfAbuse",
                f"InitialCategoryOfAbuse {cp.initial_category!r} is not a DfE code"
                if cp.initial_category
                else "InitialCategoryOfAbuse is missing",
            )


@rule(
    "8910",
    "ChildProtectionPlans",
    "Latest Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census code set)",
)
def r8910(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.latest_category not in codes.CATEGORIES_OF_ABUSE:
            yield Problem(
                f"{at}/LatestCategoryOfAbuse",
                f"LatestCategoryOfAbuse {cp.latest_category!r} is not a DfE code"
                if cp.latest_category
                else "LatestCategoryOfAbuse is missing",
            )


@rule("8915", "ChildProtectionPlans", "Child Protection Plan shown as starting after the child’s date of death")
def r8915(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if child.death_date and cp.start and cp.start > child.death_date:
            yield Problem(
                f"{at}/CPPstartDate", f"CP plan starts {show(cp.start)}, after the death on {show(child.death_date)}"
            )


@rule("8920", "ChildProtectionPlans", "Child Protection Plan shown as ending after the child’s date of death")
def r8920(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if child.death_date and cp.end and cp.end > child.death_date:
            yield Problem(
                f"{at}/CPPendDate", f"CP plan ends {show(cp.end)}, after the death on {show(child.death_date)}"
            )


@rule("8925", "ChildProtectionPlans", "Child Protection Plan End Date must be after the Start Date")
def r8925(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.start and cp.end and cp.end < cp.start:
            yield Problem(f"{at}/CPPendDate", f"CP plan ends {show(cp.end)}, before it starts {show(cp.start)}")


@rule("8930", "ChildProtectionPlans", "Child Protection Plan End Date must fall within the census year")
def r8930(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.end and not year.in_period(cp.end):
            yield Problem(f"{at}/CPPendDate", f"CP plan ends {show(cp.end)}, outside the year")


@rule(
    "8935",
    "ChildProtectionPlans",
    "This child is showing more than one open Child Protection plan, i.e. with no End Date",
)
def r8935(child: Child, year: CensusYear) -> Iterator[Problem]:
    open_ones = [at for at, _, cp in plans(child) if cp.end is None]
    if len(open_ones) > 1:
        yield Problem(open_ones[-1], f"{len(open_ones)} child protection plans have no end date")


@rule("8940", "ChildProtectionPlans", "Child Protection Plan data contains overlapping dates")
def r8940(child: Child, year: CensusYear) -> Iterator[Problem]:
    every = list(plans(child))
    for (j, (at, _, b)), (k, (_, _, a)) in permutations(enumerate(every), 2):
        if a.start and b.start and during(b.start, a.start, a.end) and (b.start != a.start or j > k):
            yield Problem(
                f"{at}/CPPstartDate", f"CP plan started {show(b.start)} overlaps the plan started {show(a.start)}"
            )


# --- Reviews -------------------------------------------------------------------------------------------------------


@rule("4003", "Reviews", "A CPP review date is shown as being held at the same time as an open CIN Plan")
def r4003(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, e, cp in plans(child):
        for k, review in enumerate(cp.reviews):
            if review is None or review == cp.end:
                continue
            for plan in e.cin_plans:
                if plan.start and plan.start <= review and (plan.end is None or review <= plan.end):
                    yield Problem(
                        f"{at}/Reviews/CPPreviewDate[{k + 1}]",
                        f"review of {show(review)} falls in the CIN plan started {show(plan.start)}",
                    )


@rule("8842Q", "Reviews", "Please check: A Reviews group is present but there is no valid review date")
def r8842q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, _, cp in plans(child):
        if cp.reviews_given and not any(cp.reviews):
            yield Problem(f"{at}/Reviews", "the Reviews group has no valid CPPreviewDate")


# --- PreProceedings (module 5: pre-proceedings and family group decision-making), from 2026-27 --------------------
# Source: DfE, "Children in need census 2026 to 2027: specification" and its "validation rules" (gov.uk, published
# 18 November 2025, updated December 2025 and 25 February 2026; collection 1 April 2026 to 31 March 2027), as the
# Data to Insight validator's ruleset cin2026_27 restates them: each rule's message (the DfE's words, quoted below)
# and its condition (the DfE's pseudo-code, in the validator's comments). The specification's own text could not be
# read (checked December 2026: only the gov.uk page listing its documents is held). Where the validator's code and
# the DfE's words disagree, the words are followed:
# - 9007: "If N00827 is present, then N00828 should be present" (the validator tests the reverse);
# - 9010Q: "If N00828 is present and equals true, then N00829 should be present" (booleans read as the DfE's
#   yesnotype: true / false / 1 / 0, as every other flag of the census);
# - 9011: "If N00833 is present, then it must be a valid value (codeset CS131)" (the validator also flags a blank);
# - 9000Q: "N00826 has not been provided", with no unit named; the validator's author left it return-level as
#   unclear, and so does this: module 5 groups given but none with a PPStartDate (8995Q is none given at all).
# CBDS numbers named by the pseudo-code: N00826 PPStartDate ... N00831 ReviewMeetingsCount, N00833 PPOutcome,
# N00834 CourtAppDate; StepDecisionDate's and LetterInitCPDate's are not given (the comments there repeat others).
PP_FIRST_YEAR = 2027


def pre_proceedings(child: Child) -> Iterator[tuple[str, PreProceedings]]:
    for i, e in enumerate(child.episodes):
        for k, pp in enumerate(e.pre_proceedings):
            yield f"{ep(i)}/PreProceedingsandFGDM[{k + 1}]", pp


def _pp_in_year(child: Child, year: CensusYear, name: str, after: str | None, message: str) -> Iterator[Problem]:
    """An item's date outside the census year, or (``after``) before the date it follows."""
    for at, pp in pre_proceedings(child):
        day = pp.day(name)
        if day is None:
            continue
        earlier = pp.day(after) if after else None
        if not year.in_period(day):
            yield Problem(f"{at}/{name}", f"{name} {show(day)} is outside the year")
        elif earlier is not None and day < earlier:
            yield Problem(f"{at}/{name}", message.format(show(day), show(earlier)))


@rule(
    "8995Q",
    "PreProceedings",
    "Please check and provide a reason why no module 5 (pre-proceedings and FGDM) data has been provided for any "
    "child.",
    scope="return",
    first_year=PP_FIRST_YEAR,
)
def r8995q(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    if tally.children and not tally.pre_proceedings:
        yield Problem("PreProceedingsandFGDM", "no child has a PreProceedingsandFGDM group", "")


@rule(
    "9000Q",
    "PreProceedings",
    "Please check: If you do not yet collect this data, please leave this field blank and provide a reason.",
    scope="return",
    first_year=PP_FIRST_YEAR,
)
def r9000q(tally: ReturnTally, year: CensusYear) -> Iterator[Problem]:
    if tally.pre_proceedings and not tally.pre_proceedings_started:
        yield Problem(
            "PreProceedingsandFGDM/PPStartDate",
            f"{tally.pre_proceedings} PreProceedingsandFGDM groups and none has a PPStartDate",
            "",
        )


@rule(
    "9005",
    "PreProceedings",
    "The date of the legal planning meeting or other decision making forum where the LA made the decision to "
    "commence pre-proceedings cannot fall outside the reporting year.",
    first_year=PP_FIRST_YEAR,
)
def r9005(child: Child, year: CensusYear) -> Iterator[Problem]:
    yield from _pp_in_year(child, year, "PPStartDate", None, "")


@rule(
    "9006",
    "PreProceedings",
    "The date the letter before proceedings was sent must be within the reporting year and after the date "
    "pre-proceedings began.",
    first_year=PP_FIRST_YEAR,
)
def r9006(child: Child, year: CensusYear) -> Iterator[Problem]:
    yield from _pp_in_year(
        child, year, "LBPSentDate", "PPStartDate", "letter before proceedings sent {} before pre-proceedings began {}"
    )


@rule(
    "9007",
    "PreProceedings",
    "You have confirmed that a letter before proceedings was sent. Please confirm whether or not a FGDM meeting was "
    "offered in the letter.",
    first_year=PP_FIRST_YEAR,
)
def r9007(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, pp in pre_proceedings(child):
        if pp.text("LBPSentDate") and as_bool(pp.text("FGDMMeetingOffer")) is None:
            yield Problem(
                f"{at}/FGDMMeetingOffer", "a letter before proceedings was sent; FGDMMeetingOffer is not true or false"
            )


@rule(
    "9008",
    "PreProceedings",
    "The date of the initial pre-proceedings meeting must fall within the reporting year.",
    first_year=PP_FIRST_YEAR,
)
def r9008(child: Child, year: CensusYear) -> Iterator[Problem]:
    yield from _pp_in_year(child, year, "InitialPPMeetingDate", None, "")


@rule(
    "9009",
    "PreProceedings",
    "The date when the decision was made to step up or down must be on or after the date of the decision to begin "
    "pre-proceedings and must fall within the reporting year",
    first_year=PP_FIRST_YEAR,
)
def r9009(child: Child, year: CensusYear) -> Iterator[Problem]:
    yield from _pp_in_year(
        child, year, "StepDecisionDate", "PPStartDate", "step up or down decided {} before pre-proceedings began {}"
    )


@rule(
    "9010Q",
    "PreProceedings",
    "Please check: You have reported that a FGDM meeting was offered in the letter before proceedings. Please "
    "confirm whether or not a FGDM meeting was facilitated in the pre-proceedings period following this offer.",
    first_year=PP_FIRST_YEAR,
)
def r9010q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, pp in pre_proceedings(child):
        if as_bool(pp.text("FGDMMeetingOffer")) and as_bool(pp.text("FGDMMeetingFac")) is None:
            yield Problem(f"{at}/FGDMMeetingFac", "an FGDM meeting was offered; FGDMMeetingFac is not true or false")


@rule(
    "9011",
    "PreProceedings",
    "The outcome of the pre-proceedings must be reported using a valid value",
    first_year=PP_FIRST_YEAR,
)
def r9011(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, pp in pre_proceedings(child):
        outcome = pp.text("PPOutcome")
        if outcome is not None and outcome not in codes.PP_OUTCOMES:
            yield Problem(
                f"{at}/PPOutcome", f"PPOutcome '{outcome}' is not one of {', '.join(sorted(codes.PP_OUTCOMES))}"
            )


@rule(
    "9012",
    "PreProceedings",
    "The date that the local authority submitted the court application to commence care proceedings must fall "
    "within the reporting year and be on or after the date of the decision to initiate care proceedings.",
    first_year=PP_FIRST_YEAR,
)
def r9012(child: Child, year: CensusYear) -> Iterator[Problem]:
    yield from _pp_in_year(
        child, year, "CourtAppDate", "StepDecisionDate", "court application {} before the decision to apply {}"
    )


@rule(
    "9013",
    "PreProceedings",
    "The date on which the letter to initiate care proceedings was sent to parents/guardians must fall within the "
    "reporting year and be on or after the date when the local authority submitted the court application to "
    "commence care proceedings.",
    first_year=PP_FIRST_YEAR,
)
def r9013(child: Child, year: CensusYear) -> Iterator[Problem]:
    yield from _pp_in_year(
        child, year, "LetterInitCPDate", "CourtAppDate", "letter initiating proceedings {} before the application {}"
    )


@rule(
    "9015Q",
    "PreProceedings",
    "Please check: if review meetings were held following the initial pre-proceedings meeting, the total number "
    "held should be reported.",
    first_year=PP_FIRST_YEAR,
)
def r9015q(child: Child, year: CensusYear) -> Iterator[Problem]:
    for at, pp in pre_proceedings(child):
        if pp.text("InitialPPMeetingDate") and pp.text("ReviewMeetingsCount") is None:
            yield Problem(f"{at}/ReviewMeetingsCount", "an initial meeting is reported without ReviewMeetingsCount")


# --- the return as a whole -------------------------------------------------------------------------------------------


@dataclass
class ReturnTally:
    """What the return rules need, gathered one child at a time (a few counters and two id tables)."""

    children: int = 0
    child_ids: Counter[str] = field(default_factory=Counter)
    upns: dict[str, list[str]] = field(default_factory=dict)
    born: int = 0
    born_without_sex: int = 0
    disability_codes: set[str] = field(default_factory=set)
    any_multiple_disabilities: bool = False
    plans_started: int = 0
    conferences_held: int = 0
    pre_proceedings: int = 0  # PreProceedingsandFGDM blocks (module 5), and those with a PPStartDate
    pre_proceedings_started: int = 0

    def merge(self, later: ReturnTally) -> None:
        """Take in the tally of the children that come after these in the file (a batch checked elsewhere)."""
        self.children += later.children
        self.child_ids.update(later.child_ids)
        for upn, ids in later.upns.items():
            self.upns.setdefault(upn, []).extend(ids)
        self.born += later.born
        self.born_without_sex += later.born_without_sex
        self.disability_codes |= later.disability_codes
        self.any_multiple_disabilities = self.any_multiple_disabilities or later.any_multiple_disabilities
        self.plans_started += later.plans_started
        self.conferences_held += later.conferences_held
        self.pre_proceedings += later.pre_proceedings
        self.pre_proceedings_started += later.pre_proceedings_started

    def add(self, child: Child, year: CensusYear) -> None:
        self.children += 1
        if child.la_child_id:
            self.child_ids[child.la_child_id] += 1
        if child.upn:
            self.upns.setdefault(child.upn, []).append(child.key)
        if child.birth_date:
            self.born += 1
            if year.year >= 2025:
                if child.sex not in ("M", "F"):
                    self.born_without_sex += 1
            elif child.gender not in ("1", "2"):
                self.born_without_sex += 1
        self.disability_codes.update(child.disabilities)
        if len(set(child.disabilities) - {"NONE"}) > 1:
            self.any_multiple_disabilities = True
        for e in child.episodes:
            self.plans_started += sum(1 for p in e.protection_plans if p.start and year.in_period(p.start))
            if e.icpc_date and year.in_period(e.icpc_date):
                self.conferences_held += 1
            self.conferences_held += sum(1 for s in e.section47s if s.icpc and year.in_period(s.icpc))
            self.pre_proceedings += len(e.pre_proceedings)
            self.pre_proceedings_started += sum(1 for pp in e.pre_proceedings if pp.text("PPStartDate"))

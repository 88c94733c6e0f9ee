"""Pure rules of permanence for a child in care: the code sets, the order the steps of adoption come in, the
permanence orders that end care, and the adoption scorecard's timeliness measures.

Sources:

- DfE, "Children looked after return (SSDA903): guide" and its code sets (``../shared/domain/ssda903.md`` 3.8,
  3.14-3.16): the decision that a child should be placed for adoption (AD1 ``DATE_INT``, PlacedAdoption
  ``DATE_PLACED``), the decision that they should no longer be (``DATE_PLACED_CEASED``, ``REASON_PLACED_CEASED``
  RD1-RD4), the match (``DATE_MATCH``, ``FOSTER_CARE``, ``NB_ADOPTR``, ``SEX_ADOPTR``, ``LS_ADOPTR``), previous
  permanence (``PREV_PERM``, ``LA_PERM``, ``DATE_PERM``) and the reasons care ended by a permanence order (REC).
- The DfE's validation rules, as restated by the D2I validator: 331 (matched on or before placed), 333 (decided on
  or before matched), 334 (decided on or after care began), 335 (FOSTER_CARE agrees with A3/A5 or A4/A6), 336 (a
  child placed with their foster carers comes from a foster placement), 511-524 (adopters' sex and legal status
  agree), 516 (SGO to former foster carers: E45/E46 from a foster placement), 554 (decided on or before the
  placement order), 557/558 (a child who leaves care not adopted has the decision ended; an adopted child has not),
  579 (a new decision only after the last one ended), 634/635 (previous permanence).
- Ofsted's ILACS Annex A, list 8's permanence plan (a-g).
- The adoption scorecard (DfE): A1, A2 and A10, with the thresholds the DfE set for the 2013-16 averages (gov.uk,
  "Adoption scorecards and thresholds published", 14 January 2014; DfE, "Adoption scorecards: methodology and
  guidance", March 2019; A10 replaced A1 in the Adoption and Special Guardianship Leadership Board's survey from
  2021-22).

The scorecard's measures are **indicators, not timescales rules**: each is the *average* over the children adopted
in three years, judged against a threshold, not a deadline by which one child's worker must act (no regulation or
statutory guidance gives one). So they are held here as data (``SCORECARD``) with a per-child measurement and an
average, shown on the child's permanence page beside the threshold, and not in ``timescales.rules.RULES`` (whose
clocks go into every worker's due pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from safeguarding.core import codes
from safeguarding.core.dates import long_date

# --- code sets ----------------------------------------------------------------------------------------------------

# SSDA903 REASON_PLACED_CEASED: why the council decided the child should no longer be placed for adoption.
REASONS_NO_LONGER_PLACED: Final = MappingProxyType(
    {
        "RD1": "The child's needs changed after the decision",
        "RD2": "The court did not make a placement order",
        "RD3": "Prospective adopters could not be found",
        "RD4": "Any other reason",
    }
)

# SSDA903 SEX_ADOPTR.
ADOPTERS_SEX: Final = MappingProxyType(
    {
        "M1": "A single man",
        "F1": "A single woman",
        "MF": "A couple: a man and a woman",
        "MM": "A couple: two men",
        "FF": "A couple: two women",
    }
)
COUPLES: Final = frozenset({"MF", "MM", "FF"})

# SSDA903 LS_ADOPTR.
ADOPTERS_LEGAL_STATUS: Final = MappingProxyType(
    {
        "L0": "Single adopter",
        "L11": "Married couple of different genders",
        "L12": "Married couple of the same gender",
        "L2": "Civil partners",
        "L3": "Unmarried couple of different genders",
        "L4": "Unmarried couple of the same gender, not civil partners",
    }
)
# Which sexes each legal status allows (DfE rules 514, 517-520, 524): None is any couple.
_SEXES_OF_STATUS: Final = MappingProxyType(
    {
        "L0": frozenset({"M1", "F1"}),
        "L11": frozenset({"MF"}),
        "L12": frozenset({"MM", "FF"}),
        "L2": COUPLES,
        "L3": frozenset({"MF"}),
        "L4": frozenset({"MM", "FF"}),
    }
)

# The placements for adoption (SSDA903 PLACE), and which are with the child's current foster carers.
ADOPTION_PLACEMENTS: Final = MappingProxyType(
    {
        "A3": "With parental consent, with the child's current foster carers",
        "A4": "With parental consent, not with the child's current foster carers",
        "A5": "Under a placement order, with the child's current foster carers",
        "A6": "Under a placement order, not with the child's current foster carers",
    }
)
WITH_FOSTER_CARERS: Final = frozenset({"A3", "A5"})
UNDER_PLACEMENT_ORDER: Final = frozenset({"A5", "A6"})
FOSTER_PLACEMENTS: Final = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
# Fostering for adoption or concurrent planning: a foster carer who is also an approved adopter (Annex A list 10).
FOSTERING_FOR_ADOPTION: Final = frozenset({"U2", "U5"})
PLACEMENT_ORDER: Final = "E1"  # the legal status a placement order gives (SSDA903 LS)

# The orders that end care, with the REC codes each may end it with (SSDA903 3.8).
ADOPTION, SPECIAL_GUARDIANSHIP, CHILD_ARRANGEMENTS = "adoption", "special_guardianship", "child_arrangements"
ORDERS: Final = MappingProxyType(
    {
        ADOPTION: "Adoption order",
        SPECIAL_GUARDIANSHIP: "Special guardianship order",
        CHILD_ARRANGEMENTS: "Child arrangements order",
    }
)
REASONS_BY_ORDER: Final = MappingProxyType(
    {
        ADOPTION: MappingProxyType(
            {"E11": "The application was unopposed", "E12": "Consent was dispensed with"},
        ),
        SPECIAL_GUARDIANSHIP: MappingProxyType(
            {
                "E45": "To former foster carers who are relatives or friends",
                "E46": "To former foster carers who are not relatives or friends",
                "E47": "To relatives or friends who were not the child's foster carers",
                "E48": "To other special guardians",
            }
        ),
        CHILD_ARRANGEMENTS: MappingProxyType({"E41": "A child arrangements order (formerly a residence order)"}),
    }
)
ORDER_OF_REASON: Final = MappingProxyType(
    {code: order for order, reasons in REASONS_BY_ORDER.items() for code in reasons}
)
ADOPTED: Final = frozenset(REASONS_BY_ORDER[ADOPTION])
FROM_FOSTER_CARERS: Final = frozenset({"E45", "E46"})  # DfE rule 516: the child was with them in foster care

# Annex A list 8, the permanence plan.
PERMANENCE_PLANS: Final = MappingProxyType(
    {
        "a": "Return to family",
        "b": "Adoption",
        "c": "Special guardianship or child arrangements order",
        "d": "Supported living in the community",
        "e": "Long-term residential placement",
        "f": "Long-term fostering",
        "g": "Other",
    }
)

# SSDA903 PREV_PERM: the permanence the child had before this period of care (one arranged when they had been looked
# after before: DfE guidance).
PREVIOUS_PERMANENCE: Final = MappingProxyType(
    {
        "P1": "Adoption",
        "P2": "Special guardianship order",
        "P3": "Child arrangements order (formerly a residence order)",
        "P4": "Not known",
        "Z1": "None: the child had no permanence before",
    }
)
PREVIOUS_ORDERS: Final = frozenset({"P1", "P2", "P3"})  # where the council and the date of the order can be given
# DfE rule 634: previous permanence is asked for children who started to be looked after from 1 April 2016.
PREVIOUS_PERMANENCE_FROM: Final = date(2016, 4, 1)

# Annex A list 11: why prospective adopters left the process.
REASONS_LEFT_PROCESS: Final = MappingProxyType(
    {"1": "The adopters withdrew", "2": "The process was put on hold", "3": "The application was refused"}
)
# Annex A list 11 gender of an adopter (lettered as the other lists).
ADOPTER_GENDER: Final = MappingProxyType({"a": "Male", "b": "Female", "c": "Not stated or recorded", "d": "Neither"})

# --- the steps of adoption, and their order -------------------------------------------------------------------------


@dataclass(frozen=True)
class AdoptionSteps:
    """One decision that a child should be placed for adoption and what followed it, as plain values."""

    decided_on: date
    matched_on: date | None = None
    placed_on: date | None = None  # the first placement for adoption (A3-A6) on or after the decision
    ceased_on: date | None = None  # the decision that the child should no longer be placed
    reason_ceased: str | None = None
    adopted_on: date | None = None  # the adoption order (the child left care E11 or E12)

    @property
    def open(self) -> bool:
        return self.ceased_on is None and self.adopted_on is None


def decision_problem(
    on: date,
    *,
    in_care_since: date,
    earlier: Sequence[AdoptionSteps],
    placement_order_on: date | None,
    left_care_on: date | None = None,
) -> str | None:
    """Why a decision that the child should be placed for adoption cannot be dated ``on``, or None (DfE rules 334,
    554, 579): after the child came into care, on or before the placement order, after any earlier decision ended."""
    if on < in_care_since:
        return f"The decision is dated {long_date(on)}, before the child came into care on {long_date(in_care_since)}"
    if left_care_on is not None and on > left_care_on:
        return f"The decision is dated {long_date(on)}, after the child left care on {long_date(left_care_on)}"
    for before in earlier:
        if before.open:
            return (
                f"The decision of {long_date(before.decided_on)} that the child should be placed for adoption is "
                "still in force: record that the child should no longer be placed first"
            )
        ended = before.ceased_on or before.adopted_on
        if ended is not None and on < ended:
            return f"The decision is dated {long_date(on)}, before the earlier decision ended on {long_date(ended)}"
    if placement_order_on is not None and on > placement_order_on:
        return (
            f"The decision is dated {long_date(on)}, after the placement order of {long_date(placement_order_on)}: "
            "the decision that the child should be placed for adoption comes first"
        )
    return None


def match_problem(on: date, steps: AdoptionSteps) -> str | None:
    """Why the child cannot be matched with adopters on ``on`` (DfE rules 331, 333): matched on or after the
    decision, and on or before the child is placed."""
    if steps.ceased_on is not None:
        return "The decision that the child should be placed for adoption has ended: a match needs a decision in force"
    if on < steps.decided_on:
        return (
            f"The match is dated {long_date(on)}, before the decision on {long_date(steps.decided_on)} that the child "
            "should be placed for adoption: the decision comes first"
        )
    if steps.placed_on is not None and on > steps.placed_on:
        return (
            f"The match is dated {long_date(on)}, after the child was placed for adoption on "
            f"{long_date(steps.placed_on)}: the match comes first"
        )
    return None


def placement_problem(
    on: date,
    placement_type: str,
    steps: AdoptionSteps,
    *,
    foster_carers_adopting: bool | None,
    legal_status: str | None,
    current_placement: str | None,
) -> dict[str, str]:
    """What is wrong with placing the child for adoption on ``on`` in ``placement_type``, by field (empty when
    nothing): placed after the match (rules 331, 521), under a placement order only when the child has one (A5/A6),
    with the current foster carers only when the match says they are adopting (rule 335) and from a foster
    placement (rule 336)."""
    problems: dict[str, str] = {}
    if steps.ceased_on is not None:
        problems["on"] = "The decision that the child should be placed for adoption has ended"
    elif steps.matched_on is None:
        problems["on"] = "Record the match with the adopters first: a child is placed for adoption once matched"
    elif on < steps.matched_on:
        problems["on"] = (
            f"The placement is dated {long_date(on)}, before the child was matched with the adopters on "
            f"{long_date(steps.matched_on)}: the match comes first"
        )
    elif steps.placed_on is not None:
        problems["on"] = f"The child was placed for adoption on {long_date(steps.placed_on)} already"
    if placement_type in UNDER_PLACEMENT_ORDER and legal_status != PLACEMENT_ORDER:
        problems["placement_type"] = (
            "The child has no placement order: choose a placement with parental consent, or record the placement "
            "order as a change of legal status first"
        )
    elif placement_type in WITH_FOSTER_CARERS:
        if foster_carers_adopting is False:
            problems["placement_type"] = (
                "The match says the adopters are not the child's foster carers: choose a placement not with them"
            )
        elif current_placement not in FOSTER_PLACEMENTS:
            problems["placement_type"] = "The child is not in foster care now: they cannot stay with foster carers"
    elif placement_type in ADOPTION_PLACEMENTS and foster_carers_adopting is True:
        problems["placement_type"] = (
            "The match says the adopters are the child's foster carers: choose a placement with them"
        )
    return problems


def adopters_problem(number: int | None, sex: str, legal_status: str) -> dict[str, str]:
    """Whether the number, sex and legal status of the adopters agree (DfE rules 511, 514, 517-520, 524)."""
    problems: dict[str, str] = {}
    if number is None or sex not in ADOPTERS_SEX or legal_status not in ADOPTERS_LEGAL_STATUS:
        return problems
    if (number == 1) != (sex not in COUPLES):
        problems["adopters_sex"] = (
            "One adopter is a single man or woman; two adopters are a couple: choose again"
            if number == 1
            else "Two adopters are a couple: choose the couple"
        )
    elif sex not in _SEXES_OF_STATUS[legal_status]:
        problems["adopters_legal_status"] = (
            f"{ADOPTERS_LEGAL_STATUS[legal_status]} does not fit {ADOPTERS_SEX[sex].lower()}: choose again"
        )
    return problems


def leaving_problem(
    on: date,
    reason: str,
    *,
    in_care_since: date,
    current_placement: str | None,
    steps: AdoptionSteps | None,
) -> dict[str, str]:
    """What is wrong with the child leaving care on ``on`` for ``reason`` (REC), by field: ``on`` (the date) or
    ``reason`` (why care ended); empty when nothing. Whichever form records it (the care record's "left care" or the
    permanence page's order). An adoption order comes after the child was placed for adoption (Adoption and Children
    Act 2002 s42: the child has lived with the adopters before the application) under a decision in force (DfE rule
    558); a child who leaves care any other way has the decision ended first (rule 557: E13, E4A, special
    guardianship and every other REC but E11/E12); special guardianship to former foster carers needs the child in
    foster care (rule 516)."""
    if on < in_care_since:
        return {"on": f"Care ended {long_date(on)}, before the child came into care on {long_date(in_care_since)}"}
    if reason in ADOPTED:
        if steps is None or steps.ceased_on is not None:
            return {
                "reason": "There is no decision in force that the child should be placed for adoption: a child is "
                "adopted from care only after one"
            }
        if steps.placed_on is None:
            return {"reason": "Record the child's placement for adoption first: an adoption order comes after it"}
        if on < steps.placed_on:
            return {
                "on": f"The adoption order is dated {long_date(on)}, before the child was placed for adoption on "
                f"{long_date(steps.placed_on)}"
            }
        return {}
    if steps is not None and steps.open:
        return {
            "reason": f"The decision of {long_date(steps.decided_on)} that the child should be placed for adoption is "
            "still in force: record that the child should no longer be placed for adoption first, on their "
            "permanence page"
        }
    if reason in FROM_FOSTER_CARERS and current_placement not in FOSTER_PLACEMENTS:
        return {
            "reason": "The child is not in foster care now: choose special guardianship to carers who did not foster "
            "them"
        }
    return {}


def placement_order_problem(on: date, steps: AdoptionSteps | None) -> str | None:
    """Why the child's legal status cannot become a placement order (E1) on ``on``, or None: the council decides that
    the child should be placed for adoption before it applies for the order (Adoption and Children Act 2002 s22; DfE
    rules 553 and 554: an order with no decision, a decision after the order)."""
    if steps is None or not steps.open:
        return (
            "There is no decision in force that the child should be placed for adoption: record the decision on the "
            "child's permanence page before the placement order"
        )
    if on < steps.decided_on:
        return (
            f"The placement order is dated {long_date(on)}, before the decision on {long_date(steps.decided_on)} "
            "that the child should be placed for adoption: the decision comes first"
        )
    return None


def adoption_placement_problem(
    on: date,
    placement_type: str,
    steps: AdoptionSteps | None,
    *,
    foster_carers_adopting: bool | None,
    legal_status: str | None,
    current_placement: str | None,
) -> dict[str, str]:
    """What is wrong with a placement for adoption (A3-A6) on ``on``, by field, whichever form records it: a decision
    in force (DfE rule 551; one that ended in adoption still stands for correcting its placement), then
    ``placement_problem``."""
    if steps is None or steps.ceased_on is not None:
        return {
            "placement_type": "There is no decision in force that the child should be placed for adoption: a "
            "placement for adoption is recorded on the child's permanence page once they are matched"
        }
    return placement_problem(
        on,
        placement_type,
        steps,
        foster_carers_adopting=foster_carers_adopting,
        legal_status=legal_status,
        current_placement=current_placement,
    )


def ceasing_problem(on: date, steps: AdoptionSteps) -> str | None:
    """Why the decision cannot be ended on ``on`` (DfE rule 522), or None."""
    if steps.ceased_on is not None:
        return f"The decision already ended on {long_date(steps.ceased_on)}"
    if on < steps.decided_on:
        return (
            f"The date is {long_date(on)}, before the decision on {long_date(steps.decided_on)} that the child "
            "should be placed for adoption"
        )
    return None


def previous_permanence_problem(
    option: str, la_code: str | None, order_on: date | None, *, in_care_since: date
) -> dict[str, str]:
    """Previous permanence as the DfE asks for it (rules 632, 634, 635): a council and a date only with an order,
    the order before this period of care, and only for children who came into care from 1 April 2016."""
    problems: dict[str, str] = {}
    if in_care_since < PREVIOUS_PERMANENCE_FROM:
        problems["option"] = (
            "Previous permanence is recorded for children who came into care from "
            f"{long_date(PREVIOUS_PERMANENCE_FROM)}"
        )
        return problems
    if la_code and option in PREVIOUS_ORDERS and la_code not in codes.PERMANENCE_LA_CODES:
        problems["la_code"] = (
            "Enter the council's three-digit DfE code, like 316, or WAL, SCO or NIR for a council in Wales, Scotland "
            "or Northern Ireland (NUK outside the UK)"
        )
    if option not in PREVIOUS_ORDERS:
        if la_code:
            problems["la_code"] = "Leave the council blank: there was no previous order"
        if order_on is not None:
            problems["order_on"] = "Leave the date blank: there was no previous order"
    elif order_on is not None and order_on > in_care_since:
        problems["order_on"] = (
            f"The previous order is dated {long_date(order_on)}, after the child came into care on "
            f"{long_date(in_care_since)}"
        )
    return problems


# --- the adoption scorecard --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardMeasure:
    """One timeliness measure of the adoption scorecard: what it counts and the threshold for its average."""

    code: str
    title: str
    threshold_days: int
    source: str


SCORECARD: Final = (
    ScorecardMeasure(
        "A1",
        "Days from coming into care to moving in with the adoptive family",
        426,
        "DfE adoption scorecard A1; threshold 14 months (426 days) for the 2013-16 average (gov.uk, 14 January 2014)",
    ),
    ScorecardMeasure(
        "A2",
        "Days from the placement order to the match with the adoptive family",
        121,
        "DfE adoption scorecard A2; threshold 4 months (121 days) for the 2013-16 average (gov.uk, 14 January 2014)",
    ),
    ScorecardMeasure(
        "A10",
        "Days from coming into care to moving in with the adoptive family, from the foster placement where the "
        "foster carers adopt",
        426,
        "DfE adoption scorecard A10 (A1 adjusted for foster carer adoptions; the ASGLB survey's measure from 2021-22), "
        "judged against A1's threshold",
    ),
)
SCORECARD_BY_CODE: Final = MappingProxyType({m.code: m for m in SCORECARD})


@dataclass(frozen=True)
class AdoptionTimeline:
    """The dates the scorecard measures a child's adoption by."""

    in_care_since: date
    placement_order_on: date | None
    matched_on: date | None
    placed_on: date | None  # moved in with the adoptive family (placed for adoption)
    moved_in_with_adopters_on: date | None = None  # the foster placement with the carers who adopt, when earlier


def days_taken(measure: str, timeline: AdoptionTimeline) -> int | None:
    """The days one child's adoption took on a scorecard measure, or None while its end has not happened."""
    if measure == "A1":
        return (timeline.placed_on - timeline.in_care_since).days if timeline.placed_on else None
    if measure == "A2":
        if timeline.placement_order_on is None or timeline.matched_on is None:
            return None
        return max(0, (timeline.matched_on - timeline.placement_order_on).days)
    if measure == "A10":
        if timeline.placed_on is None:
            return None
        moved = min(timeline.placed_on, timeline.moved_in_with_adopters_on or timeline.placed_on)
        return max(0, (moved - timeline.in_care_since).days)
    raise ValueError(f"no scorecard measure {measure}")


def average_days(measure: str, timelines: Iterable[AdoptionTimeline]) -> float | None:
    """The scorecard's average over the children (those whose measure has ended), or None when there are none."""
    values = [d for t in timelines if (d := days_taken(measure, t)) is not None]
    return sum(values) / len(values) if values else None


def within_threshold(measure: str, days: float) -> bool:
    return days <= SCORECARD_BY_CODE[measure].threshold_days


# --- the latest decision ------------------------------------------------------------------------------------------


def placed_for_adoption_on(
    placements: Iterable[tuple[date, str | None]], decided_on: date, until: date | None = None
) -> date | None:
    """The day the child was first placed for adoption (A3-A6) on or after the decision (and before ``until``, the
    next decision), from the placements of the period of care: (day, PLACE)."""
    days = [
        day
        for day, place in placements
        if place in ADOPTION_PLACEMENTS and day >= decided_on and (until is None or day < until)
    ]
    return min(days) if days else None


def moved_in_with_adopters_on(placements: Sequence[tuple[date, str | None, str | None]], placed_on: date) -> date:
    """When the child moved in with the family that adopted them: for a placement with the current foster carers
    (A3/A5) the start of the unbroken run of placements with the same carer before it; else the day placed.
    ``placements``: (day, PLACE, carer), in date order."""
    ordered = sorted(placements, key=lambda p: p[0])
    index = next((i for i, p in enumerate(ordered) if p[0] == placed_on and p[1] in WITH_FOSTER_CARERS), None)
    if index is None:
        return placed_on
    carer = ordered[index][2]
    start = placed_on
    for day, place, who in reversed(ordered[:index]):
        if who != carer or place not in FOSTER_PLACEMENTS:
            break
        start = day
    return start

"""Timescales as data: every statutory and local clock, with its source, and the pure arithmetic of due dates.

Source of every rule: its ``source`` (Working Together 2023, the Care Planning regulations, or a local standard);
``ref`` is its stable number (T1, T3, ...). Counting (docs/timescales.md): the day the clock starts is day 0; N
working days falls on the Nth working day after it; a clock started on a weekend or bank holiday counts from the last
working day before it. Calendar months keep the day number or fall on the shorter month's last day (31 Jan + 3
months = 30 Apr).

Decided here (docs/timescales.md): a deadline counted in calendar days, weeks or months that falls on a
weekend or bank holiday is brought forward to the last working day before it, because nothing statutory is done on
the day itself and "within 3 months" is not met by a conference on the Monday after. Hours (the return interview,
72 hours) are counted round the clock and not moved.

Each rule has effective dates: a clock uses the version in force on the day it started.
Local standards (``status == LOCAL``) take their length from a local setting (core/local_settings.py) with the
default named in the issue; statutory ones are never settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from safeguarding.core.calendar import (
    add_calendar_months,
    add_working_days_quick,
    bank_holiday_name,
    bank_holidays_between,
    is_working_day,
    previous_working_day,
    weekend_days_between,
    working_days_between_quick,
)
from safeguarding.core.dates import long_date
from safeguarding.core.local_settings import get_all

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"
    MONTHS = "months"
    HOURS = "hours"

    def describe(self, length: int) -> str:
        words = {
            Unit.WORKING_DAYS: "working day",
            Unit.CALENDAR_DAYS: "calendar day",
            Unit.WEEKS: "week",
            Unit.MONTHS: "calendar month",
            Unit.HOURS: "hour",
        }[self]
        return f"{length} {words}{'' if length == 1 else 's'}"


class RuleStatus(StrEnum):
    """What kind of rule a clock is, and so what a breach means (docs/timescales.md)."""

    STATUTORY_REGULATION = "statutory_regulation"  # unlawful
    STATUTORY_GUIDANCE = "statutory_guidance"  # a departure needs a recorded reason
    LOCAL_STANDARD = "local_standard"  # a local performance issue; the length is a setting

    @property
    def label(self) -> str:
        return {
            RuleStatus.STATUTORY_REGULATION: "Statutory (regulation)",
            RuleStatus.STATUTORY_GUIDANCE: "Statutory guidance",
            RuleStatus.LOCAL_STANDARD: "Local standard",
        }[self]

    @property
    def statutory(self) -> bool:
        return self is not RuleStatus.LOCAL_STANDARD


class EventKind(StrEnum):
    """What happens to a child that starts or stops a clock (each capability's timescale_events makes these from its
    records)."""

    CONTACT_RECEIVED = "contact_received"
    CONTACT_DECIDED = "contact_decided"
    REFERRAL = "referral"
    ASSESSMENT_STARTED = "assessment_started"
    ASSESSMENT_VISIT = "assessment_visit"
    ASSESSMENT_COMPLETED = "assessment_completed"
    STRATEGY_DISCUSSION = "strategy_discussion"  # ``flags`` holds "s47" when it decided to start an enquiry
    S47_STARTED = "s47_started"
    S47_COMPLETED = "s47_completed"
    ICPC = "icpc"  # ``flags`` holds "plan" when the conference made a child protection plan
    CP_PLAN_STARTED = "cp_plan_started"
    CP_PLAN_ENDED = "cp_plan_ended"
    CORE_GROUP = "core_group"
    REVIEW_CONFERENCE = "review_conference"
    CP_VISIT = "cp_visit"
    CIN_PLAN_STARTED = "cin_plan_started"
    CIN_PLAN_ENDED = "cin_plan_ended"
    CIN_VISIT = "cin_visit"
    CIN_REVIEW = "cin_review"
    CASE_NOTE = "case_note"
    SUPERVISION = "supervision"
    CASE_OPENED = "case_opened"  # allocated to a worker
    CASE_CLOSED = "case_closed"
    MISSING_RETURN = "missing_return"  # a missing child found or returned
    RETURN_INTERVIEW = "return_interview"
    # Children in care (children_in_care/timescale_events.py). A period of care runs from CARE_STARTED to
    # CARE_ENDED; each placement (the first, each move, each new carer) from PLACEMENT_STARTED (``flags`` holds
    # "long_term" when it is intended to last until the child is 18) to the next.
    CARE_STARTED = "care_started"
    CARE_ENDED = "care_ended"
    CARE_PLAN = "care_plan"
    PLACEMENT_STARTED = "placement_started"
    PLACEMENT_PLAN = "placement_plan"  # ``stops_source_id``: the placement it is the plan of
    LAC_REVIEW = "lac_review"
    CLA_VISIT = "cla_visit"  # a statutory visit at which the child was seen
    HEALTH_ASSESSMENT = "health_assessment"  # ``flags`` holds "under_5" when the child was under 5 that day
    PEP = "pep"
    # Care leavers (children_in_care/care_leaver_timescale_events.py).
    CARE_LEAVER_ELIGIBLE = "care_leaver_eligible"  # became an eligible child, or a relevant child without a plan
    NEEDS_ASSESSMENT = "needs_assessment"  # the needs assessment for the pathway plan completed
    PATHWAY_PLAN = "pathway_plan"  # a pathway plan prepared
    PATHWAY_PLAN_REVIEW = "pathway_plan_review"
    ADVISER_NAMED = "adviser_named"  # a personal adviser named on the care leaver's record
    ADVISER_VISIT = "adviser_visit"  # the personal adviser saw the young person in person
    CARE_LEAVER_ENDED = "care_leaver_ended"  # the 25th birthday, or services ended before it
    # Early help and Family Help (early_help/timescale_events.py). Every one names its episode in
    # ``stops_source_id``: a child in two episodes (one closed, one open) has two sets of clocks.
    EARLY_HELP_STARTED = "early_help_started"
    EARLY_HELP_NEED_IDENTIFIED = "early_help_need_identified"
    EARLY_HELP_DECIDED = "early_help_decided"  # the decision to provide early help
    EARLY_HELP_CONSENT = "early_help_consent"  # the family's consent to the assessment
    EARLY_HELP_ASSESSMENT = "early_help_assessment"  # an early help assessment (or reassessment) completed
    EARLY_HELP_MEETING = "early_help_meeting"  # a team-around-the-family meeting or review held
    EARLY_HELP_ENDED = "early_help_ended"  # the episode closed (or consent withdrawn ended it)

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self, self.value.replace("_", " ").capitalize())


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.CONTACT_RECEIVED: "Contact received",
    EventKind.CONTACT_DECIDED: "Contact decided",
    EventKind.REFERRAL: "Referral",
    EventKind.ASSESSMENT_VISIT: "Assessment visit",
    EventKind.ASSESSMENT_COMPLETED: "Assessment completed",
    EventKind.STRATEGY_DISCUSSION: "Strategy discussion",
    EventKind.S47_STARTED: "Section 47 enquiry started",
    EventKind.S47_COMPLETED: "Section 47 enquiry completed",
    EventKind.ICPC: "Initial child protection conference",
    EventKind.CP_PLAN_STARTED: "Child protection plan started",
    EventKind.CP_PLAN_ENDED: "Child protection plan ended",
    EventKind.CORE_GROUP: "Core group meeting",
    EventKind.REVIEW_CONFERENCE: "Review child protection conference",
    EventKind.CP_VISIT: "Child protection visit",
    EventKind.CIN_PLAN_STARTED: "Child in need plan started",
    EventKind.CIN_PLAN_ENDED: "Child in need plan ended",
    EventKind.CIN_VISIT: "Child in need visit",
    EventKind.CIN_REVIEW: "Child in need review",
    EventKind.CASE_NOTE: "Case note",
    EventKind.CASE_OPENED: "Case allocated",
    EventKind.CASE_CLOSED: "Case closed",
    EventKind.MISSING_RETURN: "Return from missing episode",
    EventKind.RETURN_INTERVIEW: "Return home interview",
    EventKind.CARE_STARTED: "Came into care",
    EventKind.CARE_ENDED: "Left care",
    EventKind.CARE_PLAN: "Care plan",
    EventKind.PLACEMENT_STARTED: "Placement started",
    EventKind.PLACEMENT_PLAN: "Placement plan",
    EventKind.LAC_REVIEW: "Looked-after review",
    EventKind.CLA_VISIT: "Visit to a child in care",
    EventKind.HEALTH_ASSESSMENT: "Health assessment",
    EventKind.PEP: "Personal education plan",
    EventKind.CARE_LEAVER_ELIGIBLE: "Became an eligible or relevant child",
    EventKind.NEEDS_ASSESSMENT: "Needs assessment completed",
    EventKind.PATHWAY_PLAN: "Pathway plan prepared",
    EventKind.PATHWAY_PLAN_REVIEW: "Pathway plan review",
    EventKind.ADVISER_NAMED: "Personal adviser named",
    EventKind.ADVISER_VISIT: "Personal adviser visit",
    EventKind.CARE_LEAVER_ENDED: "Care leaver services ended",
    EventKind.EARLY_HELP_STARTED: "Early help started",
    EventKind.EARLY_HELP_NEED_IDENTIFIED: "Need for early help identified",
    EventKind.EARLY_HELP_DECIDED: "Decision to provide early help",
    EventKind.EARLY_HELP_CONSENT: "Family's consent to the early help assessment",
    EventKind.EARLY_HELP_ASSESSMENT: "Early help assessment completed",
    EventKind.EARLY_HELP_MEETING: "Team around the family meeting",
    EventKind.EARLY_HELP_ENDED: "Early help ended",
}

# WT2023 was published and came into force on 15 December 2023 (DfE); WT2018 before it.
WT2023_FROM = date(2023, 12, 15)
WT2018_FROM = date(2018, 7, 4)
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Rule:
    """One version of one timescale. ``starts`` starts the clock, ``stops`` meets it."""

    id: str
    name: str
    ref: str  # the rule's stable number (T1, T3, ...), kept when its length or source changes
    starts: tuple[EventKind, ...]
    stops: EventKind
    length: int  # the default where ``setting`` names a local setting
    unit: Unit
    status: RuleStatus
    source: str
    effective_from: date = EARLIEST
    effective_to: date | None = None  # inclusive; None while in force
    # A recurring rule: each stopping event starts the next clock of the same rule ("at least every N").
    recurring: bool = False
    setting: str | None = None  # the local setting that holds ``length``
    anchor: str = ""  # which of several starting events counts, in words (T7)
    trigger: str = ""  # what starts the clock, in words
    stop: str = ""  # what stops it, in words
    # Where the record that meets the clock is kept (the deadline's page links there): the child's case by default.
    record_page: str = "/cases/{person_id}"

    @property
    def interval(self) -> int | None:
        return self.length if self.recurring else None

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def length_with(self, settings: Mapping[str, Any] | None) -> int:
        if self.setting and settings is not None and self.setting in settings:
            return int(settings[self.setting])
        return self.length


# Recorded activity on a case (the stalled clock restarts on any): every event but a contact waiting for the MASH
# and the case's closure.
NOT_ACTIVITY = frozenset(
    {
        EventKind.CONTACT_RECEIVED,
        EventKind.CASE_CLOSED,
        # A care leaver's dates worked out from the record (eligibility, the 25th birthday), not work done.
        EventKind.CARE_LEAVER_ELIGIBLE,
        EventKind.CARE_LEAVER_ENDED,
        # Early help is not social care's case work: its events neither start nor restart a stalled case's clock.
        EventKind.EARLY_HELP_STARTED,
        EventKind.EARLY_HELP_NEED_IDENTIFIED,
        EventKind.EARLY_HELP_DECIDED,
        EventKind.EARLY_HELP_CONSENT,
        EventKind.EARLY_HELP_ASSESSMENT,
        EventKind.EARLY_HELP_MEETING,
        EventKind.EARLY_HELP_ENDED,
    }
)
ACTIVITY: tuple[EventKind, ...] = tuple(kind for kind in EventKind if kind not in NOT_ACTIVITY)

CARE_LEAVER_PAGE = "/care-leavers/people/{person_id}"  # children_in_care/care_leaver_routes.py
EARLY_HELP_PAGE = "/early-help/people/{person_id}"  # early_help/routes.py
WT2023_CH3 = "Working Together to Safeguard Children 2023, Ch.3"
CPPCR = "Care Planning, Placement and Case Review (England) Regulations 2010 (SI 2010/959)"
WT2023_CH4 = "Working Together to Safeguard Children 2023, Ch.4"

RULES: tuple[Rule, ...] = (
    Rule(
        "contact-decision",
        "Decision on a contact (next steps)",
        "T1",
        (EventKind.CONTACT_RECEIVED,),
        EventKind.CONTACT_DECIDED,
        1,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{WT2023_CH3} 'Referral' (same rule as WT2018 Ch.1); the MASH counts it in working hours by RAG rating "
        "(a local standard, e.g. Surrey Police MASH)",
        trigger="contact received by the MASH",
        stop="threshold decision recorded",
    ),
    Rule(
        "assessment",
        "Child and family assessment completed",
        "T3",
        (EventKind.REFERRAL,),
        EventKind.ASSESSMENT_COMPLETED,
        45,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{WT2023_CH3} 'Assessment of a child under the Children Act 1989 / Timeliness' (a maximum; record the "
        "reasons when exceeded)",
        trigger="the point of referral",
        stop="assessment completed",
    ),
    Rule(
        "strategy-discussion",
        "Strategy discussion held",
        "T4",
        (EventKind.REFERRAL,),
        EventKind.STRATEGY_DISCUSSION,
        1,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{WT2023_CH4} 'Strategy discussion': 'as soon as possible', no national number; the local standard is "
        "a setting (West Mercia 5, Surrey SCP: 1-3 working days)",
        setting="timescales.strategy_discussion.working_days",
        trigger="referral decided as reasonable cause to suspect significant harm",
        stop="strategy discussion",
    ),
    Rule(
        "icpc",
        "Initial child protection conference held",
        "T7",
        (EventKind.STRATEGY_DISCUSSION,),
        EventKind.ICPC,
        15,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        "Working Together to Safeguard Children 2018, Ch.1 'Initial child protection conferences'",
        effective_from=WT2018_FROM,
        effective_to=WT2023_FROM - timedelta(days=1),
        anchor="the strategy discussion at which section 47 enquiries were initiated",
        trigger="strategy discussion that started a section 47 enquiry",
        stop="initial conference",
    ),
    Rule(
        "icpc",
        "Initial child protection conference held",
        "T7",
        (EventKind.STRATEGY_DISCUSSION,),
        EventKind.ICPC,
        15,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{WT2023_CH4} 'Initial child protection conferences'",
        effective_from=WT2023_FROM,
        anchor="the strategy discussion, or the last strategy discussion if more than one has been held",
        trigger="the last strategy discussion deciding on section 47 enquiries",
        stop="initial conference",
    ),
    Rule(
        "first-core-group",
        "First core group meeting",
        "T9",
        (EventKind.ICPC,),
        EventKind.CORE_GROUP,
        10,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        "WT2018 'Actions and responsibilities following the ICPC' (kept in practice under WT2023); Medway SCP "
        "'Core Group guidance'; Tees CPP s2",
        trigger="initial conference that made a child protection plan",
        stop="first core group",
    ),
    Rule(
        "core-group",
        "Core group meeting",
        "T10",
        (EventKind.CORE_GROUP,),
        EventKind.CORE_GROUP,
        4,
        Unit.WEEKS,
        RuleStatus.LOCAL_STANDARD,
        "Newcastle 1.4.5 'Core Groups' (every 4 weeks); Tees CPP s2 (6 weeks)",
        recurring=True,
        setting="timescales.core_group.weeks",
        trigger="previous core group",
        stop="next core group",
    ),
    Rule(
        "first-review-conference",
        "First review child protection conference",
        "T11",
        (EventKind.ICPC,),
        EventKind.REVIEW_CONFERENCE,
        3,
        Unit.MONTHS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{WT2023_CH4} 'Child protection review conference'; Sussex CP procedures 5.5",
        trigger="initial conference that made a child protection plan",
        stop="first review conference",
    ),
    Rule(
        "review-conference",
        "Review child protection conference",
        "T12",
        (EventKind.REVIEW_CONFERENCE,),
        EventKind.REVIEW_CONFERENCE,
        6,
        Unit.MONTHS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{WT2023_CH4}; Sussex CP procedures 5.5 (at most every 6 months)",
        recurring=True,
        trigger="previous review conference",
        stop="next review conference",
    ),
    # The plan's start is the initial conference that made it when the plan itself is not recorded.
    Rule(
        "cp-visit",
        "Child protection visit (child seen)",
        "T13",
        (EventKind.CP_PLAN_STARTED, EventKind.CP_VISIT, EventKind.ICPC),
        EventKind.CP_VISIT,
        10,
        Unit.WORKING_DAYS,
        RuleStatus.LOCAL_STANDARD,
        "Camden practice hub 'Visits and engagement with families'; Central "
        "Bedfordshire (Mar 2024); Liverpool CS (every 10 working days)",
        recurring=True,
        setting="timescales.cp_visit.working_days",
        trigger="plan start or the last visit",
        stop="visit",
    ),
    Rule(
        "cin-visit",
        "Child in need visit",
        "T16",
        (EventKind.CIN_PLAN_STARTED, EventKind.CIN_VISIT),
        EventKind.CIN_VISIT,
        20,
        Unit.WORKING_DAYS,
        RuleStatus.LOCAL_STANDARD,
        "Published LA sheet 'Frequency and guidance for statutory visits'; Torbay (20 working days)",
        recurring=True,
        setting="timescales.cin_visit.working_days",
        trigger="plan start or the last visit",
        stop="visit",
    ),
    Rule(
        "cin-review",
        "Child in need plan review",
        "T15",
        (EventKind.CIN_PLAN_STARTED, EventKind.CIN_REVIEW),
        EventKind.CIN_REVIEW,
        12,
        Unit.WEEKS,
        RuleStatus.LOCAL_STANDARD,
        "City of York 3.1 'Children in Need Plans and Reviews' (12 weeks)",
        recurring=True,
        setting="timescales.cin_review.weeks",
        trigger="plan start or the last review",
        stop="review",
    ),
    Rule(
        "stalled-case",
        "Recorded activity on an open case",
        "local",
        ACTIVITY,
        EventKind.CASE_NOTE,
        20,
        Unit.WORKING_DAYS,
        RuleStatus.LOCAL_STANDARD,
        "Local practice standard: drift and delay (issue 3; Ofsted ILACS)",
        recurring=True,
        setting="timescales.stalled.working_days",
        trigger="the last recorded activity (any case event or note)",
        stop="any recorded activity",
    ),
    Rule(
        "return-interview",
        "Return home interview offered",
        "T32",
        (EventKind.MISSING_RETURN,),
        EventKind.RETURN_INTERVIEW,
        72,
        Unit.HOURS,
        RuleStatus.STATUTORY_GUIDANCE,
        "DfE 'Statutory guidance on children who run away or go missing from home or care' (Jan 2014), "
        "'Independent return interviews'",
        trigger="child found or returned",
        stop="return interview",
    ),
    # Children in care (CPPCR 2010 and the statutory guidance; L1-L11 and T17-T23 of the domain notes). "Before the
    # placement, or if not practicable within N" (L1, L3, L6, L11) is held as the N: a plan dated on or before the
    # placement meets it as well as one within N.
    Rule(
        "care-plan",
        "Care plan prepared",
        "L1",
        (EventKind.CARE_STARTED,),
        EventKind.CARE_PLAN,
        10,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 4(2): before the first placement or, if not practicable, within 10 working days of it",
        trigger="the child first placed (came into care)",
        stop="care plan prepared",
    ),
    Rule(
        "placement-plan",
        "Placement plan prepared",
        "L3",
        (EventKind.PLACEMENT_STARTED,),
        EventKind.PLACEMENT_PLAN,
        5,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 9(1)-(2): before the placement or, if not reasonably practicable, within 5 working days",
        trigger="each placement (the first, each move, each new carer)",
        stop="placement plan prepared",
    ),
    Rule(
        "cla-review-first",
        "First looked-after review",
        "T17",
        (EventKind.CARE_STARTED,),
        EventKind.LAC_REVIEW,
        20,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 33(1): within 20 working days of the child becoming looked after",
        trigger="the child became looked after",
        stop="first looked-after review",
    ),
    Rule(
        "cla-review-second",
        "Second looked-after review",
        "T18",
        (EventKind.LAC_REVIEW,),
        EventKind.LAC_REVIEW,
        3,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 33(2)(a): not more than 3 months after the first review",
        trigger="the first looked-after review",
        stop="second looked-after review",
    ),
    Rule(
        "cla-review",
        "Looked-after review",
        "T19",
        (EventKind.LAC_REVIEW,),
        EventKind.LAC_REVIEW,
        6,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 33(2)(b): at intervals of not more than 6 months after the second review",
        recurring=True,
        trigger="the previous looked-after review (from the second)",
        stop="next looked-after review",
    ),
    Rule(
        "cla-visit-first",
        "First visit in a placement (child seen)",
        "T21",
        (EventKind.PLACEMENT_STARTED,),
        EventKind.CLA_VISIT,
        7,
        Unit.CALENDAR_DAYS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 28(2)(a): within one week of the start of any placement",
        trigger="the start of each placement",
        stop="visit at which the child was seen",
    ),
    Rule(
        "cla-visit",
        "Visit to a child in care (child seen)",
        "T22",
        (EventKind.CLA_VISIT,),
        EventKind.CLA_VISIT,
        6,
        Unit.WEEKS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 28(2)(b)-(c): at intervals of not more than 6 weeks in the first year of a placement, and "
        "after it where the placement is not intended to last until the child is 18",
        recurring=True,
        trigger="the previous visit",
        stop="next visit at which the child was seen",
    ),
    Rule(
        "cla-visit-long-term",
        "Visit to a child in a long-term placement (child seen)",
        "T23",
        (EventKind.CLA_VISIT,),
        EventKind.CLA_VISIT,
        3,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 28(2)(c): at intervals of not more than 3 months after the first year of a placement "
        "intended to last until the child is 18",
        recurring=True,
        trigger="the previous visit, after the placement's first year",
        stop="next visit at which the child was seen",
    ),
    Rule(
        "health-assessment-initial",
        "Initial health assessment",
        "L6",
        (EventKind.CARE_STARTED,),
        EventKind.HEALTH_ASSESSMENT,
        20,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        f"{CPPCR} reg 7 (before the placement or before the first review); DfE and DHSC 'Promoting the health "
        "and well-being of looked-after children' (2015): in time for the first review, 20 working days",
        trigger="the child became looked after",
        stop="initial health assessment",
    ),
    Rule(
        "health-assessment-review-under-5",
        "Review health assessment, child under 5",
        "L7",
        (EventKind.HEALTH_ASSESSMENT,),
        EventKind.HEALTH_ASSESSMENT,
        6,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 7: at least once every 6 months for a child under 5",
        recurring=True,
        trigger="the last health assessment, when the child was under 5",
        stop="next health assessment",
    ),
    Rule(
        "health-assessment-review",
        "Review health assessment",
        "L8",
        (EventKind.HEALTH_ASSESSMENT,),
        EventKind.HEALTH_ASSESSMENT,
        12,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        f"{CPPCR} reg 7: at least once every 12 months for a child aged 5 or over",
        recurring=True,
        trigger="the last health assessment, when the child was 5 or over",
        stop="next health assessment",
    ),
    Rule(
        "pep-initial",
        "Personal education plan initiated",
        "L11",
        (EventKind.CARE_STARTED,),
        EventKind.PEP,
        10,
        Unit.WORKING_DAYS,
        RuleStatus.STATUTORY_GUIDANCE,
        "DfE 'Promoting the education of looked-after children and previously looked-after children' (2018): "
        f"before the placement as part of the care plan, in an emergency within 10 working days; {CPPCR} reg 5(b)(ii)",
        trigger="the child became looked after",
        stop="personal education plan",
    ),
    # Care leavers (children_in_care/). Held by the care leaver's personal adviser, on their due page.
    Rule(
        "pathway-needs-assessment",
        "Needs assessment for the pathway plan completed",
        "T31",
        (EventKind.CARE_LEAVER_ELIGIBLE,),
        EventKind.NEEDS_ASSESSMENT,
        3,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        "Care Planning, Placement and Case Review (England) Regulations 2010 reg 42(1): 'not more than three months "
        "after the date on which C reaches the age of 16 or becomes an eligible child after that age'; a relevant "
        "child without a pathway plan: Care Leavers (England) Regulations 2010 Part 2 (three months)",
        trigger="16th birthday as an eligible child, or becoming eligible or relevant after it",
        stop="needs assessment completed",
        record_page=CARE_LEAVER_PAGE,
    ),
    Rule(
        "pathway-plan-review",
        "Pathway plan reviewed",
        "T28",
        (EventKind.PATHWAY_PLAN, EventKind.PATHWAY_PLAN_REVIEW),
        EventKind.PATHWAY_PLAN_REVIEW,
        6,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        "Care Leavers (England) Regulations 2010 reg 7 (review at intervals of not more than six months, and when "
        "the young person asks or the personal adviser thinks it necessary); eligible children: CPPCR 2010 "
        "regs 43-44 and Children Act 1989 Sch.2 para 19B(5)",
        recurring=True,
        trigger="pathway plan prepared, or its last review",
        stop="next review",
        record_page=CARE_LEAVER_PAGE,
    ),
    Rule(
        "pa-contact",
        "Personal adviser visit (young person seen)",
        "L21",
        (EventKind.ADVISER_NAMED, EventKind.ADVISER_VISIT),
        EventKind.ADVISER_VISIT,
        2,
        Unit.MONTHS,
        RuleStatus.STATUTORY_REGULATION,
        "Care Leavers (England) Regulations 2010 reg 8(2)(c): the personal adviser visits 'at intervals of not more "
        "than two months' (reg 8(2)(a): within 7 days of accommodation first provided; reg 8(1)(g): a record of "
        "every contact)",
        recurring=True,
        trigger="personal adviser named, or their last visit",
        stop="a visit in which the young person was seen",
        record_page=CARE_LEAVER_PAGE,
    ),
    # Early help and Family Help (early_help/): local standards, none statutory (early help rests on the s10
    # Children Act 2004 duty to co-operate and WT2023 ch.3 s1, which set no timescale). Lengths and anchors are
    # settings (timescales.early_help.*); the defaults are Hertfordshire's and Sefton's published standards.
    # Held by the episode's lead practitioner.
    Rule(
        "early-help-assessment",
        "Early help assessment completed",
        "EH1",
        (
            EventKind.EARLY_HELP_STARTED,
            EventKind.EARLY_HELP_CONSENT,
            EventKind.EARLY_HELP_NEED_IDENTIFIED,
            EventKind.EARLY_HELP_DECIDED,
        ),
        EventKind.EARLY_HELP_ASSESSMENT,
        15,
        Unit.WORKING_DAYS,
        RuleStatus.LOCAL_STANDARD,
        "Sefton Council 'Early help - Timescales' (23 Jan 2023): conclusions and actions, a copy to the family, "
        "within 15 working days; Hertfordshire CC 'Timescales for completing a Families First Assessment': within "
        "3 weeks of registration",
        setting="timescales.early_help.assessment.working_days",
        anchor="a local setting (timescales.early_help.assessment.anchor): the start of the episode "
        "(registration), the family's consent, the identification of need or the decision to provide early help",
        trigger="the episode's anchor day",
        stop="early help assessment completed",
        record_page=EARLY_HELP_PAGE,
    ),
    Rule(
        "early-help-first-meeting",
        "First team around the family meeting",
        "EH2",
        (
            EventKind.EARLY_HELP_STARTED,
            EventKind.EARLY_HELP_DECIDED,
            EventKind.EARLY_HELP_CONSENT,
            EventKind.EARLY_HELP_ASSESSMENT,
        ),
        EventKind.EARLY_HELP_MEETING,
        6,
        Unit.WEEKS,
        RuleStatus.LOCAL_STANDARD,
        "Hertfordshire CC: initial TAF within 6 weeks of registration; Lewisham Council 'Team around the family "
        "(TAF) meetings': within 6 weeks of the decision to provide early help; Sefton: first review within 6 weeks "
        "of completing the assessment",
        setting="timescales.early_help.first_meeting.weeks",
        anchor="a local setting (timescales.early_help.first_meeting.anchor): the start of the episode "
        "(registration), the decision to provide early help, the family's consent or the completion of the assessment",
        trigger="the episode's anchor day",
        stop="first team around the family meeting",
        record_page=EARLY_HELP_PAGE,
    ),
    Rule(
        "early-help-review",
        "Team around the family review",
        "EH3",
        (EventKind.EARLY_HELP_MEETING,),
        EventKind.EARLY_HELP_MEETING,
        6,
        Unit.WEEKS,
        RuleStatus.LOCAL_STANDARD,
        "Hertfordshire CC (at least every 6 weeks); Lewisham Council (every 6 weeks); Derbyshire SCP 'Local "
        "keywords' (usually 6-weekly); Worcestershire 6-12 weeks; Devon 12 weeks; Sefton 3 months",
        recurring=True,
        setting="timescales.early_help.review.weeks",
        trigger="the last team around the family meeting or review",
        stop="next meeting or review",
        record_page=EARLY_HELP_PAGE,
    ),
    Rule(
        "early-help-reassessment",
        "Early help reassessment",
        "EH4",
        (EventKind.EARLY_HELP_ASSESSMENT,),
        EventKind.EARLY_HELP_ASSESSMENT,
        12,
        Unit.MONTHS,
        RuleStatus.LOCAL_STANDARD,
        "Sefton Council 'Early help - Timescales': re-assess with a new early help assessment at 12 months if "
        "outcomes are not achieved",
        recurring=True,
        setting="timescales.early_help.reassessment.months",
        trigger="the last early help assessment completed",
        stop="a new early help assessment completed",
        record_page=EARLY_HELP_PAGE,
    ),
)

RULE_IDS: tuple[str, ...] = tuple(dict.fromkeys(rule.id for rule in RULES))


class UnknownRule(LookupError):
    pass


_VERSIONS: dict[str, tuple[Rule, ...]] = {rid: tuple(r for r in RULES if r.id == rid) for rid in RULE_IDS}


@lru_cache(maxsize=65536)
def rule_for(rule_id: str, on: date) -> Rule:
    """The version of ``rule_id`` in force on ``on`` (the day its clock started). Cached: the rules are constants
    and a whole-council recompute asks tens of thousands of times over a few hundred distinct days."""
    versions = _VERSIONS.get(rule_id, ())
    if len(versions) == 1 and versions[0].in_force_on(on):
        return versions[0]
    if not versions:
        raise UnknownRule(f"There is no timescale called {rule_id!r}. Known: {', '.join(RULE_IDS)}")
    for rule in versions:
        if rule.in_force_on(on):
            return rule
    # Before the first version: the earliest one (clocks older than the rule table).
    return min(versions, key=lambda r: r.effective_from)


def rules_in_force(on: date) -> list[Rule]:
    return [rule_for(rule_id, on) for rule_id in RULE_IDS]


# --- due dates --------------------------------------------------------------------------------------------------


def _settings_from(session: Session | None, settings: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if settings is not None:
        return settings
    if session is not None:
        return get_all(session)
    return None


def compute_due(rule: Rule, start: date, length: int) -> tuple[date, date | None]:
    """(due date, the unmoved date when a calendar deadline fell on a non-working day and was brought forward)."""
    return _due_in(rule.unit, start, length)


@lru_cache(maxsize=65536)
def _due_in(unit: Unit, start: date, length: int) -> tuple[date, date | None]:
    """``compute_due`` by unit; cached, as many clocks of a council start on the same day with the same length."""
    if unit is Unit.WORKING_DAYS:
        return add_working_days_quick(start, length), None
    if unit is Unit.HOURS:
        return (datetime.combine(start, datetime.min.time()) + timedelta(hours=length)).date(), None
    if unit is Unit.MONTHS:
        raw = add_calendar_months(start, length)
    elif unit is Unit.WEEKS:
        raw = start + timedelta(weeks=length)
    else:
        raw = start + timedelta(days=length)
    if is_working_day(raw):
        return raw, None
    return previous_working_day(raw), raw


def due_on(
    rule_id: str, start: date, *, session: Session | None = None, settings: Mapping[str, Any] | None = None
) -> date:
    """The due date of a ``rule_id`` clock started on ``start``, under the version in force that day."""
    rule = rule_for(rule_id, start)
    return compute_due(rule, start, rule.length_with(_settings_from(session, settings)))[0]


def due_at(rule_id: str, start: datetime) -> datetime:
    """For hour rules (the return interview): the moment the clock runs out, counted round the clock."""
    rule = rule_for(rule_id, start.date())
    if rule.unit is not Unit.HOURS:
        raise ValueError(f"{rule_id} is counted in {rule.unit.value}, not hours")
    return start + timedelta(hours=rule.length)


@dataclass(frozen=True)
class Explanation:
    """Why a deadline falls where it does: the rule, the event that started it, and what the count skipped."""

    rule: Rule
    length: int
    start: date
    due: date
    start_event: str = ""
    bank_holidays_skipped: tuple[tuple[date, str], ...] = ()
    weekend_days_skipped: int = 0
    moved_from: date | None = None  # a calendar deadline brought forward from a non-working day
    start_was_non_working: bool = False

    @property
    def counting(self) -> str:
        if self.rule.unit is Unit.WORKING_DAYS:
            text = (
                f"{self.rule.unit.describe(self.length)} after {long_date(self.start)}, skipping "
                f"{self.weekend_days_skipped} weekend day{'s' if self.weekend_days_skipped != 1 else ''}"
            )
            if self.bank_holidays_skipped:
                text += " and " + ", ".join(f"{name} ({long_date(day)})" for day, name in self.bank_holidays_skipped)
            else:
                text += " and no bank holidays"
            if self.start_was_non_working:
                text += "; the clock started on a non-working day, so counting starts on the next working day"
            return text
        text = f"{self.rule.unit.describe(self.length)} after {long_date(self.start)}, counted in calendar time"
        if self.moved_from is not None:
            reason = bank_holiday_name(self.moved_from) or self.moved_from.strftime("%A")
            text += (
                f"; {long_date(self.moved_from)} is not a working day ({reason}), so it is brought forward "
                f"to {long_date(self.due)}"
            )
        return text

    def as_text(self) -> str:
        started = f" started by {self.start_event}" if self.start_event else ""
        return (
            f"{self.rule.name} ({self.rule.id}, {self.rule.status.label}, {self.rule.source}){started}: due "
            f"{long_date(self.due)}, {self.counting}."
        )


def explain(
    rule_id: str,
    start: date,
    *,
    start_event: str = "",
    session: Session | None = None,
    settings: Mapping[str, Any] | None = None,
    rule: Rule | None = None,
    length: int | None = None,
) -> Explanation:
    rule = rule or rule_for(rule_id, start)
    length = length if length is not None else rule.length_with(_settings_from(session, settings))
    due, moved_from = compute_due(rule, start, length)
    if rule.unit is Unit.WORKING_DAYS:
        return Explanation(
            rule,
            length,
            start,
            due,
            start_event,
            tuple(bank_holidays_between(start, due)),
            weekend_days_between(start, due),
            None,
            not is_working_day(start),
        )
    return Explanation(rule, length, start, due, start_event, moved_from=moved_from)


# --- deadline states --------------------------------------------------------------------------------------------


class State(StrEnum):
    """What a deadline looks like today."""

    DUE = "due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    # A recurring clock that fell due on or before its plan's end and was never met: stopped by the plan's end
    # (stored with met_on = the end day, met by the plan-end event), so it is not open work, but it was missed.
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return {
            State.DUE: "Due",
            State.DUE_SOON: "Due soon",
            State.OVERDUE: "Overdue",
            State.MET: "Met",
            State.MET_LATE: "Met late",
            State.LAPSED: "Not met: plan ended",
        }[self]

    @property
    def tag_colour(self) -> str:
        return {
            State.DUE: "blue",
            State.DUE_SOON: "yellow",
            State.OVERDUE: "red",
            State.MET: "green",
            State.MET_LATE: "orange",
            State.LAPSED: "red",
        }[self]

    @property
    def open(self) -> bool:
        return self in (State.DUE, State.DUE_SOON, State.OVERDUE)


DUE_SOON_DEFAULT = 5  # working days; the setting timescales.due_soon.working_days


def state_of(
    due: date, met: date | None, today: date, due_soon_days: int = DUE_SOON_DEFAULT, *, lapsed: bool = False
) -> State:
    """``lapsed``: the clock was stopped by its plan's end, not met (``met`` is the day the plan ended)."""
    if lapsed:
        return State.LAPSED
    if met is not None:
        return State.MET if met <= due else State.MET_LATE
    if today > due:
        return State.OVERDUE
    if working_days_between_quick(today, due) <= due_soon_days:
        return State.DUE_SOON
    return State.DUE


# --- forecasts --------------------------------------------------------------------------------------------------


class ForecastKind(StrEnum):
    NO_EVENT_BY_DAY = "no_event_by_day"  # an expected step not recorded by working day N of the clock
    PACE = "pace"  # recent intervals between the rule's events are longer than the rule allows
    BOOKED_AFTER_DUE = "booked_after_due"  # the stopping event is booked for a date after the deadline


@dataclass(frozen=True)
class Forecast:
    """A reason to expect a deadline to be missed at the current pace, before it is."""

    rule_id: str
    kind: ForecastKind
    rationale: str
    expected: EventKind | None = None  # NO_EVENT_BY_DAY: the step expected by ``by_day``
    by_day: int = 0  # working days after the clock started
    window: int = 3  # PACE: how many recent intervals are averaged


FORECASTS: tuple[Forecast, ...] = (
    Forecast(
        "assessment",
        ForecastKind.NO_EVENT_BY_DAY,
        "No visit to the child recorded by working day 30 of 45: the child has to be seen and the assessment "
        "written up, authorised and shared in the 15 working days left.",
        EventKind.ASSESSMENT_VISIT,
        30,
    ),
    Forecast(
        "icpc",
        ForecastKind.NO_EVENT_BY_DAY,
        "No section 47 enquiry outcome recorded by working day 10 of 15: reports are due to the conference "
        "2-5 working days before it (T8) and invitations go out in advance.",
        EventKind.S47_COMPLETED,
        10,
    ),
    Forecast("icpc", ForecastKind.BOOKED_AFTER_DUE, "The conference is booked for a date after the 15 working days."),
    Forecast(
        "first-review-conference",
        ForecastKind.BOOKED_AFTER_DUE,
        "The review conference is booked for a date after its deadline.",
    ),
    Forecast(
        "review-conference",
        ForecastKind.BOOKED_AFTER_DUE,
        "The review conference is booked for a date after its deadline.",
    ),
    Forecast(
        "cp-visit", ForecastKind.PACE, "The last three visits were on average further apart than the standard allows."
    ),
    Forecast(
        "cin-visit", ForecastKind.PACE, "The last three visits were on average further apart than the standard allows."
    ),
    Forecast(
        "pa-contact",
        ForecastKind.PACE,
        "The last three visits by the personal adviser were on average further apart than two months.",
    ),
    Forecast(
        "core-group",
        ForecastKind.PACE,
        "The last three core groups were on average further apart than the standard allows.",
    ),
    Forecast(
        "early-help-review",
        ForecastKind.PACE,
        "The last three team around the family meetings were on average further apart than the standard allows.",
    ),
)


_FORECASTS_BY_RULE: dict[str, tuple[Forecast, ...]] = {
    rule_id: tuple(f for f in FORECASTS if f.rule_id == rule_id) for rule_id in {f.rule_id for f in FORECASTS}
}


def forecasts_for(rule_id: str) -> tuple[Forecast, ...]:
    return _FORECASTS_BY_RULE.get(rule_id, ())


# --- deriving a child's deadlines from their events (pure) -----------------------------------------------------


class ClockEvent(NamedTuple):
    """One case event that starts or stops clocks. ``source_kind`` / ``source_id`` name the row it came from.

    A named tuple: immutable, and made half a million times by a whole-council recompute (a frozen dataclass costs
    several times as much to build)."""

    kind: EventKind
    on: date
    source_kind: str
    source_id: int
    person_id: int
    flags: frozenset[str] = frozenset()
    booked_for: date | None = None  # a conference booked but not yet held
    due_hint: date | None = None  # a due date another capability already computed (MASH RAG deadlines)
    stops_source_id: int | None = None  # CONTACT_DECIDED: which contact it decides
    exceeded_reason: str | None = None

    @property
    def description(self) -> str:
        return f"{self.kind.label} on {long_date(self.on)}"


@dataclass(slots=True)
class Derived:
    """A deadline derived from events, before it is stored (slots: a whole council derives a quarter of a million)."""

    person_id: int
    rule: Rule
    start: ClockEvent
    due: date
    length: int
    met_on: date | None = None
    met_by: ClockEvent | None = None
    forecast: Forecast | None = None
    exceeded_reason: str | None = None
    booked_for: date | None = None  # the stopping event is booked for this day (a conference)
    # Not met: the plan ended on or after the due date with no stopping event (``met_on`` / ``met_by`` are the
    # plan's end). Counted as missed, never as open work (``_recurring``).
    lapsed: bool = False

    def state(self, today: date, due_soon_days: int = DUE_SOON_DEFAULT) -> State:
        return state_of(self.due, self.met_on, today, due_soon_days, lapsed=self.lapsed)


@dataclass(frozen=True)
class Lengths:
    """Rule lengths with the local settings applied, read once per recompute."""

    settings: Mapping[str, Any]
    _known: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    def of(self, rule: Rule) -> int:
        # Keyed by the rule's identity: the rules are module constants, and hashing the dataclass is slow.
        length = self._known.get(id(rule))
        if length is None:
            length = self._known[id(rule)] = rule.length_with(self.settings)
        return length

    @property
    def icpc_from_first(self) -> bool:
        return bool(self.settings.get("timescales.icpc.from_first_strategy_discussion", False))


def forecast(derived: Derived, events: list[ClockEvent], today: date) -> Forecast | None:
    """The first forecast rule that says this open deadline will be missed at the current pace."""
    if derived.met_on is not None or today > derived.due:
        return None
    for rule in forecasts_for(derived.rule.id):
        if rule.kind is ForecastKind.NO_EVENT_BY_DAY:
            if working_days_between_quick(derived.start.on, today) < rule.by_day:
                continue
            if not any(e.kind is rule.expected and derived.start.on <= e.on <= today for e in events):
                return rule
        elif rule.kind is ForecastKind.BOOKED_AFTER_DUE:
            booked = derived.booked_for
            if booked is not None and booked > derived.due:
                return rule
        elif rule.kind is ForecastKind.PACE:
            chain = sorted(e.on for e in events if e.kind is derived.rule.stops and e.on <= today)
            chain = chain[-(rule.window + 1) :]
            if len(chain) == rule.window + 1:
                gaps = [_length_between(derived.rule, a, b) for a, b in pairwise(chain)]
                if sum(gaps) / len(gaps) > derived.length:
                    return rule
    return None


def _length_between(rule: Rule, start: date, end: date) -> float:
    if rule.unit is Unit.WORKING_DAYS:
        return working_days_between_quick(start, end)
    if rule.unit is Unit.WEEKS:
        return (end - start).days / 7
    if rule.unit is Unit.MONTHS:
        return (end - start).days / 30.44
    return (end - start).days

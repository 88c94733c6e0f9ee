"""The indicators leaders read at a glance, each beside the latest national figure and the council's own trend.

Every indicator is a pure function from the facts of the record (:class:`Facts`, plain tuples loaded once for the
period) to the things it counts (:class:`Counted`: a child, a date, in the figure or not), with its DfE or Ofsted
definition named beside it. The page, the CSV, the charts and the drill-down to the children all come from the
same counted rows, so a figure can always be traced to the children behind it.

Team filter: an indicator for a team counts the children allocated to that team at any time in the period (an
allocation overlapping it), whatever the event; contacts not yet linked to a child are then left out.

Who sees what (core/access.py, INDICATORS VIEW): performance analysts and managers see every figure and the list of
children behind it; a child's name is shown only to roles that may open a person's record (PERSON VIEW) and never
for a restricted child the viewer is not named on (or has not broken the glass for); otherwise the list shows the
child's LAchildID. Every view, drill-down and download is audited.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import or_, select, union
from sqlalchemy.orm import Session

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    ChildInNeedPlan,
    ChildProtectionConference,
    ChildProtectionPlan,
    Referral,
    Section47Enquiry,
)
from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import (
    LONDON,
    add_calendar_months,
    add_working_days_quick,
    today_in_london,
    working_days_between_quick,
)
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field
from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.core.users import Team, User
from safeguarding.early_help import rules as eh_rules
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpAssessment,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EpisodeStatus,
    FamilyMemberRole,
    FamilyNeed,
)
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.front_door.models import (
    Contact,
    ContactDecision,
    ContactSubject,
    DecisionStatus,
    Outcome,
    SubjectRole,
)
from safeguarding.insight import care
from safeguarding.insight.care_facts import (
    CARE_VISIT_RULES,
    HEALTH_RULES,
    PEP_RULES,
    REVIEW_RULES,
    CareFacts,
    load_care_facts,
    looked_after_on,
)
from safeguarding.insight.national_figures import NO_NATIONAL_FIGURE, NationalFigure, figure
from safeguarding.insight.period import Period
from safeguarding.people.models import Person
from safeguarding.timescales.derive import derive
from safeguarding.timescales.events import clock_events
from safeguarding.timescales.rules import Lengths

MAX_PERIOD_DAYS = 3 * 366
VISIT_RULES = ("cp-visit", "cin-visit")


# --- facts: what the record says, as plain values ----------------------------------------------------------------


@dataclass
class Facts:
    """Plain values read from the record for a period (and the history the definitions look back on)."""

    contacts: list[tuple[int | None, date]] = field(default_factory=list)  # child (first linked), received
    referrals: list[tuple[int, date, bool, date | None]] = field(default_factory=list)  # child, date, re-ref, closed
    decisions: list[tuple[int | None, date, date]] = field(default_factory=list)  # child, received, decided
    assessments: list[tuple[int, date, date]] = field(default_factory=list)  # child, referral date, authorised
    icpcs: list[tuple[int, date, date]] = field(default_factory=list)  # child, s47 started, conference held
    cp_plans: list[tuple[int, date, date | None]] = field(default_factory=list)  # child, started, ended
    visits: list[tuple[int, date, date | None]] = field(default_factory=list)  # child, due, met
    allocations: list[tuple[int, date, date | None]] = field(default_factory=list)  # child, from, to (exclusive)
    # Early help (early_help/), each row keyed by the family's first child with a person record (None: not yet
    # matched), so that the team filter and the drill-down read them as they read the rest.
    eh_episodes: list[tuple[int | None, date, date | None]] = field(default_factory=list)  # child, started, closed
    # Each completed early help assessment: child, the local timescale's anchor day, completed, the days allowed.
    eh_assessments: list[tuple[int | None, date, date, int]] = field(default_factory=list)
    # Each episode closed (not by a step-up): child, closed, the referrals of the family's children after it.
    eh_closures: list[tuple[int | None, date, tuple[date, ...]]] = field(default_factory=list)
    eh_transitions: list[tuple[int | None, date, str]] = field(default_factory=list)  # child, decided, direction
    eh_need_outcomes: list[tuple[int | None, date, str]] = field(default_factory=list)  # child, on, outcome
    # Each contact decided "early help": child, decided, the day an episode started from it (None: none did).
    eh_decided: list[tuple[int | None, date, date | None]] = field(default_factory=list)
    # The council's child population (a local setting, with its source and year) for rates per 10,000 children;
    # None where there is none to use, and ``population_missing`` says why.
    population: int | None = None
    population_source: str = ""
    population_missing: str = "A rate per 10,000 children is for the whole council, not for one team."
    care: CareFacts = field(default_factory=CareFacts)  # children in care and care leavers (insight/care_facts.py)


@dataclass(frozen=True)
class Counted:
    """One thing an indicator counts: about a child, on a date, in the figure (``met``) or only in its base.

    ``what`` says it in words for the drill-down; it is made from ``template`` and ``args`` only when shown (dates
    formatted then), since a figure for a large council counts hundreds of thousands of things."""

    person_id: int | None
    on: date
    met: bool = True
    series: str = ""
    template: str = ""
    args: tuple[Any, ...] = ()

    @property
    def what(self) -> str:
        return self.template.format(*(_day(a) if isinstance(a, date) else a for a in self.args))


# --- the definitions -----------------------------------------------------------------------------------------------


def _day(d: date) -> str:
    return long_date(d)


def contacts_referrals(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Contacts received and referrals made, by month (DfE CIN census: a referral is a request for services to
    children's social care; contacts are the council's own count, not collected nationally)."""
    found = [
        Counted(p, d, True, "Contacts", "Contact received {}", (d,))
        for p, d in facts.contacts
        if period.start <= d <= period.end
    ]
    found += [
        Counted(p, d, True, "Referrals", "Referral {}", (d,))
        for p, d, _re, _closed in facts.referrals
        if period.start <= d <= period.end
    ]
    return found


def re_referrals(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Referrals in the period that came within 12 months of a previous referral of the same child, of all
    referrals in the period (DfE Children in need, table C1; the front door marks each referral when it is made)."""
    return [
        Counted(p, d, re, template="Referral {} (re-referral)" if re else "Referral {}", args=(d,))
        for p, d, re, _closed in facts.referrals
        if period.start <= d <= period.end
    ]


def decisions_one_day(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Decisions on contacts made within one working day of receipt, of decisions made in the period (Working
    Together 2023 ch.3: the local authority decides within one working day what type of response is required;
    rule T1). A decision later than the next working day after the day of receipt is late."""
    found = []
    for p, received, decided in facts.decisions:
        if period.start <= decided <= period.end:
            met = decided <= add_working_days_quick(received, 1)
            found.append(Counted(p, decided, met, template="Contact {}, decided {}", args=(received, decided)))
    return found


def assessments_45(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Assessments completed (authorised) in the period within 45 working days of the referral (Working Together
    2023 ch.3 'Timeliness'; DfE Children in need table C2 measures working days from referral)."""
    found = []
    for p, referred, authorised in facts.assessments:
        if period.start <= authorised <= period.end:
            days = working_days_between_quick(referred, authorised)
            found.append(
                Counted(
                    p,
                    authorised,
                    days <= 45,
                    template="Referral {}, authorised {}: {} working days",
                    args=(referred, authorised, days),
                )
            )
    return found


def icpc_15(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Initial child protection conferences held in the period within 15 working days of the start of the section
    47 enquiry (DfE Children in need table C4 measures from the section 47 start; Working Together 2023 ch.4)."""
    found = []
    for p, started, held in facts.icpcs:
        if period.start <= held <= period.end:
            days = working_days_between_quick(started, held)
            found.append(
                Counted(
                    p,
                    held,
                    days <= 15,
                    template="Section 47 {}, conference {}: {} working days",
                    args=(started, held, days),
                )
            )
    return found


def second_cp_plans(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Child protection plans starting in the period for a child who had a previous plan at any time (LG Inform
    metric 100, former NI 65; DfE Children in need table D3). Low is good; zero is not expected."""
    starts: dict[int, list[date]] = defaultdict(list)
    for p, started, _ended in facts.cp_plans:
        starts[p].append(started)
    found = []
    for p, started, _ended in facts.cp_plans:
        if period.start <= started <= period.end:
            previous = sum(1 for d in starts[p] if d < started)
            found.append(
                Counted(
                    p,
                    started,
                    previous > 0,
                    template="Plan from {}; {} previous plan{}",
                    args=(started, previous, "" if previous == 1 else "s"),
                )
            )
    return found


def cp_plans_two_years(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Child protection plans ending in the period that had lasted two years or more, of all plans ending (DfE
    Children in need table D7)."""
    found = []
    for p, started, ended in facts.cp_plans:
        if ended is not None and period.start <= ended <= period.end:
            long = ended >= add_calendar_months(started, 24)
            found.append(Counted(p, ended, long, template="Plan {} to {}", args=(started, ended)))
    return found


def visits_in_time(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Statutory visits (child protection and child in need) made by their due date, of visits due in the period up to
    today, for every child with a plan in the period whether the case is now open or closed (the council's local
    visiting standards, rules T13 and T16 (docs/timescales.md), due dates derived by the timescales rules from the case
    record). A visit that fell due on or before the plan ended and was not made counts as not in time."""
    found = []
    for p, due, met in facts.visits:
        if period.start <= due <= min(period.end, today):
            in_time = met is not None and met <= due
            found.append(
                Counted(
                    p,
                    due,
                    in_time,
                    template="Visit due {}, made {}" if met else "Visit due {}, not made",
                    args=(due, met) if met else (due,),
                )
            )
    return found


def snapshot_days(period: Period, today: date) -> list[date]:
    """The days a point-in-time indicator is read on: each month's end in the period (the period's last day, or
    today, for the month still running)."""
    last = min(period.end, today)
    days: list[date] = []
    month = date(period.start.year, period.start.month, 1)
    while month <= last:
        month_end = add_calendar_months(month, 1) - timedelta(days=1)
        days.append(min(month_end, last))
        month = add_calendar_months(month, 1)
    return days


def children_in_need(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children with an open episode of need (a referral not yet closed) at the end of each month, per 10,000
    children living in the area (DfE Children in need: children in need at 31 March, per 10,000 children under
    18; the council's child population is its local setting)."""
    found = []
    for day in snapshot_days(period, today):
        open_children = {
            p for p, referred, _re, closed in facts.referrals if referred <= day and (closed is None or closed > day)
        }
        found += [Counted(p, day, template="Open episode on {}", args=(day,)) for p in sorted(open_children)]
    return found


def unallocated(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children with an open episode of need and no allocated worker, of all children with an open episode, at the
    end of each month (Ofsted ILACS: children awaiting allocation; no national figure)."""
    found = []
    for day in snapshot_days(period, today):
        open_children = {
            p for p, referred, _re, closed in facts.referrals if referred <= day and (closed is None or closed > day)
        }
        allocated = {p for p, start, end in facts.allocations if start <= day and (end is None or end > day)}
        for p in sorted(open_children):
            found.append(
                Counted(
                    p,
                    day,
                    p not in allocated,
                    template="Open episode on {}" if p in allocated else "Open episode on {}, no allocated worker",
                    args=(day,),
                )
            )
    return found


# --- children in care and care leavers (DfE "Children looked after in England", from the SSDA903) ----------------


def _in_care_on(facts: Facts, day: date) -> set[int]:
    """Children looked after on ``day``, leaving out those on an agreed series of short breaks (the DfE does)."""
    return {row[0] for row in facts.care.periods if not row[3] and looked_after_on(row, day)}


def looked_after(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children looked after at the end of each month, per 10,000 children living in the area (DfE Children looked
    after in England: children looked after at 31 March, rate per 10,000 children under 18; children on an agreed
    series of short breaks are left out)."""
    found = []
    for day in snapshot_days(period, today):
        found += [Counted(p, day, template="Looked after on {}", args=(day,)) for p in sorted(_in_care_on(facts, day))]
    return found


def care_starts(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children who started to be looked after in the period (each start of a period of care; DfE Children looked
    after in England, "started to be looked after during the year")."""
    return [
        Counted(p, started, True, "Started to be looked after", "Started to be looked after {}", (started,))
        for p, started, _ended, short in facts.care.periods
        if not short and period.start <= started <= min(period.end, today)
    ]


def three_placements(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children looked after at the end of each month who had three or more placements in the 12 months to that day,
    of all children then looked after (DfE placement stability: children looked after at 31 March with three or more
    placements during the year; read here over the 12 months to each month's end). A change of legal status alone is
    not a placement (``insight.care``)."""
    by_child: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for p, start, end, _place, _far, short in facts.care.placements:
        if not short:
            by_child[p].append((start, end))
    found = []
    for day in snapshot_days(period, today):
        year_before = add_calendar_months(day, -12)
        for p in sorted(_in_care_on(facts, day)):
            count = sum(1 for start, end in by_child[p] if start <= day and (end is None or end > year_before))
            found.append(
                Counted(
                    p,
                    day,
                    count >= 3,
                    template="{} placement{} in the 12 months to {}",
                    args=(count, "" if count == 1 else "s", day),
                )
            )
    return found


def long_term_stability(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children under 16 looked after continuously for at least two and a half years at the end of each month, who
    had lived in the same placement for at least two years (or, placed for adoption with their foster carers, in the
    two together), of all such children (DfE long-term placement stability)."""
    born = dict(facts.care.born)
    periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for p, started, ended, short in facts.care.periods:
        if not short:
            periods[p].append((started, ended))
    history: dict[int, list[care.Placement]] = defaultdict(list)
    for p, start, end, place, _far, _short in sorted(facts.care.placements, key=lambda r: (r[0], r[1])):
        history[p].append(care.Placement(start, end, place, None, None, None, None))
    found = []
    for day in snapshot_days(period, today):
        for p in sorted(_in_care_on(facts, day)):
            if p not in born or add_calendar_months(born[p], 16 * 12) <= day:
                continue
            since = max((s for s, e in periods[p] if s <= day and (e is None or day <= e)), default=None)
            if since is None or since > add_calendar_months(day, -30):
                continue
            stable = care.stable_since(history[p], day)
            met = stable is not None and stable <= add_calendar_months(day, -24)
            found.append(
                Counted(
                    p, day, met, template="In care since {}; in this placement since {}", args=(since, stable or day)
                )
            )
    return found


def placed_far(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Placements starting in the period more than 20 miles from the child's home, of all placements starting in it,
    those whose distance is not known included (DfE Children looked after in England, location of new placements:
    21% were more than 20 miles from home in 2024-25, of all new placements including 13% not known). The distance
    is between the two postcodes' districts (``insight.distance``)."""
    found = []
    for p, start, _end, _place, far, short in facts.care.placements:
        if not short and period.start <= start <= min(period.end, today):
            template = (
                "Placed {}: distance from home not known"
                if far is None
                else ("Placed {}: more than 20 miles from home" if far else "Placed {}: within 20 miles of home")
            )
            found.append(Counted(p, start, bool(far), template=template, args=(start,)))
    return found


def _clocks_in_time(facts: Facts, period: Period, today: date, rules: tuple[str, ...], what: str) -> list[Counted]:
    found = []
    for p, rule, due, met in facts.care.clocks:
        if rule in rules and period.start <= due <= min(period.end, today):
            in_time = met is not None and met <= due
            found.append(
                Counted(
                    p,
                    due,
                    in_time,
                    template=f"{what} due {{}}, held {{}}" if met else f"{what} due {{}}, not held",
                    args=(due, met) if met else (due,),
                )
            )
    return found


def cla_reviews_in_time(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Looked-after reviews held by their due date, of reviews due in the period up to today: the first within 20
    working days of coming into care, the second within 3 months, then every 6 months (CPPCR 2010 reg 33; rules
    T17-T19, due dates derived by the timescales rules)."""
    return _clocks_in_time(facts, period, today, REVIEW_RULES, "Review")


def cla_visits_in_time(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Statutory visits to children in care (child seen) made by their due date, of visits due in the period up to
    today: within a week of each placement, then every 6 weeks, 3-monthly after the first year of a long-term
    placement (CPPCR 2010 reg 28; rules T21-T23)."""
    return _clocks_in_time(facts, period, today, CARE_VISIT_RULES, "Visit")


def health_assessments_in_time(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Health assessments done by their due date, of assessments due in the period up to today: the initial one
    within 20 working days of coming into care, reviews every 6 months under 5 and every 12 months from 5 (CPPCR 2010
    reg 7; rules L6-L8)."""
    return _clocks_in_time(facts, period, today, HEALTH_RULES, "Health assessment")


def health_assessments_up_to_date(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children looked after continuously for 12 months or more at the end of each month whose last health
    assessment was in the 12 months before, of all such children (DfE SSDA903 OC2 "health assessment up to date",
    for children looked after continuously for 12 months at 31 March)."""
    assessed: dict[int, list[date]] = defaultdict(list)
    for p, day in facts.care.health:
        assessed[p].append(day)
    found = []
    for day in snapshot_days(period, today):
        year_before = add_calendar_months(day, -12)
        for p, started, ended, short in facts.care.periods:
            if short or started > year_before or not looked_after_on((p, started, ended, short), day):
                continue
            last = max((d for d in assessed[p] if d <= day), default=None)
            met = last is not None and last > year_before
            found.append(
                Counted(
                    p,
                    day,
                    met,
                    template="Last health assessment {}" if last else "No health assessment recorded",
                    args=(last,) if last else (),
                )
            )
    return found


def peps_in_time(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Personal education plans initiated within 10 working days of a school-age child coming into care, of PEPs due
    in the period up to today (DfE "Promoting the education of looked-after children" 2018; rule L11)."""
    return _clocks_in_time(facts, period, today, PEP_RULES, "Personal education plan")


def cla_missing(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Children looked after at any time in the 12 months to the end of each month who went missing from care at
    least once in them, of all children looked after in them (DfE Children looked after: children who had a missing
    incident during the year; "away from placement without authorisation" is not counted). Official statistics the
    DfE warns against comparing: councils record missing differently."""
    went: dict[int, list[date]] = defaultdict(list)
    for p, day in facts.care.missing:
        went[p].append(day)
    found = []
    for day in snapshot_days(period, today):
        year_before = add_calendar_months(day, -12)
        in_year = [
            row
            for row in facts.care.periods
            if not row[3] and row[1] <= day and (row[2] is None or row[2] > year_before)
        ]
        for p in sorted({row[0] for row in in_year}):
            times = [
                d
                for d in went[p]
                if year_before < d <= day and any(looked_after_on(row, d) for row in in_year if row[0] == p)
            ]
            found.append(
                Counted(
                    p,
                    day,
                    bool(times),
                    template="Went missing {} time{} in the 12 months to {}",
                    args=(len(times), "" if len(times) == 1 else "s", day),
                )
            )
    return found


def _at_birthdays(
    facts: Facts, period: Period, today: date, met: Callable[[str | None, str | None, str | None], bool], what: str
) -> list[Counted]:
    found = []
    for p, age, birthday, in_touch, activity, accommodation in facts.care.birthdays:
        if period.start <= birthday <= min(period.end, today):
            recorded = in_touch is not None
            found.append(
                Counted(
                    p,
                    birthday,
                    met(in_touch, activity, accommodation),
                    template=f"{{}} birthday {{}}: {what}" if recorded else "{} birthday {}: nothing recorded",
                    args=(f"{age}th" if age != 21 else "21st", birthday),
                )
            )
    return found


EDUCATION_EMPLOYMENT_TRAINING: Final = frozenset({"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5"})


def care_leavers_in_touch(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Care leavers whose 19th, 20th or 21st birthday fell in the period and who were in touch around it, of all
    relevant and former relevant care leavers with such a birthday; nothing recorded counts as not in touch (DfE
    Children looked after in England, care leavers aged 19 to 21; SSDA903 OC3 IN_TOUCH "YES")."""
    return _at_birthdays(facts, period, today, lambda touch, _a, _b: touch == "YES", "in touch")


def care_leavers_eet(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Care leavers aged 19 to 21 (birthday in the period) in education, employment or training around their
    birthday, of all relevant and former relevant care leavers with such a birthday (SSDA903 OC3 ACTIV F1-F5,
    P1-P5; DfE Children looked after in England)."""
    return _at_birthdays(
        facts, period, today, lambda _t, activity, _b: activity in EDUCATION_EMPLOYMENT_TRAINING, "activity recorded"
    )


def care_leavers_suitable(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Care leavers aged 19 to 21 (birthday in the period) in suitable accommodation around their birthday, of all
    relevant and former relevant care leavers with such a birthday; not known counts as not suitable (SSDA903 OC3
    ACCOM ending 1; DfE Children looked after in England, "care leavers by whether their accommodation is
    suitable")."""
    return _at_birthdays(
        facts,
        period,
        today,
        lambda _t, _a, accommodation: (
            bool(accommodation) and len(accommodation or "") == 2 and (accommodation or "")[1] == "1"
        ),
        "accommodation recorded",
    )


# --- early help (early_help/): no national collection exists (early help is not statutory), so every figure is the
# council's own, read beside its own trend (early-help.md §5.1).

EH_RE_REFERRAL_MONTHS = 12
EH_ASSESSMENT_DAYS_SETTING = "timescales.early_help.assessment.working_days"  # rule EH1 (early_help/rules.py)


def early_help_episodes(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Early help episodes started in the period, by month, and those open at the end of each month (the council's
    own record: there is no national count of early help, which is not a statutory service; Action for Children,
    "Early help is a critical public service", 2022)."""
    found = [
        Counted(p, started, True, "Started", "Episode started {}", (started,))
        for p, started, _closed in facts.eh_episodes
        if period.start <= started <= period.end
    ]
    for day in snapshot_days(period, today):
        found += [
            Counted(p, day, True, "Open at month end", "Episode open on {} (from {})", (day, started))
            for p, started, closed in facts.eh_episodes
            if started <= day and (closed is None or closed > day)
        ]
    return found


def early_help_assessments_in_time(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Early help assessments completed in the period within the council's own timescale, counted in working days
    from the anchor the council chose (identification of need, the decision to provide early help, or registration:
    Sefton counts 15 working days from identification, Hertfordshire 3 weeks from registration; local settings)."""
    found = []
    for p, anchor, completed, allowed in facts.eh_assessments:
        if period.start <= completed <= period.end:
            days = working_days_between_quick(anchor, completed) if completed >= anchor else 0
            found.append(
                Counted(
                    p,
                    completed,
                    days <= allowed,
                    template="Assessment completed {}: {} working days (the standard is {})",
                    args=(completed, days, allowed),
                )
            )
    return found


def early_help_re_referrals(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Families whose early help closed in the period and who were referred to children's social care within 12
    months of its closing, of all families whose early help closed (not counting a closure by step-up, which is a
    referral by design). Action for Children's FOI study counted 25% of closed assessments re-referred within a year
    (2015-16 to 2019-20); no official national figure. Counted as far as today: a closure less than 12 months ago can
    still be referred."""
    found = []
    for p, closed, referred in facts.eh_closures:
        if period.start <= closed <= period.end:
            within = add_calendar_months(closed, EH_RE_REFERRAL_MONTHS)
            first = min((d for d in referred if closed < d <= min(within, today)), default=None)
            found.append(
                Counted(
                    p,
                    closed,
                    first is not None,
                    template="Early help closed {}, referred {}" if first else "Early help closed {}, not referred",
                    args=(closed, first) if first else (closed,),
                )
            )
    return found


STEP_SERIES = {"up": "Step-ups", "down": "Step-downs", "across": "Family Help changes of plan"}


def steps_up_and_down(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Step-ups from early help to children's social care, step-downs from social care to early help and, under
    Family Help, changes between targeted help and child in need work, by the month they were decided (the council's
    own record; step-down after assessment is the CIN census reason for closure RC9, step-up a contact from early
    help, ReferralSource 5D where the council's early help made it)."""
    return [
        Counted(p, d, True, STEP_SERIES.get(direction, direction), "Decided {}", (d,))
        for p, d, direction in facts.eh_transitions
        if period.start <= d <= period.end
    ]


def early_help_outcomes(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Needs in family plans whose outcome at closure was recorded in the period as improved, of all needs given an
    outcome (improved, no change, worse: Worcestershire "The Early Help Process" step 5; the Supporting Families
    claims read the same outcomes)."""
    words = {"improved": "improved", "no_change": "no change", "worse": "worse"}
    return [
        Counted(p, d, outcome == "improved", template="Need outcome {}: {}", args=(d, words.get(outcome, outcome)))
        for p, d, outcome in facts.eh_need_outcomes
        if period.start <= d <= period.end
    ]


def early_help_decisions_taken_up(facts: Facts, period: Period, today: date) -> list[Counted]:
    """Contacts decided "early help" at the front door in the period that became an early help episode, of all
    contacts so decided (the council's own record; front-door.md §4 outcome 3). A decision with no episode yet is
    not taken up so far."""
    return [
        Counted(
            p,
            decided,
            started is not None,
            template="Decided early help {}, episode from {}" if started else "Decided early help {}, no episode",
            args=(decided, started) if started else (decided,),
        )
        for p, decided, started in facts.eh_decided
        if period.start <= decided <= period.end
    ]


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    kind: str  # "rate" (met of all counted) | "count" | "per_10000" (children counted per 10,000 in the area)
    measure: Callable[[Facts, Period, date], list[Counted]]
    source: str
    better: str = ""  # "higher" | "lower" | ""
    snapshot: bool = False  # read on a day (the latest one), not summed over the period
    noun: str = "children in need"  # per 10,000 indicators: who the number counts, in words
    series: tuple[str, ...] = ()  # a count's series, in the order shown (all shown, even with nothing in them)
    snapshot_series: tuple[str, ...] = ()  # a count's series read on a day: its total is the last day's

    @property
    def definition(self) -> str:
        return " ".join((self.measure.__doc__ or "").split())

    @property
    def national(self) -> NationalFigure | None:
        return figure(self.key)

    @property
    def no_national(self) -> str:
        return NO_NATIONAL_FIGURE.get(self.key, "")


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "contacts_referrals",
        "Contacts and referrals",
        "count",
        contacts_referrals,
        "DfE Children in need (CIN census), referrals; contacts: the council's own record",
    ),
    Indicator(
        "children_in_need",
        "Children in need per 10,000 children",
        "per_10000",
        children_in_need,
        "DfE Children in need (children in need at 31 March, rate per 10,000 children under 18)",
        snapshot=True,
    ),
    Indicator(
        "re_referrals",
        "Re-referrals within 12 months",
        "rate",
        re_referrals,
        "DfE Children in need, table C1",
        better="lower",
    ),
    Indicator(
        "decisions_one_day",
        "Decisions on contacts within one working day",
        "rate",
        decisions_one_day,
        "Working Together to Safeguard Children 2023, ch.3 (referral decision within one working day)",
        better="higher",
    ),
    Indicator(
        "assessments_45",
        "Assessments completed within 45 working days",
        "rate",
        assessments_45,
        "DfE Children in need, table C2; Working Together 2023, ch.3",
        better="higher",
    ),
    Indicator(
        "icpc_15",
        "Initial conferences within 15 working days",
        "rate",
        icpc_15,
        "DfE Children in need, table C4; Working Together 2023, ch.4",
        better="higher",
    ),
    Indicator(
        "second_cp_plans",
        "Second or subsequent child protection plans",
        "rate",
        second_cp_plans,
        "LG Inform metric 100 (former NI 65); DfE Children in need, table D3",
        better="lower",
    ),
    Indicator(
        "cp_plans_two_years",
        "Child protection plans lasting two years or more",
        "rate",
        cp_plans_two_years,
        "DfE Children in need, table D7",
        better="lower",
    ),
    Indicator(
        "visits_in_time",
        "Statutory visits in time",
        "rate",
        visits_in_time,
        "The council's own visiting standards (its settings; no national number in Working Together 2023)",
        better="higher",
    ),
    Indicator(
        "unallocated",
        "Children unallocated",
        "rate",
        unallocated,
        "Ofsted ILACS (children awaiting allocation); the council's own record",
        better="lower",
        snapshot=True,
    ),
    Indicator(
        "looked_after",
        "Children looked after per 10,000 children",
        "per_10000",
        looked_after,
        "DfE Children looked after in England (children looked after at 31 March, rate per 10,000 children under 18)",
        snapshot=True,
        noun="children looked after",
    ),
    Indicator(
        "care_starts",
        "Children starting to be looked after",
        "count",
        care_starts,
        "DfE Children looked after in England (children who started to be looked after during the year)",
    ),
    Indicator(
        "three_placements",
        "Children in care with three or more placements in the year",
        "rate",
        three_placements,
        "DfE Children looked after in England, placement stability (three or more placements during the year)",
        better="lower",
        snapshot=True,
    ),
    Indicator(
        "long_term_stability",
        "Long-term placement stability",
        "rate",
        long_term_stability,
        "DfE Children looked after in England, long-term stability (under 16, looked after 2.5 years or more, in "
        "the same placement for 2 years or more)",
        better="higher",
        snapshot=True,
    ),
    Indicator(
        "placed_far",
        "New placements more than 20 miles from home",
        "rate",
        placed_far,
        "DfE Children looked after in England, location of new placements during the year",
        better="lower",
    ),
    Indicator(
        "cla_reviews_in_time",
        "Looked-after reviews in time",
        "rate",
        cla_reviews_in_time,
        "Care Planning, Placement and Case Review (England) Regulations 2010, reg 33",
        better="higher",
    ),
    Indicator(
        "cla_visits_in_time",
        "Visits to children in care in time",
        "rate",
        cla_visits_in_time,
        "Care Planning, Placement and Case Review (England) Regulations 2010, reg 28",
        better="higher",
    ),
    Indicator(
        "health_assessments_in_time",
        "Health assessments in time",
        "rate",
        health_assessments_in_time,
        "Care Planning, Placement and Case Review (England) Regulations 2010, reg 7; DfE and DHSC 'Promoting the "
        "health and well-being of looked-after children' (2015)",
        better="higher",
    ),
    Indicator(
        "health_assessments_up_to_date",
        "Health assessments up to date (in care 12 months or more)",
        "rate",
        health_assessments_up_to_date,
        "DfE Children looked after in England, outcomes (SSDA903 OC2: children looked after continuously for 12 "
        "months)",
        better="higher",
        snapshot=True,
    ),
    Indicator(
        "peps_in_time",
        "Personal education plans in time",
        "rate",
        peps_in_time,
        "DfE 'Promoting the education of looked-after children and previously looked-after children' (2018)",
        better="higher",
    ),
    Indicator(
        "cla_missing",
        "Children in care who went missing",
        "rate",
        cla_missing,
        "DfE Children looked after in England, children who were missing (official statistics)",
        better="lower",
        snapshot=True,
    ),
    Indicator(
        "care_leavers_in_touch",
        "Care leavers in touch (aged 19 to 21)",
        "rate",
        care_leavers_in_touch,
        "DfE Children looked after in England, care leavers aged 19 to 21 (SSDA903 OC3)",
        better="higher",
    ),
    Indicator(
        "care_leavers_eet",
        "Care leavers in education, employment or training (aged 19 to 21)",
        "rate",
        care_leavers_eet,
        "DfE Children looked after in England, care leavers aged 19 to 21 (SSDA903 OC3)",
        better="higher",
    ),
    Indicator(
        "care_leavers_suitable",
        "Care leavers in suitable accommodation (aged 19 to 21)",
        "rate",
        care_leavers_suitable,
        "DfE Children looked after in England, care leavers aged 19 to 21 (SSDA903 OC3)",
        better="higher",
    ),
    Indicator(
        "early_help_episodes",
        "Early help episodes started and open",
        "count",
        early_help_episodes,
        "The council's own record (no national collection of early help)",
        series=("Started", "Open at month end"),
        snapshot_series=("Open at month end",),
    ),
    Indicator(
        "early_help_assessments",
        "Early help assessments within the local timescale",
        "rate",
        early_help_assessments_in_time,
        "The council's own early help timescale (its local settings)",
        better="higher",
    ),
    Indicator(
        "early_help_re_referrals",
        "Referred to social care within 12 months of early help closing",
        "rate",
        early_help_re_referrals,
        "The council's own record; Action for Children FOI study (2022) for comparison",
        better="lower",
    ),
    Indicator(
        "steps_up_and_down",
        "Step-ups and step-downs",
        "count",
        steps_up_and_down,
        "The council's own record; CIN census ReasonForClosure RC9 and ReferralSource 5D",
        series=tuple(STEP_SERIES.values()),
    ),
    Indicator(
        "early_help_outcomes",
        "Early help needs improved at closure",
        "rate",
        early_help_outcomes,
        "The council's own record (outcome of each need at closure)",
        better="higher",
    ),
    Indicator(
        "early_help_taken_up",
        "Contacts decided as early help that became an episode",
        "rate",
        early_help_decisions_taken_up,
        "The council's own record (front door decision and early help episode)",
        better="higher",
    ),
)
BY_KEY = {i.key: i for i in INDICATORS}
CARE_KEYS = frozenset(
    {
        "looked_after",
        "care_starts",
        "three_placements",
        "long_term_stability",
        "placed_far",
        "cla_reviews_in_time",
        "cla_visits_in_time",
        "health_assessments_in_time",
        "health_assessments_up_to_date",
        "peps_in_time",
        "cla_missing",
        "care_leavers_in_touch",
        "care_leavers_eet",
        "care_leavers_suitable",
    }
)
CARE_CLOCK_KEYS = frozenset({"cla_reviews_in_time", "cla_visits_in_time", "health_assessments_in_time", "peps_in_time"})


# --- figures: what the page, the chart and the CSV show ------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    month: str  # "2026-01"
    series: str
    numerator: int
    denominator: int
    part: bool = False  # the month still running (or the period ends inside it): counted so far, not a whole month
    population: int | None = None  # per 10,000 indicators: the child population the point is read against

    @property
    def rate(self) -> float | None:
        if self.population is not None:
            return self.numerator * 10_000 / self.population if self.population else None
        return self.numerator / self.denominator if self.denominator else None

    @property
    def label(self) -> str:
        """The month in words, "March 2026", with "(so far)" while it is only part of a month."""
        shown = f"{date(int(self.month[:4]), int(self.month[5:]), 1):%B %Y}"
        return f"{shown} (so far)" if self.part else shown


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    counted: list[Counted]
    points: list[Point]
    numerator: int
    denominator: int
    totals: dict[str, int]  # count indicators: per series
    population: int | None = None  # per 10,000 indicators: the council's child population (a local setting)
    population_source: str = ""
    population_missing: str = ""  # why there is no rate per 10,000 children, where there is none
    part: bool = False  # the period runs past today: its figures are so far, not for the whole period

    @property
    def rate(self) -> float | None:
        if self.indicator.kind == "per_10000":
            return self.numerator * 10_000 / self.population if self.population else None
        return self.numerator / self.denominator if self.denominator else None

    @property
    def shown(self) -> str:
        if self.indicator.kind == "per_10000":
            rate = self.rate
            return "No rate" if rate is None else f"{rate:.1f} per 10,000 children"
        if self.indicator.kind == "count":
            return ", ".join(f"{name} {n:,}" for name, n in self.totals.items()) or "None"
        if self.rate is None:
            return "No cases"
        return f"{self.rate * 100:.1f}%"


def months_of(period: Period, today: date | None = None) -> list[str]:
    """The months of the period (with ``today``, those begun by today: a month still to come has nothing in it
    yet, and drawing it as nothing would be a fall to zero that has not happened)."""
    last = period.end if today is None else min(period.end, today)
    months = []
    month = date(period.start.year, period.start.month, 1)
    while month <= last:
        months.append(f"{month:%Y-%m}")
        month = add_calendar_months(month, 1)
    return months


def part_month(month: str, period: Period, today: date) -> bool:
    """Whether only part of a month is counted: it is still running today, or the period starts or ends in it."""
    first = date(int(month[:4]), int(month[5:]), 1)
    last = add_calendar_months(first, 1) - timedelta(days=1)
    return min(period.end, today) < last or period.start > first


def figure_of(
    indicator: Indicator, counted: list[Counted], period: Period, today: date, facts: Facts | None = None
) -> Figure:
    """Monthly points and the headline from the counted rows (pure). A point-in-time indicator's headline is read on
    the period's last snapshot day, for a team as for the council: a team with nothing on that day shows none, not
    an earlier month's figure."""
    series_names = sorted({c.series for c in counted}) or [""]
    if indicator.kind == "count" and indicator.key == "contacts_referrals":
        series_names = ["Contacts", "Referrals"]
    if indicator.series:
        series_names = list(indicator.series)
    met: dict[tuple[int, int, str], int] = defaultdict(int)
    base: dict[tuple[int, int, str], int] = defaultdict(int)
    for c in counted:
        key = (c.on.year, c.on.month, c.series)
        base[key] += 1
        met[key] += c.met
    per_10000 = indicator.kind == "per_10000"
    population = facts.population if facts is not None and per_10000 else None
    points = [
        Point(
            m,
            s,
            met[(int(m[:4]), int(m[5:]), s)],
            base[(int(m[:4]), int(m[5:]), s)],
            part_month(m, period, today),
            (population or 0) if per_10000 else None,
        )
        for m in months_of(period, today)
        for s in series_names
    ]
    headline = counted
    if indicator.snapshot:
        days = snapshot_days(period, today)
        headline = [c for c in counted if days and c.on == days[-1]]
    totals: dict[str, int] = {}
    if indicator.kind == "count":
        # A series read on a day (episodes open at the month's end) totals what was open on the last day read, not
        # the sum of every month's.
        last_day = max((d for d in snapshot_days(period, today)), default=None) if indicator.snapshot_series else None
        totals = {
            s: sum(1 for c in counted if c.series == s and (s not in indicator.snapshot_series or c.on == last_day))
            for s in series_names
        }
    missing = ""
    if per_10000 and not population:
        missing = facts.population_missing if facts is not None else "The child population is not known."
    return Figure(
        indicator,
        counted,
        points,
        sum(1 for c in headline if c.met),
        len(headline),
        totals,
        population,
        facts.population_source if facts is not None and per_10000 else "",
        missing,
        period.end > today,
    )


def load_visits(session: Session, period: Period, today: date) -> list[tuple[int, date, date | None]]:
    """Each statutory visit due in the period (child, due, made): every visit clock of every child with a child
    protection or child in need plan in the period, open or closed, derived from the case events of all their
    episodes by the timescales rules. Not the stored deadlines: they hold only open cases' current episodes
    (timescales/models.py), and a child whose plan ended and case closed in the period would drop out."""
    children = set(
        session.scalars(
            union(
                *(
                    select(plan.person_id).where(
                        plan.started_on <= period.end, or_(plan.ended_on.is_(None), plan.ended_on >= period.start)
                    )
                    for plan in (ChildProtectionPlan, ChildInNeedPlan)
                )
            )
        )
    )
    if not children:
        return []
    lengths = Lengths(local_settings.get_all(session))
    session.flush()  # read on the session's own transaction
    case_events = clock_events(session.connection(), children, today, episodes="all")
    visits = []
    for person_id in sorted(children):
        for clock in derive(person_id, case_events.events.get(person_id, []), lengths):
            if clock.rule.id in VISIT_RULES and period.start <= clock.due <= period.end:
                # A visit clock stopped by the plan's end ("lapsed": due on or before it, no visit) was missed,
                # not made on the day the plan ended (docs/timescales.md; rules T13, T16).
                visits.append((person_id, clock.due, None if clock.lapsed else clock.met_on))
    return visits


def load_facts(
    session: Session,
    period: Period,
    team_id: int | None = None,
    today: date | None = None,
    keys: Sequence[str] | None = None,
) -> Facts:
    """Everything the definitions need for the period, with 12 months of history before it (``today``: the day
    the record is read on, by default today in London; case rows dated after it count for nothing yet). With
    ``keys``, the visits are derived only when statutory visits are among them (they cost the most to read)."""
    today = today or today_in_london()
    since_day = add_calendar_months(period.start, -12)
    since, until = period.since, period.until
    facts = Facts()

    def london(moment: datetime) -> date:
        return moment.astimezone(LONDON).date()

    first_child: dict[int, int] = {}
    for contact_id, person_id in session.execute(
        select(ContactSubject.contact_id, ContactSubject.person_id)
        .join(Contact)
        .where(
            Contact.received_at >= since,
            Contact.received_at < until,
            ContactSubject.role == SubjectRole.CHILD,
            ContactSubject.person_id.is_not(None),
        )
        .order_by(ContactSubject.id)
    ):
        if person_id is not None:
            first_child.setdefault(contact_id, person_id)
    for contact_id, received in session.execute(
        select(Contact.id, Contact.received_at).where(Contact.received_at >= since, Contact.received_at < until)
    ):
        facts.contacts.append((first_child.get(contact_id), london(received)))
    for contact_id, received, decided in session.execute(
        select(Contact.id, Contact.received_at, ContactDecision.decided_at)
        .join(ContactDecision)
        .where(
            ContactDecision.decided_at >= since,
            ContactDecision.decided_at < until,
            ContactDecision.status != DecisionStatus.RETURNED,
        )
    ):
        facts.decisions.append((first_child.get(contact_id), london(received), london(decided)))
    facts.referrals = [
        (p, d, bool(re), closed)
        for p, d, re, closed in session.execute(
            select(Referral.person_id, Referral.referral_date, Referral.is_re_referral, Referral.closed_date).where(
                Referral.referral_date <= period.end,
                or_(Referral.closed_date.is_(None), Referral.closed_date >= since_day),
            )
        )
    ]
    facts.assessments = [
        (p, r, a)
        for p, r, a in session.execute(
            select(Assessment.person_id, Referral.referral_date, Assessment.authorised_on)
            .join(Referral, Referral.id == Assessment.referral_id)
            .where(Assessment.authorised_on >= period.start, Assessment.authorised_on <= period.end)
        )
        if a is not None
    ]
    facts.icpcs = [
        (p, s, h)
        for p, s, h in session.execute(
            select(ChildProtectionConference.person_id, Section47Enquiry.started_on, ChildProtectionConference.held_on)
            .join(Section47Enquiry, Section47Enquiry.id == ChildProtectionConference.section47_id)
            .where(
                ChildProtectionConference.kind == "initial",
                ChildProtectionConference.held_on >= period.start,
                ChildProtectionConference.held_on <= period.end,
            )
        )
    ]
    # Every plan of a child with a plan starting or ending in the period: "previous plan at any time" looks back.
    concerned = select(ChildProtectionPlan.person_id).where(
        or_(
            ChildProtectionPlan.started_on.between(period.start, period.end),
            ChildProtectionPlan.ended_on.between(period.start, period.end),
        )
    )
    facts.cp_plans = [
        (p, s, e)
        for p, s, e in session.execute(
            select(ChildProtectionPlan.person_id, ChildProtectionPlan.started_on, ChildProtectionPlan.ended_on).where(
                ChildProtectionPlan.person_id.in_(concerned), ChildProtectionPlan.started_on <= period.end
            )
        )
    ]
    if keys is None or "visits_in_time" in keys:
        facts.visits = load_visits(session, period, today)
    if keys is None or CARE_KEYS.intersection(keys):
        facts.care = load_care_facts(
            session, period, today, clocks=keys is None or bool(CARE_CLOCK_KEYS.intersection(keys))
        )
    facts.allocations = [
        (p, london(s), london(e) if e else None)
        for p, s, e in session.execute(
            select(Allocation.person_id, Allocation.started_at, Allocation.ended_at).where(
                Allocation.started_at < until, or_(Allocation.ended_at.is_(None), Allocation.ended_at >= since)
            )
        )
    ]
    load_early_help(session, facts, period, today)
    if team_id is not None:
        in_team = set(
            session.scalars(
                select(Allocation.person_id).where(
                    Allocation.team_id == team_id,
                    Allocation.started_at < until,
                    or_(Allocation.ended_at.is_(None), Allocation.ended_at >= since),
                )
            )
        )
        facts = keep_children(facts, in_team)
    else:
        settings = local_settings.get_all(session)
        population = int(settings["population.children_under_18"] or 0)
        facts.population = population or None
        facts.population_source = str(settings["population.source"] or "").strip()
        facts.population_missing = (
            ""
            if population
            else "The council's child population is not set: an administrator sets it (with its source and year) "
            "in local settings."
        )
    return facts


def load_early_help(session: Session, facts: Facts, period: Period, today: date) -> None:
    """The early help rows of the facts (early_help/): a fixed number of statements, each row keyed by the family's
    first child with a person record."""
    since_day = add_calendar_months(period.start, -12)
    first_child: dict[int, int] = {}
    members: dict[int, set[int]] = defaultdict(set)
    for episode_id, person_id in session.execute(
        select(EarlyHelpFamilyMember.episode_id, EarlyHelpFamilyMember.person_id)
        .where(EarlyHelpFamilyMember.role == FamilyMemberRole.CHILD, EarlyHelpFamilyMember.person_id.is_not(None))
        .order_by(EarlyHelpFamilyMember.id)
    ):
        if person_id is not None:
            first_child.setdefault(episode_id, person_id)
            members[episode_id].add(person_id)
    episodes = session.execute(
        select(
            EarlyHelpEpisode.id,
            EarlyHelpEpisode.started_on,
            EarlyHelpEpisode.closed_on,
            EarlyHelpEpisode.closure_reason,
            EarlyHelpEpisode.contact_id,
            EarlyHelpEpisode.need_identified_on,
            EarlyHelpEpisode.decided_on,
        ).where(
            EarlyHelpEpisode.status.in_((EpisodeStatus.OPEN, EpisodeStatus.CLOSED)),
            EarlyHelpEpisode.started_on <= period.end,
            or_(EarlyHelpEpisode.closed_on.is_(None), EarlyHelpEpisode.closed_on >= since_day),
        )
    ).all()
    facts.eh_episodes = [(first_child.get(e.id), e.started_on, e.closed_on) for e in episodes]
    settings = local_settings.get_all(session)
    allowed = int(settings[EH_ASSESSMENT_DAYS_SETTING])
    anchor = eh_rules.setting_anchor(
        settings, eh_rules.ASSESSMENT_ANCHOR_SETTING, eh_rules.ASSESSMENT_ANCHORS, eh_rules.DEFAULT_ASSESSMENT_ANCHOR
    )
    by_id = {e.id: e for e in episodes}
    consents: dict[int, date] = {}
    for episode_id, given in session.execute(
        select(EarlyHelpConsent.episode_id, EarlyHelpConsent.given_on).where(
            EarlyHelpConsent.scope == ConsentScope.ASSESSMENT
        )
    ):
        consents[episode_id] = min(given, consents.get(episode_id, given))
    for episode_id, completed in session.execute(
        select(EarlyHelpAssessment.episode_id, EarlyHelpAssessment.completed_on).where(
            EarlyHelpAssessment.reassessment.is_(False),
            EarlyHelpAssessment.completed_on >= period.start,
            EarlyHelpAssessment.completed_on <= period.end,
        )
    ):
        e = by_id.get(episode_id)
        if e is None or completed is None:
            continue
        days = eh_rules.EpisodeDays(e.started_on, e.need_identified_on, e.decided_on, consents.get(episode_id))
        start = eh_rules.anchor_day(days, anchor)
        if start is not None:
            facts.eh_assessments.append((first_child.get(episode_id), start, completed, allowed))
    closed = [e for e in episodes if e.closed_on is not None and e.closure_reason != "stepped_up"]
    children = sorted({p for e in closed for p in members[e.id]})
    referred: dict[int, list[date]] = defaultdict(list)
    for chunk in (children[i : i + 500] for i in range(0, len(children), 500)):
        for person_id, day in session.execute(
            select(Referral.person_id, Referral.referral_date).where(
                Referral.person_id.in_(chunk), Referral.referral_date >= since_day
            )
        ):
            referred[person_id].append(day)
    for e in closed:
        assert e.closed_on is not None
        dates = sorted({d for p in members[e.id] for d in referred[p] if d > e.closed_on})
        facts.eh_closures.append((first_child.get(e.id), e.closed_on, tuple(dates)))
    facts.eh_transitions = [
        (person_id if person_id is not None else first_child.get(episode_id), decided, direction)
        for episode_id, person_id, decided, direction in session.execute(
            select(
                EarlyHelpTransition.episode_id,
                EarlyHelpTransition.person_id,
                EarlyHelpTransition.decided_on,
                EarlyHelpTransition.direction,
            ).where(EarlyHelpTransition.decided_on >= period.start, EarlyHelpTransition.decided_on <= period.end)
        )
    ]
    facts.eh_need_outcomes = [
        (first_child.get(episode_id), on, str(outcome))
        for episode_id, on, outcome in session.execute(
            select(FamilyNeed.episode_id, FamilyNeed.outcome_on, FamilyNeed.outcome).where(
                FamilyNeed.outcome.is_not(None),
                FamilyNeed.outcome_on >= period.start,
                FamilyNeed.outcome_on <= period.end,
            )
        )
        if on is not None
    ]
    started_from: dict[int, date] = {}
    for contact_id, started in session.execute(
        select(EarlyHelpEpisode.contact_id, EarlyHelpEpisode.started_on).where(EarlyHelpEpisode.contact_id.is_not(None))
    ):
        if contact_id is not None:
            started_from[contact_id] = min(started, started_from.get(contact_id, started))
    child_of: dict[int, int] = {}
    for contact_id, person_id in session.execute(
        select(ContactSubject.contact_id, ContactSubject.person_id)
        .join(ContactDecision, ContactDecision.contact_id == ContactSubject.contact_id)
        .where(
            ContactDecision.outcome == Outcome.EARLY_HELP,
            ContactSubject.role == SubjectRole.CHILD,
            ContactSubject.person_id.is_not(None),
        )
        .order_by(ContactSubject.id)
    ):
        if person_id is not None:
            child_of.setdefault(contact_id, person_id)
    decided: dict[int, date] = {}
    for contact_id, outcome, status, at in session.execute(
        select(ContactDecision.contact_id, ContactDecision.outcome, ContactDecision.status, ContactDecision.decided_at)
        .where(ContactDecision.decided_at >= period.since, ContactDecision.decided_at < period.until)
        .order_by(ContactDecision.decided_at, ContactDecision.id)
    ):
        if status == DecisionStatus.RETURNED:
            continue
        if outcome == Outcome.EARLY_HELP:
            decided[contact_id] = at.astimezone(LONDON).date()
        else:
            decided.pop(contact_id, None)  # the contact's decision in force is what counts
    facts.eh_decided = [
        (child_of.get(c), d, started_from.get(c)) for c, d in sorted(decided.items(), key=lambda i: i[1])
    ]


def keep_children(facts: Facts, person_ids: set[int]) -> Facts:
    """The facts about these children only (the team filter)."""

    def kept(rows: Iterable[Any]) -> list[Any]:
        return [row for row in rows if row[0] in person_ids]

    return Facts(
        contacts=kept(facts.contacts),
        referrals=kept(facts.referrals),
        decisions=kept(facts.decisions),
        assessments=kept(facts.assessments),
        icpcs=kept(facts.icpcs),
        cp_plans=kept(facts.cp_plans),
        visits=kept(facts.visits),
        allocations=kept(facts.allocations),
        care=facts.care.only(person_ids),
        eh_episodes=kept(facts.eh_episodes),
        eh_assessments=kept(facts.eh_assessments),
        eh_closures=kept(facts.eh_closures),
        eh_transitions=kept(facts.eh_transitions),
        eh_need_outcomes=kept(facts.eh_need_outcomes),
        eh_decided=kept(facts.eh_decided),
    )


def compute(facts: Facts, period: Period, today: date, keys: Sequence[str] | None = None) -> list[Figure]:
    chosen = [BY_KEY[k] for k in keys] if keys else list(INDICATORS)
    return [figure_of(i, i.measure(facts, period, today), period, today, facts) for i in chosen]


# --- the use-cases ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    period: Period
    team_id: int | None
    team_name: str


def parse_filters(
    session: Session, start: str | None, end: str | None, team: str | None, today: date | None = None
) -> Filters:
    """The page's period (by default the twelve months to today) and team, checked; errors name the field."""
    today = today or today_in_london()
    errors: dict[str, str] = {}
    first = (
        date_field(start, "from", "the first day of the period", errors)
        if start
        else add_calendar_months(today, -12) + timedelta(days=1)
    )
    last = date_field(end, "to", "the last day of the period", errors) if end else today
    if first and last:
        if last < first:
            errors["to"] = "The last day of the period is before its first day"
        elif (last - first).days > MAX_PERIOD_DAYS:
            errors["to"] = "The period can be at most three years long"
    team_id: int | None = None
    team_name = "All teams"
    if team:
        row = session.get(Team, int(team)) if team.isdigit() else None
        if row is None:
            errors["team"] = "Choose a team from the list"
        else:
            team_id, team_name = row.id, row.name
    if errors:
        raise ValidationFailed(errors)
    assert first and last
    return Filters(Period(first, last), team_id, team_name)


def figures(
    session: Session,
    database: Database,
    user: User,
    filters: Filters,
    today: date | None = None,
    keys: Sequence[str] | None = None,
) -> list[Figure]:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    today = today or today_in_london()
    result = compute(load_facts(session, filters.period, filters.team_id, today, keys), filters.period, today, keys)
    record(
        session,
        access.actor_of(user),
        "view",
        "indicators",
        None,
        detail={
            "from": filters.period.start.isoformat(),
            "to": filters.period.end.isoformat(),
            "team_id": filters.team_id,
            "indicators": [f.indicator.key for f in result],
        },
    )
    return result


# What the CSV's rate and national columns are in, by the indicator's kind.
UNITS = {"rate": "fraction", "per_10000": "per 10,000 children", "count": "count"}


def as_csv(result: Sequence[Figure], filters: Filters) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "indicator",
            "team",
            "month",
            "series",
            "numerator",
            "denominator",
            "rate",
            "national",
            "national_year",
            "national_source",
            "unit",
            "so_far",
        ]
    )
    for f in result:
        national = f.indicator.national
        for p in f.points:
            # A team's name is typed by an administrator: never a formula a spreadsheet would run.
            writer.writerow(
                [
                    f.indicator.title,
                    spreadsheet_text(filters.team_name),
                    p.month,
                    p.series,
                    p.numerator,
                    p.denominator,
                    "" if f.indicator.kind == "count" or p.rate is None else f"{p.rate:.4f}",
                    f"{national.value:.4f}" if national and national.unit in ("rate", "per_10000") else "",
                    national.year if national else "",
                    national.source if national else "",
                    UNITS.get(f.indicator.kind, ""),
                    "yes" if p.part else "",
                ]
            )
    return out.getvalue()


def export_csv(
    session: Session,
    database: Database,
    user: User,
    filters: Filters,
    keys: Sequence[str] | None,
    today: date | None = None,
) -> str:
    result = figures(session, database, user, filters, today, keys)
    record(
        session,
        access.actor_of(user),
        "export",
        "indicators",
        None,
        detail={
            "from": filters.period.start.isoformat(),
            "to": filters.period.end.isoformat(),
            "team_id": filters.team_id,
            "indicators": [f.indicator.key for f in result],
        },
    )
    return as_csv(result, filters)


@dataclass(frozen=True)
class ChildRow:
    reference: str  # LAchildID (or the record number)
    name: str | None  # only where the viewer may see it
    person_id: int | None
    linkable: bool
    on: date
    met: bool
    series: str
    what: str


def children_behind(
    session: Session,
    database: Database,
    user: User,
    filters: Filters,
    key: str,
    month: str | None = None,
    today: date | None = None,
) -> tuple[Figure, list[ChildRow]]:
    """The children behind a figure (and, with ``month``, behind one month's point), within the viewer's access."""
    indicator = BY_KEY.get(key)
    if indicator is None:
        raise ValidationFailed({"indicator": "Choose an indicator from the page"})
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    today = today or today_in_london()
    (fig,) = compute(load_facts(session, filters.period, filters.team_id, today, [key]), filters.period, today, [key])
    rows = [c for c in fig.counted if month is None or f"{c.on:%Y-%m}" == month]
    ids = {c.person_id for c in rows if c.person_id is not None}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    may_name = access.role_may(user, Kind.PERSON, Action.VIEW)
    restricted = access.restricted_among(session, ids) if may_name else set()
    named: set[int] = set()
    if may_name:
        for person_id in ids:
            if (
                person_id not in restricted
                or access.authorize(
                    session, user, Action.VIEW, AccessSubject(Kind.PERSON, person_id, person_ids=(person_id,))
                ).allowed
            ):
                named.add(person_id)
    out = []
    for c in sorted(rows, key=lambda c: (c.on, c.person_id or 0)):
        person = people.get(c.person_id) if c.person_id is not None else None
        reference = (person.la_child_id or f"Record {person.id}") if person else "Not linked to a child"
        shown = person is not None and person.id in named
        out.append(
            ChildRow(
                reference,
                person.full_name if shown and person else None,
                c.person_id,
                shown,
                c.on,
                c.met,
                c.series,
                c.what,
            )
        )
    record(
        session,
        access.actor_of(user),
        "view",
        "indicator_children",
        key,
        detail={
            "from": filters.period.start.isoformat(),
            "to": filters.period.end.isoformat(),
            "team_id": filters.team_id,
            "month": month,
            "children": len(ids),
            "named_person_ids": sorted(named),
        },
    )
    return fig, out


# --- charts (Vega-Lite) --------------------------------------------------------------------------------------------


def chart_spec(f: Figure) -> dict[str, Any]:
    """A Vega-Lite specification: the council's monthly trend, and the national figure as a labelled rule where it
    is held in the same unit. A month counted only in part (still running, or cut by the period) is drawn as an
    open point labelled "so far", off the line, so a month half done never reads as a fall."""
    x = {"field": "month", "type": "ordinal", "title": "Month", "sort": None}
    if f.indicator.kind == "count":
        values = [{"month": p.label, "series": p.series, "count": p.numerator, "part": p.part} for p in f.points]
        return {
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "width": "container",
            "height": 220,
            "data": {"values": values},
            "layer": [
                {
                    "transform": [{"filter": "!datum.part"}],
                    "mark": {"type": "line", "point": True},
                    "encoding": {
                        "x": x,
                        "y": {"field": "count", "type": "quantitative", "title": "Number"},
                        "color": {"field": "series", "type": "nominal", "title": None},
                        "tooltip": [{"field": "month"}, {"field": "series"}, {"field": "count"}],
                    },
                },
                {
                    "transform": [{"filter": "datum.part"}],
                    "mark": {"type": "point", "filled": False},
                    "encoding": {
                        "x": x,
                        "y": {"field": "count", "type": "quantitative"},
                        "color": {"field": "series", "type": "nominal", "title": None},
                        "tooltip": [{"field": "month"}, {"field": "series"}, {"field": "count", "title": "So far"}],
                    },
                },
            ],
        }
    per_10000 = f.indicator.kind == "per_10000"
    unit = "per 10,000 children" if per_10000 else "%"
    values = [
        {
            "month": p.label,
            "rate": round(p.rate if per_10000 else p.rate * 100, 1),
            "of": f"{p.numerator} children" if per_10000 else f"{p.numerator} of {p.denominator}",
            "part": p.part,
        }
        for p in f.points
        if p.rate is not None
    ]
    y: dict[str, Any] = {"field": "rate", "type": "quantitative", "title": unit}
    if not per_10000:
        y["scale"] = {"domain": [0, 100]}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": values},
            "transform": [{"filter": "!datum.part"}],
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": x,
                "y": y,
                "tooltip": [{"field": "month"}, {"field": "rate", "title": unit}, {"field": "of"}],
            },
        },
        {
            "data": {"values": values},
            "transform": [{"filter": "datum.part"}],
            "mark": {"type": "point", "filled": False, "size": 60},
            "encoding": {
                "x": x,
                "y": {"field": "rate", "type": "quantitative"},
                "tooltip": [{"field": "month"}, {"field": "rate", "title": f"{unit} so far"}, {"field": "of"}],
            },
        },
    ]
    national = f.indicator.national
    if national is not None and national.unit == ("per_10000" if per_10000 else "rate"):
        level = round(national.value if per_10000 else national.value * 100, 1)
        label = f"England {national.shown} ({national.year})"
        layers.append(
            {
                "data": {"values": [{"national": level, "label": label}]},
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#d4351c"},
                "encoding": {
                    "y": {"field": "national", "type": "quantitative"},
                    "tooltip": [{"field": "label", "title": "National"}],
                },
            }
        )
        layers.append(
            {
                "data": {"values": [{"national": level, "label": label}]},
                "mark": {"type": "text", "align": "left", "dx": 4, "dy": -7, "color": "#d4351c"},
                "encoding": {
                    "x": {"value": 0},
                    "y": {"field": "national", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 220,
        "layer": layers,
    }

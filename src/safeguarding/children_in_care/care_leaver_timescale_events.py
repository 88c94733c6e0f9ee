"""Care leavers' clock events, supplied to timescales: which care leavers are open (a record not ended: their
deadlines are held even with no case open in case work), and the events of the pathway and the personal adviser's
work. The personal adviser named on the record holds these clocks (``CaseEvents.rule_workers``), so they are on the
adviser's due page, not the social worker's.

Events: becoming eligible (worked out by ``care_leavers.eligibility`` from the date of birth and the periods of care:
the children-in-care record's periods where it holds them, read for every care leaver of the reading in one
statement, as ``care_leaver_service.periods_of`` reads them for the page; the "left care" fact on the care leaver's
record only for care that is not on this system), so the needs assessment clock starts on the 16th birthday of an
eligible child, or the day they became eligible after it (CPPCR 2010 reg 42(1)); the needs assessment; each pathway
plan and its reviews (CLR 2010 reg 7); the adviser named and each visit in which the young person was seen (CLR 2010
reg 8(2)); and the end (the 25th birthday or services ended). Registered with ``timescales.events`` on import (the
package's ``__init__`` imports it).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from safeguarding.children_in_care.care_leaver_models import (
    AdviserContact,
    CareLeaver,
    ContactMethod,
    NeedsAssessment,
    PathwayPlan,
    PathwayPlanReview,
)
from safeguarding.children_in_care.care_leavers import (
    SUPPORT_UNTIL_AGE,
    THIRTEEN_WEEKS,
    PeriodOfCare,
    birthday,
    eligibility,
    needs_assessment_from,
    periods_from_fact,
)
from safeguarding.children_in_care.models import CarePeriod
from safeguarding.core.users import User
from safeguarding.people.models import Person
from safeguarding.people.rules import years_before
from safeguarding.timescales import events as timescales
from safeguarding.timescales.events import Reading, Share, dated_rows
from safeguarding.timescales.rules import EventKind

E = EventKind
ADVISER_RULES = ("pathway-needs-assessment", "pathway-plan-review", "pa-contact")
# Birthdays on which a care leaver's clocks can change without a row being written (the drift run reads them).
TURNING_AGES = (16, 18, SUPPORT_UNTIL_AGE)


def open_care_leavers(share: Share | None = None) -> Any:
    query = select(CareLeaver.person_id).where(CareLeaver.ended_on.is_(None))
    return query.where(share.holds(CareLeaver.person_id)) if share is not None else query


def open_among(ids: list[int]) -> list[Any]:
    return [select(CareLeaver.person_id).where(CareLeaver.person_id.in_(ids), CareLeaver.ended_on.is_(None))]


def read(reading: Reading) -> None:
    day, today, out = reading.day, reading.today, reading.out
    leaver_of: dict[int, int] = {}
    rows = reading.fetch(
        select(
            CareLeaver.id,
            CareLeaver.person_id,
            Person.date_of_birth,
            CareLeaver.personal_adviser_id,
            User.team_id,
            CareLeaver.adviser_named_on,
            CareLeaver.left_care_on,
            CareLeaver.weeks_looked_after_since_14,
            CareLeaver.created_at,
            CareLeaver.ended_on,
        )
        .join(Person, Person.id == CareLeaver.person_id)
        .outerjoin(User, User.id == CareLeaver.personal_adviser_id)
        .where(reading.of_share(CareLeaver.person_id))
    )
    recorded = _recorded_periods(reading, [row[1] for row in rows if reading.wanted(row[1])])
    for leaver_id, person_id, born, adviser_id, team_id, named_on, left_on, weeks, created, ended_on in rows:
        if not reading.wanted(person_id):
            continue
        leaver_of[leaver_id] = person_id
        if adviser_id is not None:
            out.rule_workers[person_id] = dict.fromkeys(ADVISER_RULES, (adviser_id, team_id))
        born = day(born)
        if born is None:
            continue
        periods = recorded.get(person_id) or periods_from_fact(born, day(left_on), int(weeks), day(created))
        status = eligibility(born, periods, today)
        reading.add(E.CARE_LEAVER_ELIGIBLE, needs_assessment_from(status), "care_leaver", leaver_id, person_id)
        reading.add(E.ADVISER_NAMED, day(named_on), "care_leaver", leaver_id, person_id)
        ended = day(ended_on) or birthday(born, SUPPORT_UNTIL_AGE)
        reading.add(E.CARE_LEAVER_ENDED, ended, "care_leaver", leaver_id, person_id)
    if not leaver_of:
        return
    ids = list(leaver_of)
    for contact_id, leaver_id, contact_on in reading.fetch(
        select(AdviserContact.id, AdviserContact.care_leaver_id, AdviserContact.contact_on).where(
            AdviserContact.care_leaver_id.in_(ids),
            AdviserContact.in_touch.is_(True),
            AdviserContact.method == ContactMethod.VISIT.value,
        )
    ):
        reading.add(E.ADVISER_VISIT, day(contact_on), "care_leaver_contact", contact_id, leaver_of[leaver_id])
    for assessment_id, leaver_id, completed_on in reading.fetch(
        select(NeedsAssessment.id, NeedsAssessment.care_leaver_id, NeedsAssessment.completed_on).where(
            NeedsAssessment.care_leaver_id.in_(ids)
        )
    ):
        reading.add(E.NEEDS_ASSESSMENT, day(completed_on), "needs_assessment", assessment_id, leaver_of[leaver_id])
    plans: dict[int, int] = {}
    for plan_id, leaver_id, prepared_on in reading.fetch(
        select(PathwayPlan.id, PathwayPlan.care_leaver_id, PathwayPlan.prepared_on).where(
            PathwayPlan.care_leaver_id.in_(ids)
        )
    ):
        plans[plan_id] = leaver_of[leaver_id]
        reading.add(E.PATHWAY_PLAN, day(prepared_on), "pathway_plan", plan_id, leaver_of[leaver_id])
    if plans:
        for review_id, plan_id, reviewed_on in reading.fetch(
            select(PathwayPlanReview.id, PathwayPlanReview.plan_id, PathwayPlanReview.reviewed_on).where(
                PathwayPlanReview.plan_id.in_(list(plans))
            )
        ):
            reading.add(E.PATHWAY_PLAN_REVIEW, day(reviewed_on), "pathway_plan_review", review_id, plans[plan_id])


def _recorded_periods(reading: Reading, person_ids: list[int]) -> dict[int, list[PeriodOfCare]]:
    """The periods of care on the children-in-care record of these young people, in one statement a chunk. A period
    ends, for the eligibility, on the first day out of care (the record's ``ended_on`` is the last day in care)."""
    day = reading.day
    periods: dict[int, list[PeriodOfCare]] = {}
    for start in range(0, len(person_ids), timescales.CHUNK):
        chunk = person_ids[start : start + timescales.CHUNK]
        for person_id, started_on, ended_on in reading.fetch(
            select(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.ended_on)
            .where(CarePeriod.person_id.in_(chunk))
            .order_by(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.id)
        ):
            ended = day(ended_on)
            end = ended + timedelta(days=1) if ended is not None else None
            periods.setdefault(person_id, []).append(PeriodOfCare(day(started_on), end))
    return periods


def _thirteen_weeks_reached(after: date, today: date) -> Any:
    """Care leavers whose period of care reached its 13th week after ``after`` up to ``today``: they may have become
    eligible with no row written (a period that began after the 14th birthday; where several periods add up, the
    weekly full run puts the day right)."""
    weeks = THIRTEEN_WEEKS - timedelta(days=1)  # the 91st day looked after is the start + 90 days
    return (
        select(CareLeaver.person_id)
        .join(CarePeriod, CarePeriod.person_id == CareLeaver.person_id)
        .where(CarePeriod.started_on > after - weeks, CarePeriod.started_on <= today - weeks)
    )


def _turning(age: int, after: date, today: date) -> Any:
    """Care leavers whose birthday of ``age`` fell after ``after`` up to ``today`` (29 February: near enough, the
    weekly full run puts the day's difference right)."""
    return (
        select(CareLeaver.person_id)
        .join(Person, Person.id == CareLeaver.person_id)
        .where(Person.date_of_birth > years_before(after, age), Person.date_of_birth <= years_before(today, age))
    )


def dated(after: date, today: date) -> list[Any]:
    def on(column: Any, *rest: Any) -> Any:
        return dated_rows(column, after, today, *rest)

    return [
        on(CareLeaver.adviser_named_on),
        on(CareLeaver.left_care_on),
        on(CarePeriod.started_on, CarePeriod.person_id),
        on(CarePeriod.ended_on, CarePeriod.person_id),
        _thirteen_weeks_reached(after, today),
        on(CareLeaver.ended_on),
        on(AdviserContact.contact_on),
        on(NeedsAssessment.completed_on),
        on(PathwayPlan.prepared_on),
        on(PathwayPlanReview.reviewed_on),
        *(_turning(age, after, today) for age in TURNING_AGES),
    ]


timescales.register_open_cases(timescales.OpenCases(open_care_leavers, open_among, "children_in_care.care_leavers"))
timescales.register(timescales.EventSource("children_in_care.care_leavers", read, dated))

"""Children in care's clock events, supplied to timescales: each period of care's start and end and its care plan;
each placement's start (the first, each move, each new carer) and its placement plan; the looked-after reviews; the
visits at which the child was seen; health assessments (with whether the child was under 5 that day); personal
education plans. The one place that knows this capability's columns for the deadlines.

Every child in care is open (``OpenCases``): their clocks are held whether or not a case is open in case work, since
a child can come into care directly (an unaccompanied asylum-seeking child, police protection out of hours) and a
child in care is owed every one of these duties. Without it a child who came into care directly had no deadlines
(the open children were case work's alone). The current period of care's start is the start of the child's episode
for the deadlines (``CaseEvents.episode_from``) unless case work's open episode began earlier: the met clocks of an
earlier period of care are not stored, as nothing of a closed episode is.

Registered with ``timescales.events`` on import (``children_in_care/__init__.py`` imports this module).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from safeguarding.casework.allocation import teams_held
from safeguarding.children_in_care.models import (
    CareEvent,
    CarePeriod,
    CareVisit,
    EducationPlan,
    HealthAssessment,
    LookedAfterReview,
)
from safeguarding.children_in_care.rules import CARER, LEAVE, PLACEMENT, START
from safeguarding.core.dates import age_on
from safeguarding.people.models import Person
from safeguarding.timescales import events as timescales
from safeguarding.timescales.events import Reading, Share, dated_rows
from safeguarding.timescales.rules import ClockEvent, EventKind

E = EventKind
LONG_TERM = frozenset({"long_term"})
UNDER_5 = frozenset({"under_5"})


def open_children_in_care(share: Share | None = None) -> Any:
    """Children in care now (of one share): a period of care not ended."""
    query = select(CarePeriod.person_id).where(CarePeriod.ended_on.is_(None))
    return query.where(share.holds(CarePeriod.person_id)) if share is not None else query


def open_among(ids: list[int]) -> list[Any]:
    return [select(CarePeriod.person_id).where(CarePeriod.person_id.in_(ids), CarePeriod.ended_on.is_(None))]


def read(reading: Reading) -> None:
    events, day = reading.out.events, reading.day
    episode_from = reading.out.episode_from

    def add(kind: EventKind, on: date | None, source: str, source_id: int, person_id: int, **extra: Any) -> None:
        if on is not None and on <= reading.today and reading.wanted(person_id):
            events[person_id].append(ClockEvent(kind, on, source, source_id, person_id, **extra))

    in_care: set[int] = set()
    for p_id, person_id, started_on, ended_on, care_plan_on in reading.fetch(
        select(
            CarePeriod.id, CarePeriod.person_id, CarePeriod.started_on, CarePeriod.ended_on, CarePeriod.care_plan_on
        ).where(reading.of_share(CarePeriod.person_id))
    ):
        started = day(started_on)
        if ended_on is None and started is not None and reading.wanted(person_id):
            episode_from[person_id] = min(episode_from.get(person_id, started), started)
            in_care.add(person_id)
        add(E.CARE_PLAN, day(care_plan_on), "care_period", p_id, person_id, stops_source_id=p_id)
    _team_of_unallocated(reading, in_care)
    for e_id, period_id, person_id, kind, on, long_term, plan_on in reading.fetch(
        select(
            CareEvent.id,
            CareEvent.period_id,
            CareEvent.person_id,
            CareEvent.kind,
            CareEvent.occurred_on,
            CareEvent.long_term,
            CareEvent.placement_plan_on,
        ).where(reading.of_share(CareEvent.person_id), CareEvent.kind.in_((START, PLACEMENT, CARER, LEAVE)))
    ):
        on = day(on)
        if kind == START:
            add(E.CARE_STARTED, on, "care_period", period_id, person_id)
        elif kind == LEAVE:
            add(E.CARE_ENDED, on, "care_period", period_id, person_id, stops_source_id=period_id)
            continue
        add(E.PLACEMENT_STARTED, on, "care_event", e_id, person_id, flags=LONG_TERM if long_term else frozenset())
        add(E.PLACEMENT_PLAN, day(plan_on), "care_event", e_id, person_id, stops_source_id=e_id)
    for r_id, person_id, held_on in reading.fetch(
        select(LookedAfterReview.id, LookedAfterReview.person_id, LookedAfterReview.held_on).where(
            reading.of_share(LookedAfterReview.person_id)
        )
    ):
        add(E.LAC_REVIEW, day(held_on), "looked_after_review", r_id, person_id)
    for v_id, person_id, visited_on in reading.fetch(
        select(CareVisit.id, CareVisit.person_id, CareVisit.visited_on).where(
            reading.of_share(CareVisit.person_id), CareVisit.child_seen.is_(True)
        )
    ):
        add(E.CLA_VISIT, day(visited_on), "care_visit", v_id, person_id)
    for h_id, person_id, assessed_on, born in reading.fetch(
        select(HealthAssessment.id, HealthAssessment.person_id, HealthAssessment.assessed_on, Person.date_of_birth)
        .join(Person, Person.id == HealthAssessment.person_id)
        .where(reading.of_share(HealthAssessment.person_id))
    ):
        on, born = day(assessed_on), day(born)
        under_5 = born is not None and on is not None and age_on(born, on) < 5
        add(
            E.HEALTH_ASSESSMENT,
            on,
            "care_health_assessment",
            h_id,
            person_id,
            flags=UNDER_5 if under_5 else frozenset(),
        )
    for pep_id, person_id, held_on in reading.fetch(
        select(EducationPlan.id, EducationPlan.person_id, EducationPlan.held_on).where(
            reading.of_share(EducationPlan.person_id)
        )
    ):
        add(E.PEP, day(held_on), "personal_education_plan", pep_id, person_id)


def _team_of_unallocated(reading: Reading, in_care: set[int]) -> None:
    """A child in care with no worker now (case work's open allocations are read first: ``casework`` is the first
    source by name) keeps their clocks under the team that last held their case, as a child's open case is held by
    a team; a child never allocated stays in the service's "Unallocated" group, as every unallocated clock does."""
    waiting = sorted(p for p in in_care if p not in reading.out.worker_of)
    for start in range(0, len(waiting), timescales.CHUNK):
        for person_id, team_id in reading.fetch(teams_held(waiting[start : start + timescales.CHUNK])):
            reading.out.team_of[person_id] = team_id


def dated(after: date, today: date) -> list[Any]:
    return [
        dated_rows(CarePeriod.care_plan_on, after, today),
        dated_rows(CareEvent.occurred_on, after, today),
        dated_rows(CareEvent.placement_plan_on, after, today),
        dated_rows(LookedAfterReview.held_on, after, today),
        dated_rows(CareVisit.visited_on, after, today),
        dated_rows(HealthAssessment.assessed_on, after, today),
        dated_rows(EducationPlan.held_on, after, today),
    ]


timescales.register_open_cases(timescales.OpenCases(open_children_in_care, open_among, "children_in_care"))
timescales.register(timescales.EventSource("children_in_care", read, dated))

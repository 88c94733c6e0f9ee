"""Case records written directly for the timescales tests (not through case work's services, which are built in
parallel): a child, a worker, a referral, and helpers to add each kind of case event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    CoreGroupMeeting,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Visit,
)
from safeguarding.people.models import Address, Person, PersonKind


def child(session: Session, first: str = "Synthetic", last: str = "Child") -> Person:
    person = Person(
        kind=PersonKind.CHILD,
        first_name=first,
        last_name=last,
        date_of_birth=date(2016, 5, 1),
        first_name_key=first.lower(),
        last_name_key=last.lower(),
        first_name_sound=first[:1],
        last_name_sound=last[:1],
    )
    session.add(person)
    session.flush()
    return person


def jordan_smiths(
    session: Session, worker_id: int, team_id: int | None, districts: list[str], referral_on: date
) -> list[Referral]:
    """Children all called Jordan Smith and born on 3 November 2012, each living in one of ``districts`` (postcode
    districts), their cases open with the worker since ``referral_on``: what only where they live tells apart."""
    referrals = []
    for n, district in enumerate(districts):
        jordan = child(session, "Jordan", "Smith")
        jordan.date_of_birth = date(2012, 11, 3)
        session.add(Address(person_id=jordan.id, line1=f"{n + 1} Any Road", postcode=f"{district} 2AB"))
        referrals.append(open_case(session, jordan.id, worker_id, team_id, referral_on))
    return referrals


def open_case(
    session: Session,
    person_id: int,
    worker_id: int,
    team_id: int | None,
    referral_on: date,
    route: str = "referral_for_assessment",
) -> Referral:
    referral = Referral(person_id=person_id, referral_date=referral_on, referral_source="5A", route=route)
    session.add(referral)
    session.add(
        Allocation(
            person_id=person_id,
            worker_id=worker_id,
            team_id=team_id,
            started_at=datetime.combine(referral_on, datetime.min.time(), UTC),
        )
    )
    session.flush()
    return referral


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def strategy(session: Session, referral: Referral, on: date, decision: str = "section_47") -> StrategyDiscussion:
    return add(
        session,
        StrategyDiscussion(person_id=referral.person_id, referral_id=referral.id, held_on=on, decision=decision),
    )


def s47(
    session: Session,
    referral: Referral,
    discussion: StrategyDiscussion,
    on: date,
    completed_on: date | None = None,
    outcome: str | None = None,
) -> Section47Enquiry:
    return add(
        session,
        Section47Enquiry(
            person_id=referral.person_id,
            referral_id=referral.id,
            strategy_discussion_id=discussion.id,
            started_on=on,
            completed_on=completed_on,
            outcome=outcome,
        ),
    )


def cp_plan(session: Session, referral: Referral, on: date) -> tuple[ChildProtectionConference, ChildProtectionPlan]:
    plan = add(
        session,
        ChildProtectionPlan(
            person_id=referral.person_id,
            referral_id=referral.id,
            started_on=on,
            initial_category="NEG",
            latest_category="NEG",
        ),
    )
    icpc = add(
        session,
        ChildProtectionConference(
            person_id=referral.person_id,
            referral_id=referral.id,
            kind="initial",
            plan_id=plan.id,
            held_on=on,
            outcome="plan",
        ),
    )
    return icpc, plan


def carried_cp_plan(
    session: Session, referral: Referral, on: date, ended_on: date | None = None
) -> ChildProtectionPlan:
    """A child protection plan with no initial conference recorded (carried over on a transfer-in)."""
    return add(
        session,
        ChildProtectionPlan(
            person_id=referral.person_id,
            referral_id=referral.id,
            started_on=on,
            ended_on=ended_on,
            initial_category="NEG",
            latest_category="NEG",
        ),
    )


def conference(
    session: Session, referral: Referral, on: date, kind: str = "initial", plan_id: int | None = None
) -> ChildProtectionConference:
    return add(
        session,
        ChildProtectionConference(
            person_id=referral.person_id,
            referral_id=referral.id,
            kind=kind,
            plan_id=plan_id,
            held_on=on,
            outcome="plan",
        ),
    )


def core_group(session: Session, plan: ChildProtectionPlan, on: date) -> CoreGroupMeeting:
    return add(session, CoreGroupMeeting(plan_id=plan.id, person_id=plan.person_id, held_on=on))


def visit(session: Session, referral: Referral, on: date, kind: str = "cp", seen: bool = True) -> Visit:
    return add(
        session, Visit(person_id=referral.person_id, referral_id=referral.id, kind=kind, visited_on=on, child_seen=seen)
    )


def assessment(
    session: Session, referral: Referral, started: date, authorised: date | None = None, late_reason: str | None = None
) -> Assessment:
    return add(
        session,
        Assessment(
            person_id=referral.person_id,
            referral_id=referral.id,
            started_on=started,
            authorised_on=authorised,
            late_reason=late_reason,
        ),
    )


def cin_plan(session: Session, referral: Referral, on: date) -> ChildInNeedPlan:
    return add(session, ChildInNeedPlan(person_id=referral.person_id, referral_id=referral.id, started_on=on))


def cin_review(session: Session, plan: ChildInNeedPlan, on: date) -> ChildInNeedReview:
    return add(session, ChildInNeedReview(plan_id=plan.id, person_id=plan.person_id, held_on=on))


def note(session: Session, person_id: int, on: date) -> CaseNote:
    return add(
        session,
        CaseNote(
            person_id=person_id,
            kind="case_note",
            text="Synthetic note",
            occurred_at=datetime.combine(on, datetime.min.time(), UTC),
        ),
    )

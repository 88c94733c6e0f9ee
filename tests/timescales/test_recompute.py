"""Deadlines derived from case events and stored: recomputed when events change, in the same transaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core.users import Role
from safeguarding.timescales import service
from safeguarding.timescales.models import Deadline
from tests.support import Factory
from tests.timescales import records

TODAY = date(2026, 1, 20)


def deadlines(session: Session, person_id: int, rule_id: str | None = None) -> list[Deadline]:
    query = select(Deadline).where(Deadline.person_id == person_id).order_by(Deadline.started_on, Deadline.id)
    if rule_id:
        query = query.where(Deadline.rule_id == rule_id)
    return list(session.scalars(query))


def test_a_referral_starts_the_assessment_clock(factory: Factory, session: Session) -> None:
    team = factory.team(service="assessment")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    child = records.child(session)
    referral = records.open_case(session, child.id, worker.id, team.id, date(2025, 12, 1))
    service.recompute_for_child(session, child.id, today=TODAY)
    [assessment] = deadlines(session, child.id, "assessment")
    # Referral Monday 1 Dec 2025 + 45 working days, skipping 25, 26 Dec and 1 Jan: Thursday 5 Feb 2026
    # (timescales.md section 2's own example).
    assert assessment.due_on == date(2026, 2, 5)
    assert (assessment.source_kind, assessment.source_id) == ("referral", referral.id)
    assert assessment.worker_id == worker.id and assessment.team_id == team.id
    assert assessment.status == "due"


def test_editing_a_past_event_moves_the_dependent_deadlines_in_the_same_transaction(
        factory: Factory, session: Session) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    child = records.child(session)
    referral = records.open_case(session, child.id, worker.id, None, date(2025, 12, 1),
                                 route="strategy_discussion")
    discussion = records.strategy(session, referral, date(2025, 12, 2))
    service.recompute_for_child(session, child.id, today=TODAY)
    [icpc] = deadlines(session, child.id, "icpc")
    # 2 Dec 2025 + 15 working days: 3-5, 8-12, 15-19 Dec is 13, then 22, 23 Dec: Tuesday 23 Dec 2025.
    assert icpc.due_on == date(2025, 12, 23)
    discussion.held_on = date(2025, 12, 10)
    service.recompute_for_child(session, child.id, today=TODAY)
    [icpc] = deadlines(session, child.id, "icpc")
    # 10 Dec + 15 wd: 11, 12, 15-19, 22, 23, 24 (10), [25, 26 bank holidays], 29, 30, 31 (13), [1 Jan], 2, 5 Jan.
    assert icpc.due_on == date(2026, 1, 5)
    assert icpc.status == "overdue"


def test_a_closed_case_keeps_no_deadlines(factory: Factory, session: Session) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    child = records.child(session)
    referral = records.open_case(session, child.id, worker.id, None, date(2025, 12, 1))
    service.recompute_for_child(session, child.id, today=TODAY)
    assert deadlines(session, child.id)
    referral.closed_date = date(2025, 12, 5)
    for allocation in session.scalars(select(records.Allocation).where(records.Allocation.person_id == child.id)):
        allocation.ended_at = allocation.started_at
    service.recompute_for_child(session, child.id, today=TODAY)
    assert deadlines(session, child.id) == []

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
    # (docs/timescales.md's own example).
    assert assessment.due_on == date(2026, 2, 5)
    assert (assessment.source_kind, assessment.source_id) == ("referral", referral.id)
    assert assessment.worker_id == worker.id and assessment.team_id == team.id
    assert assessment.status == "due"


def test_editing_a_past_event_moves_the_dependent_deadlines_in_the_same_transaction(
    factory: Factory, session: Session
) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    child = records.child(session)
    referral = records.open_case(session, child.id, worker.id, None, date(2025, 12, 1), route="strategy_discussion")
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


def test_a_closed_episode_leaves_nothing_and_the_open_episode_keeps_its_met_history(
    factory: Factory, session: Session
) -> None:
    """What the table holds (timescales/models.py): open clocks, and clocks met in the current episode, late or
    not; nothing of the child's closed episode."""
    worker = factory.user(Role.SOCIAL_WORKER)
    child = records.child(session)
    first = records.open_case(session, child.id, worker.id, None, date(2025, 3, 3))
    records.assessment(session, first, date(2025, 3, 4), authorised=date(2025, 4, 1))
    records.visit(session, first, date(2025, 3, 10), kind="assessment")
    first.closed_date = date(2025, 5, 1)
    second = records.Referral(
        person_id=child.id, referral_date=date(2025, 11, 3), referral_source="5A", route="referral_for_assessment"
    )
    session.add(second)
    session.flush()
    records.cp_plan(session, second, date(2025, 11, 3))
    # Ten working days from Monday 3 November is Monday 17 November: a visit on the 25th meets it late.
    records.visit(session, second, date(2025, 11, 25))
    service.recompute_for_child(session, child.id, today=TODAY)

    rows = deadlines(session, child.id)
    assert not [d for d in rows if d.source_kind == "referral" and d.source_id == first.id], (
        "the closed episode's assessment is not held"
    )
    assert all(d.met_on is None or d.met_on >= second.referral_date for d in rows)
    [assessment] = deadlines(session, child.id, "assessment")
    assert assessment.source_id == second.id and assessment.met_on is None
    late, current = deadlines(session, child.id, "cp-visit")
    assert (late.due_on, late.met_on, late.status) == (date(2025, 11, 17), date(2025, 11, 25), "met_late")
    # The clock the late visit restarted: 25 Nov + 10 working days = 9 Dec, overdue on 20 Jan.
    assert (current.started_on, current.due_on, current.met_on, current.status) == (
        date(2025, 11, 25),
        date(2025, 12, 9),
        None,
        "overdue",
    )


def test_recompute_all_holds_the_same_rows_as_each_child_recomputed_alone(factory: Factory, session: Session) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    children = []
    for n, referred in enumerate((date(2025, 9, 1), date(2025, 11, 3), date(2026, 1, 5))):
        child = records.child(session, f"Synthetic{n}")
        referral = records.open_case(
            session,
            child.id,
            worker.id,
            None,
            referred,
            route="strategy_discussion" if n == 1 else "referral_for_assessment",
        )
        records.visit(session, referral, referred, kind="assessment")
        if n == 0:
            cin = records.cin_plan(session, referral, date(2025, 10, 1))
            records.cin_review(session, cin, date(2025, 12, 22))
            for visited in (date(2025, 10, 20), date(2025, 11, 28), date(2025, 12, 19)):
                records.visit(session, referral, visited, kind="cin")
        if n == 1:
            discussion = records.strategy(session, referral, date(2025, 11, 4))
            records.s47(session, referral, discussion, date(2025, 11, 4), date(2025, 11, 14), "icpc")
        records.note(session, child.id, referred)
        children.append(child.id)

    def snapshot() -> list[tuple[object, ...]]:
        return sorted(
            (
                d.person_id,
                d.rule_id,
                d.source_kind,
                d.source_id,
                d.started_on,
                d.due_on,
                d.met_on,
                d.met_source_id,
                d.status,
                d.forecast,
            )
            for d in session.scalars(select(Deadline))
        )

    for child_id in children:
        service.recompute_for_child(session, child_id, today=TODAY)
    one_by_one = snapshot()
    result = service.recompute_all(session, today=TODAY)
    assert result.children == len(children) and result.deadlines == len(one_by_one)
    assert snapshot() == one_by_one
    assert {"cin-visit", "cin-review", "icpc", "assessment", "stalled-case"} <= {row[1] for row in one_by_one}


def test_a_plan_made_by_a_conference_is_read_as_that_conferences(factory: Factory, session: Session) -> None:
    from safeguarding.casework.models import ChildProtectionPlan
    from safeguarding.timescales.events import clock_events
    from safeguarding.timescales.rules import EventKind

    worker = factory.user(Role.SOCIAL_WORKER)
    child = records.child(session)
    referral = records.open_case(session, child.id, worker.id, None, date(2026, 1, 5))
    _icpc, plan = records.cp_plan(session, referral, date(2026, 2, 10))
    carried_over = records.add(
        session,
        ChildProtectionPlan(
            person_id=child.id,
            referral_id=referral.id,
            started_on=date(2026, 6, 1),
            initial_category="NEG",
            latest_category="NEG",
        ),
    )  # a plan carried over on a transfer-in: no conference made it
    events = clock_events(session.connection(), [child.id], date(2026, 7, 1)).events[child.id]
    starts = {e.source_id: e.flags for e in events if e.kind is EventKind.CP_PLAN_STARTED}
    assert starts == {plan.id: frozenset({"conference"}), carried_over.id: frozenset()}

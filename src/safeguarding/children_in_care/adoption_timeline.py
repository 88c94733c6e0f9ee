"""The adoption timeline of a period of care, read from the record, and what it refuses in a change of the care
record: the one place both paths ask, the care record's own forms (a change of legal status or placement, leaving
care, a correction of a placement: ``service``) and the permanence page (``permanence_service``), so the two cannot
disagree. The rules themselves are pure, with their sources, in ``permanence``:

- a placement order (legal status E1) only under a decision in force, dated on or after it (DfE rules 553, 554);
- a placement for adoption (A3-A6) only under a decision in force, once matched, with the foster carers only when
  the match says they adopt, under a placement order only with one (rules 551, 331, 335, 336);
- leaving care adopted (E11, E12) only once placed for adoption under a decision in force (rule 558); any other way
  only once the decision has ended (rule 557); special guardianship to former foster carers from foster care (516).

No access check or audit: for services that have asked the policy about this child.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.children_in_care import permanence
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care.models import CareEvent
from safeguarding.children_in_care.permanence_models import AdoptionDecision


def placement_order_on(events: Sequence[CareEvent]) -> date | None:
    """The first day the child's legal status was a placement order (E1) in the period."""
    return next(
        (
            e.occurred_on
            for e in events
            if e.kind in (care_rules.START, care_rules.LEGAL_STATUS) and e.legal_status == permanence.PLACEMENT_ORDER
        ),
        None,
    )


def steps_of(
    decisions: Sequence[AdoptionDecision], events: Sequence[CareEvent]
) -> list[tuple[AdoptionDecision, permanence.AdoptionSteps]]:
    """Each decision of one period with the steps that followed it, read from the care events: placed (the first
    A3-A6 placement after it, before the next decision), adopted (the period ended E11/E12 while it was in force)."""
    placements = [
        (e.occurred_on, e.placement_type) for e in events if e.kind in (care_rules.START, care_rules.PLACEMENT)
    ]
    leaving = next((e for e in events if e.kind == care_rules.LEAVE), None)
    out = []
    ordered = sorted(decisions, key=lambda d: (d.decided_on, d.id))
    for index, d in enumerate(ordered):
        following = ordered[index + 1].decided_on if index + 1 < len(ordered) else None
        adopted = (
            leaving.occurred_on
            if leaving is not None
            and leaving.reason_ended in permanence.ADOPTED
            and d.ceased_on is None
            and following is None
            else None
        )
        out.append(
            (
                d,
                permanence.AdoptionSteps(
                    decided_on=d.decided_on,
                    matched_on=d.matched_on,
                    placed_on=permanence.placed_for_adoption_on(placements, d.decided_on, following),
                    ceased_on=d.ceased_on,
                    reason_ceased=d.reason_ceased,
                    adopted_on=adopted,
                ),
            )
        )
    return out


def decisions_of(
    session: Session, period_id: int, events: Sequence[CareEvent]
) -> list[tuple[AdoptionDecision, permanence.AdoptionSteps]]:
    """The decisions of one period of care with their steps (``events``: the period's, in date order)."""
    rows = list(session.scalars(select(AdoptionDecision).where(AdoptionDecision.period_id == period_id)))
    return steps_of(rows, events)


def change_problems(
    session: Session,
    period_id: int,
    events: Sequence[CareEvent],
    change: care_rules.CareChange,
    now: care_rules.CareNow | None,
) -> dict[str, str]:
    """What the adoption timeline refuses in ``change`` to the period of care, by the care record's field names
    (``on``, ``legal_status``, ``placement_type``, ``reason_ended``); empty when nothing. ``events``: the period's
    other events (without the one a correction replaces); ``now``: the child's legal status and placement just
    before the change."""
    kind = change.kind
    needs_timeline = (
        (kind == care_rules.LEGAL_STATUS and change.legal_status == permanence.PLACEMENT_ORDER)
        or (kind == care_rules.PLACEMENT and change.placement_type in permanence.ADOPTION_PLACEMENTS)
        or kind == care_rules.LEAVE
    )
    if not needs_timeline:
        return {}
    found = decisions_of(session, period_id, events)
    row, steps = found[-1] if found else (None, None)
    if kind == care_rules.LEGAL_STATUS:
        problem = permanence.placement_order_problem(change.on, steps)
        return {"legal_status": problem} if problem else {}
    if kind == care_rules.PLACEMENT:
        assert change.placement_type is not None
        return permanence.adoption_placement_problem(
            change.on,
            change.placement_type,
            steps,
            foster_carers_adopting=row.foster_carers_adopting if row is not None else None,
            legal_status=now.legal_status if now else None,
            current_placement=now.placement_type if now else None,
        )
    start = next((e.occurred_on for e in events if e.kind == care_rules.START), change.on)
    problems = permanence.leaving_problem(
        change.on,
        change.reason_ended or "",
        in_care_since=start,
        current_placement=now.placement_type if now else None,
        steps=steps,
    )
    return {("reason_ended" if name == "reason" else name): message for name, message in problems.items()}


def entry_problems(legal_status: str, placement_type: str) -> dict[str, str]:
    """Coming into care: no decision can be in force yet, so neither a placement order nor a placement for adoption
    (rules 551, 553): they are recorded as changes once the decision is."""
    problems: dict[str, str] = {}
    if legal_status == permanence.PLACEMENT_ORDER:
        problems["legal_status"] = (
            "A placement order follows a decision, made while the child is in care, that they should be placed for "
            "adoption: record the legal status they came into care with, then the decision and the order"
        )
    if placement_type in permanence.ADOPTION_PLACEMENTS:
        problems["placement_type"] = (
            "A child is placed for adoption once the decision is made and they are matched, from their permanence "
            "page: record the placement they came into care to"
        )
    return problems

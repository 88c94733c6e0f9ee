"""Annex A lists 10 (adoption) and 11 (prospective adopters), from the permanence record.

List 10 has a row for each decision that a child should be placed for adoption in force at any time in the period
(made by its last day; not ended, nor the child adopted, before its first). Its dates are read where the record
holds them: the placement order is the first change of legal status to E1 in the period of care, the placement for
adoption the first A3-A6 placement after the decision, the adoption order the day the child left care E11 or E12,
and the fostering-for-adoption placement the first U2 or U5 placement of the period.

List 11 has a row for each prospective adopter of a family in the process at any time in the period; the dates of
matching, placement and adoption are those of the children matched with the family (the earliest match and
placement, the latest adoption order), and the number of children placed counts those placed for adoption with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.children_in_care import permanence
from safeguarding.children_in_care.adoption_timeline import steps_of
from safeguarding.children_in_care.models import CareEvent, CarePeriod
from safeguarding.children_in_care.permanence_models import Adopter, AdoptionDecision, AdoptiveFamily
from safeguarding.insight.period import Period
from safeguarding.returns.annex_a.spec import ADOPTER_GENDER, ETHNICITY, REASON_LEFT_PROCESS, yes_no


class ChildColumns(Protocol):
    """The columns every child list leads with (``lists.Children``)."""

    def leading(self, person_id: int) -> list[Any]: ...

    def disability(self, person_id: int) -> list[Any]: ...


def _journeys(session: Session, decisions: list[AdoptionDecision]) -> dict[int, tuple[permanence.AdoptionSteps, Any]]:
    """Each decision's steps and its period's facts (start, placement order, fostering-for-adoption placement)."""
    by_period: dict[int, list[AdoptionDecision]] = defaultdict(list)
    for d in decisions:
        by_period[d.period_id].append(d)
    out: dict[int, tuple[permanence.AdoptionSteps, Any]] = {}
    period_ids = sorted(by_period)
    events: dict[int, list[CareEvent]] = defaultdict(list)
    starts: dict[int, date] = {}
    for i in range(0, len(period_ids), 500):
        chunk = period_ids[i : i + 500]
        for e in session.scalars(
            select(CareEvent).where(CareEvent.period_id.in_(chunk)).order_by(CareEvent.occurred_on, CareEvent.id)
        ):
            events[e.period_id].append(e)
        for pid, started in session.execute(
            select(CarePeriod.id, CarePeriod.started_on).where(CarePeriod.id.in_(chunk))
        ):
            starts[pid] = started
    for period_id, rows in by_period.items():
        period_events = events[period_id]
        order_on = next(
            (e.occurred_on for e in period_events if e.legal_status == permanence.PLACEMENT_ORDER),
            None,
        )
        ffa = next(
            (e.occurred_on for e in period_events if e.placement_type in permanence.FOSTERING_FOR_ADOPTION),
            None,
        )
        for row, steps in steps_of(rows, period_events):
            out[row.id] = (steps, (starts.get(period_id), order_on, ffa))
    return out


def list_10_adoption(
    session: Session, period: Period, children_of: Callable[[Iterable[int]], ChildColumns]
) -> list[list[Any]]:
    decisions = list(
        session.scalars(
            select(AdoptionDecision)
            .where(
                AdoptionDecision.decided_on <= period.end,
                or_(AdoptionDecision.ceased_on.is_(None), AdoptionDecision.ceased_on >= period.start),
            )
            .order_by(AdoptionDecision.decided_on, AdoptionDecision.id)
        )
    )
    # Every decision of those periods, so that each one's steps are read beside the decisions after it.
    periods = {d.period_id for d in decisions}
    every = list(session.scalars(select(AdoptionDecision).where(AdoptionDecision.period_id.in_(periods))))
    journeys = _journeys(session, every)
    families = {f.id: f.reference for f in session.scalars(select(AdoptiveFamily))}

    def adopted_before(d: AdoptionDecision) -> bool:
        adopted = journeys[d.id][0].adopted_on
        return adopted is not None and adopted < period.start

    kept = [d for d in decisions if not adopted_before(d)]
    children = children_of(d.person_id for d in kept)
    rows = []
    for d in kept:
        steps, (entered, order_on, ffa) = journeys[d.id]
        ceased = steps.ceased_on if steps.ceased_on and steps.ceased_on <= period.end else None
        rows.append(
            [
                *children.leading(d.person_id),
                *children.disability(d.person_id),
                families.get(d.family_id, "") if d.family_id else "",
                entered,
                d.decided_on,
                order_on if order_on and order_on <= period.end else None,
                d.matched_on if d.matched_on and d.matched_on <= period.end else None,
                steps.placed_on if steps.placed_on and steps.placed_on <= period.end else None,
                steps.adopted_on if steps.adopted_on and steps.adopted_on <= period.end else None,
                ceased,
                steps.reason_ceased if ceased else "",
                ffa if ffa and ffa <= period.end else None,
            ]
        )
    return rows


def list_11_adopters(session: Session, period: Period) -> list[list[Any]]:
    families = list(
        session.scalars(
            select(AdoptiveFamily)
            .where(
                AdoptiveFamily.enquiry_on <= period.end,
                or_(AdoptiveFamily.left_on.is_(None), AdoptiveFamily.left_on >= period.start),
            )
            .order_by(AdoptiveFamily.reference)
        )
    )
    ids = [f.id for f in families]
    adopters: dict[int, list[Adopter]] = defaultdict(list)
    for a in session.scalars(select(Adopter).where(Adopter.family_id.in_(ids)).order_by(Adopter.id)):
        adopters[a.family_id].append(a)
    matched = list(session.scalars(select(AdoptionDecision).where(AdoptionDecision.family_id.in_(ids))))
    periods = {d.period_id for d in matched}
    journeys = _journeys(
        session, list(session.scalars(select(AdoptionDecision).where(AdoptionDecision.period_id.in_(periods))))
    )
    by_family: dict[int, list[permanence.AdoptionSteps]] = defaultdict(list)
    for d in matched:
        by_family[d.family_id or 0].append(journeys[d.id][0])

    def within(days: Iterable[date | None]) -> list[date]:
        return [d for d in days if d is not None and d <= period.end]

    rows = []
    for f in families:
        steps = by_family[f.id]
        match = within(s.matched_on for s in steps)
        placed = within(s.placed_on for s in steps)
        adopted = within(s.adopted_on for s in steps)
        for n, a in enumerate(adopters[f.id], start=1):
            rows.append(
                [
                    f"{f.reference}-{n}",
                    f.reference,
                    ADOPTER_GENDER.get(a.gender, ""),
                    ETHNICITY.get(a.ethnicity or "", ""),
                    yes_no(a.disabled),
                    yes_no(f.fostering_for_adoption),
                    f.enquiry_on,
                    f.stage_one_started_on,
                    f.stage_one_ended_on,
                    f.stage_two_started_on,
                    f.stage_two_ended_on,
                    f.applied_on,
                    f.approved_on,
                    min(match) if match else None,
                    min(placed) if placed else None,
                    len(placed),
                    max(adopted) if adopted else None,
                    f.left_on,
                    REASON_LEFT_PROCESS.get(f.reason_left or "", ""),
                ]
            )
    return rows

"""The child's episode of need: its latest referral, the facts the order rules check (``rules.Episode``) and the
choices that depend on it (its discussions, conferences and plans).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework import rules
from safeguarding.casework.models import (
    Assessment,
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
from safeguarding.core.dates import long_date
from safeguarding.core.errors import ValidationFailed

# --- the episode ------------------------------------------------------------------------------------------------------


def latest_referral(session: Session, person_id: int) -> Referral | None:
    return session.scalar(
        select(Referral)
        .where(Referral.person_id == person_id)
        .order_by(Referral.referral_date.desc(), Referral.id.desc())
        .limit(1)
    )


def open_protection_plans(session: Session, person_id: int) -> list[ChildProtectionPlan]:
    """The child's child protection plans not ended, earliest first (children in care ask for them when the child
    comes into care: a review conference, not the entry to care, ends a plan)."""
    return list(
        session.scalars(
            select(ChildProtectionPlan)
            .where(ChildProtectionPlan.person_id == person_id, ChildProtectionPlan.ended_on.is_(None))
            .order_by(ChildProtectionPlan.started_on, ChildProtectionPlan.id)
        )
    )


def open_referral(session: Session, person_id: int) -> Referral:
    referral = latest_referral(session, person_id)
    if referral is None or referral.closed_date is not None:
        raise ValidationFailed(
            {
                "referral": "This child has no open episode of need: a referral through the front "
                f"door opens one ({rules.message('episode-closed')})"
            }
        )
    return referral


def _rows(session: Session, model: Any, referral_id: int, order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.referral_id == referral_id).order_by(order, model.id)))


def episode_facts(session: Session, referral: Referral) -> rules.Episode:
    rid = referral.id
    cp_plans = _rows(session, ChildProtectionPlan, rid, ChildProtectionPlan.started_on)
    cin_plans = _rows(session, ChildInNeedPlan, rid, ChildInNeedPlan.started_on)
    other: list[date] = list(session.scalars(select(Visit.visited_on).where(Visit.referral_id == rid)))
    if cp_plans:
        other += session.scalars(
            select(CoreGroupMeeting.held_on).where(CoreGroupMeeting.plan_id.in_([p.id for p in cp_plans]))
        )
    if cin_plans:
        other += session.scalars(
            select(ChildInNeedReview.held_on).where(ChildInNeedReview.plan_id.in_([p.id for p in cin_plans]))
        )
    return episode_from_rows(
        referral,
        _rows(session, Assessment, rid, Assessment.started_on),
        _rows(session, StrategyDiscussion, rid, StrategyDiscussion.held_on),
        _rows(session, Section47Enquiry, rid, Section47Enquiry.started_on),
        _rows(session, ChildProtectionConference, rid, ChildProtectionConference.held_on),
        cp_plans,
        cin_plans,
        other,
    )


def episode_from_rows(
    referral: Referral,
    assessments: list[Assessment],
    discussions: list[StrategyDiscussion],
    enquiries: list[Section47Enquiry],
    conferences: list[ChildProtectionConference],
    cp_plans: list[ChildProtectionPlan],
    cin_plans: list[ChildInNeedPlan],
    other: list[date],
) -> rules.Episode:
    """The episode's facts from its rows, each list in date order (``_rows``'s)."""
    other = other + [c.held_on for c in conferences if c.kind == "review"]
    return rules.Episode(
        referral_date=referral.referral_date,
        closed_date=referral.closed_date,
        assessments=tuple(rules.Span(a.id, a.started_on, a.authorised_on, a.outcome) for a in assessments),
        strategy_discussions=tuple(rules.Span(d.id, d.held_on, None, d.decision) for d in discussions),
        section47s=tuple(rules.Span(s.id, s.started_on, s.completed_on, s.outcome) for s in enquiries),
        initial_conferences=tuple(
            rules.Span(c.id, c.held_on, None, c.outcome) for c in conferences if c.kind == "initial"
        ),
        cp_plans=tuple(rules.Span(p.id, p.started_on, p.ended_on) for p in cp_plans),
        cin_plans=tuple(rules.Span(p.id, p.started_on, p.ended_on) for p in cin_plans),
        other_dates=tuple(other),
    )


def dynamic_options(session: Session, referral: Referral | None) -> dict[str, dict[str, str]]:
    """The choices that depend on the child's episode: its discussions, conferences and plans."""
    if referral is None:
        return {"strategy_discussions": {}, "cp_plans": {}, "cin_plans": {}, "initial_conferences": {}}
    rid = referral.id
    return {
        "strategy_discussions": {
            str(d.id): f"{long_date(d.held_on)}: {rules.STRATEGY_DECISIONS.get(d.decision, d.decision)}"
            for d in _rows(session, StrategyDiscussion, rid, StrategyDiscussion.held_on)
        },
        "cp_plans": {
            str(p.id): f"Plan from {long_date(p.started_on)}"
            + (f" to {long_date(p.ended_on)}" if p.ended_on else " (open)")
            for p in _rows(session, ChildProtectionPlan, rid, ChildProtectionPlan.started_on)
        },
        "cin_plans": {
            str(p.id): f"Plan from {long_date(p.started_on)}"
            + (f" to {long_date(p.ended_on)}" if p.ended_on else " (open)")
            for p in _rows(session, ChildInNeedPlan, rid, ChildInNeedPlan.started_on)
        },
        "initial_conferences": {
            str(c.id): f"Initial conference {long_date(c.held_on)}"
            for c in _rows(session, ChildProtectionConference, rid, ChildProtectionConference.held_on)
            if c.kind == "initial" and c.outcome == "plan"
        },
    }

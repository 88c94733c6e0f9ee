"""Is a child's case open, and recording a referral (one episode of need): what the front door asks of case
work when it decides a contact. A re-referral is one within 12 months of the last (DfE).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Allocation, Referral
from safeguarding.core.db import utcnow
from safeguarding.timescales.service import recompute_for_child

# DfE: a re-referral is a referral within 12 months of a previous referral ("Children in need" statistics).
RE_REFERRAL_WINDOW_MONTHS = 12


def open_allocation(session: Session, person_id: int) -> Allocation | None:
    """The child's current allocation, if their case is open."""
    return open_allocations(session, [person_id]).get(person_id)


def open_allocations(session: Session, person_ids: Iterable[int]) -> dict[int, Allocation]:
    """Each child's current allocation (the latest begun, should there be two), for any number of children in one
    query: the MASH contact page asks for every child on the contact."""
    ids = set(person_ids)
    if not ids:
        return {}
    current: dict[int, Allocation] = {}
    for allocation in session.scalars(
        select(Allocation)
        .where(Allocation.person_id.in_(ids), Allocation.ended_at.is_(None))
        .order_by(Allocation.started_at.desc(), Allocation.id.desc())
    ):
        current.setdefault(allocation.person_id, allocation)
    return current


def recently_closed_allocation(
    session: Session, person_id: int, within_days: int, now: datetime | None = None
) -> Allocation | None:
    """An allocation that ended within ``within_days`` (a local setting; 0 turns this routing off)."""
    if within_days <= 0:
        return None
    since = (now or utcnow()) - timedelta(days=within_days)
    return session.scalar(
        select(Allocation)
        .where(Allocation.person_id == person_id, Allocation.ended_at.is_not(None), Allocation.ended_at >= since)
        .order_by(Allocation.ended_at.desc())
        .limit(1)
    )


def twelve_months_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def previous_referral_within_window(session: Session, person_id: int, referral_date: date) -> Referral | None:
    """The latest earlier referral of this child within 12 months before ``referral_date``."""
    return session.scalar(
        select(Referral)
        .where(
            Referral.person_id == person_id,
            Referral.referral_date >= twelve_months_before(referral_date),
            Referral.referral_date <= referral_date,
        )
        .order_by(Referral.referral_date.desc(), Referral.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ReferralInput:
    person_id: int
    referral_date: date
    referral_source: str
    route: str
    contact_id: int | None = None
    decision_id: int | None = None
    primary_need: str | None = None


def record_referral(session: Session, data: ReferralInput) -> Referral:
    """Record a referral (one episode of need), flagging a re-referral within 12 months of the last."""
    previous = previous_referral_within_window(session, data.person_id, data.referral_date)
    referral = Referral(
        person_id=data.person_id,
        contact_id=data.contact_id,
        decision_id=data.decision_id,
        referral_date=data.referral_date,
        referral_source=data.referral_source,
        primary_need=data.primary_need,
        route=data.route,
        is_re_referral=previous is not None,
        previous_referral_id=previous.id if previous else None,
    )
    session.add(referral)
    session.flush()
    # The referral starts the assessment clock (and ends any earlier episode's): the child's deadlines follow now.
    recompute_for_child(session, data.person_id)
    return referral


def referrals_of(session: Session, person_ids: list[int]) -> list[Referral]:
    if not person_ids:
        return []
    return list(
        session.scalars(
            select(Referral).where(Referral.person_id.in_(person_ids)).order_by(Referral.referral_date.desc())
        )
    )

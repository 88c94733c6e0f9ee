"""Use-cases of children in care, one transaction each (the request's or the command's): every read and change asks
``core.access`` (through case work's allocation scope) and is audited; services never commit.

Public for other parts of the capability (care leavers) and for the returns: ``periods_of_care``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.children_in_care.models import CarePeriod


@dataclass(frozen=True)
class PeriodOfCare:
    """One period of care of a child: the day they started to be looked after, the day they left (None while in
    care) and the SSDA903 reason it ended (REC)."""

    id: int
    started_on: date
    ended_on: date | None
    reason_ended: str | None
    unaccompanied_asylum_seeking: bool

    def looked_after_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


def periods_of_care(session: Session, person_id: int) -> list[PeriodOfCare]:
    """Every period of care of the child, earliest first. No access check or audit: a helper for services that
    have already asked the policy about this child (care leavers' eligibility, the returns)."""
    rows = session.execute(
        select(
            CarePeriod.id,
            CarePeriod.started_on,
            CarePeriod.ended_on,
            CarePeriod.reason_ended,
            CarePeriod.unaccompanied_asylum_seeking,
        )
        .where(CarePeriod.person_id == person_id)
        .order_by(CarePeriod.started_on, CarePeriod.id)
    )
    return [PeriodOfCare(*row) for row in rows]

"""Deprivation of liberty orders of a child in care: the court's authorisation to deprive a child of their liberty
(under the High Court's inherent jurisdiction) where no secure children's home order applies. The SSDA903 return
reports them from 2026-27 in its DoLo table (DOLO_START, DOLO_END; the DfE's rules 700-710).

An order is recorded on the period of care it began in, its end blank while it lasts. The record refuses what the
return's rules would refuse: an end before the start (702), an order before the child's birth (708), one
starting while another is open or overlapping it (705), one outside the period of care, or still open when the
period has ended (707). Nothing is answered by default; editing an order is refused to the second of two editors,
who keeps what they typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.children_in_care.models import CarePeriod, DeprivationOfLiberty
from safeguarding.children_in_care.service import _audit, _day, _fail, current_period, form_person
from safeguarding.core import record_versions
from safeguarding.core.access import Action
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound
from safeguarding.core.form_fields import record_id
from safeguarding.core.record_versions import SavedField
from safeguarding.core.users import User
from safeguarding.people.models import Person


@dataclass(frozen=True)
class OrderInput:
    """The form read: the day the order was made (or took effect) and the day it ended, blank while it lasts."""

    started_on: date | None
    ended_on: date | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> OrderInput:
        problems: dict[str, str] = {}
        started = _day(form, "started_on", "the date the order started", problems)
        ended = _day(form, "ended_on", "the date the order ended", problems, required=False)
        return cls(started, ended, problems)


def check(
    data: OrderInput,
    period: CarePeriod,
    born: date | None,
    others: Sequence[DeprivationOfLiberty],
) -> dict[str, str]:
    """What the record refuses beyond the form (the DfE's rules 702, 705, 707 and 708), in the form's field order."""
    problems = dict(data.problems)
    start, end = data.started_on, data.ended_on
    if start is not None and "started_on" not in problems:
        if born is not None and start <= born:
            problems["started_on"] = "The date the order started must be after the child's date of birth"
        elif start < period.started_on:
            problems["started_on"] = (
                f"The date the order started must be on or after the day the child came into care, "
                f"{long_date(period.started_on)}"
            )
        elif period.ended_on is not None and start > period.ended_on:
            problems["started_on"] = (
                "The date the order started must be on or before the day the child left care, "
                f"{long_date(period.ended_on)}"
            )
        else:
            for other in others:
                other_end = other.ended_on
                if other_end is None and other.started_on <= start:
                    problems["started_on"] = (
                        f"Another order, from {long_date(other.started_on)}, is still open: record its end first"
                    )
                    break
                if other.started_on <= start < (other_end or date.max) or (
                    start < other.started_on and (end is None or end > other.started_on)
                ):
                    problems["started_on"] = (
                        f"The order must not overlap another: one ran from {long_date(other.started_on)}"
                        + (f" to {long_date(other_end)}" if other_end else "")
                    )
                    break
    if "ended_on" not in problems:
        if end is not None and start is not None and end < start:
            problems["ended_on"] = "The date the order ended must be the same as or after the date it started"
        elif end is not None and period.ended_on is not None and end > period.ended_on:
            problems["ended_on"] = (
                "The date the order ended must be on or before the day the child left care, "
                f"{long_date(period.ended_on)}"
            )
        elif end is None and period.ended_on is not None:
            problems["ended_on"] = (
                f"Enter the date the order ended: the child left care on {long_date(period.ended_on)}"
            )
    return {name: problems[name] for name in ("started_on", "ended_on") if name in problems}


def saved_fields(order: DeprivationOfLiberty) -> list[SavedField]:
    return [
        SavedField("started_on", "Date the order started", order.started_on.isoformat(), is_date=True),
        SavedField(
            "ended_on", "Date the order ended", order.ended_on.isoformat() if order.ended_on else "", is_date=True
        ),
    ]


def form_of(order: DeprivationOfLiberty) -> dict[str, str]:
    return {f.name: f.value for f in saved_fields(order)} | {"version": str(order.version)}


def orders_of(session: Session, person_id: int) -> list[DeprivationOfLiberty]:
    """The child's orders, earliest first (the caller has asked the access policy for the record)."""
    return list(
        session.scalars(
            select(DeprivationOfLiberty)
            .where(DeprivationOfLiberty.person_id == person_id)
            .order_by(DeprivationOfLiberty.started_on, DeprivationOfLiberty.id)
        )
    )


def order_for_change(
    session: Session, database: Database, user: User, person_id: int, order_id: int
) -> DeprivationOfLiberty:
    """One of the child's orders, for its form: refused where the user may not change the child's care record."""
    form_person(session, database, user, person_id, Action.CREATE)
    order = session.get(DeprivationOfLiberty, order_id)
    if order is None or order.person_id != person_id:
        raise NotFound("There is no such order.")
    return order


def record_order(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    form: Mapping[str, str],
    order_id: int | None = None,
) -> DeprivationOfLiberty:
    """Record a new order on the child's current period of care, or change one (``order_id``): the child's social
    worker or team, as the access policy says; audited. A second editor since the form was loaded is told."""
    if order_id is None:
        period = current_period(session, database, user, person_id)
        order = None
    else:
        order = order_for_change(session, database, user, person_id, order_id)
        record_versions.check_version(
            session, "deprivation_of_liberty", order, record_id(form.get("version")), saved_fields(order)
        )
        found = session.get(CarePeriod, order.period_id)
        assert found is not None
        period = found
    data = OrderInput.read(form)
    child = session.get(Person, person_id)
    others = [o for o in orders_of(session, person_id) if order is None or o.id != order.id]
    _fail(check(data, period, child.date_of_birth if child is not None else None, others))
    assert data.started_on is not None
    if order is None:
        order = DeprivationOfLiberty(
            period_id=period.id,
            person_id=person_id,
            started_on=data.started_on,
            ended_on=data.ended_on,
            recorded_by_id=user.id,
        )
        session.add(order)
        action = "create"
    else:
        order.started_on, order.ended_on = data.started_on, data.ended_on
        action = "update"
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "deprivation_of_liberty", order, saved_fields(order)) from exc
    _audit(
        session,
        user,
        action,
        "deprivation_of_liberty",
        order.id,
        person_id,
        started_on=data.started_on.isoformat(),
        ended_on=data.ended_on.isoformat() if data.ended_on else None,
    )
    return order

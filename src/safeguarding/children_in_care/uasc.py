"""Whether a child in care is an unaccompanied asylum-seeking child, and the day that status ceased: on the current
period of care (what the SSDA903 UASC table and the XML HEADER's UASC item report, with DUC).

Sources: the DfE's SSDA903 guidance (UASC, DUC) and validation rules 303 (a DUC only for a child coded UASC), 304
(the status ceases on or before the 18th birthday) and 205A-D (the status between years). The status ceases with the
Home Office's decision on the claim or at 18 at the latest; the day is recorded once known. Nothing is answered by
default: the yes/no question starts unselected on a record that has never been asked (see ``form_of``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.children_in_care.models import CarePeriod
from safeguarding.children_in_care.service import _audit, _day, _fail, _yes_no, current_period
from safeguarding.core import record_versions
from safeguarding.core.db import Database
from safeguarding.core.form_fields import record_id
from safeguarding.core.record_versions import SavedField
from safeguarding.core.users import User
from safeguarding.people.models import Person


def eighteenth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:  # born 29 February: 1 March
        return date(born.year + 18, 3, 1)


@dataclass(frozen=True)
class UascInput:
    """The form read: the status, and the day it ceased (only asked of a child who is or was UASC)."""

    unaccompanied: bool | None
    until: date | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> UascInput:
        problems: dict[str, str] = {}
        unaccompanied = _yes_no(
            form,
            "unaccompanied_asylum_seeking",
            "Select yes if the child is or was an unaccompanied asylum-seeking child in this period of care, or no",
            problems,
        )
        until = None
        if unaccompanied:
            until = _day(form, "unaccompanied_until", "the date the status ceased", problems, required=False)
        return cls(unaccompanied, until, problems)


def check(data: UascInput, period: CarePeriod, born: date | None) -> dict[str, str]:
    """What the record refuses beyond the form: a ceasing day before the period of care began, or after the 18th
    birthday (rule 304)."""
    problems = dict(data.problems)
    until = data.until
    if until is not None and "unaccompanied_until" not in problems:
        if until < period.started_on:
            problems["unaccompanied_until"] = (
                "The date the status ceased must be on or after the day the child came into care, "
                f"{period.started_on.day} {period.started_on:%B %Y}"
            )
        elif born is not None and until > eighteenth_birthday(born):
            problems["unaccompanied_until"] = (
                "The date the status ceased must be on or before the child's 18th birthday: the status ends at 18"
            )
    return problems


def saved_fields(period: CarePeriod) -> list[SavedField]:
    return [
        SavedField(
            "unaccompanied_asylum_seeking",
            "Unaccompanied asylum-seeking child",
            "yes" if period.unaccompanied_asylum_seeking else "no",
            {"yes": "Yes", "no": "No"},
        ),
        SavedField(
            "unaccompanied_until",
            "Date the status ceased",
            period.unaccompanied_until.isoformat() if period.unaccompanied_until else "",
            is_date=True,
        ),
    ]


def form_of(period: CarePeriod) -> dict[str, str]:
    return {f.name: f.value for f in saved_fields(period)} | {"version": str(period.version)}


def record_uasc(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    form: Mapping[str, str],
) -> CarePeriod:
    """Record the status on the child's current period of care (the child's social worker or team: the access
    policy is asked), audited. A second editor since the form was loaded is told and keeps what they typed."""
    period = current_period(session, database, user, person_id)
    record_versions.check_version(session, "care_period", period, record_id(form.get("version")), saved_fields(period))
    data = UascInput.read(form)
    child = session.get(Person, person_id)
    _fail(check(data, period, child.date_of_birth if child is not None else None))
    assert data.unaccompanied is not None
    before = (period.unaccompanied_asylum_seeking, period.unaccompanied_until)
    period.unaccompanied_asylum_seeking = data.unaccompanied
    period.unaccompanied_until = data.until
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "care_period", period, saved_fields(period)) from exc
    _audit(
        session,
        user,
        "update",
        "care_period",
        period.id,
        person_id,
        unaccompanied_asylum_seeking=data.unaccompanied,
        unaccompanied_until=data.until.isoformat() if data.until else None,
        changed=before != (data.unaccompanied, data.until),
    )
    return period

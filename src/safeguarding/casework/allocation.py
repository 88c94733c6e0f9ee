"""Allocating a child to a worker, transferring them with a handover note, and the children waiting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework.case_access import audit, case_subject, check_version, flush, person_of, recompute, require
from safeguarding.casework.models import Allocation, Referral
from safeguarding.casework.referrals import open_allocation
from safeguarding.core import access, codes
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id, text_field
from safeguarding.core.users import Role, Team, User
from safeguarding.people.models import Person, current_postcode
from safeguarding.people.rules import postcode_district

# --- allocation -------------------------------------------------------------------------------------------------------


def teams_held(person_ids: Sequence[int]) -> Any:
    """A query of each child's allocations' teams (``person_id``, ``team_id``), oldest first: the last is the team
    that held the child's case last. A child in care whose worker's allocation ended with no new one keeps their
    clocks under that team (``children_in_care.timescale_events``), not lost among the unallocated."""
    return (
        select(Allocation.person_id, Allocation.team_id)
        .where(Allocation.person_id.in_(person_ids), Allocation.team_id.is_not(None))
        .order_by(Allocation.person_id, Allocation.started_at, Allocation.id)
    )


@dataclass
class AllocationForm:
    person: Person
    current: Allocation | None
    workers: list[User]
    teams: list[Team]
    reasons: tuple[tuple[str, str], ...] = tuple(codes.SOCIAL_WORKER_CHANGE_REASONS.items())


def _allocatable_workers(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.role.in_([Role.SOCIAL_WORKER, Role.TEAM_MANAGER]), User.active.is_(True))
            .order_by(User.full_name)
        )
    )


def allocation_form(session: Session, database: Database, user: User, person_id: int) -> AllocationForm:
    person = person_of(session, person_id)
    require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.ALLOCATION))
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    audit(session, user, "view", "allocation", person_id, person_id)
    return AllocationForm(person, open_allocation(session, person_id), _allocatable_workers(session), teams)


@dataclass(frozen=True)
class AllocationInput:
    """The allocation form read: the worker and team chosen (None when none or no record number), the handover
    note and, on a transfer, why the social worker is changing, as typed (the service checks them against the
    records, the note's length and the DfE's codes)."""

    worker_id: int | None
    team_id: int | None = None
    handover_note: str = ""
    change_reason: str = ""

    @classmethod
    def read(cls, form: Mapping[str, str]) -> AllocationInput:
        return cls(
            record_id(form.get("worker_id")),
            record_id(form.get("team_id")),
            form.get("handover_note", "") or "",
            (form.get("change_reason", "") or "").strip(),
        )


def allocate(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: AllocationInput,
    *,
    expected_version: int | None = None,
) -> Allocation:
    """Allocate the child to a worker (and their team), or transfer them: the open allocation ends with the
    handover note and the new one starts, in one transaction."""
    person_of(session, person_id)
    require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.ALLOCATION))
    current = open_allocation(session, person_id)
    if current is not None:
        check_version(session, "allocation", current, expected_version)
    errors: dict[str, str] = {}
    worker_id = data.worker_id
    worker = session.get(User, worker_id) if worker_id else None
    if worker is None or Role(worker.role) not in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER) or not worker.active:
        errors["worker_id"] = "Choose the social worker to allocate the child to"
    team_id = data.team_id
    if team_id is None and worker is not None:
        team_id = worker.team_id
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = "Choose the team from the list"
    note = text_field(data.handover_note, "handover_note", "the handover note", errors, limit=4000, required=False)
    if current is not None and not note and "handover_note" not in errors:
        errors["handover_note"] = "Write the handover note for the new worker"
    # Why the worker changed (the SSDA903 social worker episodes' SW_REASON); a first allocation changes nothing.
    reason = data.change_reason if current is not None else None
    if current is not None and reason not in codes.SOCIAL_WORKER_CHANGE_REASONS:
        errors["change_reason"] = "Select why the child's social worker is changing"
    if current is not None and worker is not None and current.worker_id == worker.id:
        errors["worker_id"] = f"The child is already allocated to {worker.full_name}"
    if errors:
        raise ValidationFailed(errors)
    assert worker is not None
    if current is not None:
        current.ended_at = utcnow()
        current.handover_note = note
    allocation = Allocation(
        person_id=person_id, worker_id=worker.id, team_id=team_id, change_reason=reason, allocated_by_id=user.id
    )
    session.add(allocation)
    flush(session)
    recompute(session, person_id)
    audit(
        session,
        user,
        "transfer" if current else "allocate",
        "allocation",
        allocation.id,
        person_id,
        worker_id=worker.id,
        team_id=team_id,
        previous_worker_id=current.worker_id if current else None,
        change_reason=reason,
    )
    return allocation


# How urgent an unallocated child is, from the front-door outcome that opened the referral: a child needing
# protection now comes before one waiting for a strategy discussion, before an assessment. (rank, label)
URGENCY: dict[str, tuple[int, str]] = {
    "immediate_protection": (0, "Immediate protection"),
    "strategy_discussion": (1, "Strategy discussion (possible section 47)"),
    "referral_for_assessment": (2, "Assessment"),
}
OTHER_URGENCY = (3, "Other")


@dataclass(frozen=True)
class UnallocatedRow:
    person_id: int
    name: str
    referral_date: date
    route: str
    days_waiting: int
    born: date | None = None  # with the district, tells two children of one name apart
    urgency: str = ""
    district: str | None = None


def unallocated(session: Session, database: Database, user: User, *, limit: int = 200) -> list[UnallocatedRow]:
    """Children with an open referral and no open allocation, the most urgent first (by the front-door outcome that
    opened the referral), then longest waiting (restricted records left out unless the user may open them)."""
    access.require_role(database, user, Kind.ALLOCATION, Action.LIST)
    open_alloc = (
        select(Allocation.id).where(Allocation.person_id == Referral.person_id, Allocation.ended_at.is_(None)).exists()
    )
    rows = session.execute(
        select(
            Referral.person_id,
            Person.first_name,
            Person.last_name,
            Person.date_of_birth,
            current_postcode(Person.id).label("postcode"),
            Referral.referral_date,
            Referral.route,
        )
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.closed_date.is_(None), ~open_alloc)
        .order_by(Referral.referral_date, Referral.id)
        .limit(limit)
    ).all()
    restricted = access.restricted_among(session, {r.person_id for r in rows})
    day = today_in_london()
    found = [
        UnallocatedRow(
            r.person_id,
            f"{r.first_name} {r.last_name}",
            r.referral_date,
            r.route,
            (day - r.referral_date).days,
            r.date_of_birth,
            URGENCY.get(r.route, OTHER_URGENCY)[1],
            postcode_district(r.postcode),
        )
        for r in rows
        if r.person_id not in restricted
        or access.authorize(
            session, user, Action.VIEW, AccessSubject(Kind.PERSON, r.person_id, person_ids=(r.person_id,))
        ).allowed
    ]
    found.sort(key=lambda r: (URGENCY.get(r.route, OTHER_URGENCY)[0], -r.days_waiting))
    record(session, access.actor_of(user), "list", "allocation", None, detail={"unallocated": len(found)})
    return found

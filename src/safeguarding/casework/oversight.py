"""A team manager's oversight of their team, for their home page: assessments and child in need plans awaiting
authorisation, supervision due and overdue per worker, and each worker's caseload (weighted where the council sets a
weighting).

Each reading asks the access policy and is audited. The supervision interval and the caseload weights are local
settings (core.local_settings: ``supervision.interval_days``, ``caseload.weight.*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from safeguarding.casework.case_access import assessment_due_on
from safeguarding.casework.models import (
    Allocation,
    Assessment,
    ChildInNeedPlan,
    ChildProtectionPlan,
    ClosureRequest,
    Referral,
    Supervision,
)
from safeguarding.core import access, local_settings
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person, current_postcode
from safeguarding.people.rules import postcode_district

CASE_HOLDERS = (Role.SOCIAL_WORKER, Role.EXPLOITATION_PRACTITIONER)


def team_workers(session: Session, manager: User) -> list[User]:
    """The case-holding workers a team manager oversees: their team's, and anyone they manage directly."""
    conditions = [User.manager_id == manager.id]
    if manager.team_id is not None:
        conditions.append(User.team_id == manager.team_id)
    return list(
        session.scalars(
            select(User)
            .where(or_(*conditions), User.role.in_([r.value for r in CASE_HOLDERS]), User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


# --- assessments and plans awaiting authorisation -----------------------------------------------------------------


@dataclass(frozen=True)
class AwaitingAuthorisation:
    """One record waiting for the team manager: an assessment with its outcome recorded, a child in need plan, or a
    worker's request to close the episode."""

    person_id: int
    record_id: int
    what: str  # "Assessment", "Child in need plan" or "Case closure"
    child: str
    born: date | None  # with the district, tells two children of one name apart
    district: str | None
    worker: str
    started_on: date  # the assessment or plan started; the closure was asked for
    due_on: date | None  # an assessment's 45 working days; a plan has no statutory date for authorisation
    overdue: bool
    authorise_url: str


def awaiting_authorisation(
    session: Session, database: Database, user: User, *, today: date | None = None
) -> list[AwaitingAuthorisation]:
    """Assessments with an outcome recorded, child in need plans (open, not returned to the worker) and workers'
    requests to close an episode, of the team's children, waiting for the manager, the oldest first. Restricted
    children the manager may not open are left out."""
    access.require_role(database, user, Kind.CASE, Action.SIGN_OFF)
    today = today or today_in_london()
    worker_ids = [w.id for w in team_workers(session, user)] + [user.id]

    def waiting(model: type[Assessment] | type[ChildInNeedPlan], *conditions: Any) -> list[Any]:
        return list(
            session.execute(
                select(
                    model.id,
                    model.person_id,
                    Referral.referral_date,
                    model.started_on,
                    Person.first_name,
                    Person.last_name,
                    Person.date_of_birth,
                    current_postcode(Person.id).label("postcode"),
                    User.full_name,
                )
                .join(Referral, Referral.id == model.referral_id)
                .join(Person, Person.id == model.person_id)
                .join(Allocation, (Allocation.person_id == model.person_id) & Allocation.ended_at.is_(None))
                .join(User, User.id == Allocation.worker_id)
                .where(
                    model.authorised_on.is_(None),
                    Referral.closed_date.is_(None),
                    Allocation.worker_id.in_(worker_ids),
                    *conditions,
                )
                .limit(500)
            ).all()
        )

    assessments = waiting(Assessment, Assessment.outcome.is_not(None))
    plans = waiting(ChildInNeedPlan, ChildInNeedPlan.ended_on.is_(None), ChildInNeedPlan.returned_note.is_(None))
    closures = session.execute(
        select(
            ClosureRequest.id,
            ClosureRequest.person_id,
            ClosureRequest.created_at,
            Person.first_name,
            Person.last_name,
            Person.date_of_birth,
            current_postcode(Person.id).label("postcode"),
            User.full_name,
        )
        .join(Referral, Referral.id == ClosureRequest.referral_id)
        .join(Person, Person.id == ClosureRequest.person_id)
        .join(Allocation, (Allocation.person_id == ClosureRequest.person_id) & Allocation.ended_at.is_(None))
        .join(User, User.id == Allocation.worker_id)
        .where(
            ClosureRequest.status == "awaiting",
            Referral.closed_date.is_(None),
            Allocation.worker_id.in_(worker_ids),
        )
        .limit(500)
    ).all()
    locked = access.locked_for(session, user, {r.person_id for r in [*assessments, *plans, *closures]})
    found = (
        [
            AwaitingAuthorisation(
                person_id=r.person_id,
                record_id=r.id,
                what="Assessment",
                child=f"{r.first_name} {r.last_name}",
                born=r.date_of_birth,
                district=postcode_district(r.postcode),
                worker=r.full_name,
                started_on=r.started_on,
                due_on=(due := assessment_due_on(r.referral_date)),
                overdue=due < today,
                authorise_url=f"/cases/{r.person_id}/assessments/{r.id}/authorise",
            )
            for r in assessments
            if r.person_id not in locked
        ]
        + [
            AwaitingAuthorisation(
                person_id=r.person_id,
                record_id=r.id,
                what="Child in need plan",
                child=f"{r.first_name} {r.last_name}",
                born=r.date_of_birth,
                district=postcode_district(r.postcode),
                worker=r.full_name,
                started_on=r.started_on,
                due_on=None,
                overdue=False,
                authorise_url=f"/cases/{r.person_id}/cin-plans/{r.id}/authorise",
            )
            for r in plans
            if r.person_id not in locked
        ]
        + [
            AwaitingAuthorisation(
                person_id=r.person_id,
                record_id=r.id,
                what="Case closure",
                child=f"{r.first_name} {r.last_name}",
                born=r.date_of_birth,
                district=postcode_district(r.postcode),
                worker=r.full_name,
                started_on=r.created_at.astimezone(LONDON).date(),
                due_on=None,
                overdue=False,
                authorise_url=f"/cases/{r.person_id}/closure",
            )
            for r in closures
            if r.person_id not in locked
        ]
    )
    found.sort(key=lambda a: (a.started_on, a.what, a.record_id))
    record(
        session,
        access.actor_of(user),
        "list",
        "awaiting_authorisation",
        None,
        detail={"assessments": sum(a.what == "Assessment" for a in found), "shown": len(found)},
    )
    return found


# --- supervision due per worker ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisionDue:
    worker_id: int
    worker: str
    last_held_on: date | None
    due_on: date | None  # None: never supervised, so due now
    overdue: bool
    days_overdue: int

    @property
    def status(self) -> str:
        if self.due_on is None:
            return "Never supervised"
        if self.overdue:
            return f"Overdue by {self.days_overdue} day{'' if self.days_overdue == 1 else 's'}"
        return "Due"


def supervision_due(
    session: Session, database: Database, user: User, *, today: date | None = None
) -> list[SupervisionDue]:
    """Each of the manager's workers with their last supervision and when the next is due (the date the last one set,
    or the council's interval after it), overdue first."""
    access.require_role(database, user, Kind.SUPERVISION, Action.CREATE)
    today = today or today_in_london()
    interval = int(local_settings.get(session, "supervision.interval_days"))
    workers = team_workers(session, user)
    last: dict[int, tuple[date, date | None]] = {}
    if workers:
        latest = (
            select(Supervision.worker_id, func.max(Supervision.held_on).label("held_on"))
            .where(Supervision.worker_id.in_([w.id for w in workers]))
            .group_by(Supervision.worker_id)
            .subquery()
        )
        for worker_id, held_on, next_on in session.execute(
            select(Supervision.worker_id, Supervision.held_on, Supervision.next_on).join(
                latest, (latest.c.worker_id == Supervision.worker_id) & (latest.c.held_on == Supervision.held_on)
            )
        ):
            last[worker_id] = (held_on, next_on)
    rows = []
    for worker in workers:
        held = last.get(worker.id)
        if held is None:
            rows.append(SupervisionDue(worker.id, worker.full_name, None, None, True, 0))
            continue
        held_on, next_on = held
        due = min(next_on, held_on + timedelta(days=interval)) if next_on else held_on + timedelta(days=interval)
        rows.append(SupervisionDue(worker.id, worker.full_name, held_on, due, due < today, max((today - due).days, 0)))
    rows.sort(key=lambda r: (not r.overdue, r.due_on or date.min, r.worker))
    record(session, access.actor_of(user), "list", "supervision_due", None, detail={"workers": len(rows)})
    return rows


# --- caseloads ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caseload:
    worker_id: int
    worker: str
    children: int
    weighted: float


@dataclass(frozen=True)
class Caseloads:
    rows: list[Caseload]
    weighted: bool  # the council sets a weighting (some weight is not 1)


def caseloads(session: Session, database: Database, user: User) -> Caseloads:
    """Each of the manager's workers with the children allocated to them, and the weighted count where the council
    weights children on a child protection plan or being assessed."""
    access.require_role(database, user, Kind.ALLOCATION, Action.LIST)
    settings = local_settings.get_all(session)
    cp_weight = float(settings["caseload.weight.child_protection"])
    assessment_weight = float(settings["caseload.weight.assessment"])
    workers = team_workers(session, user)
    ids = [w.id for w in workers]
    allocated: dict[int, list[int]] = {w.id: [] for w in workers}
    if ids:
        for worker_id, person_id in session.execute(
            select(Allocation.worker_id, Allocation.person_id).where(
                Allocation.worker_id.in_(ids), Allocation.ended_at.is_(None)
            )
        ):
            allocated[worker_id].append(person_id)
    people = {p for children in allocated.values() for p in children}
    on_plan: set[int] = set()
    assessed: set[int] = set()
    if people:
        on_plan = set(
            session.scalars(
                select(ChildProtectionPlan.person_id).where(
                    ChildProtectionPlan.person_id.in_(people), ChildProtectionPlan.ended_on.is_(None)
                )
            )
        )
        assessed = set(
            session.scalars(
                select(Assessment.person_id)
                .join(Referral, Referral.id == Assessment.referral_id)
                .where(
                    Assessment.person_id.in_(people),
                    Assessment.authorised_on.is_(None),
                    Referral.closed_date.is_(None),
                )
            )
        )

    def weight(person_id: int) -> float:
        if person_id in on_plan:
            return cp_weight
        if person_id in assessed:
            return assessment_weight
        return 1.0

    rows = [
        Caseload(w.id, w.full_name, len(allocated[w.id]), round(sum(weight(p) for p in allocated[w.id]), 1))
        for w in workers
    ]
    rows.sort(key=lambda c: (-c.weighted, c.worker))
    record(session, access.actor_of(user), "list", "caseloads", None, detail={"workers": len(rows)})
    return Caseloads(rows, weighted=cp_weight != 1.0 or assessment_weight != 1.0)

"""Supervision: a team manager records each case discussed with its decision (management oversight)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.casework import rules
from safeguarding.casework.case_access import audit, flush, recompute
from safeguarding.casework.models import Allocation, Supervision, SupervisionCase
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.audit import record_view as audit_view
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import DateKind
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.users import Role, User
from safeguarding.people.listing import ListedPerson, listed, listed_columns
from safeguarding.people.models import Person

# --- supervision ------------------------------------------------------------------------------------------------------


@dataclass
class SupervisionForm:
    workers: list[User]
    worker: User | None
    cases: list[ListedPerson]  # the worker's allocated children


def supervision_form(session: Session, database: Database, user: User, worker_id: int | None) -> SupervisionForm:
    access.require_role(database, user, Kind.SUPERVISION, Action.CREATE)
    workers = list(
        session.scalars(
            select(User)
            .where(User.role.in_([Role.SOCIAL_WORKER, Role.TEAM_MANAGER]), User.active.is_(True), User.id != user.id)
            .order_by(User.full_name)
        )
    )
    worker = session.get(User, worker_id) if worker_id else None
    cases: list[ListedPerson] = []
    if worker is not None:
        cases = [
            listed(row)
            for row in session.execute(
                listed_columns()
                .join(Allocation, Allocation.person_id == Person.id)
                .where(Allocation.worker_id == worker.id, Allocation.ended_at.is_(None))
                .order_by(Person.last_name, Person.first_name, Person.id)
            )
        ]
    return SupervisionForm(workers, worker, cases)


@dataclass(frozen=True)
class CaseDiscussed:
    """One case as the supervision form sent it: ``field`` names its decision box (``decision.<person id>``)."""

    field: str
    person_id: int | None
    discussion: str | None
    decision: str


@dataclass(frozen=True)
class SupervisionInput:
    """The supervision form read: the worker, the dates and notes, each case discussed, and what was wrong with the
    dates and notes (the service checks the worker and the cases against the records)."""

    worker_id: int | None
    held_on: date | None
    next_on: date | None = None
    notes: str | None = None
    cases: tuple[CaseDiscussed, ...] = ()
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> SupervisionInput:
        problems: dict[str, str] = {}
        held_on = date_field(
            form.get("held_on", "") or "",
            "held_on",
            "the date of the supervision",
            problems,
            noun="date of the supervision",
        )
        next_on = date_field(
            form.get("next_on", "") or "",
            "next_on",
            "the date of the next supervision",
            problems,
            required=False,
            noun="date of the next supervision",
            kind=DateKind.BOOKED,
        )
        notes = text_field(
            form.get("notes", "") or "", "notes", "the notes", problems, limit=rules.TEXT_MAX, required=False
        )
        cases: list[CaseDiscussed] = []
        for key in form:
            if key.startswith("decision."):
                person_id = record_id(key.split(".", 1)[1])
                cases.append(
                    CaseDiscussed(
                        key,
                        person_id,
                        (form.get(f"discussion.{person_id}", "") or "").strip() or None,
                        (form.get(key, "") or "").strip(),
                    )
                )
        return cls(record_id(form.get("worker_id")), held_on, next_on, notes, tuple(cases), problems)


def record_supervision(session: Session, database: Database, user: User, data: SupervisionInput) -> Supervision:
    """A team manager records a supervision: date, worker, each case discussed with its decision, next date."""
    access.require_role(database, user, Kind.SUPERVISION, Action.CREATE)
    errors: dict[str, str] = {}
    worker_id = data.worker_id
    worker = session.get(User, worker_id) if worker_id else None
    if worker is None or worker.id == user.id:
        errors["worker_id"] = "Choose the worker supervised"
    errors.update(data.problems)
    held_on, next_on, notes = data.held_on, data.next_on, data.notes
    discussed: list[tuple[int, str | None, str]] = []
    allocated = {c.person_id for c in supervision_form(session, database, user, worker_id).cases} if worker else set()
    for case in data.cases:
        key, person_id, discussion, decision = case.field, case.person_id, case.discussion, case.decision
        if person_id is None or not (decision or discussion):
            continue
        if person_id not in allocated:
            errors[key] = "This child is not allocated to the worker"
            continue
        if not decision:
            errors[key] = "Write the decision for each case discussed"
        else:
            text_field(decision, key, "the decision", errors, limit=rules.TEXT_MAX)
        text_field(
            discussion, f"discussion.{person_id}", "the discussion", errors, limit=rules.TEXT_MAX, required=False
        )
        discussed.append((person_id, discussion, decision))
    if held_on is not None:
        for r in rules.check_supervision(held_on=held_on, next_on=next_on, today=today_in_london()):
            errors.setdefault(r.field, r.text)
    if errors:
        raise ValidationFailed(errors)
    assert worker is not None and held_on is not None
    supervision = Supervision(worker_id=worker.id, supervisor_id=user.id, held_on=held_on, next_on=next_on, notes=notes)
    supervision.cases = [SupervisionCase(person_id=p, discussion=d, decision=dec) for p, d, dec in discussed]
    session.add(supervision)
    flush(session)
    for person_id, _d, _dec in discussed:
        recompute(session, person_id)
        audit(session, user, "oversight", "supervision", supervision.id, person_id)
    record(
        session,
        access.actor_of(user),
        "create",
        "supervision",
        supervision.id,
        detail={"worker_id": worker.id, "cases": len(discussed)},
    )
    return supervision


def supervisions(session: Session, database: Database, user: User) -> list[Supervision]:
    """A manager's supervisions given and a worker's received, newest first."""
    access.require_role(database, user, Kind.SUPERVISION, Action.LIST)
    rows = list(
        session.scalars(
            select(Supervision)
            .where(or_(Supervision.supervisor_id == user.id, Supervision.worker_id == user.id))
            .order_by(Supervision.held_on.desc(), Supervision.id.desc())
            .limit(200)
        )
    )
    record(session, access.actor_of(user), "list", "supervision", None, detail={"count": len(rows)})
    return rows


def view_supervision(session: Session, database: Database, user: User, supervision_id: int) -> Supervision:
    access.require_role(database, user, Kind.SUPERVISION, Action.VIEW)
    supervision = session.get(Supervision, supervision_id)
    if supervision is None:
        raise NotFound("There is no such supervision record.")
    if user.id not in (supervision.worker_id, supervision.supervisor_id) and Role(user.role) != Role.TEAM_MANAGER:
        record(
            session,
            access.actor_of(user),
            "view",
            "supervision",
            supervision.id,
            reason="neither the supervisor nor the worker supervised",
            outcome="refused",
            survive_rollback=True,
        )
        raise AccessDenied("Only the worker supervised and managers may read a supervision record.")
    # One row per child discussed: the record shows each one's case.
    audit_view(session, access.actor_of(user), "supervision", supervision.id, [c.person_id for c in supervision.cases])
    return supervision

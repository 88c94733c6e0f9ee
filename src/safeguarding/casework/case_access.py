"""What every case work service shares: the access checks (the policy, then the allocation scope), the audit,
the optimistic version check and the recompute of the child's deadlines (timescales) in the same transaction.

Every read and change asks ``core.access`` and is audited; services never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.casework.models import Allocation
from safeguarding.casework.referrals import open_allocation
from safeguarding.core import access, record_versions
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, Conflict, NotFound
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person
from safeguarding.timescales.rules import due_on
from safeguarding.timescales.service import recompute_for_child

WRITE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE})
CONFLICT_MESSAGE = (
    "Someone else changed this record since you opened it. Nothing you entered was saved: reload "
    "the page to see their change, then try again."
)


def recompute(session: Session, person_id: int) -> None:
    """Derive and store the child's deadlines from their events, in the same transaction as the change."""
    recompute_for_child(session, person_id)


def assessment_due_on(referral_date: date) -> date:
    """45 working days from the referral (WT2023 ch.3; timescales rule ``assessment``)."""
    return due_on("assessment", referral_date)


def case_subject(session: Session, person_id: int, kind: Kind = Kind.CASE, record_id: object = None) -> AccessSubject:
    return case_subject_with(person_id, open_allocation(session, person_id), kind, record_id)


def case_subject_with(
    person_id: int, allocation: Allocation | None, kind: Kind = Kind.CASE, record_id: object = None
) -> AccessSubject:
    """The access policy's facts about a child's case, given the child's open allocation."""
    return AccessSubject(
        kind=kind,
        id=record_id if record_id is not None else person_id,
        person_ids=(person_id,),
        allocated_user_ids=(allocation.worker_id,) if allocation else (),
        team_id=allocation.team_id if allocation else None,
    )


def require(session: Session, database: Database, user: User, action: Action, subject: AccessSubject) -> None:
    """The policy, then the allocation scope: a social worker changes only the cases allocated to them (team
    managers change any case: they cover for absent workers and authorise). Refusals are audited."""
    access.require(session, database, user, action, subject)
    if action in WRITE_ACTIONS and Role(user.role) == Role.SOCIAL_WORKER and user.id not in subject.allocated_user_ids:
        reason = "not the allocated worker"
        record(
            session,
            access.actor_of(user),
            str(action),
            str(subject.kind),
            subject.id,
            person_id=subject.person_ids[0] if subject.person_ids else None,
            reason=reason,
            outcome="refused",
            survive_rollback=True,
        )
        raise AccessDenied("Only the child's allocated worker or a team manager may change this case.")


def audit(
    session: Session, user: User, action: str, target: str, target_id: object, person_id: int, **detail: Any
) -> None:
    record(session, access.actor_of(user), action, target, target_id, person_id=person_id, detail=detail or None)


def person_of(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def check_version(session: Session, target: str, row: Any, expected_version: int | None) -> None:
    """Refuse an edit loaded at an older version, with who saved the record since and when (the form layer shows
    the form again with the user's text kept)."""
    record_versions.check_version(session, target, row, expected_version)


def flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(CONFLICT_MESSAGE, field="version") from exc


def may(session: Session, user: User, action: Action, subject: AccessSubject) -> bool:
    return may_each(session, user, [(action, subject)])[0]


def may_each(session: Session, user: User, asks: list[tuple[Action, AccessSubject]]) -> list[bool]:
    """``may`` for each question, the people's restrictions read once (``access.authorize_each``)."""
    decisions = access.authorize_each(session, user, asks)
    return [in_scope(user, action, subject, d) for (action, subject), d in zip(asks, decisions, strict=True)]


def in_scope(user: User, action: Action, subject: AccessSubject, decision: access.Decision) -> bool:
    """The policy's decision, then the allocation scope (``require``): what ``may`` answers."""
    return decision.allowed and not (
        action in WRITE_ACTIONS and Role(user.role) == Role.SOCIAL_WORKER and user.id not in subject.allocated_user_ids
    )

"""Restricting a person's record to named staff, lifting it, naming and un-naming staff, and breaking the glass
in an emergency (audited, time-limited, shown to managers).

Every call asks the one access policy (``core.access``) and records what it did in the audit log; none commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safeguarding.core import access, audit
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.errors import DomainError, ValidationFailed
from safeguarding.core.restrictions import BreakGlassAccess, PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person
from safeguarding.people.records import access_subject, get_person

RESTRICTION_REASON_MIN = 10


def nameable_users(session: Session) -> list[User]:
    """Staff who may be named on a restriction (active, and not partner practitioners)."""
    return list(
        session.scalars(
            select(User).where(User.active.is_(True), User.role != Role.PARTNER_PRACTITIONER).order_by(User.full_name)
        )
    )


def restriction_of(
    session: Session, database: Database, user: User, person_id: int
) -> tuple[Person, PersonRestriction | None, list[int]]:
    """The restriction and its named users, for the managers' page."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    restriction = session.get(PersonRestriction, person_id)
    named = list(
        session.scalars(select(PersonRestrictionGrant.user_id).where(PersonRestrictionGrant.person_id == person_id))
    )
    audit.record(session, access.actor_of(user), "view", "person_restriction", person_id, person_id=person_id)
    return person, restriction, named


def _check_named(session: Session, user_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(user_ids))
    allowed = {u.id for u in nameable_users(session)}
    if any(i not in allowed for i in ids):
        raise ValidationFailed({"named_user_ids": "Name only active staff users"})
    return ids


def restrict(
    session: Session, database: Database, user: User, person_id: int, reason: str, named_user_ids: Iterable[int]
) -> PersonRestriction:
    """Restrict a record to the named users (the manager restricting it is always named). Re-restricting an
    already restricted record replaces its reason and named users."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    reason = reason.strip()
    if len(reason) < RESTRICTION_REASON_MIN:
        raise ValidationFailed(
            {"reason": f"Give the reason for restricting this record (at least {RESTRICTION_REASON_MIN} characters)"}
        )
    named = set(_check_named(session, named_user_ids)) | {user.id}
    restriction = session.get(PersonRestriction, person_id)
    if restriction is None:
        restriction = PersonRestriction(person_id=person_id, reason=reason, restricted_by_id=user.id)
        session.add(restriction)
        session.flush()
    else:
        restriction.reason = reason
        restriction.restricted_by_id = user.id
    session.execute(delete(PersonRestrictionGrant).where(PersonRestrictionGrant.person_id == person_id))
    for user_id in sorted(named):
        session.add(PersonRestrictionGrant(person_id=person_id, user_id=user_id))
    session.flush()
    audit.record(
        session,
        access.actor_of(user),
        "restrict",
        "person",
        person_id,
        person_id=person_id,
        reason=reason,
        detail={"named_user_ids": sorted(named)},
    )
    return restriction


def lift_restriction(session: Session, database: Database, user: User, person_id: int, reason: str) -> None:
    person = get_person(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    restriction = session.get(PersonRestriction, person_id)
    if restriction is None:
        raise ValidationFailed({"reason": "This record is not restricted"})
    if len(reason.strip()) < RESTRICTION_REASON_MIN:
        raise ValidationFailed(
            {"reason": f"Give the reason for lifting the restriction (at least {RESTRICTION_REASON_MIN} characters)"}
        )
    session.execute(delete(PersonRestrictionGrant).where(PersonRestrictionGrant.person_id == person_id))
    session.delete(restriction)
    session.flush()
    audit.record(
        session,
        access.actor_of(user),
        "lift_restriction",
        "person",
        person_id,
        person_id=person_id,
        reason=reason.strip(),
    )


def grant(session: Session, database: Database, user: User, person_id: int, user_id: int) -> None:
    """Name one more user on a restriction."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    if session.get(PersonRestriction, person_id) is None:
        raise ValidationFailed({"named_user_ids": "This record is not restricted"})
    _check_named(session, [user_id])
    exists = session.scalar(
        select(PersonRestrictionGrant.id).where(
            PersonRestrictionGrant.person_id == person_id, PersonRestrictionGrant.user_id == user_id
        )
    )
    if exists is None:
        session.add(PersonRestrictionGrant(person_id=person_id, user_id=user_id))
        session.flush()
    audit.record(
        session, access.actor_of(user), "grant", "person", person_id, person_id=person_id, detail={"user_id": user_id}
    )


def revoke(session: Session, database: Database, user: User, person_id: int, user_id: int) -> None:
    """Take a user off a restriction."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    session.execute(
        delete(PersonRestrictionGrant).where(
            PersonRestrictionGrant.person_id == person_id, PersonRestrictionGrant.user_id == user_id
        )
    )
    audit.record(
        session, access.actor_of(user), "revoke", "person", person_id, person_id=person_id, detail={"user_id": user_id}
    )


def break_glass(session: Session, database: Database, user: User, person_id: int, reason: str) -> BreakGlassAccess:
    """Open a restricted record in an emergency, with a reason (audited, time-limited, shown to managers)."""
    get_person(session, person_id)
    access.require_role(database, user, Kind.PERSON, Action.BREAK_GLASS)
    if session.get(PersonRestriction, person_id) is None:
        raise DomainError("This record is not restricted: open it as usual.", field="reason")
    return access.break_glass(session, user, person_id, reason)


def break_glass_log(session: Session, database: Database, user: User, person_id: int) -> list[BreakGlassAccess]:
    """Who broke the glass on this record, for managers."""
    get_person(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person_id))
    return list(
        session.scalars(
            select(BreakGlassAccess).where(BreakGlassAccess.person_id == person_id).order_by(BreakGlassAccess.at.desc())
        )
    )

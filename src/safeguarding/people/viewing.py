"""Opening a person's record: with their family and addresses, or for a form that will change it. Both ask the one
access policy (``core.access``) and are audited as views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core import access, audit
from safeguarding.core.access import Action
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import User
from safeguarding.people.family import Relative, family_of, hide_relatives
from safeguarding.people.models import Person
from safeguarding.people.records import access_subject, get_person


@dataclass
class PersonRecord:
    person: Person
    family: list[Relative]
    restriction: PersonRestriction | None
    named_users: list[User] = field(default_factory=list)


def view_person(session: Session, database: Database, user: User, person_id: int) -> PersonRecord:
    """Open a person's record (with family and addresses). A restricted record refuses with AccessDenied, whose
    ``decision.break_glass_possible`` says whether the user may break the glass. Audited as a view."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.VIEW, access_subject(person))
    restriction = session.get(PersonRestriction, person.id)
    named: list[User] = []
    if restriction is not None:
        named = list(
            session.scalars(
                select(User)
                .join(PersonRestrictionGrant, PersonRestrictionGrant.user_id == User.id)
                .where(PersonRestrictionGrant.person_id == person.id)
                .order_by(User.full_name)
            )
        )
    family = hide_relatives(session, user, family_of(session, person.id))
    audit.record(session, access.actor_of(user), "view", "person", person.id, person_id=person.id)
    return PersonRecord(person=person, family=family, restriction=restriction, named_users=named)


def person_for_edit(session: Session, database: Database, user: User, person_id: int) -> Person:
    """The person, for a form that will change them (asks the UPDATE permission; audited as a view)."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    audit.record(
        session, access.actor_of(user), "view", "person", person.id, person_id=person.id, detail={"purpose": "edit"}
    )
    return person

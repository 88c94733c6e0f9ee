"""The child's family group (two steps of recorded relationships) and its genogram."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.casework import rules
from safeguarding.casework.case_access import case_subject, person_of
from safeguarding.core import access
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.people.models import FamilyRelationship, Person, RelationshipKind

# --- family and genogram ----------------------------------------------------------------------------------------------


@dataclass
class FamilyView:
    person: Person
    genogram: rules.Genogram
    members: list[rules.GenogramPerson]
    hidden: int


def family(session: Session, database: Database, user: User, person_id: int) -> FamilyView:
    """The child's family group (two steps of recorded relationships) and its genogram. Restricted relatives the
    user may not open are left out and counted."""
    person = person_of(session, person_id)
    access.require(session, database, user, Action.VIEW, case_subject(session, person_id, Kind.PERSON))
    ids = {person_id}
    ties: dict[int, FamilyRelationship] = {}
    frontier = {person_id}
    for _step in range(2):
        found = list(
            session.scalars(
                select(FamilyRelationship).where(
                    or_(FamilyRelationship.from_person_id.in_(frontier), FamilyRelationship.to_person_id.in_(frontier))
                )
            )
        )
        frontier = set()
        for tie in found:
            ties[tie.id] = tie
            for pid in (tie.from_person_id, tie.to_person_id):
                if pid not in ids and len(ids) < 40:
                    ids.add(pid)
                    frontier.add(pid)
    restricted = access.restricted_among(session, ids - {person_id})
    hidden = {
        pid
        for pid in restricted
        if not access.authorize(session, user, Action.VIEW, AccessSubject(Kind.PERSON, pid, person_ids=(pid,))).allowed
    }
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids - hidden)))}
    members = [
        rules.GenogramPerson(
            p.id, p.full_name, str(p.kind), p.sex, p.date_of_birth.year if p.date_of_birth else None, p.id == person_id
        )
        for p in people.values()
    ]
    links: list[rules.GenogramTie] = []
    for tie in ties.values():
        if tie.from_person_id not in people or tie.to_person_id not in people:
            continue
        if tie.kind in (RelationshipKind.PARENT, RelationshipKind.CARER):
            links.append(
                rules.GenogramTie(tie.from_person_id, tie.to_person_id, kind=str(tie.kind), ended=tie.ended is not None)
            )
        else:
            links.append(
                rules.GenogramTie(
                    None, None, tie.from_person_id, tie.to_person_id, str(tie.kind), tie.ended is not None
                )
            )
    record(
        session,
        access.actor_of(user),
        "view",
        "family",
        person_id,
        person_id=person_id,
        detail={"members": len(members)},
    )
    return FamilyView(
        person, rules.layout_genogram(members, links), sorted(members, key=lambda m: m.born or 0), len(hidden)
    )

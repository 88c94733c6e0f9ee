"""A person's family: ties recorded between two people (parent, carer, brother or sister, household member), how
each reads from either side, and who a child's brothers and sisters are.

Every change asks the one access policy (``core.access``) and is audited on both records; none commits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, or_, select, union
from sqlalchemy.orm import Session, aliased, selectinload

from safeguarding.core import access, audit
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.users import User
from safeguarding.people.models import SYMMETRIC_RELATIONSHIPS, FamilyRelationship, Person, RelationshipKind
from safeguarding.people.records import get_person, may_open


@dataclass(frozen=True)
class Relative:
    """A family member as seen from one person: ``label`` reads "<relative> is <label> <person>"."""

    relationship_id: int
    person_id: int
    person: Person | None  # None when the viewer may not open the relative's record
    kind: RelationshipKind
    label: str
    started: date | None = None
    ended: date | None = None


# How the other person is related to this one, as a form offers it: (kind, whether the other person is "from").
RELATION_CHOICES: dict[str, tuple[RelationshipKind, bool, str]] = {
    "parent": (RelationshipKind.PARENT, True, "Parent of this person"),
    "child": (RelationshipKind.PARENT, False, "Child of this person"),
    "carer": (RelationshipKind.CARER, True, "Carer of this person"),
    "cared_for": (RelationshipKind.CARER, False, "Cared for by this person"),
    "sibling": (RelationshipKind.SIBLING, True, "Sibling (full)"),
    "half_sibling": (RelationshipKind.HALF_SIBLING, True, "Half-sibling"),
    "household_member": (RelationshipKind.HOUSEHOLD_MEMBER, True, "Member of the same household"),
}

_LABEL_FROM = {  # the relative is the "from" side: "<relative> is <label> <person>"
    RelationshipKind.PARENT: "parent of",
    RelationshipKind.CARER: "carer of",
}
_LABEL_TO = {  # the relative is the "to" side
    RelationshipKind.PARENT: "child of",
    RelationshipKind.CARER: "cared for by",
}
_LABEL_SYMMETRIC = {
    RelationshipKind.SIBLING: "sibling",
    RelationshipKind.HALF_SIBLING: "half-sibling",
    RelationshipKind.HOUSEHOLD_MEMBER: "household member",
}


def add_relationship(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    other_person_id: int,
    relation: str,
    started: date | None = None,
) -> FamilyRelationship:
    """Record how ``other_person_id`` is related to ``person_id`` (a key of RELATION_CHOICES). Symmetric ties are
    stored once, whichever side they are entered from."""
    person = get_person(session, person_id)
    errors: dict[str, str] = {}
    if relation not in RELATION_CHOICES:
        errors["relation"] = "Choose how they are related"
    if other_person_id == person_id:
        errors["other_person_id"] = "Choose someone other than this person"
    other = session.get(Person, other_person_id)
    if other is None:
        errors["other_person_id"] = "Choose the person they are related to"
    access.require(
        session,
        database,
        user,
        Action.UPDATE,
        AccessSubject(
            kind=Kind.PERSON, id=person_id, person_ids=(person_id, other_person_id) if other else (person_id,)
        ),
    )
    if errors or other is None:
        raise ValidationFailed(errors)
    kind, other_is_from, _label = RELATION_CHOICES[relation]
    if kind in SYMMETRIC_RELATIONSHIPS:
        from_id, to_id = sorted((person_id, other_person_id))
    else:
        from_id, to_id = (other_person_id, person_id) if other_is_from else (person_id, other_person_id)
    if kind == RelationshipKind.PARENT:
        parent, child = (other, person) if other_is_from else (person, other)
        if parent.date_of_birth and child.date_of_birth and parent.date_of_birth >= child.date_of_birth:
            errors["relation"] = "A parent must be born before their child: check who is the parent"
    if started is not None and started > today_in_london():
        errors["started"] = "Date the relationship started must be today or in the past"
    pair = or_(
        and_(FamilyRelationship.from_person_id == person_id, FamilyRelationship.to_person_id == other.id),
        and_(FamilyRelationship.from_person_id == other.id, FamilyRelationship.to_person_id == person_id),
    )
    for existing in session.scalars(select(FamilyRelationship).where(pair, FamilyRelationship.ended.is_(None))):
        if existing.kind == kind and existing.from_person_id == from_id and existing.to_person_id == to_id:
            errors["relation"] = "This relationship is already recorded"
        elif existing.kind == kind and kind not in SYMMETRIC_RELATIONSHIPS:
            errors["relation"] = "The opposite relationship is already recorded: one cannot be both"
    if errors:
        raise ValidationFailed(errors)
    tie = FamilyRelationship(
        from_person_id=from_id, to_person_id=to_id, kind=kind, started=started, recorded_by_id=user.id
    )
    session.add(tie)
    session.flush()
    for side in (person_id, other.id):
        audit.record(
            session,
            access.actor_of(user),
            "add_relationship",
            "person",
            side,
            person_id=side,
            detail={"relationship_id": tie.id, "kind": str(kind), "from": from_id, "to": to_id},
        )
    return tie


def end_relationship(
    session: Session, database: Database, user: User, person_id: int, relationship_id: int, ended: date | None = None
) -> FamilyRelationship:
    """Record that a tie has ended (a carer no longer caring, someone leaving the household). The tie stays in the
    family history with its end date; nothing is deleted."""
    tie = _tie_to_change(session, database, user, person_id, relationship_id)
    ended = ended or today_in_london()
    if tie.ended is not None:
        raise ValidationFailed({"ended": "This relationship has already ended"})
    if ended > today_in_london():
        raise ValidationFailed({"ended": "Date it ended must be today or in the past"})
    if tie.started is not None and ended < tie.started:
        raise ValidationFailed(
            {"ended": f"Date it ended must be on or after {long_date(tie.started)}, when it started"}
        )
    tie.ended = ended
    session.flush()
    for side in (tie.from_person_id, tie.to_person_id):
        audit.record(
            session,
            access.actor_of(user),
            "end_relationship",
            "person",
            side,
            person_id=side,
            detail={"relationship_id": tie.id, "ended": ended.isoformat()},
        )
    return tie


def _tie_to_change(
    session: Session, database: Database, user: User, person_id: int, relationship_id: int
) -> FamilyRelationship:
    tie = session.get(FamilyRelationship, relationship_id)
    if tie is None or person_id not in (tie.from_person_id, tie.to_person_id):
        raise NotFound("That relationship is not on this record.")
    access.require(
        session,
        database,
        user,
        Action.UPDATE,
        AccessSubject(kind=Kind.PERSON, id=person_id, person_ids=(tie.from_person_id, tie.to_person_id)),
    )
    return tie


def relative_to_change(
    session: Session, database: Database, user: User, person_id: int, relationship_id: int
) -> Relative:
    """One family tie of this person, as the confirmation page before ending it shows it (asks the policy)."""
    _tie_to_change(session, database, user, person_id, relationship_id)
    for relative in family_of(session, person_id):
        if relative.relationship_id == relationship_id:
            return relative
    raise NotFound("That relationship is not on this record.")


def restore_relationship(
    session: Session, database: Database, user: User, person_id: int, relationship_id: int
) -> FamilyRelationship:
    """Undo the ending of a tie (recorded as ended by mistake): it is current again, and the undoing is audited on
    both records with the end date it had."""
    tie = _tie_to_change(session, database, user, person_id, relationship_id)
    if tie.ended is None:
        raise ValidationFailed({"ended": "This relationship has not ended, so there is nothing to undo"})
    pair = or_(
        and_(
            FamilyRelationship.from_person_id == tie.from_person_id, FamilyRelationship.to_person_id == tie.to_person_id
        ),
        and_(
            FamilyRelationship.from_person_id == tie.to_person_id, FamilyRelationship.to_person_id == tie.from_person_id
        ),
    )
    current = select(FamilyRelationship).where(
        pair, FamilyRelationship.kind == tie.kind, FamilyRelationship.ended.is_(None), FamilyRelationship.id != tie.id
    )
    if session.scalar(current.limit(1)) is not None:
        raise ValidationFailed(
            {"ended": "The same relationship has been recorded again since, so this one stays ended"}
        )
    was_ended = tie.ended
    tie.ended = None
    session.flush()
    for side in (tie.from_person_id, tie.to_person_id):
        audit.record(
            session,
            access.actor_of(user),
            "restore_relationship",
            "person",
            side,
            person_id=side,
            detail={"relationship_id": tie.id, "was_ended": was_ended.isoformat()},
        )
    return tie


def family_of(session: Session, person_id: int) -> list[Relative]:
    """Everyone with a recorded tie to this person, labelled as seen from them, current ties first."""
    ties = session.scalars(
        select(FamilyRelationship)
        .where(or_(FamilyRelationship.from_person_id == person_id, FamilyRelationship.to_person_id == person_id))
        .options(selectinload(FamilyRelationship.from_person), selectinload(FamilyRelationship.to_person))
        .order_by(FamilyRelationship.id)
    )
    relatives: list[Relative] = []
    shown: set[tuple[int, str, bool]] = set()
    for tie in ties:
        kind = RelationshipKind(tie.kind)
        relative_is_from = tie.to_person_id == person_id
        relative = tie.from_person if relative_is_from else tie.to_person
        if relative.merged_into_id is not None:
            # A tie a merge set aside (it would have named one person twice) stays with the merged-away record
            # until an unmerge; the survivor's own tie is the one shown.
            continue
        if kind in SYMMETRIC_RELATIONSHIPS:
            label = _LABEL_SYMMETRIC[kind]
        else:
            label = (_LABEL_FROM if relative_is_from else _LABEL_TO)[kind]
        # Both records of one person may have had the same tie (a sister recorded on each): after a merge it is
        # the same relationship twice, shown once (both rows are kept, so an unmerge gives each back).
        seen_as = (relative.id, label, tie.ended is None)
        if tie.ended is None and seen_as in shown:
            continue
        shown.add(seen_as)
        relatives.append(
            Relative(
                relationship_id=tie.id,
                person_id=relative.id,
                person=relative,
                kind=kind,
                label=label,
                started=tie.started,
                ended=tie.ended,
            )
        )
    relatives.sort(key=lambda r: (r.ended is not None, r.label, r.person.full_name if r.person else ""))
    return relatives


def siblings_of(session: Session, person_id: int) -> list[Person]:
    """Brothers and sisters: recorded siblings and half-siblings, and the other children of a recorded parent."""
    return siblings_of_each(session, [person_id])[person_id]


def hide_relatives(session: Session, user: User, relatives: list[Relative]) -> list[Relative]:
    restricted = access.restricted_among(session, {r.person_id for r in relatives})
    locked = {i for i in restricted if not may_open(session, user, i)}
    return [replace(r, person=None) if r.person_id in locked else r for r in relatives]


def siblings_of_each(session: Session, person_ids: Iterable[int]) -> dict[int, list[Person]]:
    """Each child's brothers and sisters (as ``siblings_of``), eldest first, for any number of children in one query
    (it runs on every MASH contact view, whatever the number of children on the contact): current sibling ties
    either way, and the current children of the child's current parents."""
    ids = set(person_ids)
    if not ids:
        return {}
    found: dict[int, list[Person]] = {person_id: [] for person_id in ids}
    for child_id, person in session.execute(_siblings_statement(), {"ids": sorted(ids)}):
        found[child_id].append(person)
    return found


@functools.cache
def _siblings_statement() -> Any:
    """Built once: building it (two aliases of the tie, a union) cost more CPU than running it."""
    tie, parent, other = FamilyRelationship, aliased(FamilyRelationship), aliased(FamilyRelationship)
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    sibling = tie.kind.in_([RelationshipKind.SIBLING, RelationshipKind.HALF_SIBLING])
    forward = select(tie.from_person_id.label("child_id"), tie.to_person_id.label("sibling_id")).where(
        tie.from_person_id.in_(ids), sibling, tie.ended.is_(None)
    )
    backward = select(tie.to_person_id, tie.from_person_id).where(
        tie.to_person_id.in_(ids), sibling, tie.ended.is_(None)
    )
    parents_children = (
        select(parent.to_person_id, other.to_person_id)
        .join(
            other,
            and_(
                other.from_person_id == parent.from_person_id,
                other.kind == RelationshipKind.PARENT,
                other.ended.is_(None),
            ),
        )
        .where(parent.to_person_id.in_(ids), parent.kind == RelationshipKind.PARENT, parent.ended.is_(None))
    )
    pairs = union(forward, backward, parents_children).subquery()
    return (
        select(pairs.c.child_id, Person)
        .join(Person, Person.id == pairs.c.sibling_id)
        .where(Person.id != pairs.c.child_id, Person.merged_into_id.is_(None))
        .order_by(Person.date_of_birth.is_(None), Person.date_of_birth, Person.id)
    )

"""Use-cases for people: create and change records, addresses, aliases, family, search-before-create, restriction.

Every call asks the one access policy (``core.access``) and records what it did in the audit log; none commits.
Other capabilities call :func:`exact_matches`, :func:`find_candidates`, :func:`create_person` and
:func:`access_subject`; keep their signatures.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from safeguarding.core import access, audit
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.codes import ETHNICITIES, SEXES, UPN_UNKNOWN_REASONS
from safeguarding.core.db import Database
from safeguarding.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.restrictions import BreakGlassAccess, PersonRestriction, PersonRestrictionGrant
from safeguarding.core.settings import get_settings
from safeguarding.core.users import Role, User
from safeguarding.people import rules
from safeguarding.people.models import (
    SYMMETRIC_RELATIONSHIPS,
    Address,
    FamilyRelationship,
    Person,
    PersonAlias,
    PersonKind,
    RelationshipKind,
)

NAME_MAX = 100
NOTES_MAX = 20000
RESTRICTION_REASON_MIN = 10
# Each candidate-gathering lookup reads at most this many rows, so a very common surname or a large block of flats
# cannot turn a search into a scan; scoring then ranks what was gathered.
GATHER_LIMIT = 1500
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread


# Dates of birth and moves are local dates.
today = today_in_london


# --- inputs ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AliasInput:
    first_name: str
    last_name: str


@dataclass(frozen=True)
class AddressInput:
    line1: str
    line2: str = ""
    town: str = ""
    postcode: str = ""
    moved_in: date | None = None


@dataclass(frozen=True)
class PersonInput:
    """A person's details as a form or another service gives them. Text is as typed; the service cleans it."""

    first_name: str
    last_name: str
    kind: str = PersonKind.CHILD
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    date_of_death: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    nhs_number: str | None = None
    upn: str | None = None
    upn_unknown: str | None = None
    la_child_id: str | None = None
    notes: str | None = None
    aliases: Sequence[AliasInput] = ()
    address: AddressInput | None = None


@dataclass(frozen=True)
class SearchQuery:
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    postcode: str = ""

    def terms(self) -> dict[str, str]:
        """The terms as given, for the audit log."""
        given = {"first_name": self.first_name, "last_name": self.last_name,
                 "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else "",
                 "nhs_number": self.nhs_number, "postcode": self.postcode}
        return {k: v for k, v in given.items() if v}


# --- results ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A person who may be the one searched for, with the score and reasons. ``person`` is None when the searcher
    may not open the record: it is then shown only as a restricted record."""

    person_id: int
    score: int
    reasons: tuple[str, ...]
    person: Person | None
    restricted: bool = False
    # Matched by an identifier (the same NHS number, or the same name and date of birth): certainly this person.
    identified: bool = False

    @property
    def hidden(self) -> bool:
        return self.person is None


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


@dataclass
class PersonRecord:
    person: Person
    family: list[Relative]
    restriction: PersonRestriction | None
    named_users: list[User] = field(default_factory=list)


# --- access ----------------------------------------------------------------------------------------------------------


def access_subject(person: Person | int) -> AccessSubject:
    """The facts the access policy needs about a person record (restriction is looked up by id)."""
    person_id = person if isinstance(person, int) else person.id
    return AccessSubject(kind=Kind.PERSON, id=person_id, person_ids=(person_id,))


def _get(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person record.")
    return person


def may_open(session: Session, user: User, person_id: int) -> bool:
    """Whether this user could open this person's record now (no audit: for deciding what to show)."""
    return access.authorize(session, user, Action.VIEW, access_subject(person_id)).allowed


def _describe(person: Person) -> str:
    born = person.date_of_birth.strftime("%-d %b %Y") if person.date_of_birth else None
    return f"{person.full_name}{f', born {born}' if born else ''} (record {person.id})"


# --- validation ------------------------------------------------------------------------------------------------------


def _name(value: str, name: str, label: str, errors: dict[str, str]) -> None:
    text_field(rules.clean_name(value), name, f"the {label}", errors, limit=NAME_MAX, noun=label)


def address_problems(data: AddressInput, prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    text_field(data.line1, f"{prefix}line1", "the first line of the address", errors, limit=200,
               noun="address line 1")
    text_field(data.line2, f"{prefix}line2", "address line 2", errors, limit=200, required=False)
    text_field(data.town, f"{prefix}town", "town or city", errors, limit=100, required=False)
    if data.postcode.strip() and (problem := rules.postcode_problem(data.postcode)):
        errors[f"{prefix}postcode"] = problem
    if data.moved_in is not None and data.moved_in > today():
        errors[f"{prefix}moved_in"] = "Date moved in must be today or in the past"
    return errors


def _identifier_owner(session: Session, column: Any, value: str, exclude_id: int | None) -> Person | None:
    query = select(Person).where(column == value)
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    return session.scalar(query.limit(1))


def _duplicate_message(session: Session, user: User | None, label: str, owner: Person) -> str:
    if user is not None and may_open(session, user, owner.id):
        return f"{label} is already recorded for {_describe(owner)}"
    return f"{label} is already recorded for a restricted record: ask a manager before going further"


def person_problems(session: Session, user: User | None, data: PersonInput, *,
                    existing: Person | None = None) -> dict[str, str]:
    """Every problem with these details, keyed by form field; empty when they may be saved."""
    errors: dict[str, str] = {}
    if data.kind not in set(PersonKind):
        errors["kind"] = "Choose whether this is a child or an adult"
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        _name(getattr(data, name), name, label, errors)
    if data.sex and data.sex not in SEXES:
        errors["sex"] = "Choose the sex from the list"
    if data.ethnicity and data.ethnicity not in ETHNICITIES:
        errors["ethnicity"] = "Choose the ethnicity from the list"
    exclude = existing.id if existing is not None else None
    if data.nhs_number and data.nhs_number.strip():
        if problem := rules.nhs_number_problem(data.nhs_number):
            errors["nhs_number"] = problem
        elif owner := _identifier_owner(session, Person.nhs_number, rules.normalise_nhs_number(data.nhs_number),
                                        exclude):
            errors["nhs_number"] = _duplicate_message(session, user, "This NHS number", owner)
    if data.upn and data.upn.strip():
        if problem := rules.upn_problem(data.upn):
            errors["upn"] = problem
        elif owner := _identifier_owner(session, Person.upn, rules.normalise_upn(data.upn), exclude):
            errors["upn"] = _duplicate_message(session, user, "This UPN", owner)
        elif data.upn_unknown:
            errors["upn_unknown"] = "Give either the UPN or the reason it is not known, not both"
    if data.upn_unknown and data.upn_unknown not in UPN_UNKNOWN_REASONS:
        errors["upn_unknown"] = "Choose the reason the UPN is not known from the list"
    if data.la_child_id and data.la_child_id.strip():
        if problem := rules.la_child_id_problem(data.la_child_id.strip()):
            errors["la_child_id"] = problem
        elif owner := _identifier_owner(session, Person.la_child_id, data.la_child_id.strip(), exclude):
            errors["la_child_id"] = _duplicate_message(session, user, "This local child ID", owner)
    text_field(data.notes, "notes", "notes", errors, limit=NOTES_MAX, required=False)
    expected_changed = existing is None or existing.expected_date_of_birth != data.expected_date_of_birth
    for key, message in rules.date_problems(
        is_child=data.kind == PersonKind.CHILD, date_of_birth=data.date_of_birth,
        expected_date_of_birth=data.expected_date_of_birth, date_of_death=data.date_of_death,
        sex=data.sex or None, today=today(), check_expected_range=expected_changed,
    ).items():
        errors.setdefault(key, message)
    for i, alias in enumerate(data.aliases):
        if not (alias.first_name.strip() or alias.last_name.strip()):
            continue  # an empty alias row on a form is simply not used
        for name, label in (("first_name", "first name"), ("last_name", "last name")):
            _name(getattr(alias, name), f"aliases.{i}.{name}", f"other {label}", errors)
    if data.address is not None:
        errors.update(address_problems(data.address, prefix="address."))
    return errors


# --- create and update -----------------------------------------------------------------------------------------------


def new_la_child_id() -> str:
    """A stable identifier for DfE returns (CIN LAchildID, rules 1570/1580: alphanumeric, at most 20), never
    reused. Random rather than the row id, so it is set before the row is written and reveals no count."""
    return "SG" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _keep_keys(person: Person) -> None:
    person.first_name_key = rules.name_key(person.first_name)
    person.last_name_key = rules.name_key(person.last_name)
    person.first_name_sound = rules.sound_key(person.first_name)
    person.last_name_sound = rules.sound_key(person.last_name)


def _alias(first_name: str, last_name: str) -> PersonAlias:
    first, last = rules.clean_name(first_name), rules.clean_name(last_name)
    return PersonAlias(first_name=first, last_name=last, first_name_key=rules.name_key(first),
                       last_name_key=rules.name_key(last), last_name_sound=rules.sound_key(last))


def _address(data: AddressInput) -> Address:
    return Address(line1=data.line1.strip(), line2=data.line2.strip() or None, town=data.town.strip() or None,
                   postcode=rules.normalise_postcode(data.postcode) if data.postcode.strip() else None,
                   moved_in=data.moved_in)


def _apply(person: Person, data: PersonInput) -> list[str]:
    """Copy cleaned details onto the person; returns the names of the fields that changed."""
    values: dict[str, Any] = {
        "kind": PersonKind(data.kind),
        "first_name": rules.clean_name(data.first_name),
        "last_name": rules.clean_name(data.last_name),
        "date_of_birth": data.date_of_birth,
        "expected_date_of_birth": data.expected_date_of_birth,
        "date_of_death": data.date_of_death,
        "sex": data.sex or None,
        "ethnicity": data.ethnicity or None,
        "nhs_number": rules.normalise_nhs_number(data.nhs_number) if data.nhs_number and data.nhs_number.strip()
        else None,
        "upn": rules.normalise_upn(data.upn) if data.upn and data.upn.strip() else None,
        "upn_unknown": data.upn_unknown or None,
        "notes": data.notes if data.notes and data.notes.strip() else None,
    }
    if data.la_child_id and data.la_child_id.strip():
        values["la_child_id"] = data.la_child_id.strip()
    changed = [name for name, value in values.items() if getattr(person, name) != value]
    for name in changed:
        setattr(person, name, values[name])
    _keep_keys(person)
    return changed


def _flush_identifiers(session: Session) -> None:
    """Write now, so that an identifier someone else recorded a moment ago (after our check) is a clear Conflict
    rather than a server error. The request's transaction is then rolled back whole."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else has just recorded a person with the same NHS number, UPN or local child ID. "
                       "Nothing you entered was saved: search again before adding this person.",
                       field="nhs_number") from None


def create_person(session: Session, database: Database, user: User, data: PersonInput) -> Person:
    """Record a new child or adult, with any other names and a first address. Raises ValidationFailed naming each
    field at fault, before anything is written."""
    access.require(session, database, user, Action.CREATE, AccessSubject(kind=Kind.PERSON))
    errors = person_problems(session, user, data)
    if errors:
        raise ValidationFailed(errors)
    person = Person(kind=PersonKind(data.kind), first_name="", last_name="")
    changed = _apply(person, data)
    if person.la_child_id is None:
        person.la_child_id = new_la_child_id()
    for alias in data.aliases:
        if alias.first_name.strip() or alias.last_name.strip():
            person.aliases.append(_alias(alias.first_name, alias.last_name))
    if data.address is not None:
        person.addresses.append(_address(data.address))
    session.add(person)
    _flush_identifiers(session)
    audit.record(session, access.actor_of(user), "create", "person", person.id, person_id=person.id,
                 detail={"fields": changed, "aliases": len(person.aliases), "address": data.address is not None})
    return person


def update_person(session: Session, database: Database, user: User, person_id: int, expected_version: int,
                  data: PersonInput) -> Person:
    """Change a person's details. Refuses with Conflict when someone else saved first (the form's version)."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    if person.version != expected_version:
        raise Conflict("Someone else changed this record while you were editing it. Nothing you entered was "
                       "saved: reload the record to see their change, then make yours again.", field="version")
    errors = person_problems(session, user, replace(data, aliases=(), address=None), existing=person)
    if errors:
        raise ValidationFailed(errors)
    changed = _apply(person, data)
    _flush_identifiers(session)
    audit.record(session, access.actor_of(user), "update", "person", person.id, person_id=person.id,
                 detail={"fields": changed})
    return person


# --- aliases and addresses -------------------------------------------------------------------------------------------


def add_alias(session: Session, database: Database, user: User, person_id: int, first_name: str,
              last_name: str) -> PersonAlias:
    person = _get(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    errors: dict[str, str] = {}
    for name, value, label in (("alias_first_name", first_name, "other first name"),
                               ("alias_last_name", last_name, "other last name")):
        _name(value, name, label, errors)
    if errors:
        raise ValidationFailed(errors)
    alias = _alias(first_name, last_name)
    person.aliases.append(alias)
    session.flush()
    audit.record(session, access.actor_of(user), "add_alias", "person", person.id, person_id=person.id,
                 detail={"alias_id": alias.id})
    return alias


def remove_alias(session: Session, database: Database, user: User, person_id: int, alias_id: int) -> None:
    person = _get(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    alias = next((a for a in person.aliases if a.id == alias_id), None)
    if alias is None:
        raise NotFound("That other name is not on this record.")
    person.aliases.remove(alias)
    session.flush()
    audit.record(session, access.actor_of(user), "remove_alias", "person", person.id, person_id=person.id,
                 detail={"alias_id": alias_id})


def add_address(session: Session, database: Database, user: User, person_id: int, data: AddressInput) -> Address:
    """Record a move: the new address becomes current and the current one gets its move-out date."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    errors = address_problems(data)
    current = person.current_address
    moved_in = data.moved_in or today()
    if current is not None and current.moved_in is not None and moved_in < current.moved_in and \
            "moved_in" not in errors:
        errors["moved_in"] = (f"Date moved in must be on or after {current.moved_in.strftime('%-d %b %Y')}, when "
                              "they moved into their current address")
    if errors:
        raise ValidationFailed(errors)
    if current is not None:
        current.moved_out = moved_in
    address = _address(replace(data, moved_in=moved_in))
    person.addresses.append(address)
    session.flush()
    audit.record(session, access.actor_of(user), "add_address", "person", person.id, person_id=person.id,
                 detail={"address_id": address.id, "previous_address_id": current.id if current else None})
    return address


def address_history(person: Person) -> list[Address]:
    """Current address first, then earlier ones, latest first."""
    return sorted(person.addresses, key=lambda a: (a.moved_out is None, a.moved_in or date.min, a.id),
                  reverse=True)


# --- family ----------------------------------------------------------------------------------------------------------

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


def add_relationship(session: Session, database: Database, user: User, person_id: int, other_person_id: int,
                     relation: str, started: date | None = None) -> FamilyRelationship:
    """Record how ``other_person_id`` is related to ``person_id`` (a key of RELATION_CHOICES). Symmetric ties are
    stored once, whichever side they are entered from."""
    person = _get(session, person_id)
    errors: dict[str, str] = {}
    if relation not in RELATION_CHOICES:
        errors["relation"] = "Choose how they are related"
    if other_person_id == person_id:
        errors["other_person_id"] = "Choose someone other than this person"
    other = session.get(Person, other_person_id)
    if other is None:
        errors["other_person_id"] = "Choose the person they are related to"
    access.require(session, database, user, Action.UPDATE, AccessSubject(
        kind=Kind.PERSON, id=person_id, person_ids=(person_id, other_person_id) if other else (person_id,)))
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
    if started is not None and started > today():
        errors["started"] = "Date the relationship started must be today or in the past"
    pair = or_(and_(FamilyRelationship.from_person_id == person_id, FamilyRelationship.to_person_id == other.id),
               and_(FamilyRelationship.from_person_id == other.id, FamilyRelationship.to_person_id == person_id))
    for existing in session.scalars(select(FamilyRelationship).where(pair, FamilyRelationship.ended.is_(None))):
        if existing.kind == kind and existing.from_person_id == from_id and existing.to_person_id == to_id:
            errors["relation"] = "This relationship is already recorded"
        elif existing.kind == kind and kind not in SYMMETRIC_RELATIONSHIPS:
            errors["relation"] = "The opposite relationship is already recorded: one cannot be both"
    if errors:
        raise ValidationFailed(errors)
    tie = FamilyRelationship(from_person_id=from_id, to_person_id=to_id, kind=kind, started=started,
                             recorded_by_id=user.id)
    session.add(tie)
    session.flush()
    for side in (person_id, other.id):
        audit.record(session, access.actor_of(user), "add_relationship", "person", side, person_id=side,
                     detail={"relationship_id": tie.id, "kind": str(kind), "from": from_id, "to": to_id})
    return tie


def end_relationship(session: Session, database: Database, user: User, person_id: int, relationship_id: int,
                     ended: date | None = None) -> FamilyRelationship:
    """Record that a tie has ended (a carer no longer caring, someone leaving the household). The tie stays in the
    family history with its end date; nothing is deleted."""
    tie = session.get(FamilyRelationship, relationship_id)
    if tie is None or person_id not in (tie.from_person_id, tie.to_person_id):
        raise NotFound("That relationship is not on this record.")
    access.require(session, database, user, Action.UPDATE, AccessSubject(
        kind=Kind.PERSON, id=person_id, person_ids=(tie.from_person_id, tie.to_person_id)))
    ended = ended or today()
    if tie.ended is not None:
        raise ValidationFailed({"ended": "This relationship has already ended"})
    if ended > today():
        raise ValidationFailed({"ended": "Date it ended must be today or in the past"})
    if tie.started is not None and ended < tie.started:
        raise ValidationFailed({"ended": f"Date it ended must be on or after {tie.started.strftime('%-d %b %Y')}, "
                                         "when it started"})
    tie.ended = ended
    session.flush()
    for side in (tie.from_person_id, tie.to_person_id):
        audit.record(session, access.actor_of(user), "end_relationship", "person", side, person_id=side,
                     detail={"relationship_id": tie.id, "ended": ended.isoformat()})
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
    for tie in ties:
        kind = RelationshipKind(tie.kind)
        relative_is_from = tie.to_person_id == person_id
        relative = tie.from_person if relative_is_from else tie.to_person
        if kind in SYMMETRIC_RELATIONSHIPS:
            label = _LABEL_SYMMETRIC[kind]
        else:
            label = (_LABEL_FROM if relative_is_from else _LABEL_TO)[kind]
        relatives.append(Relative(relationship_id=tie.id, person_id=relative.id, person=relative, kind=kind,
                                  label=label, started=tie.started, ended=tie.ended))
    relatives.sort(key=lambda r: (r.ended is not None, r.label, r.person.full_name if r.person else ""))
    return relatives


def siblings_of(session: Session, person_id: int) -> list[Person]:
    """Brothers and sisters: recorded siblings and half-siblings, and the other children of a recorded parent.

    One query (it runs on every MASH contact view): current sibling ties either way, and the current children of
    the child's current parents."""
    tie = FamilyRelationship
    current = tie.ended.is_(None)
    recorded = select(case((tie.from_person_id == person_id, tie.to_person_id), else_=tie.from_person_id)).where(
        or_(tie.from_person_id == person_id, tie.to_person_id == person_id),
        tie.kind.in_([RelationshipKind.SIBLING, RelationshipKind.HALF_SIBLING]), current)
    parents = select(tie.from_person_id).where(tie.to_person_id == person_id, tie.kind == RelationshipKind.PARENT,
                                                current)
    parents_children = select(tie.to_person_id).where(tie.kind == RelationshipKind.PARENT,
                                                      tie.from_person_id.in_(parents), current)
    return list(session.scalars(
        select(Person).where(Person.id.in_(union(recorded, parents_children)), Person.id != person_id)
        .order_by(Person.date_of_birth.is_(None), Person.date_of_birth, Person.id)))


def _hide_relatives(session: Session, user: User, relatives: list[Relative]) -> list[Relative]:
    restricted = access.restricted_among(session, {r.person_id for r in relatives})
    locked = {i for i in restricted if not may_open(session, user, i)}
    return [replace(r, person=None) if r.person_id in locked else r for r in relatives]


# --- viewing ---------------------------------------------------------------------------------------------------------


def view_person(session: Session, database: Database, user: User, person_id: int) -> PersonRecord:
    """Open a person's record (with family and addresses). A restricted record refuses with AccessDenied, whose
    ``decision.break_glass_possible`` says whether the user may break the glass. Audited as a view."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.VIEW, access_subject(person))
    restriction = session.get(PersonRestriction, person.id)
    named: list[User] = []
    if restriction is not None:
        named = list(session.scalars(select(User).join(PersonRestrictionGrant,
                                                       PersonRestrictionGrant.user_id == User.id)
                                     .where(PersonRestrictionGrant.person_id == person.id).order_by(User.full_name)))
    family = _hide_relatives(session, user, family_of(session, person.id))
    audit.record(session, access.actor_of(user), "view", "person", person.id, person_id=person.id)
    return PersonRecord(person=person, family=family, restriction=restriction, named_users=named)


def person_for_edit(session: Session, database: Database, user: User, person_id: int) -> Person:
    """The person, for a form that will change them (asks the UPDATE permission; audited as a view)."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    audit.record(session, access.actor_of(user), "view", "person", person.id, person_id=person.id,
                 detail={"purpose": "edit"})
    return person


# --- matching and search ---------------------------------------------------------------------------------------------


def exact_matches(session: Session, *, nhs_number: str | None = None, first_name: str | None = None,
                  last_name: str | None = None, date_of_birth: date | None = None) -> list[Person]:
    """People who are certainly this person, for automatic linking by other services (no access check): the same
    valid NHS number, or the same normalised first and last name and date of birth."""
    conditions = []
    if nhs_number and rules.is_valid_nhs_number(nhs_number):
        conditions.append(Person.nhs_number == rules.normalise_nhs_number(nhs_number))
    first_key, last_key = rules.name_key(first_name or ""), rules.name_key(last_name or "")
    if first_key and last_key and date_of_birth is not None:
        conditions.append(and_(Person.last_name_key == last_key, Person.first_name_key == first_key,
                               Person.date_of_birth == date_of_birth))
    if not conditions:
        return []
    return list(session.scalars(select(Person).where(or_(*conditions)).order_by(Person.id)))


def _match_query(first_name: str | None, last_name: str | None, date_of_birth: date | None,
                 nhs_number: str | None, postcode: str | None) -> rules.MatchQuery:
    nhs = rules.normalise_nhs_number(nhs_number or "")
    code = (postcode or "").strip()
    return rules.MatchQuery(
        first_key=rules.name_key(first_name or ""), last_key=rules.name_key(last_name or ""),
        date_of_birth=date_of_birth,
        # An invalid NHS number or postcode finds nobody by that field rather than failing the whole search.
        nhs_number=nhs if rules.is_valid_nhs_number(nhs) else "",
        postcode=rules.normalise_postcode(code) if code and rules.is_valid_postcode(code) else "",
    )


_SCORING_COLUMNS = (Person.id, Person.first_name_key, Person.last_name_key, Person.date_of_birth, Person.nhs_number)


def _prefix_range(column: Any, prefix: str) -> Any:
    # A range on the key rather than LIKE, so both SQLite and PostgreSQL use the index whatever the collation.
    return and_(column >= prefix, column < prefix + "\U0010ffff")


def _gather(session: Session, query: rules.MatchQuery, enough: int) -> dict[int, Any]:
    """People who might match (their scoring columns by id). Every lookup is an indexed equality or prefix range,
    capped at GATHER_LIMIT rows, so no search reads the whole table.

    Strong lookups run first: identifiers, date of birth, postcode, the same name and the same-sounding name (the
    (last, first) indexes). The broad ones (first three letters of the surname with the first initial, other
    names) run only when the strong ones found fewer than ``enough`` names: they can only add weaker name matches,
    and a common name (a town has thousands of Smiths) must not make every search read thousands of rows."""
    cols = _SCORING_COLUMNS
    strong: list[Any] = []
    names: list[Any] = []
    broad: list[Any] = []
    if query.nhs_number:
        strong.append(select(*cols).where(Person.nhs_number == query.nhs_number))
    if query.date_of_birth is not None:
        strong.append(select(*cols).where(Person.date_of_birth == query.date_of_birth))
    name_parts = [(query.last_key, query.first_key)]
    if query.first_key and query.last_key:
        name_parts.append((query.first_key, query.last_key))  # transposed
    elif query.first_key:
        name_parts.append((query.first_key, ""))  # a lone first name may be a surname typed in the wrong box
    for last, first in name_parts:
        if not last:
            continue
        sound, first_sound = rules.sound_key(last), rules.sound_key(first)
        if first:
            names.append(select(*cols).where(Person.last_name_key == last, Person.first_name_key == first))
            if sound and first_sound:
                names.append(select(*cols).where(Person.last_name_sound == sound,
                                              Person.first_name_sound == first_sound))
            broad.append(select(*cols).where(_prefix_range(Person.last_name_key, last[:3]),
                                          _prefix_range(Person.first_name_key, first[:1])))
        else:
            names.append(select(*cols).where(Person.last_name_key == last))
            if sound:
                names.append(select(*cols).where(Person.last_name_sound == sound))
            broad.append(select(*cols).where(_prefix_range(Person.last_name_key, last[:3])))
        alias_last = [_prefix_range(PersonAlias.last_name_key, last[:3])]
        if sound:
            alias_last.append(PersonAlias.last_name_sound == sound)
        broad.append(select(PersonAlias.person_id).where(or_(*alias_last)))
    rows: dict[int, Any] = {}
    for lookup in strong:
        rows.update((row.id, row) for row in session.execute(lookup.limit(GATHER_LIMIT)))
    named: set[int] = set()
    for lookup in names:
        found = {row.id: row for row in session.execute(lookup.limit(GATHER_LIMIT))}
        rows.update(found)
        named.update(found)
    more: set[int] = set()
    if query.postcode:
        more.update(session.scalars(select(Address.person_id).where(Address.postcode == query.postcode)
                                    .limit(GATHER_LIMIT)))
    if len(named) < enough:
        for lookup in broad:
            if lookup.selected_columns[0] is Person.id:
                rows.update((row.id, row) for row in session.execute(lookup.limit(GATHER_LIMIT)))
            else:
                more.update(session.scalars(lookup.limit(GATHER_LIMIT)))
    for chunk in _chunks(sorted(more - rows.keys())):
        rows.update((row.id, row) for row in session.execute(select(*cols).where(Person.id.in_(chunk))))
    return rows


def _chunks(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _score(session: Session, query: rules.MatchQuery, rows: dict[int, Any]) -> list[tuple[int, rules.MatchScore]]:
    ordered = sorted(rows)
    aliases: dict[int, list[tuple[str, str]]] = {}
    postcodes: dict[int, set[str]] = {}
    for chunk in _chunks(ordered):
        for alias in session.execute(select(PersonAlias.person_id, PersonAlias.first_name_key,
                                            PersonAlias.last_name_key).where(PersonAlias.person_id.in_(chunk))):
            aliases.setdefault(alias.person_id, []).append((alias.first_name_key, alias.last_name_key))
        if query.postcode:
            for person_id in session.scalars(select(Address.person_id).where(Address.person_id.in_(chunk),
                                                                             Address.postcode == query.postcode)):
                postcodes.setdefault(person_id, set()).add(query.postcode)
    scored: list[tuple[int, rules.MatchScore]] = []
    for person_id, row in rows.items():
        result = rules.score_match(query, rules.MatchRecord(
            first_key=row.first_name_key, last_key=row.last_name_key, date_of_birth=row.date_of_birth,
            nhs_number=row.nhs_number, postcodes=frozenset(postcodes.get(person_id, ())),
            aliases=tuple(aliases.get(person_id, ()))))
        if result.matched:
            scored.append((person_id, result))
    scored.sort(key=lambda item: (-item[1].score, item[0]))
    return scored


def _candidates(session: Session, query: rules.MatchQuery, limit: int) -> list[Candidate]:
    if query.is_empty:
        return []
    scored = _score(session, query, _gather(session, query, limit))[:limit]
    ids = [person_id for person_id, _ in scored]
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids))
                                               .options(selectinload(Person.addresses)))} if ids else {}
    restricted = access.restricted_among(session, ids)
    return [Candidate(person_id=person_id, score=result.score, reasons=result.reasons, person=people[person_id],
                      restricted=person_id in restricted, identified=_identifies(query, people[person_id]))
            for person_id, result in scored if person_id in people]


def _identifies(query: rules.MatchQuery, person: Person) -> bool:
    if query.nhs_number and person.nhs_number == query.nhs_number:
        return True
    return bool(query.first_key and query.last_key and query.date_of_birth is not None
                and (person.first_name_key, person.last_name_key, person.date_of_birth)
                == (query.first_key, query.last_key, query.date_of_birth))


RESTRICTED_MATCH = "A restricted record matches these details: ask a manager before creating a new record"


def find_candidates(session: Session, *, first_name: str | None, last_name: str | None,
                    date_of_birth: date | None, nhs_number: str | None, postcode: str | None) -> list[Candidate]:
    """Possible matches for a named person, ranked, with reasons (no access check and no audit: the caller does
    both, and must pass the result through :func:`visible_to` before showing it to a user)."""
    query = _match_query(first_name, last_name, date_of_birth, nhs_number, postcode)
    return _candidates(session, query, get_settings().max_page_size)


def visible_to(session: Session, user: User, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates as this user may see them. A restricted person they may not open is shown only when the
    search identifies them (the same NHS number, or the same name and date of birth), and then only as "a
    restricted record matches", so a duplicate is not created; nothing else about them (not even that a restricted
    record has a similar name) is told. The hidden candidate keeps its id for the audit row only: pages and the
    API must not show ``person_id`` of a ``hidden`` candidate."""
    locked = {c.person_id for c in candidates if c.restricted and not may_open(session, user, c.person_id)}
    return [replace(c, person=None, score=0, reasons=(RESTRICTED_MATCH,)) if c.person_id in locked else c
            for c in candidates if c.person_id not in locked or c.identified]


def search(session: Session, database: Database, user: User, query: SearchQuery) -> list[Candidate]:
    """Search before create: by name (spelling- and order-tolerant, aliases too), date of birth, NHS number,
    postcode, or any mix. Ranked, capped at the page size, audited with its terms."""
    access.require(session, database, user, Action.SEARCH, AccessSubject(kind=Kind.PERSON))
    match = _match_query(query.first_name, query.last_name, query.date_of_birth, query.nhs_number,
                         query.postcode)
    found = _candidates(session, match, get_settings().max_page_size)
    candidates = visible_to(session, user, found)
    # Every hit is recorded, shown or not, so each found person's "who has looked at this record" shows the search
    # (and the audit pages hide its terms from those who may not open a restricted one).
    audit.record_search(session, access.actor_of(user), "person", query.terms(),
                        [c.person_id for c in found], detail={"results": len(candidates)})
    return candidates


# --- restriction -----------------------------------------------------------------------------------------------------


def nameable_users(session: Session) -> list[User]:
    """Staff who may be named on a restriction (active, and not partner practitioners)."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.role != Role.PARTNER_PRACTITIONER)
                                .order_by(User.full_name)))


def restriction_of(session: Session, database: Database, user: User, person_id: int
                   ) -> tuple[Person, PersonRestriction | None, list[int]]:
    """The restriction and its named users, for the managers' page."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    restriction = session.get(PersonRestriction, person_id)
    named = list(session.scalars(select(PersonRestrictionGrant.user_id)
                                 .where(PersonRestrictionGrant.person_id == person_id)))
    audit.record(session, access.actor_of(user), "view", "person_restriction", person_id, person_id=person_id)
    return person, restriction, named


def _check_named(session: Session, user_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(user_ids))
    allowed = {u.id for u in nameable_users(session)}
    if any(i not in allowed for i in ids):
        raise ValidationFailed({"named_user_ids": "Name only active staff users"})
    return ids


def restrict(session: Session, database: Database, user: User, person_id: int, reason: str,
             named_user_ids: Iterable[int]) -> PersonRestriction:
    """Restrict a record to the named users (the manager restricting it is always named). Re-restricting an
    already restricted record replaces its reason and named users."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    reason = reason.strip()
    if len(reason) < RESTRICTION_REASON_MIN:
        raise ValidationFailed({"reason": f"Give the reason for restricting this record (at least "
                                          f"{RESTRICTION_REASON_MIN} characters)"})
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
    audit.record(session, access.actor_of(user), "restrict", "person", person_id, person_id=person_id,
                 reason=reason, detail={"named_user_ids": sorted(named)})
    return restriction


def lift_restriction(session: Session, database: Database, user: User, person_id: int, reason: str) -> None:
    person = _get(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    restriction = session.get(PersonRestriction, person_id)
    if restriction is None:
        raise ValidationFailed({"reason": "This record is not restricted"})
    if len(reason.strip()) < RESTRICTION_REASON_MIN:
        raise ValidationFailed({"reason": f"Give the reason for lifting the restriction (at least "
                                          f"{RESTRICTION_REASON_MIN} characters)"})
    session.execute(delete(PersonRestrictionGrant).where(PersonRestrictionGrant.person_id == person_id))
    session.delete(restriction)
    session.flush()
    audit.record(session, access.actor_of(user), "lift_restriction", "person", person_id, person_id=person_id,
                 reason=reason.strip())


def grant(session: Session, database: Database, user: User, person_id: int, user_id: int) -> None:
    """Name one more user on a restriction."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    if session.get(PersonRestriction, person_id) is None:
        raise ValidationFailed({"named_user_ids": "This record is not restricted"})
    _check_named(session, [user_id])
    exists = session.scalar(select(PersonRestrictionGrant.id).where(PersonRestrictionGrant.person_id == person_id,
                                                                    PersonRestrictionGrant.user_id == user_id))
    if exists is None:
        session.add(PersonRestrictionGrant(person_id=person_id, user_id=user_id))
        session.flush()
    audit.record(session, access.actor_of(user), "grant", "person", person_id, person_id=person_id,
                 detail={"user_id": user_id})


def revoke(session: Session, database: Database, user: User, person_id: int, user_id: int) -> None:
    """Take a user off a restriction."""
    person = _get(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person))
    session.execute(delete(PersonRestrictionGrant).where(PersonRestrictionGrant.person_id == person_id,
                                                         PersonRestrictionGrant.user_id == user_id))
    audit.record(session, access.actor_of(user), "revoke", "person", person_id, person_id=person_id,
                 detail={"user_id": user_id})


def break_glass(session: Session, database: Database, user: User, person_id: int, reason: str
                ) -> BreakGlassAccess:
    """Open a restricted record in an emergency, with a reason (audited, time-limited, shown to managers)."""
    _get(session, person_id)
    access.require_role(database, user, Kind.PERSON, Action.BREAK_GLASS)
    if session.get(PersonRestriction, person_id) is None:
        raise DomainError("This record is not restricted: open it as usual.", field="reason")
    return access.break_glass(session, user, person_id, reason)


def break_glass_log(session: Session, database: Database, user: User, person_id: int) -> list[BreakGlassAccess]:
    """Who broke the glass on this record, for managers."""
    _get(session, person_id)
    access.require(session, database, user, Action.MANAGE, access_subject(person_id))
    return list(session.scalars(select(BreakGlassAccess).where(BreakGlassAccess.person_id == person_id)
                                .order_by(BreakGlassAccess.at.desc())))

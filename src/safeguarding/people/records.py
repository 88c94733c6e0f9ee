"""A person's record: who may open it, the checks on its details, creating and changing it, its other names and
addresses.

Every call asks the one access policy (``core.access``) and records what it did in the audit log; none commits.
Other capabilities call :func:`create_person` and :func:`access_subject`; keep their signatures.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguarding.core import access, audit, record_versions
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.codes import ETHNICITIES, SEXES, UPN_UNKNOWN_REASONS
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.record_versions import SavedField
from safeguarding.core.users import User
from safeguarding.people import rules
from safeguarding.people.inputs import AddressInput, PersonInput
from safeguarding.people.models import Address, Person, PersonAlias, PersonKind

NAME_MAX = 100
NOTES_MAX = 20000
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread


# --- access ----------------------------------------------------------------------------------------------------------


def access_subject(person: Person | int) -> AccessSubject:
    """The facts the access policy needs about a person record (restriction is looked up by id)."""
    person_id = person if isinstance(person, int) else person.id
    return AccessSubject(kind=Kind.PERSON, id=person_id, person_ids=(person_id,))


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person record.")
    return person


def may_open(session: Session, user: User, person_id: int) -> bool:
    """Whether this user could open this person's record now (no audit: for deciding what to show)."""
    return access.authorize(session, user, Action.VIEW, access_subject(person_id)).allowed


def _describe(person: Person) -> str:
    born = long_date(person.date_of_birth) if person.date_of_birth else None
    return f"{person.full_name}{f', born {born}' if born else ''} (record {person.id})"


# --- validation ------------------------------------------------------------------------------------------------------


def _name(value: str, name: str, label: str, errors: dict[str, str]) -> None:
    text_field(rules.clean_name(value), name, f"the {label}", errors, limit=NAME_MAX, noun=label)


def address_problems(data: AddressInput, prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    text_field(data.line1, f"{prefix}line1", "the first line of the address", errors, limit=200, noun="address line 1")
    text_field(data.line2, f"{prefix}line2", "address line 2", errors, limit=200, required=False)
    text_field(data.town, f"{prefix}town", "town or city", errors, limit=100, required=False)
    if data.postcode.strip() and (problem := rules.postcode_problem(data.postcode)):
        errors[f"{prefix}postcode"] = problem
    if data.moved_in is not None and data.moved_in > today_in_london():
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


def person_problems(
    session: Session, user: User | None, data: PersonInput, *, existing: Person | None = None
) -> dict[str, str]:
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
        elif owner := _identifier_owner(
            session, Person.nhs_number, rules.normalise_nhs_number(data.nhs_number), exclude
        ):
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
        is_child=data.kind == PersonKind.CHILD,
        date_of_birth=data.date_of_birth,
        expected_date_of_birth=data.expected_date_of_birth,
        date_of_death=data.date_of_death,
        sex=data.sex or None,
        today=today_in_london(),
        check_expected_range=expected_changed,
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


def keep_search_keys(person: Person) -> None:
    person.first_name_key = rules.name_key(person.first_name)
    person.last_name_key = rules.name_key(person.last_name)
    person.first_name_sound = rules.sound_key(person.first_name)
    person.last_name_sound = rules.sound_key(person.last_name)


def new_alias(first_name: str, last_name: str) -> PersonAlias:
    first, last = rules.clean_name(first_name), rules.clean_name(last_name)
    return PersonAlias(
        first_name=first,
        last_name=last,
        first_name_key=rules.name_key(first),
        last_name_key=rules.name_key(last),
        last_name_sound=rules.sound_key(last),
    )


def _address(data: AddressInput) -> Address:
    return Address(
        line1=data.line1.strip(),
        line2=data.line2.strip() or None,
        town=data.town.strip() or None,
        postcode=rules.normalise_postcode(data.postcode) if data.postcode.strip() else None,
        moved_in=data.moved_in,
    )


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
        "nhs_number": rules.normalise_nhs_number(data.nhs_number)
        if data.nhs_number and data.nhs_number.strip()
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
    keep_search_keys(person)
    return changed


def _flush_identifiers(session: Session) -> None:
    """Write now, so that an identifier someone else recorded a moment ago (after our check) is a clear Conflict
    rather than a server error. The request's transaction is then rolled back whole."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "Someone else has just recorded a person with the same NHS number, UPN or local child ID. "
            "Nothing you entered was saved: search again before adding this person.",
            field="nhs_number",
        ) from None


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
            person.aliases.append(new_alias(alias.first_name, alias.last_name))
    if data.address is not None:
        person.addresses.append(_address(data.address))
    session.add(person)
    _flush_identifiers(session)
    audit.record(
        session,
        access.actor_of(user),
        "create",
        "person",
        person.id,
        person_id=person.id,
        detail={"fields": changed, "aliases": len(person.aliases), "address": data.address is not None},
    )
    return person


def _saved_fields(person: Person) -> list[SavedField]:
    """The person's details as their edit form holds them: shown beside a second editor's own text."""

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return [
        SavedField("first_name", "First name", person.first_name),
        SavedField("last_name", "Last name", person.last_name),
        SavedField("date_of_birth", "Date of birth", day(person.date_of_birth), is_date=True),
        SavedField(
            "expected_date_of_birth", "Expected date of birth", day(person.expected_date_of_birth), is_date=True
        ),
        SavedField("date_of_death", "Date of death", day(person.date_of_death), is_date=True),
        SavedField("sex", "Sex", person.sex or "", SEXES),
        SavedField("ethnicity", "Ethnicity", person.ethnicity or "", ETHNICITIES),
        SavedField("nhs_number", "NHS number", person.nhs_number or ""),
        SavedField("upn", "Unique pupil number (UPN)", person.upn or ""),
        SavedField("notes", "Notes", person.notes or ""),
    ]


def update_person(
    session: Session, database: Database, user: User, person_id: int, expected_version: int, data: PersonInput
) -> Person:
    """Change a person's details. Refuses with Conflict when someone else saved first (the form's version)."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    record_versions.check_version(session, "person", person, expected_version, _saved_fields(person))
    errors = person_problems(session, user, replace(data, aliases=(), address=None), existing=person)
    if errors:
        raise ValidationFailed(errors)
    changed = _apply(person, data)
    _flush_identifiers(session)
    audit.record(
        session, access.actor_of(user), "update", "person", person.id, person_id=person.id, detail={"fields": changed}
    )
    return person


# --- aliases and addresses -------------------------------------------------------------------------------------------


def add_alias(
    session: Session, database: Database, user: User, person_id: int, first_name: str, last_name: str
) -> PersonAlias:
    person = get_person(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    errors: dict[str, str] = {}
    for name, value, label in (
        ("alias_first_name", first_name, "other first name"),
        ("alias_last_name", last_name, "other last name"),
    ):
        _name(value, name, label, errors)
    if errors:
        raise ValidationFailed(errors)
    alias = new_alias(first_name, last_name)
    person.aliases.append(alias)
    session.flush()
    audit.record(
        session,
        access.actor_of(user),
        "add_alias",
        "person",
        person.id,
        person_id=person.id,
        detail={"alias_id": alias.id},
    )
    return alias


def remove_alias(session: Session, database: Database, user: User, person_id: int, alias_id: int) -> None:
    person = get_person(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    alias = next((a for a in person.aliases if a.id == alias_id), None)
    if alias is None:
        raise NotFound("That other name is not on this record.")
    person.aliases.remove(alias)
    session.flush()
    audit.record(
        session,
        access.actor_of(user),
        "remove_alias",
        "person",
        person.id,
        person_id=person.id,
        detail={"alias_id": alias_id},
    )


def add_address(session: Session, database: Database, user: User, person_id: int, data: AddressInput) -> Address:
    """Record a move: the new address becomes current and the current one gets its move-out date."""
    person = get_person(session, person_id)
    access.require(session, database, user, Action.UPDATE, access_subject(person))
    errors = address_problems(data)
    current = person.current_address
    moved_in = data.moved_in or today_in_london()
    if (
        current is not None
        and current.moved_in is not None
        and moved_in < current.moved_in
        and "moved_in" not in errors
    ):
        errors["moved_in"] = (
            f"Date moved in must be on or after {long_date(current.moved_in)}, when "
            "they moved into their current address"
        )
    if errors:
        raise ValidationFailed(errors)
    if current is not None:
        current.moved_out = moved_in
    address = _address(replace(data, moved_in=moved_in))
    person.addresses.append(address)
    session.flush()
    audit.record(
        session,
        access.actor_of(user),
        "add_address",
        "person",
        person.id,
        person_id=person.id,
        detail={"address_id": address.id, "previous_address_id": current.id if current else None},
    )
    return address


def address_history(person: Person) -> list[Address]:
    """Current address first, then earlier ones, latest first."""
    return sorted(person.addresses, key=lambda a: (a.moved_out is None, a.moved_in or date.min, a.id), reverse=True)

"""Linking the children and adults a contact names to person records, or creating the records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action
from safeguarding.core.audit import record
from safeguarding.core.db import Database
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.front_door.contacts import (
    flush_or_conflict,
    load_contact,
    require_open,
    start_screening,
    subject_of,
)
from safeguarding.front_door.models import (
    Contact,
    ContactNote,
    ContactSubject,
    NoteKind,
    SubjectRole,
)
from safeguarding.people.inputs import AddressInput, PersonInput
from safeguarding.people.models import Person, PersonKind
from safeguarding.people.records import access_subject, create_person


@dataclass(frozen=True)
class PersonLink:
    """Which person named on the contact is which person record (the contact page's "link" form)."""

    subject_id: int
    person_id: int

    @classmethod
    def read(cls, form: Mapping[str, str]) -> PersonLink:
        """A suggested match's button sends ``person_id``; the person picker beside each person named on the contact
        sends ``person.<subject id>`` (each picker has its own field, as several share the page)."""
        subject_id = record_id(form.get("subject_id"))
        picker = picker_field(subject_id)
        person_id = record_id(form.get("person_id") or form.get(picker))
        if subject_id is None or person_id is None:
            raise ValidationFailed(
                {picker: "Choose a person record to link: type their name, choose Find, then choose them"}
            )
        return cls(subject_id, person_id)


def picker_field(subject_id: int | None) -> str:
    """The person picker field beside this person named on the contact."""
    return f"person.{subject_id}" if subject_id is not None else "person_id"


def subject_chosen(form: Mapping[str, str]) -> int:
    """The person named on the contact to create a record for (the contact page's "create" form)."""
    subject_id = record_id(form.get("subject_id"))
    if subject_id is None:
        raise ValidationFailed({"subject_id": "Choose the child to create a record for"})
    return subject_id


def _subject_on(contact: Contact, subject_id: int) -> ContactSubject:
    subject = next((s for s in contact.subjects if s.id == subject_id), None)
    if subject is None:
        raise NotFound("That person is not named on this contact.")
    return subject


def link_person(
    session: Session, database: Database, user: User, contact_id: int, subject_id: int, person_id: int
) -> ContactSubject:
    """Link a child or adult named on the contact to an existing person record."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    subject = _subject_on(contact, subject_id)
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationFailed({"person_id": "Choose a person record to link"})
    # Linking reveals the record to the page, so the person's own restriction applies.
    access.require(session, database, user, Action.VIEW, access_subject(person))
    require_open(contact, "link people")
    if subject.role == SubjectRole.CHILD and person.kind != "child":
        raise ValidationFailed({"person_id": f"{person.full_name} is recorded as an adult, not a child"})
    subject.person_id = person.id
    start_screening(contact, user)
    session.add(
        ContactNote(
            contact_id=contact.id,
            kind=NoteKind.PERSON_LINKED,
            author_id=user.id,
            text=f"{subject.full_name} linked to the person record of {person.full_name}"
            + (f", born {person.date_of_birth.day} {person.date_of_birth:%B %Y}" if person.date_of_birth else ""),
        )
    )
    record(
        session,
        access.actor_of(user),
        "link_person",
        "contact",
        contact.id,
        person_id=person.id,
        detail={"subject_id": subject.id},
    )
    flush_or_conflict(session, "Someone else changed this contact while you were linking. Reload it and try again.")
    return subject


def create_person_for(session: Session, database: Database, user: User, contact_id: int, subject_id: int) -> Person:
    """Create a new person record from the details the reporter gave, and link it."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    subject = _subject_on(contact, subject_id)
    require_open(contact, "create people")
    if subject.person_id is not None:
        raise Conflict(f"{subject.full_name} is already linked to a person record.", field="subject_id")
    person = create_person(session, database, user, _person_input(subject))
    link_person(session, database, user, contact_id, subject_id, person.id)
    return person


def _person_input(subject: ContactSubject) -> PersonInput:
    """The people service's input built from what the reporter described."""
    address = AddressInput(line1=subject.address, postcode=subject.postcode or "") if subject.address else None
    return PersonInput(
        first_name=subject.first_name,
        last_name=subject.last_name,
        kind=PersonKind.CHILD if subject.role == SubjectRole.CHILD else PersonKind.ADULT,
        date_of_birth=subject.date_of_birth,
        nhs_number=subject.nhs_number,
        address=address,
    )

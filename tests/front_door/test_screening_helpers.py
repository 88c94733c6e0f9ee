"""Helpers for the MASH tests: contacts, people and allocations written straight to the tables, so that each test
starts from a known front door without going through intake (which has its own tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update

from safeguarding.casework.models import Allocation
from safeguarding.core import local_settings
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database, utcnow
from safeguarding.core.users import Role, User
from safeguarding.front_door import rules
from safeguarding.front_door.models import (
    Channel,
    ConsentPosition,
    Contact,
    ContactStatus,
    ContactSubject,
    Rag,
    ReporterKind,
    SubjectRole,
)
from safeguarding.people import inputs as people_inputs
from safeguarding.people import records as people_records
from safeguarding.people.models import FamilyRelationship, Person, RelationshipKind
from tests.support import Factory

WORRY = "Child came to school hungry for the third day running and said there was no food at home."


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@dataclass(frozen=True)
class Child:
    first_name: str = "Amira"
    last_name: str = "Testchild"
    date_of_birth: date | None = date(2016, 5, 4)
    person_id: int | None = None
    postcode: str | None = None  # as the reporter gave it


def make_contact(
    database: Database,
    *,
    received_at: datetime | None = None,
    children: Sequence[Child] = (Child(),),
    rag: Rag | None = None,
    status: ContactStatus = ContactStatus.AWAITING_SCREENING,
    agency_id: int | None = None,
    worry: str = WORRY,
    referral_source: str = "2A",
    due_at: datetime | None = None,
    adults: Sequence[tuple[str, str]] = (),
) -> int:
    """A contact as intake would leave it, with its deadline from the rating (or none) and local settings."""
    received_at = received_at or utcnow() - timedelta(hours=1)
    with database.transaction() as s:
        settings = local_settings.get_all(s)
        contact = Contact(
            received_at=received_at,
            channel=Channel.PORTAL if agency_id else Channel.PHONE,
            reporter_kind=ReporterKind.PARTNER_AGENCY if agency_id else ReporterKind.PUBLIC,
            reporting_agency_id=agency_id,
            reporter_name=None if agency_id else "A neighbour",
            referral_source=referral_source,
            worry=worry,
            consent=ConsentPosition.UNKNOWN,
            status=status,
            rag=rag,
            due_at=due_at or rules.rag_deadline(received_at, rag, settings),
        )
        for c in children:
            contact.subjects.append(
                ContactSubject(
                    role=SubjectRole.CHILD,
                    first_name=c.first_name,
                    last_name=c.last_name,
                    date_of_birth=c.date_of_birth,
                    person_id=c.person_id,
                    postcode=c.postcode,
                )
            )
        for first, last in adults:
            contact.subjects.append(ContactSubject(role=SubjectRole.PARENT, first_name=first, last_name=last))
        s.add(contact)
        s.flush()
        return contact.id


def make_person(
    database: Database,
    user: User,
    first_name: str = "Amira",
    last_name: str = "Testchild",
    date_of_birth: date | None = date(2016, 5, 4),
) -> int:
    with database.transaction() as s:
        person = people_records.create_person(
            s,
            database,
            user,
            people_inputs.PersonInput(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth),
        )
        return person.id


def make_siblings(database: Database, a: int, b: int) -> None:
    with database.transaction() as s:
        s.add(FamilyRelationship(from_person_id=a, to_person_id=b, kind=RelationshipKind.SIBLING))


def allocate(database: Database, person_id: int, worker: User) -> None:
    with database.transaction() as s:
        s.add(Allocation(person_id=person_id, worker_id=worker.id, team_id=worker.team_id))


def rename(database: Database, user: User, full_name: str) -> None:
    with database.transaction() as s:
        s.execute(update(User).where(User.id == user.id).values(full_name=full_name))


def person_exists(database: Database, person_id: int) -> bool:
    with database.transaction() as s:
        return s.get(Person, person_id) is not None


def staff(factory: Factory) -> tuple[User, User]:
    """A MASH worker and a MASH manager in one MASH team."""
    team = factory.team(service="mash")
    return factory.user(Role.MASH_WORKER, team_id=team.id), factory.user(Role.MASH_MANAGER, team_id=team.id)

"""What every MASH use-case shares about one contact: the facts the access policy reads, loading it, auditing a
look at it, the council's settings, writing with a clear conflict, and the screening states.

Each use-case (``front_door.queue``, ``contact_record``, ``linking``, ``rating``, ``checks``, ``decisions``,
``routing``, ``recording``, ``dashboard``) is one unit of work inside the caller's transaction: it asks
``core.access`` first, validates everything before writing, writes, and queues its audit rows. Nothing commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import working_hours_between
from safeguarding.core.errors import Conflict, NotFound
from safeguarding.core.users import User
from safeguarding.front_door.models import Contact, ContactStatus, ContactSubject
from safeguarding.people.listing import ListedPerson
from safeguarding.people.rules import postcode_district

OPEN = (ContactStatus.AWAITING_SCREENING, ContactStatus.IN_SCREENING)
NOTE_MAX = 4000


def listed_child(subject: ContactSubject) -> ListedPerson:
    """A child named in a contact as a list shows them: the name, date of birth and the district of the postcode the
    contact gives, so same-named children are told apart (read from the contact's own row: no query)."""
    return ListedPerson(
        subject.person_id, subject.full_name, subject.date_of_birth, postcode_district(subject.postcode)
    )


def subject_of(contact: Contact) -> AccessSubject:
    """The facts the access policy needs about a contact: the reporting agency and the people it names."""
    person_ids = tuple(sorted({s.person_id for s in contact.subjects if s.person_id is not None}))
    allocated = (contact.routed_to_id,) if contact.routed_to_id else ()
    return AccessSubject(
        kind=Kind.CONTACT,
        id=contact.id,
        agency_id=contact.reporting_agency_id,
        person_ids=person_ids,
        allocated_user_ids=allocated,
    )


def audit_contact(session: Session, user: User, action: str, contact: Contact, **detail: Any) -> None:
    """One audit row per linked person, so each child's "who has looked at this record" shows the contact."""
    person_ids = subject_of(contact).person_ids or (None,)
    for person_id in person_ids:
        record(session, access.actor_of(user), action, "contact", contact.id, person_id=person_id, detail=detail)


def load_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"There is no contact {contact_id}.")
    return contact


def council_settings(session: Session) -> dict[str, Any]:
    return local_settings.get_all(session)


def flush_or_conflict(session: Session, message: str) -> None:
    """Write now, turning a concurrent change (version column) into a clear 409."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(message, field="version") from None


def audit_refusal(session: Session, user: User, action: str, target_type: str, target_id: object, reason: str) -> None:
    """Audit a refusal the policy table cannot express; the row survives the refused request's rollback (queued
    on the request's own session: a second connection would wait on SQLite's write lock)."""
    record(
        session,
        access.actor_of(user),
        action,
        target_type,
        target_id,
        reason=reason,
        outcome="refused",
        survive_rollback=True,
    )


def start_screening(contact: Contact, user: User) -> None:
    if contact.status == ContactStatus.AWAITING_SCREENING:
        contact.status = ContactStatus.IN_SCREENING
    if contact.screened_by_id is None:
        contact.screened_by_id = user.id


def require_open(contact: Contact, doing: str) -> None:
    if contact.status not in OPEN:
        state = str(contact.status).replace("_", " ")
        raise Conflict(f"This contact is {state}, so you cannot {doing} now.", field="status")


def hidden_contacts(session: Session, user: User, contacts: Iterable[Contact]) -> set[int]:
    """Contacts on a list naming a restricted child this user may not open: shown without names.

    One query for the whole page; the per-contact policy check runs only for the (rare) restricted ones."""
    contacts = list(contacts)
    all_ids = {s.person_id for c in contacts for s in c.subjects if s.person_id is not None}
    restricted = access.restricted_among(session, all_ids)
    hidden: set[int] = set()
    for contact in contacts:
        if (
            restricted & set(subject_of(contact).person_ids)
            and not access.authorize(session, user, Action.VIEW, subject_of(contact)).allowed
        ):
            hidden.add(contact.id)
    return hidden


def hours_left(due_at: datetime, now: datetime, opens: time, closes: time) -> float:
    return working_hours_between(now, due_at, opens, closes)


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def level_labels(settings: Mapping[str, Any]) -> dict[int, str]:
    """The council's own names for levels of need 1-4 (local threshold document)."""
    return {level: str(settings[f"threshold.level{level}"]) for level in range(1, 5)}

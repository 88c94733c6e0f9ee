"""Contacts routed to a child's allocated worker (an open case): routing them, the worker's list, and their
answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from safeguarding.casework import referrals as casework
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.users import Role, User
from safeguarding.front_door.contacts import (
    NOTE_MAX,
    RESTRICTED_LABEL,
    audit_contact,
    audit_refusal,
    flush_or_conflict,
    hidden_contacts,
    load_contact,
    require_open,
    subject_of,
)
from safeguarding.front_door.models import (
    Contact,
    ContactNote,
    ContactStatus,
    NoteKind,
)


def route_to_allocated_worker(session: Session, database: Database, user: User, contact_id: int) -> Contact:
    """Open case: pass the contact to the child's allocated worker instead of deciding it in the MASH
    (a local standard: docs/front-door.md)."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    require_open(contact, "route it")
    allocation = next(
        (
            a
            for s in contact.children
            if s.person_id is not None
            if (a := casework.open_allocation(session, s.person_id))
        ),
        None,
    )
    if allocation is None:
        raise ValidationFailed({"route": "No child on this contact has an open case with an allocated worker"})
    contact.status = ContactStatus.ROUTED_TO_ALLOCATED_WORKER
    contact.routed_to_id = allocation.worker_id
    session.add(
        ContactNote(
            contact_id=contact.id,
            kind=NoteKind.ROUTED,
            author_id=user.id,
            text=f"Open case: routed to {allocation.worker.full_name}",
        )
    )
    audit_contact(session, user, "route", contact, routed_to_id=allocation.worker_id)
    flush_or_conflict(session, "Someone else changed this contact while you were routing it. Reload it and try again.")
    return contact


def may_respond(user: User, contact: Contact) -> bool:
    """The worker the contact was routed to, or a team manager of that worker's team."""
    if not access.role_may(user, Kind.CONTACT, Action.RESPOND) or contact.routed_to_id is None:
        return False
    if contact.routed_to_id == user.id:
        return True
    routed = contact.routed_to
    return (
        user.role == Role.TEAM_MANAGER
        and routed is not None
        and routed.team_id is not None
        and routed.team_id == user.team_id
    )


@dataclass(frozen=True)
class RoutedRow:
    contact: Contact
    children: list[str]
    acknowledged_at: datetime | None
    routed_to: str


def my_contacts(session: Session, database: Database, user: User) -> list[RoutedRow]:
    """Contacts on open cases routed to this worker (a team manager sees their team's), unacknowledged first."""
    access.require_role(database, user, Kind.CONTACT, Action.RESPOND)
    query = select(Contact).where(Contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER)
    if user.role == Role.TEAM_MANAGER and user.team_id is not None:
        team_ids = select(User.id).where(User.team_id == user.team_id)
        query = query.where(or_(Contact.routed_to_id == user.id, Contact.routed_to_id.in_(team_ids)))
    else:
        query = query.where(Contact.routed_to_id == user.id)
    contacts = list(
        session.scalars(
            query.options(selectinload(Contact.subjects), selectinload(Contact.routed_to))
            .order_by(Contact.received_at.desc())
            .limit(500)
        )
    )
    acknowledged = (
        dict(
            session.execute(
                select(ContactNote.contact_id, func.min(ContactNote.at))
                .where(ContactNote.kind == NoteKind.ACKNOWLEDGED, ContactNote.contact_id.in_([c.id for c in contacts]))
                .group_by(ContactNote.contact_id)
            ).all()
        )
        if contacts
        else {}
    )
    hidden = hidden_contacts(session, user, contacts)
    rows = [
        RoutedRow(
            contact=c,
            children=[RESTRICTED_LABEL] if c.id in hidden else [s.full_name for s in c.children],
            acknowledged_at=acknowledged.get(c.id),
            routed_to=c.routed_to.full_name if c.routed_to else "",
        )
        for c in contacts
    ]
    rows.sort(key=lambda r: (r.acknowledged_at is not None, -r.contact.received_at.timestamp()))
    record(session, access.actor_of(user), "list", "my_contacts", None, detail={"shown": len(rows)})
    return rows


def respond_to_routed(
    session: Session, database: Database, user: User, contact_id: int, *, acknowledge: bool, note: str | None
) -> ContactNote:
    """The allocated worker acknowledges a contact routed to them, or adds a note to it."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.RESPOND, subject_of(contact))
    if not may_respond(user, contact):
        audit_refusal(session, user, "respond", "contact", contact.id, "contact not routed to this user or their team")
        raise AccessDenied("This contact was not routed to you or your team.")
    errors: dict[str, str] = {}
    text = text_field(note, "note", "the note", errors, limit=NOTE_MAX, required=not acknowledge)
    if errors:
        raise ValidationFailed(errors)
    row = ContactNote(
        contact_id=contact.id,
        kind=NoteKind.ACKNOWLEDGED if acknowledge else NoteKind.NOTE,
        text=text or "Acknowledged",
        author_id=user.id,
    )
    session.add(row)
    session.flush()
    audit_contact(session, user, "acknowledge" if acknowledge else "note", contact, note_id=row.id)
    return row

"""Contacts routed to a child's allocated worker (an open case): routing them, the worker's list, and their
answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from safeguarding.casework import referrals as casework
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON, add_working_days, today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.users import Role, User
from safeguarding.front_door.contacts import (
    NOTE_MAX,
    audit_contact,
    audit_refusal,
    council_settings,
    flush_or_conflict,
    hidden_contacts,
    listed_child,
    load_contact,
    require_open,
    subject_of,
)
from safeguarding.front_door.models import (
    RESPONSES_NEEDING_DETAIL,
    ROUTED_RESPONSE_LABELS,
    Contact,
    ContactNote,
    ContactStatus,
    NoteKind,
    RoutedResponse,
)
from safeguarding.people.listing import RESTRICTED, ListedPerson


def mark_routed(contact: Contact, worker_id: int, at: datetime, settings: Mapping[str, Any]) -> None:
    """Route the contact to the worker: it is theirs to acknowledge by the day the local standard gives, counted in
    working days on the one calendar (core.calendar) from the day it was routed."""
    contact.status = ContactStatus.ROUTED_TO_ALLOCATED_WORKER
    contact.routed_to_id = worker_id
    contact.routed_at = at
    days = int(settings.get("routing.acknowledge.working_days", 1))
    contact.acknowledge_by = add_working_days(at.astimezone(LONDON).date(), days)


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
    mark_routed(contact, allocation.worker_id, utcnow(), council_settings(session))
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
    children: list[ListedPerson]
    acknowledged_at: datetime | None
    routed_to: str
    # The day by which the worker must acknowledge it; overdue once today is past it unacknowledged.
    acknowledge_by: date | None = None
    overdue: bool = False
    response: str | None = None  # what the worker did (the label), once acknowledged


def _response_label(response: str | None) -> str | None:
    known = {str(r): label for r, label in ROUTED_RESPONSE_LABELS.items()}
    return known.get(response) if response else None


def _routed_rows(
    session: Session, user: User, contacts: list[Contact], today: date, *, unacknowledged_only: bool = False
) -> list[RoutedRow]:
    ids = [c.id for c in contacts]
    acks: dict[int, ContactNote] = {}
    if ids:
        for note in session.scalars(
            select(ContactNote)
            .where(ContactNote.kind == NoteKind.ACKNOWLEDGED, ContactNote.contact_id.in_(ids))
            .order_by(ContactNote.at)
        ):
            acks.setdefault(note.contact_id, note)
    hidden = hidden_contacts(session, user, contacts)
    rows = []
    for c in contacts:
        ack = acks.get(c.id)
        if unacknowledged_only and ack is not None:
            continue
        response = ack.response if ack is not None else None
        rows.append(
            RoutedRow(
                contact=c,
                children=[RESTRICTED] if c.id in hidden else [listed_child(s) for s in c.children],
                acknowledged_at=ack.at if ack is not None else None,
                routed_to=c.routed_to.full_name if c.routed_to else "",
                acknowledge_by=c.acknowledge_by,
                overdue=ack is None and c.acknowledge_by is not None and today > c.acknowledge_by,
                response=_response_label(response),
            )
        )
    # Unacknowledged first, the overdue among them first, then by the day they are due; the newest after.
    rows.sort(
        key=lambda r: (
            r.acknowledged_at is not None,
            not r.overdue,
            r.acknowledge_by or date.max,
            -r.contact.received_at.timestamp(),
        )
    )
    return rows


def _routed_query(user: User, *, team: bool) -> Any:
    query = select(Contact).where(Contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER)
    if team and user.role == Role.TEAM_MANAGER and user.team_id is not None:
        team_ids = select(User.id).where(User.team_id == user.team_id)
        return query.where(or_(Contact.routed_to_id == user.id, Contact.routed_to_id.in_(team_ids)))
    return query.where(Contact.routed_to_id == user.id)


def my_contacts(session: Session, database: Database, user: User, *, today: date | None = None) -> list[RoutedRow]:
    """Contacts on open cases routed to this worker (a team manager sees their team's): unacknowledged first, the
    overdue among them first."""
    access.require_role(database, user, Kind.CONTACT, Action.RESPOND)
    today = today or today_in_london()
    contacts = list(
        session.scalars(
            _routed_query(user, team=True)
            .options(selectinload(Contact.subjects), selectinload(Contact.routed_to))
            .order_by(Contact.received_at.desc())
            .limit(500)
        )
    )
    rows = _routed_rows(session, user, contacts, today)
    record(session, access.actor_of(user), "list", "my_contacts", None, detail={"shown": len(rows)})
    return rows


def team_unacknowledged(
    session: Session, database: Database, user: User, *, today: date | None = None
) -> list[RoutedRow]:
    """For a team manager: contacts routed to their team's workers that nobody has acknowledged, overdue first."""
    access.require_role(database, user, Kind.CONTACT, Action.RESPOND)
    if user.role != Role.TEAM_MANAGER:
        return []
    today = today or today_in_london()
    contacts = list(
        session.scalars(
            _routed_query(user, team=True)
            .options(selectinload(Contact.subjects), selectinload(Contact.routed_to))
            .order_by(Contact.received_at.desc())
            .limit(500)
        )
    )
    rows = _routed_rows(session, user, contacts, today, unacknowledged_only=True)
    record(session, access.actor_of(user), "list", "team_unacknowledged_contacts", None, detail={"shown": len(rows)})
    return rows


@dataclass(frozen=True)
class RespondInput:
    """The allocated worker's answer to a routed contact: acknowledge it with what they did, or add a note."""

    acknowledge: bool
    response: str | None
    note: str | None

    @classmethod
    def read(cls, form: Mapping[str, str]) -> RespondInput:
        return cls(
            acknowledge=form.get("respond") == "acknowledge",
            response=form.get("response"),
            note=form.get("response_detail") if form.get("respond") == "acknowledge" else form.get("note"),
        )


def respond_to_routed(
    session: Session,
    database: Database,
    user: User,
    contact_id: int,
    *,
    acknowledge: bool,
    note: str | None,
    response: str | None = None,
) -> ContactNote:
    """The allocated worker acknowledges a contact routed to them with what they did about it, or adds a note."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.RESPOND, subject_of(contact))
    if not may_respond(user, contact):
        audit_refusal(session, user, "respond", "contact", contact.id, "contact not routed to this user or their team")
        raise AccessDenied("This contact was not routed to you or your team.")
    errors: dict[str, str] = {}
    chosen: RoutedResponse | None = None
    if acknowledge:
        if not response:
            errors["response"] = "Select what you did about this contact"
        elif _response_label(response) is None:
            errors["response"] = "Select one of the listed responses"
        else:
            chosen = RoutedResponse(response)
    needs_detail = not acknowledge or chosen in RESPONSES_NEEDING_DETAIL
    what = (
        "the reason for no further action"
        if chosen == RoutedResponse.NO_FURTHER_ACTION
        else "what you did"
        if chosen == RoutedResponse.OTHER
        else "the note"
    )
    box = "response_detail" if acknowledge else "note"
    text = text_field(note, box, what, errors, limit=NOTE_MAX, required=needs_detail)
    if errors:
        raise ValidationFailed(errors)
    if chosen is not None:
        label = ROUTED_RESPONSE_LABELS[chosen]
        text = f"{label}: {text}" if text else label
    row = ContactNote(
        contact_id=contact.id,
        kind=NoteKind.ACKNOWLEDGED if acknowledge else NoteKind.NOTE,
        text=text or "Acknowledged",
        author_id=user.id,
        response=str(chosen) if chosen is not None else None,
    )
    session.add(row)
    session.flush()
    audit_contact(
        session,
        user,
        "acknowledge" if acknowledge else "note",
        contact,
        note_id=row.id,
        **({"response": str(chosen)} if chosen is not None else {}),
    )
    return row

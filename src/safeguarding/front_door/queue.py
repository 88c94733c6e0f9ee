"""The MASH screening queue: open contacts, earliest deadline first, filtered by RAG rating."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.codes import REFERRAL_SOURCES, label
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import PartnerAgency, User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import OPEN, council_settings, hidden_contacts, hours_left
from safeguarding.front_door.models import Contact, ContactSubject, Rag, SubjectRole
from safeguarding.people.listing import RESTRICTED, ListedPerson
from safeguarding.people.rules import postcode_district

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuedContact:
    """The columns of a contact the queue shows, read as plain rows: the page lists 50 contacts and the whole
    contact (its worry text, its relationships) is never needed there (issue 12: ORM objects cost a third of the
    page's CPU)."""

    id: int
    received_at: datetime
    rag: str | None
    due_at: datetime
    status: str

    @property
    def reference(self) -> str:
        return Contact.reference_of(self.id)


@dataclass(frozen=True)
class QueueRow:
    contact: QueuedContact
    children: list[ListedPerson]
    source: str
    hours_left: float  # working hours until the decision is due; negative when overdue
    # Past the deadline by the clock: a deadline that fell at close of office is overdue in the evening although
    # no working time has passed since.
    overdue: bool
    # Who is screening it (the worker who took it up); empty while nobody has.
    screening_by: str = ""


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int
    rag: str | None


def _parse_rag_filter(rag: str | None) -> str | None:
    if rag in (None, "", "all"):
        return None
    if rag == "unrated" or rag in {r.value for r in Rag}:
        return rag
    raise ValidationFailed({"rag": "Choose red, amber, green, not rated or all"})


def _source_of(referral_source: str, agency_name: str | None, reporter_name: str | None) -> str:
    who = agency_name or reporter_name or ""
    source = label(REFERRAL_SOURCES, referral_source)
    return f"{source} ({who})" if who else source


def _hidden(session: Session, user: User, named: dict[int, set[int]]) -> set[int]:
    """Contacts naming a restricted child this user may not open: shown without names. One query for the page;
    the policy's own check (on the whole contact) runs only for the rare contacts naming a restricted person."""
    restricted = access.restricted_among(session, {p for people in named.values() for p in people})
    suspect = [contact_id for contact_id, people in named.items() if people & restricted]
    if not suspect:
        return set()
    return hidden_contacts(session, user, session.scalars(select(Contact).where(Contact.id.in_(suspect))))


def queue(
    session: Session,
    database: Database,
    user: User,
    *,
    rag: str | None = None,
    page: int = 1,
    now: datetime | None = None,
) -> QueuePage:
    """Open contacts (awaiting or in screening), earliest deadline first; read on the ``ix_contact_queue`` index."""
    access.require_role(database, user, Kind.CONTACT, Action.SCREEN)
    rag_filter = _parse_rag_filter(rag)
    now = now or utcnow()
    conditions: list[Any] = [Contact.status.in_([s.value for s in OPEN])]
    if rag_filter == "unrated":
        conditions.append(Contact.rag.is_(None))
    elif rag_filter:
        conditions.append(Contact.rag == rag_filter)
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    screener = aliased(User)
    listed = session.execute(
        select(
            Contact.id,
            Contact.received_at,
            Contact.rag,
            Contact.due_at,
            Contact.status,
            Contact.referral_source,
            PartnerAgency.name,
            Contact.reporter_name,
            screener.full_name,
        )
        .outerjoin(PartnerAgency, PartnerAgency.id == Contact.reporting_agency_id)
        .outerjoin(screener, screener.id == Contact.screened_by_id)
        .where(*conditions)
        .order_by(Contact.due_at, Contact.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    ids = [row[0] for row in listed]
    children: dict[int, list[ListedPerson]] = {contact_id: [] for contact_id in ids}
    named: dict[int, set[int]] = {contact_id: set() for contact_id in ids}
    if ids:
        for contact_id, person_id, role, first, last, born, postcode in session.execute(
            select(
                ContactSubject.contact_id,
                ContactSubject.person_id,
                ContactSubject.role,
                ContactSubject.first_name,
                ContactSubject.last_name,
                ContactSubject.date_of_birth,
                ContactSubject.postcode,
            )
            .where(ContactSubject.contact_id.in_(ids))
            .order_by(ContactSubject.id)
        ):
            if person_id is not None:
                named[contact_id].add(person_id)
            if role == SubjectRole.CHILD:
                name = f"{first} {last}".strip()
                children[contact_id].append(ListedPerson(person_id, name, born, postcode_district(postcode)))
    hidden = _hidden(session, user, named)
    opens, closes = rules.office_hours(council_settings(session))
    rows = [
        QueueRow(
            contact=QueuedContact(id=cid, received_at=received, rag=rag_, due_at=due, status=status),
            children=[RESTRICTED] if cid in hidden else children[cid],
            source=_source_of(source, agency, reporter),
            hours_left=hours_left(due, now, opens, closes),
            overdue=due < now,
            screening_by=screening_by or "",
        )
        for cid, received, rag_, due, status, source, agency, reporter, screening_by in listed
    ]
    record(
        session,
        access.actor_of(user),
        "list",
        "contact_queue",
        None,
        detail={"rag": rag_filter or "all", "page": page, "shown": len(rows)},
    )
    return QueuePage(rows=rows, page=page, pages=pages, total=total, rag=rag_filter)

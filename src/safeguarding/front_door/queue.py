"""The MASH screening queue: open contacts, earliest deadline first, filtered by RAG rating."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.codes import REFERRAL_SOURCES, label
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import (
    OPEN,
    council_settings,
    hidden_contacts,
    hours_left,
    listed_child,
)
from safeguarding.front_door.models import (
    Contact,
    Rag,
)
from safeguarding.people.listing import RESTRICTED, ListedPerson

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    contact: Contact
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


def _source_of(contact: Contact) -> str:
    who = contact.reporting_agency.name if contact.reporting_agency else (contact.reporter_name or "")
    source = label(REFERRAL_SOURCES, contact.referral_source)
    return f"{source} ({who})" if who else source


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
    contacts = list(
        session.scalars(
            select(Contact)
            .where(*conditions)
            .options(selectinload(Contact.subjects))
            .order_by(Contact.due_at, Contact.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    opens, closes = rules.office_hours(council_settings(session))
    hidden = hidden_contacts(session, user, contacts)
    screener_ids = {c.screened_by_id for c in contacts if c.screened_by_id is not None}
    screeners = (
        {
            user_id: name
            for user_id, name in session.execute(select(User.id, User.full_name).where(User.id.in_(screener_ids)))
        }
        if screener_ids
        else {}
    )
    rows = [
        QueueRow(
            contact=c,
            children=[RESTRICTED] if c.id in hidden else [listed_child(s) for s in c.children],
            source=_source_of(c),
            hours_left=hours_left(c.due_at, now, opens, closes),
            overdue=c.due_at < now,
            screening_by=screeners.get(c.screened_by_id, "") if c.screened_by_id is not None else "",
        )
        for c in contacts
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

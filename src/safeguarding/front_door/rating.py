"""RAG rating a contact: the rating sets when its decision is due."""

from __future__ import annotations

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import (
    audit_contact,
    council_settings,
    flush_or_conflict,
    load_contact,
    require_open,
    start_screening,
    subject_of,
)
from safeguarding.front_door.models import (
    Rag,
    RagRating,
)


def rate(
    session: Session, database: Database, user: User, contact_id: int, rating: str | None, rationale: str | None
) -> RagRating:
    """Rate or re-rate a contact. The history is kept; the deadline is recomputed from when it was received."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    errors: dict[str, str] = {}
    if rating not in {r.value for r in Rag}:
        errors["rating"] = "Choose a rating: red, amber or green"
    if problem := rules.rationale_problem(rationale, "rationale for the rating"):
        errors["rating_rationale"] = problem
    if errors:
        raise ValidationFailed(errors)
    require_open(contact, "rate it")
    rag = Rag(str(rating))
    due_at = rules.rag_deadline(contact.received_at, rag, council_settings(session))
    row = RagRating(
        contact_id=contact.id,
        rating=rag,
        rationale=" ".join((rationale or "").split()),
        rated_by_id=user.id,
        due_at=due_at,
    )
    session.add(row)
    previous = contact.rag
    contact.rag = rag
    contact.due_at = due_at
    start_screening(contact, user)
    audit_contact(session, user, "rate", contact, rating=rag.value, previous=previous, due_at=due_at.isoformat())
    flush_or_conflict(session, "Someone else changed this contact while you were rating it. Reload it and try again.")
    return row

"""The front door's clock events, supplied to timescales: a contact about a child still waiting for the MASH's
decision, with the MASH's own deadline (RAG rating, working hours) reused as it stands.

Registered with ``timescales.events`` on import (``front_door/__init__.py`` imports this module).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from safeguarding.front_door.models import Contact, ContactDecision, ContactSubject, RagRating
from safeguarding.timescales import events as timescales
from safeguarding.timescales.events import Reading
from safeguarding.timescales.rules import ClockEvent, EventKind

# Contacts still waiting for the MASH (front_door.rules.OPEN_STATUSES).
CONTACT_OPEN_STATUSES = ("awaiting_screening", "in_screening")


def read(reading: Reading) -> None:
    events, day = reading.out.events, reading.day
    for c_id, person_id, received_at, due_at in reading.fetch(
        select(Contact.id, ContactSubject.person_id, Contact.received_at, Contact.due_at)
        .join(ContactSubject, ContactSubject.contact_id == Contact.id)
        .where(reading.of_share(ContactSubject.person_id), Contact.status.in_(CONTACT_OPEN_STATUSES))
        .distinct()
    ):
        received = day(received_at)
        if person_id is not None and received <= reading.today and reading.wanted(person_id):
            events[person_id].append(
                ClockEvent(EventKind.CONTACT_RECEIVED, received, "contact", c_id, person_id, due_hint=day(due_at))
            )


def dated(after: date, today: date) -> list[Any]:
    """The front door does not derive its children's deadlines as it writes (its contacts are many and mostly
    not about open cases): a contact received, rated, decided or signed off since the start of the last run's
    day counts (its subjects found through the contact ids, so that the time's index is used)."""
    since = datetime.combine(after, time.min, UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, UTC)

    def written(column: Any, contact_id: Any) -> Any:
        return select(ContactSubject.person_id).where(
            ContactSubject.contact_id.in_(select(contact_id).where(column >= since, column < until))
        )

    return [
        written(Contact.received_at, Contact.id),
        written(RagRating.rated_at, RagRating.contact_id),
        written(ContactDecision.decided_at, ContactDecision.contact_id),
        written(ContactDecision.signed_off_at, ContactDecision.contact_id),
    ]


timescales.register(timescales.EventSource("front_door", read, dated))

"""The front door's entries in a child's case chronology: each contact about the child, with its source.

Supplied to case work on import (``front_door/__init__.py`` imports this module): case work imports nothing of the
front door, which calls case work to open referrals.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework.case_record import ChronologyItem, supply_chronology
from safeguarding.core import codes
from safeguarding.core.calendar import LONDON
from safeguarding.front_door.models import Contact, ContactSubject

SHOWN = 200  # the latest contacts about one child


def contacts(session: Session, person_id: int) -> list[ChronologyItem]:
    return [
        ChronologyItem(
            f"contact:{contact_id}",
            received_at.astimezone(LONDON).date(),
            "contact",
            f"Contact {Contact.reference_of(contact_id)}",
            codes.label(codes.REFERRAL_SOURCES, referral_source),
            f"/mash/contacts/{contact_id}",
        )
        for contact_id, received_at, referral_source in session.execute(
            select(Contact.id, Contact.received_at, Contact.referral_source)
            .join(ContactSubject, ContactSubject.contact_id == Contact.id)
            .where(ContactSubject.person_id == person_id)
            .order_by(Contact.received_at.desc())
            .limit(SHOWN)
        )
    ]


supply_chronology("contact", "Contacts", contacts)

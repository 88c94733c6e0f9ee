"""Recording a contact that came to the MASH by phone, e-mail or in person: the same intake as the portal's, for
MASH staff only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.front_door import intake
from safeguarding.front_door.intake import ContactInput
from safeguarding.front_door.models import Contact


def record_contact(session: Session, database: Database, user: User, data: ContactInput) -> Contact:
    """A phone, e-mail or in-person contact typed in by MASH staff."""
    access.require_role(database, user, Kind.CONTACT, Action.SCREEN)
    return intake.submit_contact(session, database, user, data)


def check_contact(session: Session, database: Database, user: User, data: ContactInput) -> None:
    """Validate a contact typed in by MASH staff without recording it; raises ValidationFailed."""
    access.require_role(database, user, Kind.CONTACT, Action.SCREEN)
    intake.check_contact(session, database, user, data)

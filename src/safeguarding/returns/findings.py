"""One page of a stored check's findings (the CIN census's and the SSDA903's), with the names a viewer may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.users import User
from safeguarding.people.models import Person

PAGE_SIZE = 50


@dataclass(frozen=True)
class StoredPage:
    rows: list[tuple[Any, str | None, str | None]]  # (finding, first name, last name)
    hidden: set[int]  # people on the page whose names this viewer may not read
    total: int
    page: int
    pages: int


def stored_page(session: Session, user: User, finding: Any, where: list[Any], page: int) -> StoredPage:
    """The findings of ``finding`` (a mapped class with ``id`` and ``person_id``) matching ``where``, in the order
    found, ``page`` clamped to the last page."""
    total = session.scalar(select(func.count()).select_from(finding).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    rows = [
        (f, first, last)
        for f, first, last in session.execute(
            select(finding, Person.first_name, Person.last_name)
            .outerjoin(Person, Person.id == finding.person_id)
            .where(*where)
            .order_by(finding.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ]
    hidden = access.hidden_people(session, user, {f.person_id for f, _, _ in rows if f.person_id is not None})
    return StoredPage(rows, hidden, total, page, pages)

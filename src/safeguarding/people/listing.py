"""A person as a list shows them: their name and what tells two people of one name apart (date of birth and age,
and the postcode district of their current address), read for a whole list in one statement.

Pages render it with the ``person_name`` macro (web/macros.html). Lists that read people with their own columns add
``models.current_postcode(...)`` to their statement and :func:`rules.postcode_district` to its value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from safeguarding.people.models import Person, current_postcode
from safeguarding.people.rules import postcode_district

RESTRICTED_LABEL = "Restricted record"


@dataclass(frozen=True)
class ListedPerson:
    """One person in a list. ``restricted``: a record the reader may not open, shown by that label alone."""

    person_id: int | None
    name: str
    born: date | None = None
    district: str | None = None
    restricted: bool = False


RESTRICTED = ListedPerson(None, RESTRICTED_LABEL, restricted=True)


def listed_columns() -> Select[int, str, str, date | None, str | None]:
    """The columns a list of people reads, for the caller to join and filter (one statement for the whole list)."""
    return select(Person.id, Person.first_name, Person.last_name, Person.date_of_birth, current_postcode(Person.id))


def listed(row: Row[int, str, str, date | None, str | None]) -> ListedPerson:
    person_id, first, last, born, postcode = row
    return ListedPerson(person_id, f"{first} {last}", born, postcode_district(postcode))


def listed_people(session: Session, person_ids: Iterable[int]) -> dict[int, ListedPerson]:
    """The people named by id, as a list shows them, in one statement."""
    ids = set(person_ids)
    if not ids:
        return {}
    return {row[0]: listed(row) for row in session.execute(listed_columns().where(Person.id.in_(ids)))}

"""Person records from the person index, for linkage: each person's names, date of birth, sex, current postcode
and identifiers. ``record_id`` is the person's id as text; ``source`` is "index"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.people.linkage.records import PersonRecord
from safeguarding.people.models import Person, current_postcode

INDEX_SOURCE = "index"
_BATCH = 5000


def index_records(session: Session, person_ids: Iterable[int] | None = None) -> Iterator[PersonRecord]:
    """The people given (all people when None), by id, read in batches (the index may hold a million people)."""
    columns = (
        Person.id,
        Person.first_name,
        Person.last_name,
        Person.date_of_birth,
        Person.sex,
        Person.nhs_number,
        Person.upn,
        current_postcode(Person.id).label("postcode"),
    )
    if person_ids is None:
        rows: Iterable[Sequence[object]] = session.execute(
            select(*columns).order_by(Person.id).execution_options(yield_per=_BATCH)
        )
        yield from (_record(row) for row in rows)
        return
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for row in session.execute(select(*columns).where(Person.id.in_(chunk)).order_by(Person.id)):
            yield _record(row)


def _record(row: Sequence[object]) -> PersonRecord:
    person_id, first, last, dob, sex, nhs, upn, postcode = row
    return PersonRecord(
        record_id=str(person_id),
        source=INDEX_SOURCE,
        first_name=first,  # type: ignore[arg-type]
        surname=last,  # type: ignore[arg-type]
        dob=dob,  # type: ignore[arg-type]
        sex=sex,  # type: ignore[arg-type]
        postcode=postcode,  # type: ignore[arg-type]
        nhs_number=nhs,  # type: ignore[arg-type]
        upn=upn,  # type: ignore[arg-type]
    )

"""Curated chronologies: entries picked from the automatic chronology, each with the worker's commentary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from safeguarding.casework import rules
from safeguarding.casework.case_access import audit, case_subject, check_version, flush, person_of, require
from safeguarding.casework.case_record import ChronologyItem, case_record
from safeguarding.casework.models import Chronology, ChronologyEntry
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.users import User
from safeguarding.people.models import Person

# --- curated chronologies ---------------------------------------------------------------------------------------------


def chronology_start(session: Session, database: Database, user: User, person_id: int) -> Person:
    """The child, for the form that starts a curated chronology (asks the CREATE permission)."""
    person = person_of(session, person_id)
    require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.CHRONOLOGY))
    audit(session, user, "view", "case", person_id, person_id)
    return person


@dataclass(frozen=True)
class ChronologyInput:
    """A new chronology's title and purpose, and what was wrong with them (raised by the service once it has
    checked the user may start one)."""

    title: str | None
    purpose: str | None = None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> ChronologyInput:
        problems: dict[str, str] = {}
        title = text_field(form.get("title", "") or "", "title", "the title", problems, limit=200)
        purpose = text_field(
            form.get("purpose", "") or "", "purpose", "the purpose", problems, limit=rules.REASON_MAX, required=False
        )
        return cls(title, purpose, problems)


@dataclass(frozen=True)
class EntriesInput:
    """The entries picked from the automatic chronology (their keys, in order) and the commentary on each."""

    picked: tuple[str, ...]
    commentary: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str], picked: Sequence[str]) -> EntriesInput:
        return cls(
            tuple(picked),
            {name.removeprefix("commentary."): value for name, value in form.items() if name.startswith("commentary.")},
        )


def create_chronology(
    session: Session, database: Database, user: User, person_id: int, data: ChronologyInput
) -> Chronology:
    person_of(session, person_id)
    require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.CHRONOLOGY))
    if data.problems:
        raise ValidationFailed(dict(data.problems))
    title, purpose = data.title, data.purpose
    chronology = Chronology(person_id=person_id, title=title, purpose=purpose, created_by_id=user.id)
    session.add(chronology)
    flush(session)
    audit(session, user, "create", "chronology", chronology.id, person_id)
    return chronology


@dataclass
class ChronologyView:
    chronology: Chronology
    person: Person
    available: list[ChronologyItem]
    picked: set[str]


def view_chronology(session: Session, database: Database, user: User, chronology_id: int) -> ChronologyView:
    chronology = session.get(Chronology, chronology_id)
    if chronology is None:
        raise NotFound("There is no such chronology.")
    require(
        session,
        database,
        user,
        Action.VIEW,
        case_subject(session, chronology.person_id, Kind.CHRONOLOGY, chronology.id),
    )
    person = person_of(session, chronology.person_id)
    available = case_record(session, database, user, person.id).chronology
    audit(session, user, "view", "chronology", chronology.id, person.id)
    return ChronologyView(chronology, person, available, {e.source_key for e in chronology.entries})


def update_chronology(
    session: Session,
    database: Database,
    user: User,
    chronology_id: int,
    data: EntriesInput,
    *,
    expected_version: int | None,
) -> Chronology:
    """Pick entries from the automatic chronology and write commentary on each (entries not picked are removed)."""
    chronology = session.get(Chronology, chronology_id)
    if chronology is None:
        raise NotFound("There is no such chronology.")
    require(
        session,
        database,
        user,
        Action.UPDATE,
        case_subject(session, chronology.person_id, Kind.CHRONOLOGY, chronology.id),
    )
    check_version(session, "chronology", chronology, expected_version)
    picked, commentary = list(data.picked), data.commentary
    available = {i.key: i for i in case_record(session, database, user, chronology.person_id).chronology}
    errors: dict[str, str] = {}
    for key, text in commentary.items():
        text_field(text, f"commentary.{key}", "the commentary", errors, limit=rules.TEXT_MAX, required=False)
    unknown = [k for k in picked if k not in available and k not in {e.source_key for e in chronology.entries}]
    if unknown:
        errors["picked"] = "An entry you picked is no longer on the child's record: reload the page"
    if errors:
        raise ValidationFailed(errors)
    existing = {e.source_key: e for e in chronology.entries}
    keep: list[ChronologyEntry] = []
    for key in dict.fromkeys(picked):
        entry = existing.get(key)
        if entry is None:
            item = available[key]
            entry = ChronologyEntry(
                source_key=key,
                occurred_on=item.on,
                kind=item.kind,
                summary=f"{item.title}{': ' + item.detail if item.detail else ''}",
            )
        entry.commentary = (commentary.get(key) or "").strip() or None
        keep.append(entry)
    chronology.entries = keep
    # A change to the entries alone does not update the chronology's row: mark it changed, so its version moves on
    # and a second editor working from the old version is told.
    flag_modified(chronology, "title")
    flush(session)
    audit(session, user, "update", "chronology", chronology.id, chronology.person_id, entries=len(keep))
    return chronology

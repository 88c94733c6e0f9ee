"""Merging two records of one person, and unmerging: previews, then one transaction each.

A merge keeps both records. The survivor takes, field by field, the value the officer chose; every row that named
the other record (found by ``references``: every foreign key to ``person.id`` and every declared network node) is
moved to the survivor, except a row that would collide with one the survivor already has (both people on one
case, household or item; a tie between the two records themselves), which is set aside: it stays, untouched, with
the other record, and the merge says why. The other record is marked merged into the survivor, so old links and its
audit rows lead to the survivor; the audit log is never rewritten. Both records' details as they were, and every row
moved, set aside, added or already the survivor's, are kept with the merge, so an unmerge puts both back exactly;
what was recorded on the survivor since goes to the record it was about (a row hanging from a moved row goes with
it), or where the officer chooses.

Every call asks the one access policy (``core.access``) and is audited; none commits.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguarding.core import access, audit
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.codes import ETHNICITIES, SEXES, UPN_UNKNOWN_REASONS
from safeguarding.core.dates import long_date
from safeguarding.core.db import Base, Database, utcnow
from safeguarding.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import User
from safeguarding.people import records
from safeguarding.people.duplicates import rows as row_words
from safeguarding.people.duplicates.models import (
    DuplicatePair,
    MergeStatus,
    PairStatus,
    PersonMerge,
    PersonMergeRow,
    RowFate,
)
from safeguarding.people.duplicates.references import (
    Reference,
    movable_references,
    self_tie_forbidden,
)
from safeguarding.people.models import Person, PersonKind

REASON_MIN = 10
REASON_MAX = 2000
SURVIVOR, MERGED = "survivor", "merged"
# The details an officer chooses between, in the order the preview shows them.
CHOOSABLE: tuple[tuple[str, str], ...] = (
    ("kind", "Child or adult"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("date_of_birth", "Date of birth"),
    ("expected_date_of_birth", "Expected date of birth"),
    ("date_of_death", "Date of death"),
    ("sex", "Sex"),
    ("ethnicity", "Ethnicity"),
    ("nhs_number", "NHS number"),
    ("upn", "Unique pupil number (UPN)"),
    ("upn_unknown", "Reason the UPN is not known"),
    ("la_child_id", "Local child ID"),
)
IDENTIFIERS = ("nhs_number", "upn", "la_child_id")
# Kept out of a snapshot: the row's id, and the counter of its edits (an unmerge is itself an edit).
_NOT_SNAPSHOT = frozenset({"id", "version"})


def shown_value(name: str, value: Any) -> str:
    if value is None or value == "":
        return "Not recorded"
    if isinstance(value, date):
        return long_date(value)
    if name == "sex":
        return SEXES.get(value, value)
    if name == "ethnicity":
        return ETHNICITIES.get(value, value)
    if name == "upn_unknown":
        return UPN_UNKNOWN_REASONS.get(value, value)
    if name == "kind":
        return "Child" if value == PersonKind.CHILD else "Adult"
    return str(value)


# --- access and lookups ----------------------------------------------------------------------------------------


def _subject(kind: Kind, *people: int, record_id: object = None) -> AccessSubject:
    return AccessSubject(kind=kind, id=record_id, person_ids=tuple(sorted(set(people))))


def _live(session: Session, person_id: int) -> Person:
    person = records.get_person(session, person_id)
    if person.merged_into_id is not None:
        raise DomainError(
            f"Record {person_id} has already been merged into record {person.merged_into_id}: merge with that one.",
            field="survivor",
        )
    return person


def survivor_of(session: Session, person_id: int) -> int:
    """The record this one lives on as: itself, or the survivor of the merges it went into (old links resolve)."""
    seen: set[int] = set()
    current = person_id
    while current not in seen:
        seen.add(current)
        into = session.scalar(select(Person.merged_into_id).where(Person.id == current))
        if into is None:
            return current
        current = into
    return current


def merged_into(session: Session, person_id: int) -> list[int]:
    """Every record merged (in effect) into this one, and into those, so a survivor's audit shows them all."""
    found: list[int] = []
    frontier = [person_id]
    while frontier:
        children = list(session.scalars(select(Person.id).where(Person.merged_into_id.in_(frontier))))
        children = [c for c in children if c not in found and c != person_id]
        found.extend(children)
        frontier = children
    return sorted(found)


# --- the plan: what a merge would do -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRow:
    ref: Reference
    key: dict[str, Any]
    fate: RowFate
    description: str
    note: str | None = None
    data: str | None = None  # the whole row, for a row set aside


@dataclass(frozen=True)
class FieldChoice:
    name: str
    label: str
    survivor: str
    merged: str
    chosen: str  # SURVIVOR or MERGED; empty where both records hold a different value and nobody has chosen

    @property
    def differs(self) -> bool:
        return self.survivor != self.merged


@dataclass
class MergePlan:
    survivor: Person
    merged: Person
    fields: list[FieldChoice]
    rows: list[PlannedRow] = field(default_factory=list)
    restriction_notes: list[str] = field(default_factory=list)

    @property
    def moving(self) -> list[tuple[str, list[str]]]:
        """What moves to the survivor, grouped by what it is: (label, descriptions)."""
        return _grouped(r for r in self.rows if r.fate == RowFate.MOVED)

    @property
    def set_aside(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.fate == RowFate.SET_ASIDE]


def _grouped(planned: Any) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for row in planned:
        groups[row_words.label(row.ref.table)].append(row.description)
    return sorted(groups.items())


def _names(ref: Reference, row: Mapping[Any, Any], person_id: int) -> bool:
    if row[ref.column.name] != person_id:
        return False
    return ref.kind_column is None or row[ref.kind_column.name] == "person"


def _collides(session: Session, ref: Reference, row: Mapping[Any, Any], survivor_id: int) -> bool:
    """Whether moving this row to the survivor would break one of its table's unique keys."""
    table = ref.table
    key = row_words.key_of(table, row)
    for columns in ref.unique_keys:
        values = {c.name: (survivor_id if c is ref.column else row[c.name]) for c in columns}
        if any(v is None for v in values.values()):
            continue  # NULLs never collide
        clash = exists().where(row_words.where_key(table, values), ~row_words.where_key(table, key))
        if session.scalar(select(clash)):
            return True
    return False


def _field_choices(survivor: Person, merged: Person, chosen: Mapping[str, str] | None) -> list[FieldChoice]:
    """Each detail's two values and the one kept. Where only one record holds a value it is kept; where both hold
    different values nothing is assumed: the officer chooses (``chosen`` is empty until they do)."""
    fields: list[FieldChoice] = []
    for name, label in CHOOSABLE:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if theirs in (None, "") or mine == theirs:
            default = SURVIVOR
        elif mine in (None, ""):
            default = MERGED
        else:
            default = ""
        pick = (chosen or {}).get(name, "")
        fields.append(
            FieldChoice(
                name,
                label,
                shown_value(name, mine),
                shown_value(name, theirs),
                pick if default == "" and pick in (SURVIVOR, MERGED) else default,
            )
        )
    return fields


def choice_problems(fields: list[FieldChoice]) -> dict[str, str]:
    """The details that differ and were not chosen, keyed by their form field, in the preview's order."""
    return {f"choice.{f.name}": f"Choose which {f.label.lower()} to keep" for f in fields if not f.chosen}


def plan_merge(
    session: Session, survivor: Person, merged: Person, chosen: Mapping[str, str] | None = None
) -> MergePlan:
    """What merging ``merged`` into ``survivor`` would do, changing nothing."""
    plan = MergePlan(survivor=survivor, merged=merged, fields=_field_choices(survivor, merged, chosen))
    session.flush()
    references = movable_references()
    by_table: dict[str, list[Reference]] = defaultdict(list)
    for ref in references:
        by_table[ref.table.name].append(ref)
    set_aside: set[tuple[str, str]] = set()
    for ref in references:
        table = ref.table
        for row in session.execute(select(table).where(ref.names(merged.id))).mappings():
            key = row_words.key_of(table, row)
            if (table.name, row_words.key_text(key)) in set_aside:
                continue
            description = row_words.describe(table, row)
            tie = any(_names(o, row, survivor.id) and self_tie_forbidden(ref, o) for o in by_table[table.name])
            note = None
            if tie:
                note = (
                    f"{row_words.label(table)} between the two records themselves: it cannot name one person twice, "
                    "so it stays with the other record"
                )
            elif _collides(session, ref, row, survivor.id):
                note = (
                    f"Both records have this {row_words.label(table).lower()}: the survivor's is kept and the other "
                    "record's stays with it"
                )
            if note is None:
                plan.rows.append(PlannedRow(ref, key, RowFate.MOVED, description))
                continue
            set_aside.add((table.name, row_words.key_text(key)))
            plan.rows.append(
                PlannedRow(ref, key, RowFate.SET_ASIDE, description, note=note, data=row_words.row_text(table, row))
            )
    if session.get(PersonRestriction, merged.id) is not None:
        plan.restriction_notes.append(
            "The other record is restricted: the survivor will be restricted too, with everyone named on either"
        )
    elif session.get(PersonRestriction, survivor.id) is not None:
        plan.restriction_notes.append("The survivor is restricted and stays restricted")
    return plan


# --- previews ------------------------------------------------------------------------------------------------------


def merge_preview(
    session: Session,
    database: Database,
    user: User,
    survivor_id: int,
    merged_id: int,
    chosen: Mapping[str, str] | None = None,
) -> MergePlan:
    """The preview of a merge: each field's two values and the one that survives, everything that moves, what is
    set aside and why. Asks the policy for both people; audited as a view of both."""
    if survivor_id == merged_id:
        raise ValidationFailed({"survivor": "Choose two different records"})
    access.require(session, database, user, Action.CREATE, _subject(Kind.PERSON_MERGE, survivor_id, merged_id))
    survivor, merged = _live(session, survivor_id), _live(session, merged_id)
    plan = plan_merge(session, survivor, merged, chosen)
    audit.record_view(
        session,
        access.actor_of(user),
        "person_merge_preview",
        None,
        (survivor_id, merged_id),
        detail={"survivor_id": survivor_id, "merged_id": merged_id},
    )
    return plan


MERGE_REASON = "the reason these two records are one person"
UNMERGE_REASON = "the reason for undoing this merge"


def reason_problems(value: str, what: str, name: str = "reason") -> dict[str, str]:
    """What is wrong with a reason given for a merge or an unmerge (keyed by its field): empty when it will do."""
    errors: dict[str, str] = {}
    text = text_field(value, name, what, errors, limit=REASON_MAX, noun="reason")
    if not errors and len((text or "").strip()) < REASON_MIN:
        errors[name] = f"Give {what} (at least {REASON_MIN} characters)"
    return errors


def _reason(value: str, what: str) -> str:
    if errors := reason_problems(value, what):
        raise ValidationFailed(errors)
    return value.strip()


def decoded(table: Any, name: str, value: Any) -> Any:
    """A snapshot's value in its column's own type."""
    return row_words.decode(table.c[name], value)


# --- merging -------------------------------------------------------------------------------------------------------


def snapshot(person: Person) -> str:
    table = Base.metadata.tables["person"]
    return json.dumps(
        {c.name: row_words.encode(getattr(person, c.key)) for c in table.columns if c.name not in _NOT_SNAPSHOT},
        sort_keys=True,
    )


def _restore(person: Person, text: str, *, only: tuple[str, ...] | None = None) -> None:
    table = Base.metadata.tables["person"]
    for name, value in json.loads(text).items():
        if only is not None and name not in only:
            continue
        setattr(person, name, row_words.decode(table.c[name], value))


def _add_row(
    session: Session, merge: PersonMerge, ref_table: str, key: Mapping[str, Any], column: str, **kw: Any
) -> None:
    session.add(
        PersonMergeRow(
            merge_id=merge.id, table_name=ref_table, row_key=row_words.key_text(key), column_name=column, **kw
        )
    )


def _merge_restriction(session: Session, merge: PersonMerge, survivor_id: int, merged_id: int) -> None:
    """The survivor is restricted if either was, with everyone named on either; the merged-away record keeps its
    own restriction. What is added is recorded, so an unmerge takes exactly that away."""
    theirs = session.get(PersonRestriction, merged_id)
    if theirs is None:
        return
    if session.get(PersonRestriction, survivor_id) is None:
        session.add(
            PersonRestriction(person_id=survivor_id, reason=theirs.reason, restricted_by_id=theirs.restricted_by_id)
        )
        session.flush()
        _add_row(session, merge, "person_restriction", {"person_id": survivor_id}, "person_id", fate=RowFate.ADDED)
    named = set(
        session.scalars(select(PersonRestrictionGrant.user_id).where(PersonRestrictionGrant.person_id == survivor_id))
    )
    for user_id in session.scalars(
        select(PersonRestrictionGrant.user_id)
        .where(PersonRestrictionGrant.person_id == merged_id)
        .order_by(PersonRestrictionGrant.user_id)
    ):
        if user_id in named:
            continue
        grant = PersonRestrictionGrant(person_id=survivor_id, user_id=user_id)
        session.add(grant)
        session.flush()
        _add_row(session, merge, "person_restriction_grant", {"id": grant.id}, "person_id", fate=RowFate.ADDED)


def _apply_fields(session: Session, survivor: Person, merged: Person, fields: list[FieldChoice]) -> list[str]:
    """The chosen values onto the survivor; the other record gives up its identifiers (each is unique, and it is
    kept only as a pointer to the survivor now). Returns the fields that took the other record's value."""
    taken = {f.name: getattr(merged, f.name) for f in fields if f.chosen == MERGED}
    for name in IDENTIFIERS:
        setattr(merged, name, None)
    # Given up before the survivor takes one: the database checks each row's update on its own.
    _flush(session)
    for name, value in taken.items():
        setattr(survivor, name, value)
    if survivor.upn:
        survivor.upn_unknown = None
    if merged.notes and merged.notes != survivor.notes:
        survivor.notes = f"{survivor.notes}\n\n{merged.notes}" if survivor.notes else merged.notes
    records.keep_search_keys(survivor)
    return sorted(taken)


def merge(
    session: Session,
    database: Database,
    user: User,
    survivor_id: int,
    merged_id: int,
    chosen: Mapping[str, str],
    reason: str,
    *,
    pair_id: int | None = None,
) -> PersonMerge:
    """Merge ``merged_id`` into ``survivor_id`` in one transaction (the caller's). Refuses, naming each, while a
    detail both records hold differently has not been chosen."""
    if survivor_id == merged_id:
        raise ValidationFailed({"survivor": "Choose two different records"})
    access.require(session, database, user, Action.CREATE, _subject(Kind.PERSON_MERGE, survivor_id, merged_id))
    reason = _reason(reason, MERGE_REASON)
    if pair_id is not None:
        pair = session.get(DuplicatePair, pair_id)
        if pair is None or {pair.left_id, pair.right_id} != {survivor_id, merged_id}:
            raise NotFound("There is no such pair.")
        if pair.status != PairStatus.PROPOSED:
            raise DomainError("This pair has already been decided: it cannot be merged again.", field="reason")
    survivor, merged = _live(session, survivor_id), _live(session, merged_id)
    plan = plan_merge(session, survivor, merged, chosen)
    if problems := choice_problems(plan.fields):
        raise ValidationFailed(problems)
    merge_row = PersonMerge(
        survivor_id=survivor_id,
        merged_id=merged_id,
        pair_id=pair_id,
        merged_by_id=user.id,
        reason=reason,
        survivor_snapshot=snapshot(survivor),
        merged_snapshot=snapshot(merged),
    )
    session.add(merge_row)
    session.flush()
    # The survivor's own rows, as they are now: what is on it later and in neither list came since.
    for ref in movable_references():
        key_columns = list(ref.table.primary_key.columns)
        for row in session.execute(select(*key_columns).where(ref.names(survivor_id))).mappings():
            _add_row(session, merge_row, ref.table.name, dict(row), ref.column.name, fate=RowFate.KEPT)
    # A row set aside stays, untouched, with the merged-away record (kept whole here for the record's page).
    for planned in plan.set_aside:
        _add_row(
            session,
            merge_row,
            planned.ref.table.name,
            planned.key,
            planned.ref.column.name,
            fate=RowFate.SET_ASIDE,
            from_person_id=merged_id,
            row_data=planned.data,
            note=planned.note,
        )
    for planned in plan.rows:
        if planned.fate != RowFate.MOVED:
            continue
        table = planned.ref.table
        session.execute(
            update(table)
            .where(row_words.where_key(table, planned.key))
            .values({planned.ref.column.name: survivor_id})
            .execution_options(synchronize_session=False)
        )
        # Kept by the key it has now: where the person is part of the key (a disability code), that is the survivor.
        moved_key = {
            **planned.key,
            **({planned.ref.column.name: survivor_id} if planned.ref.column.name in planned.key else {}),
        }
        _add_row(
            session,
            merge_row,
            table.name,
            moved_key,
            planned.ref.column.name,
            fate=RowFate.MOVED,
            from_person_id=merged_id,
        )
    _merge_restriction(session, merge_row, survivor_id, merged_id)
    session.expire_all()
    survivor, merged = records.get_person(session, survivor_id), records.get_person(session, merged_id)
    # Both names stay findable: whichever the survivor does not now carry becomes another name it is known by.
    names = [(survivor.first_name, survivor.last_name), (merged.first_name, merged.last_name)]
    taken = _apply_fields(session, survivor, merged, plan.fields)
    merged.merged_into_id = survivor_id
    _flush(session)
    known = {(survivor.first_name, survivor.last_name)} | {(a.first_name, a.last_name) for a in survivor.aliases}
    for name in names:
        if name in known:
            continue
        known.add(name)
        alias = records.new_alias(*name)
        survivor.aliases.append(alias)
        session.flush()
        _add_row(session, merge_row, "person_alias", {"id": alias.id}, "person_id", fate=RowFate.ADDED)
    merge_row.choices = json.dumps({f.name: f.chosen for f in plan.fields}, sort_keys=True)
    merge_row.result_snapshot = snapshot(survivor)
    if pair_id is not None:
        pair = session.get(DuplicatePair, pair_id)
        if pair is not None:
            pair.status = PairStatus.MERGED
            pair.decided_by_id, pair.decided_at, pair.decision_reason = user.id, utcnow(), reason
    # Other proposals naming the merged-away record are parked, not deleted: the queue leaves them out while it is
    # part of the survivor, and they are back in the queue if the merge is undone.
    session.flush()
    counts = {"moved": sum(r.fate == RowFate.MOVED for r in plan.rows), "set_aside": len(plan.set_aside)}
    for person_id in (survivor_id, merged_id):
        audit.record(
            session,
            access.actor_of(user),
            "merge",
            "person_merge",
            merge_row.id,
            person_id=person_id,
            reason=reason,
            detail={"survivor_id": survivor_id, "merged_id": merged_id, "took_from_merged": taken, **counts},
        )
    return merge_row


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "Someone has just recorded one of these identifiers on another person. Nothing was changed: "
            "check the identifiers and try again.",
            field="reason",
        ) from None


# --- unmerging -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedSince:
    """A row recorded on the survivor since the merge: where it goes back to unless the officer chooses."""

    ref: Reference
    key: dict[str, Any]
    description: str
    goes_to: str  # SURVIVOR or MERGED
    why: str

    @property
    def token(self) -> str:
        """The form field that carries the officer's choice for this row."""
        return f"since.{self.ref.table.name}.{self.ref.column.name}.{row_words.key_text(self.key)}"


@dataclass
class UnmergePlan:
    merge: PersonMerge
    survivor: Person
    merged: Person
    merged_before: dict[str, Any]
    survivor_before: dict[str, Any]
    moving_back: list[tuple[str, list[str]]]
    put_back: list[tuple[str, list[str]]]
    since: list[RecordedSince]
    gone: list[str]
    # Details changed on the survivor since the merge, which the unmerge sets back: (label, now, goes back to).
    changed_since: list[tuple[str, str, str]] = field(default_factory=list)


def get_merge(session: Session, merge_id: int) -> PersonMerge:
    found = session.get(PersonMerge, merge_id)
    if found is None:
        raise NotFound("There is no such merge.")
    return found


def _merge_rows(session: Session, merge_id: int) -> list[PersonMergeRow]:
    return list(
        session.scalars(select(PersonMergeRow).where(PersonMergeRow.merge_id == merge_id).order_by(PersonMergeRow.id))
    )


def _check_unmergeable(session: Session, found: PersonMerge) -> None:
    if found.status != MergeStatus.MERGED:
        raise DomainError("This merge has already been undone.", field="reason")
    survivor = records.get_person(session, found.survivor_id)
    if survivor.merged_into_id is not None:
        raise DomainError(
            f"The survivor was later merged into record {survivor.merged_into_id}: unmerge that merge first.",
            field="reason",
        )
    later = session.scalar(
        select(PersonMerge.merged_id).where(
            PersonMerge.survivor_id == found.survivor_id,
            PersonMerge.status == MergeStatus.MERGED,
            PersonMerge.id > found.id,
        )
    )
    if later is not None:
        raise DomainError(
            f"Record {later} was merged into the survivor after this merge: unmerge that merge first.",
            field="reason",
        )


def plan_unmerge(session: Session, found: PersonMerge) -> UnmergePlan:
    session.flush()
    touched = _merge_rows(session, found.id)
    known: set[tuple[str, str, str]] = {(r.table_name, r.column_name, r.row_key) for r in touched}
    moved_keys: set[tuple[str, str]] = {(r.table_name, r.row_key) for r in touched if r.fate == RowFate.MOVED}
    references = {(ref.table.name, ref.column.name): ref for ref in movable_references()}
    moving_back: dict[str, list[str]] = defaultdict(list)
    gone: list[str] = []
    for r in touched:
        if r.fate != RowFate.MOVED or (r.table_name, r.column_name) not in references:
            continue
        ref = references[(r.table_name, r.column_name)]
        row = (
            session.execute(
                select(ref.table).where(row_words.where_key(ref.table, row_words.key_from_text(ref.table, r.row_key)))
            )
            .mappings()
            .first()
        )
        if row is None:
            gone.append(f"{row_words.label(ref.table)} (removed since the merge)")
        else:
            moving_back[row_words.label(ref.table)].append(row_words.describe(ref.table, row))
    put_back: dict[str, list[str]] = defaultdict(list)
    for r in touched:
        if r.fate == RowFate.SET_ASIDE and r.row_data:
            table = references[(r.table_name, r.column_name)].table
            put_back[row_words.label(table)].append(
                row_words.describe(table, row_words.row_from_text(table, r.row_data))
            )
    since: list[RecordedSince] = []
    for ref in references.values():
        table = ref.table
        parents = [
            (fk.parent.name, fk.column.table.name, fk.column.name)
            for fk in table.foreign_keys
            if fk.column.table.name != "person"
        ]
        for row in session.execute(select(table).where(ref.names(found.survivor_id))).mappings():
            key = row_words.key_of(table, row)
            text = row_words.key_text(key)
            if (table.name, ref.column.name, text) in known:
                continue
            goes_to, why = SURVIVOR, "Recorded on the survivor since the merge"
            for column, parent, target in parents:
                if row[column] is not None and (parent, row_words.key_text({target: row[column]})) in moved_keys:
                    goes_to = MERGED
                    why = "Recorded since the merge on something that came from the other record"
                    break
            since.append(RecordedSince(ref, key, row_words.describe(table, row), goes_to, why))
    survivor = records.get_person(session, found.survivor_id)
    changed: list[tuple[str, str, str]] = []
    if found.result_snapshot:
        after, now, before = (
            json.loads(found.result_snapshot),
            json.loads(snapshot(survivor)),
            json.loads(found.survivor_snapshot),
        )
        table = Base.metadata.tables["person"]
        for name, label in (*CHOOSABLE, ("notes", "Notes")):
            if after.get(name) != now.get(name):
                changed.append(
                    (
                        label,
                        shown_value(name, decoded(table, name, now.get(name))),
                        shown_value(name, decoded(table, name, before.get(name))),
                    )
                )
    return UnmergePlan(
        merge=found,
        survivor=survivor,
        merged=records.get_person(session, found.merged_id),
        merged_before=json.loads(found.merged_snapshot),
        survivor_before=json.loads(found.survivor_snapshot),
        moving_back=sorted((k, v) for k, v in moving_back.items()),
        put_back=sorted((k, v) for k, v in put_back.items()),
        since=since,
        gone=gone,
        changed_since=changed,
    )


def unmerge_preview(session: Session, database: Database, user: User, merge_id: int) -> UnmergePlan:
    """What an unmerge would do: both records' details back as they were, what goes back, and each thing recorded
    on the survivor since with where it goes (the officer may choose). Audited as a view of both people."""
    found = get_merge(session, merge_id)
    access.require(
        session,
        database,
        user,
        Action.UPDATE,
        _subject(Kind.PERSON_MERGE, found.survivor_id, found.merged_id, record_id=found.id),
    )
    _check_unmergeable(session, found)
    plan = plan_unmerge(session, found)
    audit.record_view(
        session, access.actor_of(user), "person_unmerge_preview", found.id, (found.survivor_id, found.merged_id)
    )
    return plan


def unmerge(
    session: Session,
    database: Database,
    user: User,
    merge_id: int,
    reason: str,
    destinations: Mapping[str, str] | None = None,
) -> PersonMerge:
    """Undo a merge in one transaction: both records' details from the snapshots, every moved row back (a row set
    aside never left), what the merge added taken away, and what was recorded since sent where ``destinations`` (a
    row's ``RecordedSince.token`` to SURVIVOR or MERGED) or its default says."""
    found = get_merge(session, merge_id)
    access.require(
        session,
        database,
        user,
        Action.UPDATE,
        _subject(Kind.PERSON_MERGE, found.survivor_id, found.merged_id, record_id=found.id),
    )
    reason = _reason(reason, UNMERGE_REASON)
    _check_unmergeable(session, found)
    plan = plan_unmerge(session, found)
    survivor_id, merged_id = found.survivor_id, found.merged_id
    references = {(ref.table.name, ref.column.name): ref for ref in movable_references()}
    touched = _merge_rows(session, found.id)
    # Every table by name: the merge added rows to the restriction and the other names too.
    tables = Base.metadata.tables
    # What the merge added goes first (the alias naming the other record, the restriction's grants, then itself).
    for r in reversed(touched):
        if r.fate == RowFate.ADDED:
            table = tables[r.table_name]
            session.execute(delete(table).where(row_words.where_key(table, row_words.key_from_text(table, r.row_key))))
    for r in touched:
        if r.fate == RowFate.MOVED and (r.table_name, r.column_name) in references:
            ref = references[(r.table_name, r.column_name)]
            session.execute(
                update(ref.table)
                .where(row_words.where_key(ref.table, row_words.key_from_text(ref.table, r.row_key)))
                .where(ref.column == survivor_id)
                .values({ref.column.name: r.from_person_id})
                .execution_options(synchronize_session=False)
            )
    chosen = destinations or {}
    sent_back = 0
    for item in plan.since:
        if chosen.get(item.token, item.goes_to) == MERGED:
            sent_back += 1
            session.execute(
                update(item.ref.table)
                .where(row_words.where_key(item.ref.table, item.key))
                .values({item.ref.column.name: merged_id})
                .execution_options(synchronize_session=False)
            )
    session.flush()
    session.expire_all()
    survivor, merged = records.get_person(session, survivor_id), records.get_person(session, merged_id)
    for name in IDENTIFIERS:
        setattr(survivor, name, None)
    _flush(session)
    _restore(merged, found.merged_snapshot)
    merged.merged_into_id = None
    _flush(session)
    _restore(survivor, found.survivor_snapshot)
    _flush(session)
    found.status = MergeStatus.UNMERGED
    found.unmerged_at, found.unmerged_by_id, found.unmerge_reason = utcnow(), user.id, reason
    if found.pair_id is not None:
        pair = session.get(DuplicatePair, found.pair_id)
        if pair is not None:
            # Undone because they are two people: the pair is not proposed again.
            pair.status = PairStatus.REJECTED
            pair.decided_by_id, pair.decided_at, pair.decision_reason = user.id, utcnow(), reason
    session.flush()
    for person_id in (survivor_id, merged_id):
        audit.record(
            session,
            access.actor_of(user),
            "unmerge",
            "person_merge",
            found.id,
            person_id=person_id,
            reason=reason,
            detail={"survivor_id": survivor_id, "merged_id": merged_id, "recorded_since_sent_back": sent_back},
        )
    return found


# --- reading a merge ---------------------------------------------------------------------------------------------


@dataclass
class MergeRecord:
    merge: PersonMerge
    survivor: Person
    merged: Person
    fields: list[tuple[str, str, str, str]]  # (label, survivor's before, other's before, which was taken)
    history: list[tuple[str, list[str]]]  # everything on the survivor now, by what it is
    set_aside: list[tuple[str, str]]  # (what, why)


def merge_record(session: Session, database: Database, user: User, merge_id: int) -> MergeRecord:
    """A merge: who, when, why, each field's two values and the one taken, and the person's history now in one
    record (what it is and when, never its text). Audited as a view of both people."""
    found = get_merge(session, merge_id)
    access.require(
        session,
        database,
        user,
        Action.VIEW,
        _subject(Kind.PERSON_MERGE, found.survivor_id, found.merged_id, record_id=found.id),
    )
    survivor_before, merged_before = json.loads(found.survivor_snapshot), json.loads(found.merged_snapshot)
    choices = json.loads(found.choices or "{}")
    table = Base.metadata.tables["person"]
    fields = [
        (
            label,
            shown_value(name, row_words.decode(table.c[name], survivor_before.get(name))),
            shown_value(name, row_words.decode(table.c[name], merged_before.get(name))),
            "the other record's" if choices.get(name) == MERGED else "the survivor's",
        )
        for name, label in CHOOSABLE
    ]
    history: dict[str, list[str]] = defaultdict(list)
    for ref in movable_references():
        for row in session.execute(select(ref.table).where(ref.names(found.survivor_id))).mappings():
            history[row_words.label(ref.table)].append(row_words.describe(ref.table, row))
    set_aside = [
        (r.table_name.replace("_", " ").capitalize(), r.note or "")
        for r in _merge_rows(session, found.id)
        if r.fate == RowFate.SET_ASIDE
    ]
    audit.record_view(session, access.actor_of(user), "person_merge", found.id, (found.survivor_id, found.merged_id))
    return MergeRecord(
        merge=found,
        survivor=records.get_person(session, found.survivor_id),
        merged=records.get_person(session, found.merged_id),
        fields=fields,
        history=sorted((k, sorted(v)) for k, v in history.items()),
        set_aside=set_aside,
    )


def merges(session: Session, database: Database, user: User) -> list[PersonMerge]:
    """Every merge, newest first, without those of people this user may not open (a restriction they are not
    named on)."""
    access.require_role(database, user, Kind.PERSON_MERGE, Action.VIEW)
    found = list(session.scalars(select(PersonMerge).order_by(PersonMerge.merged_at.desc(), PersonMerge.id.desc())))
    people = {p for m in found for p in (m.survivor_id, m.merged_id)}
    hidden = access.hidden_people(session, user, people, kind=Kind.PERSON_MERGE)
    shown = [m for m in found if m.survivor_id not in hidden and m.merged_id not in hidden]
    audit.record(session, access.actor_of(user), "list", "person_merge", detail={"count": len(shown)})
    return shown

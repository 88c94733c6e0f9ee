"""Rows as the merge keeps them: a primary key or a whole row written as JSON and read back in the column's own
type, and a row described in words for a preview ("Referral, 3 March 2026")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_

from safeguarding.core.dates import long_date

# What each table's rows are called on a preview; any other table is named from its own name.
LABELS: dict[str, str] = {
    "address": "Address",
    "person_alias": "Other name",
    "family_relationship": "Family relationship",
    "contact_subject": "Contact",
    "referral": "Referral",
    "assessment": "Assessment",
    "case_note": "Case note",
    "chronology": "Chronology",
    "allocation": "Allocation",
    "visit": "Visit",
    "strategy_discussion": "Strategy discussion",
    "section47_enquiry": "Section 47 enquiry",
    "child_protection_plan": "Child protection plan",
    "child_in_need_plan": "Child in need plan",
    "child_protection_conference": "Child protection conference",
    "care_period": "Period of care",
    "early_help_family_member": "Early help episode",
    "early_help_transition": "Early help step-up or step-down",
    "exploitation_screening": "Exploitation screening",
    "exploitation_missing_episode": "Missing episode",
    "exploitation_intelligence_subject": "Intelligence item",
    "exploitation_association": "Network link",
    "exploitation_context_link": "Exploitation context",
    "break_glass_access": "Break-glass access",
    "deadline": "Deadline",
    "deadline_digest": "Deadline summary",
}
# Columns that say when a row happened, best first; the first one a row has dates it on a preview.
WHEN_COLUMNS = (
    "received_at",
    "referral_date",
    "started_on",
    "started",
    "moved_in",
    "screened_on",
    "went_missing_at",
    "visited_on",
    "held_on",
    "recorded_at",
    "at",
    "created_at",
)


def label(table: Table) -> str:
    return LABELS.get(table.name, table.name.replace("_", " ").capitalize())


def _python_type(column: Column[Any]) -> type | None:
    kind = column.type
    # A decorated type (the UTC date-time) says nothing of itself: ask what it is stored as.
    kind = getattr(kind, "impl_instance", kind)
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def decode(column: Column[Any], value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    kind = _python_type(column)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value


def key_of(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def key_text(key: Mapping[Any, Any]) -> str:
    """A primary key as one string, the same however it was read: what the merge's rows are matched by."""
    return json.dumps({name: encode(value) for name, value in key.items()}, sort_keys=True)


def key_from_text(table: Table, text: str) -> dict[str, Any]:
    return {name: decode(table.c[name], value) for name, value in json.loads(text).items()}


def where_key(table: Table, key: Mapping[Any, Any]) -> ColumnElement[bool]:
    return and_(*(table.c[name] == value for name, value in key.items()))


def row_text(table: Table, row: Mapping[Any, Any]) -> str:
    return json.dumps({c.name: encode(row[c.name]) for c in table.columns}, sort_keys=True)


def row_from_text(table: Table, text: str) -> dict[str, Any]:
    return {name: decode(table.c[name], value) for name, value in json.loads(text).items() if name in table.c}


def describe(table: Table, row: Mapping[Any, Any]) -> str:
    """A row in words for a preview: what it is and when. Never its text: the officer moves records, not reads
    them."""
    for name in WHEN_COLUMNS:
        if name in table.c and row.get(name) is not None:
            value = row[name]
            day = value.date() if isinstance(value, datetime) else value
            if isinstance(day, date):
                return f"{label(table)}, {long_date(day)}"
    return label(table)

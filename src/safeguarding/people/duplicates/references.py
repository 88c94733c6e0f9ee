"""Every place a row names a person, found from the tables themselves, so that a merge moves it all and a table
added later cannot be forgotten.

Two kinds of reference: a foreign key to ``person.id`` (found in the metadata), and a node of a polymorphic link (a
kind column holding "person" beside an id column), which a table declares in its ``info`` as
``{"person_nodes": [("node_kind", "node_id")]}`` (the exploitation network's associations and intelligence subjects).
Only this upkeep's own tables, and the record's "merged into" mark, are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import CheckConstraint, Column, ColumnElement, Index, MetaData, Table, UniqueConstraint, and_

from safeguarding.core.db import Base

PERSON_TABLE = "person"
# The node kind a polymorphic link gives a person (exploitation.models.NodeKind.PERSON).
PERSON_NODE = "person"
# Tables that record the upkeep itself: they name people to say what was merged, and must keep naming them.
UPKEEP_TABLES = frozenset({"duplicate_pair", "person_merge", "person_merge_row"})
# Columns of the person table that name another person: the merged-away mark, set by the merge itself.
UPKEEP_COLUMNS = frozenset({("person", "merged_into_id")})
# A restricted record's row is keyed by the person and its named users hang from it: merged by rule
# (merging.merge_restriction), never moved: the merged-away record keeps its own restriction.
BY_RULE = frozenset({("person_restriction", "person_id")})


@dataclass(frozen=True)
class Reference:
    """One column that names a person, with the kind column beside it for a polymorphic node."""

    table: Table
    column: Column[int]
    kind_column: Column[str] | None = None

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    def names(self, person_id: int) -> ColumnElement[bool]:
        """The condition "this row's reference names that person"."""
        clause = self.column == person_id
        if self.kind_column is not None:
            clause = and_(self.kind_column == PERSON_NODE, clause)
        return clause

    @cached_property
    def unique_keys(self) -> list[tuple[Column[Any], ...]]:
        """The unique keys the column is part of: moving a row may collide on any of them."""
        keys: list[tuple[Column[Any], ...]] = []
        primary = tuple(self.table.primary_key.columns)
        if self.column in primary:
            keys.append(primary)
        for constraint in self.table.constraints:
            if isinstance(constraint, UniqueConstraint) and self.column.name in constraint.columns:
                keys.append(tuple(constraint.columns))
        for index in self.table.indexes:
            if isinstance(index, Index) and index.unique and self.column.name in index.columns:
                keys.append(tuple(index.columns))
        if self.column.unique:
            keys.append((self.column,))
        return keys


def _declared_nodes(table: Table) -> Iterable[Reference]:
    for kind_name, id_name in table.info.get("person_nodes", ()):
        yield Reference(table, table.c[id_name], table.c[kind_name])


def all_references(metadata: MetaData | None = None) -> list[Reference]:
    """Every column of every table that names a person: foreign keys to ``person.id`` and declared nodes."""
    found: list[Reference] = []
    for table in (metadata or Base.metadata).sorted_tables:
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            if fk.column.table.name == PERSON_TABLE and fk.column.name == "id":
                found.append(Reference(table, fk.parent))
        found.extend(_declared_nodes(table))
    return found


def movable_references(metadata: MetaData | None = None) -> list[Reference]:
    """The references a merge moves from the merged-away record to the survivor (everything but the upkeep's own
    tables and the restriction, which has its rule)."""
    return [
        ref
        for ref in all_references(metadata)
        if ref.table.name not in UPKEEP_TABLES
        and (ref.table.name, ref.column.name) not in UPKEEP_COLUMNS
        and (ref.table.name, ref.column.name) not in BY_RULE
    ]


def self_tie_forbidden(ref: Reference, other: Reference) -> bool:
    """Whether the table refuses a row whose two references name one person (a check constraint names both
    columns, as ``family_relationship``'s "not_self" does): a tie between the two records themselves."""
    if ref.table is not other.table or ref.column is other.column:
        return False
    for constraint in ref.table.constraints:
        if isinstance(constraint, CheckConstraint):
            text = str(constraint.sqltext)
            if ref.column.name in text and other.column.name in text:
                return True
    return False


def referencing_rows(table: Table, metadata: MetaData | None = None) -> list[tuple[Table, Column[object], str]]:
    """The (table, column, referenced column name) of every foreign key that points into ``table``: a row cannot
    be set aside while another row hangs from it."""
    found: list[tuple[Table, Column[object], str]] = []
    for other in (metadata or Base.metadata).sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table:
                found.append((other, fk.parent, fk.column.name))
    return found

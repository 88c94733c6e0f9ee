"""Conditions on a pair of prepared records, written once and rendered two ways: as SQL over the columns ``l.*`` and
``r.*`` (for the engines) and as a Python test on two prepared records (for one pair on a review screen and for the
search). One definition, so the engines and the explanation cannot drift apart.

Only plain SQL is rendered: equality, ``levenshtein``, ``abs``, ``COALESCE``, ``AND``/``OR``/``NOT``. SQL's NULL is
read as false everywhere (``WHEN`` and ``WHERE`` treat it so; ``Not`` coalesces first), which is what Python's
``bool`` of a missing value gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz.distance import Levenshtein


class Condition(Protocol):
    def sql(self) -> str: ...

    def holds(self, left: Any, right: Any) -> bool: ...


@dataclass(frozen=True)
class Same:
    """Both values present and equal."""

    column: str

    def sql(self) -> str:
        return f"l.{self.column} = r.{self.column}"

    def holds(self, left: Any, right: Any) -> bool:
        a, b = getattr(left, self.column), getattr(right, self.column)
        return a is not None and a == b


@dataclass(frozen=True)
class Missing:
    """The value is missing on either record (the comparison then says nothing)."""

    column: str

    def sql(self) -> str:
        return f"(l.{self.column} IS NULL OR r.{self.column} IS NULL)"

    def holds(self, left: Any, right: Any) -> bool:
        return getattr(left, self.column) is None or getattr(right, self.column) is None


@dataclass(frozen=True)
class Crossed:
    """One record's ``first`` is the other's ``second`` and the other way round (names typed in the wrong boxes)."""

    first: str
    second: str

    def sql(self) -> str:
        return f"(l.{self.first} = r.{self.second} AND l.{self.second} = r.{self.first})"

    def holds(self, left: Any, right: Any) -> bool:
        a1, a2 = getattr(left, self.first), getattr(left, self.second)
        b1, b2 = getattr(right, self.first), getattr(right, self.second)
        return a1 is not None and a2 is not None and a1 == b2 and a2 == b1


@dataclass(frozen=True)
class EitherOf:
    """One record's ``column`` equals either of the other's ``columns`` (a short form standing for a full name)."""

    columns: tuple[str, ...]

    def sql(self) -> str:
        return "(" + " OR ".join(f"l.{a} = r.{b}" for a in self.columns for b in self.columns) + ")"

    def holds(self, left: Any, right: Any) -> bool:
        mine = {getattr(left, c) for c in self.columns} - {None}
        theirs = {getattr(right, c) for c in self.columns} - {None}
        return bool(mine & theirs)


@dataclass(frozen=True)
class EditsWithin:
    """At most ``edits`` single-letter edits apart (Levenshtein). Only where both values are plain ASCII (the
    ``ascii`` column): engines count edits in bytes or in characters, and on ASCII the two agree."""

    column: str
    ascii: str
    edits: int

    def sql(self) -> str:
        return f"(l.{self.ascii} AND r.{self.ascii} AND levenshtein(l.{self.column}, r.{self.column}) <= {self.edits})"

    def holds(self, left: Any, right: Any) -> bool:
        a, b = getattr(left, self.column), getattr(right, self.column)
        if a is None or b is None or not (getattr(left, self.ascii) and getattr(right, self.ascii)):
            return False
        return Levenshtein.distance(a, b, score_cutoff=self.edits) <= self.edits


@dataclass(frozen=True)
class MuchRarer:
    """One record's value is at least ``factor`` times rarer in the file than the other's (``column`` holds counts):
    a typing slip is seen once where the name it spoils is seen many times."""

    column: str
    factor: int

    def sql(self) -> str:
        c, f = self.column, self.factor
        return f"(l.{c} * {f} <= r.{c} OR r.{c} * {f} <= l.{c})"

    def holds(self, left: Any, right: Any) -> bool:
        a, b = getattr(left, self.column), getattr(right, self.column)
        if a is None or b is None:
            return False
        return bool(a * self.factor <= b or b * self.factor <= a)


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]

    def sql(self) -> str:
        return "(" + " AND ".join(p.sql() for p in self.parts) + ")"

    def holds(self, left: Any, right: Any) -> bool:
        return all(p.holds(left, right) for p in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def sql(self) -> str:
        return "(" + " OR ".join(p.sql() for p in self.parts) + ")"

    def holds(self, left: Any, right: Any) -> bool:
        return any(p.holds(left, right) for p in self.parts)


@dataclass(frozen=True)
class Not:
    part: Condition

    def sql(self) -> str:
        return f"(NOT COALESCE({self.part.sql()}, FALSE))"

    def holds(self, left: Any, right: Any) -> bool:
        return not self.part.holds(left, right)

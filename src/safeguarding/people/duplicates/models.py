"""Tables of the person index's upkeep: proposed duplicate pairs, merges, and every row a merge touched."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, utcnow


class PairStatus(StrEnum):
    PROPOSED = "proposed"
    MERGED = "merged"
    REJECTED = "rejected"  # "not the same person": never proposed again


class DuplicatePair(Base):
    """Two records the duplicate check thinks may be one person, with the model's evidence in words. The pair is
    kept in id order (``left_id`` < ``right_id``), so a pair is one row however it was found."""

    __tablename__ = "duplicate_pair"
    __table_args__ = (
        UniqueConstraint("left_id", "right_id", name="uq_duplicate_pair_people"),
        CheckConstraint("left_id < right_id", name="ordered"),
        Index("ix_duplicate_pair_status_probability", "status", "probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    left_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    right_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    match_weight: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    # The model's evidence, one sentence a line ("NHS number agrees", "surname: one letter different").
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PairStatus] = mapped_column(String(10), default=PairStatus.PROPOSED)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def evidence_lines(self) -> list[str]:
        return [line for line in self.evidence.splitlines() if line.strip()]


class MergeStatus(StrEnum):
    MERGED = "merged"
    UNMERGED = "unmerged"


class PersonMerge(Base):
    """One merge: ``merged_id`` was made part of ``survivor_id``. Both records' details as they were just before
    (``*_snapshot``, JSON) and every row moved (``PersonMergeRow``) are kept, so an unmerge restores both exactly."""

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("duplicate_pair.id"))
    status: Mapped[MergeStatus] = mapped_column(String(10), default=MergeStatus.MERGED)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    # Which record's value each field took ({"first_name": "merged", ...}): shown on the merge's page.
    choices: Mapped[str] = mapped_column(Text, default="{}")
    survivor_snapshot: Mapped[str] = mapped_column(Text)
    merged_snapshot: Mapped[str] = mapped_column(Text)
    # The survivor's details just after the merge: what was changed on it since shows on the unmerge preview.
    result_snapshot: Mapped[str | None] = mapped_column(Text)
    unmerged_at: Mapped[datetime | None] = mapped_column()
    unmerged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    unmerge_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class RowFate(StrEnum):
    MOVED = "moved"  # its reference now names the survivor
    SET_ASIDE = "set_aside"  # would collide on the survivor: left untouched on the merged-away record
    ADDED = "added"  # made by the merge (the other record's name as an alias, a grant on a restriction)
    KEPT = "kept"  # the survivor's own at the merge: what is on the survivor and in neither list came since


class PersonMergeRow(Base):
    """A row a merge touched: which table, which row (its primary key as JSON), which column named which person,
    what became of it, and for a row set aside, the whole row (JSON) and why."""

    __tablename__ = "person_merge_row"
    __table_args__ = (Index("ix_person_merge_row_merge_table", "merge_id", "table_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("person_merge.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(String(80))
    row_key: Mapped[str] = mapped_column(String(200))
    column_name: Mapped[str] = mapped_column(String(80))
    fate: Mapped[RowFate] = mapped_column(String(10))
    from_person_id: Mapped[int | None] = mapped_column()
    row_data: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

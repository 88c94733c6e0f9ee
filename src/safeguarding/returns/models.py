"""Tables of the returns capability."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, Timestamped, utcnow


class ChildDisability(Base, Timestamped):
    """A disability recorded for a child, as the CIN census codes it (core.codes.DISABILITIES; NONE for none).

    The census needs at least one code for every born child with an episode that went on to further action (rule
    8540), NONE never beside another code (8790), no code twice (8794); nothing else in the record held it."""

    __tablename__ = "child_disability"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    recorded_on: Mapped[date | None] = mapped_column()


class CensusRun(Base):
    """One check of the live record against the CIN census rules of a year: nightly from the command line (cron) or
    on an analyst's request. Runs are kept, so the findings of an earlier night can still be read."""

    __tablename__ = "cin_census_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)  # the collection year, named by its end (2026 = 2025-26)
    ruleset: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the nightly command
    children: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    queries: Mapped[int] = mapped_column(default=0)


class CensusFinding(Base):
    """One finding of a run: the rule broken (code as the DfE writes it, queries with their Q), the child, the
    element and a plain message. Kept in the order the validator found them (the children in person order)."""

    __tablename__ = "cin_census_finding"
    __table_args__ = (Index("ix_cin_census_finding_run_code", "run_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("cin_census_run.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    la_child_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    element: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    # Not wrong as things stand on the day of a mid-year run: it becomes an error or query at the census date only
    # if nothing happens by then (validator.Finding.by_census_date).
    by_census_date: Mapped[bool] = mapped_column(default=False, server_default=false())


class Ssda903Run(Base):
    """One check of the live record against the SSDA903 rules of a collection year: nightly from the command line
    (``safeguarding returns ssda903 check-live``, cron) or on an analyst's request from the returns page. Runs are
    kept, so an earlier night's findings can still be read."""

    __tablename__ = "ssda903_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)  # the collection year, named by its end (2026 = 2025-26)
    ruleset: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the nightly command
    children: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    queries: Mapped[int] = mapped_column(default=0)
    rules_run: Mapped[int] = mapped_column(default=0)
    # Rules comparing with last year that could not run (no previous year's return from the live record).
    rules_skipped: Mapped[int] = mapped_column(default=0)


class Ssda903Finding(Base):
    """One finding of a run: the rule (its code as the DfE writes it), the CHILD id and the child's record, the
    table and fields, and the plain message. Kept in the order the validator found them."""

    __tablename__ = "ssda903_finding"
    __table_args__ = (Index("ix_ssda903_finding_run_code", "run_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ssda903_run.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))
    severity: Mapped[str] = mapped_column(String(10))
    child: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    table_name: Mapped[str] = mapped_column(String(30))
    fields: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)

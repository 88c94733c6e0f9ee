"""Tables of the timescales capability: the deadlines derived from each child's case events.

Rows here are never typed by hand: ``timescales.service.recompute_for_child`` brings a child's set in line with
their events whenever case work changes, in the same transaction, and the nightly job (``store.refresh``) brings
every open child's to the new day.

What the table holds (decided for issue 3, at a large council's size): for each child whose case is open,
- every open clock (not yet met), of whatever rule: what the due pages list;
- every clock met in the child's current episode, i.e. met on or after the day the episode began (the latest
  referral not closed; for a child allocated without an open referral, the allocation): the "met" and "met late"
  history of this episode (assessment met late with its reason, each visit, core group and review in time or late),
  which the deadline detail and the indicators (insight/indicators.py, statutory visits in time) read; a
  recurring clock that fell due before its plan ended without being met is stored as stopped by the plan's end
  (``met_on`` the end day, met source the plan, ``status`` "lapsed": missed, but not open work);
- nothing of closed episodes, and nothing for children whose case is closed. A closed episode's timeliness is
  its case record's (the CIN census reads the events themselves); keeping every past visit clock of every child
  would make the table grow without end and the nightly recompute slower each year.
``status`` and ``forecast`` are as on the day of the last run (the nightly job moves them on); the pages work an
open clock's state out again from ``due_on`` and today's date.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, utcnow


class Deadline(Base):
    """One clock of one child: which rule, which event started it, when it is due, and whether it was met."""

    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_person", "person_id", "rule_id"),
        # The due pages read open clocks only: partial indexes hold those (a third of the rows at a large council),
        # so the met history costs nothing to index when a recompute writes it.
        Index(
            "ix_deadline_worker_open",
            "worker_id",
            "due_on",
            sqlite_where=text("met_on IS NULL"),
            postgresql_where=text("met_on IS NULL"),
        ),
        Index(
            "ix_deadline_team_open",
            "team_id",
            "due_on",
            sqlite_where=text("met_on IS NULL"),
            postgresql_where=text("met_on IS NULL"),
        ),
        Index(
            "ix_deadline_open_due",
            "due_on",
            sqlite_where=text("met_on IS NULL"),
            postgresql_where=text("met_on IS NULL"),
        ),
        # The nightly drift run: open clocks of one rule started in a window (a forecast coming due).
        Index(
            "ix_deadline_open_rule_start",
            "rule_id",
            "started_on",
            sqlite_where=text("met_on IS NULL"),
            postgresql_where=text("met_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(40))
    # The case record whose event started the clock ("referral", "strategy_discussion", "visit", ...).
    source_kind: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column()
    start_event: Mapped[str] = mapped_column(String(40))  # timescales.rules.EventKind
    started_on: Mapped[date] = mapped_column()
    length: Mapped[int] = mapped_column()  # in the rule's unit, as in force when computed (local settings)
    due_on: Mapped[date] = mapped_column()
    met_on: Mapped[date | None] = mapped_column()
    met_source_kind: Mapped[str | None] = mapped_column(String(40))
    met_source_id: Mapped[int | None] = mapped_column()
    # timescales.rules.State when computed; pages work it out again from due_on / met_on and today's date.
    status: Mapped[str] = mapped_column(String(20))
    # "<rule id>:<forecast kind>" of timescales.rules.FORECASTS when the deadline will be missed at this pace.
    forecast: Mapped[str | None] = mapped_column(String(60))
    exceeded_reason: Mapped[str | None] = mapped_column(String(2000))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadlineDigest(Base):
    """Per child, a digest of the deadline rows stored for them, written with the rows (``timescales.store``).

    A full run derives every child again and compares the digest of the derived rows with this one (and their
    count with the rows held), reading and rewriting the stored rows only of children that differ: reading every
    stored row back to compare it cost more than deriving them. ``status`` is left out of the digest, as the
    nightly run moves open deadlines' states in SQL (``store._move_states``) without deriving their child."""

    __tablename__ = "deadline_digest"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    digest: Mapped[str] = mapped_column(String(32))


class DeadlineRefresh(Base):
    """One run of the nightly job (or a whole-council recompute): which day the stored deadlines were brought to,
    how, and what it changed. The latest says from which day the next night's run counts what moved; its
    ``fingerprint`` (the derivation's code, rules and local settings) says whether a full re-derivation is due."""

    __tablename__ = "deadline_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "full": every child from every event; "drift": what moved
    for_day: Mapped[date] = mapped_column()
    fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column()
    seconds: Mapped[float] = mapped_column()
    children: Mapped[int] = mapped_column()  # children whose deadlines were derived again from their events
    inserted: Mapped[int] = mapped_column()
    deleted: Mapped[int] = mapped_column()
    updated: Mapped[int] = mapped_column()  # rows whose state moved with the date

"""Tables of the timescales capability: the deadlines derived from each child's case events.

Rows here are never typed by hand: ``timescales.service.recompute_for_child`` replaces a child's whole set from
their events whenever case work changes, in the same transaction, and ``recompute_all`` rebuilds every open child.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, utcnow


class Deadline(Base):
    """One clock of one child: which rule, which event started it, when it is due, and whether it was met."""

    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_person", "person_id", "rule_id"),
        Index("ix_deadline_worker_open", "worker_id", "met_on", "due_on"),
        Index("ix_deadline_team_open", "team_id", "met_on", "due_on"),
        Index("ix_deadline_open_due", "met_on", "due_on"),
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

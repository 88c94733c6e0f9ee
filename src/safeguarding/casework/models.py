"""Tables of case work that the front door needs: referrals (episodes of need) and allocation."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped, utcnow
from safeguarding.core.users import Team, User


class Referral(Base, Timestamped):
    """A contact accepted as a request for children's social care services: one CIN census episode of need."""

    __tablename__ = "referral"
    __table_args__ = (Index("ix_referral_person_date", "person_id", "referral_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("contact_decision.id"))
    referral_date: Mapped[date] = mapped_column()
    referral_source: Mapped[str] = mapped_column(String(3))  # core.codes.REFERRAL_SOURCES
    primary_need: Mapped[str | None] = mapped_column(String(2))  # core.codes.PRIMARY_NEEDS
    # A referral within 12 months of a previous referral of the same child (DfE definition).
    is_re_referral: Mapped[bool] = mapped_column(default=False)
    previous_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    route: Mapped[str] = mapped_column(String(40))  # the front-door outcome that made it
    closed_date: Mapped[date | None] = mapped_column()
    closure_reason: Mapped[str | None] = mapped_column(String(3))  # core.codes.CLOSURE_REASONS


class Allocation(Base):
    """A child allocated to a worker in a team. An open allocation (no end) makes the case open."""

    __tablename__ = "allocation"
    __table_args__ = (Index("ix_allocation_open", "person_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    handover_note: Mapped[str | None] = mapped_column(String(4000))

    worker: Mapped[User] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship()

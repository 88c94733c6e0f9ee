"""The tables of restricted person records: who is named on a restriction, and break-glass accesses.

The policy (``core.access``) reads them; nothing else decides from them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, Timestamped, utcnow


class PersonRestriction(Base, Timestamped):
    """A restricted person record: only named users (and break-glass) may open it."""

    __tablename__ = "person_restriction"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    restricted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class PersonRestrictionGrant(Base, Timestamped):
    __tablename__ = "person_restriction_grant"
    __table_args__ = (UniqueConstraint("person_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person_restriction.person_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))


class BreakGlassAccess(Base):
    """Access to a restricted record taken in an emergency with a stated reason; shown to managers."""

    __tablename__ = "break_glass_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_note: Mapped[str | None] = mapped_column(String(2000))

"""Tables of the returns capability."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, Timestamped


class ChildDisability(Base, Timestamped):
    """A disability recorded for a child, as the CIN census codes it (core.codes.DISABILITIES; NONE for none).

    The census needs at least one code for every born child with an episode that went on to further action (rule
    8540), NONE never beside another code (8790), no code twice (8794); nothing else in the record held it."""

    __tablename__ = "child_disability"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    recorded_on: Mapped[date | None] = mapped_column()

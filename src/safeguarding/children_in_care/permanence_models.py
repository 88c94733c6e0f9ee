"""Tables of permanence for a child in care, and of the prospective adopters the council assesses.

- ``AdoptionDecision``: the decision that a child should be placed for adoption (the agency decision maker's;
  SSDA903 ``DATE_INT`` / ``DATE_PLACED``), the match with adopters (the AD1 facts), and the decision that the child
  should no longer be placed (``DATE_PLACED_CEASED`` with its RD reason). The placement for adoption is not stored
  here: it is the change of placement to A3-A6 on the care record (``CareEvent``), so the SSDA903 episodes and this
  record cannot disagree; the permanence form records both at once. Likewise the placement order is the change of
  legal status to E1, and an adoption, special guardianship or child arrangements order is the child leaving care
  with its REC reason.
- ``PermanencePlan``: the plan for permanence (Annex A list 8, a-g) as decided, latest last.
- ``PreviousPermanence``: for a period of care, the permanence the child had before it (SSDA903 PrevPerm).
- ``AdoptiveFamily`` and ``Adopter``: prospective adopters and their assessment (Annex A list 11).

Codes are the DfE's (``permanence``). Rows people edit carry a version counter: the second of two editors is told.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, Timestamped


class AdoptiveFamily(Base, Timestamped):
    """Prospective adopters (one or two people), from their enquiry through the two stages of assessment to
    approval, or their leaving the process (Adoption Agencies Regulations 2005, as amended 2013: stage one, pre-
    assessment; stage two, assessment)."""

    __tablename__ = "adoptive_family"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # Annex A's family identifier
    enquiry_on: Mapped[date | None] = mapped_column()
    stage_one_started_on: Mapped[date | None] = mapped_column()
    stage_one_ended_on: Mapped[date | None] = mapped_column()
    stage_two_started_on: Mapped[date | None] = mapped_column()
    stage_two_ended_on: Mapped[date | None] = mapped_column()
    applied_on: Mapped[date | None] = mapped_column()
    approved_on: Mapped[date | None] = mapped_column()
    fostering_for_adoption: Mapped[bool | None] = mapped_column()
    left_on: Mapped[date | None] = mapped_column()
    reason_left: Mapped[str | None] = mapped_column(String(1))  # permanence.REASONS_LEFT_PROCESS
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Adopter(Base, Timestamped):
    """One prospective adopter of a family: what Annex A list 11 asks of each (no name is needed for it)."""

    __tablename__ = "adopter"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("adoptive_family.id", ondelete="CASCADE"), index=True)
    gender: Mapped[str] = mapped_column(String(1))  # permanence.ADOPTER_GENDER
    ethnicity: Mapped[str | None] = mapped_column(String(4))  # the DfE's ethnicity codes
    disabled: Mapped[bool | None] = mapped_column()


class AdoptionDecision(Base, Timestamped):
    """A decision that the child should be placed for adoption, the match, and its ending."""

    __tablename__ = "adoption_decision"
    __table_args__ = (Index("ix_adoption_decision_person", "person_id", "decided_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    decided_on: Mapped[date] = mapped_column()
    matched_on: Mapped[date | None] = mapped_column()
    family_id: Mapped[int | None] = mapped_column(ForeignKey("adoptive_family.id"), index=True)
    adopters_number: Mapped[int | None] = mapped_column()  # NB_ADOPTR
    adopters_sex: Mapped[str | None] = mapped_column(String(2))  # SEX_ADOPTR
    adopters_legal_status: Mapped[str | None] = mapped_column(String(3))  # LS_ADOPTR
    foster_carers_adopting: Mapped[bool | None] = mapped_column()  # FOSTER_CARE
    ceased_on: Mapped[date | None] = mapped_column()  # DATE_PLACED_CEASED
    reason_ceased: Mapped[str | None] = mapped_column(String(3))  # REASON_PLACED_CEASED
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PermanencePlan(Base, Timestamped):
    """The plan for the child's permanence as decided on a day (Annex A list 8: a-g)."""

    __tablename__ = "permanence_plan"
    __table_args__ = (Index("ix_permanence_plan_person", "person_id", "decided_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    decided_on: Mapped[date] = mapped_column()
    plan: Mapped[str] = mapped_column(String(1))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class PreviousPermanence(Base, Timestamped):
    """The permanence the child had before a period of care (SSDA903 PREV_PERM, LA_PERM, DATE_PERM): one a period."""

    __tablename__ = "previous_permanence"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    option: Mapped[str] = mapped_column(String(2))  # PREV_PERM
    la_code: Mapped[str | None] = mapped_column(String(9))  # LA_PERM: the council that arranged it
    order_on: Mapped[date | None] = mapped_column()  # DATE_PERM
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

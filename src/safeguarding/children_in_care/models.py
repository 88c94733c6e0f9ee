"""Tables of a child in care: the period of care, the events of it (coming into care, a change of legal status,
placement or carer, leaving care), the looked-after reviews, the statutory visits, and the health assessments and
personal education plans that the clocks need.

The SSDA903 episodes are never stored: ``rules.episodes`` derives them from the events. A period's dates are
recorded once, on its events; ``CarePeriod.started_on`` / ``ended_on`` mirror the first and the leaving event so
that "which children are in care on this day" is one indexed query (``service.periods_of_care``).

Codes are the DfE's SSDA903 codes (``rules``: LS, CIN, PLACE, PLACE_PROVIDER, REC, REASON_PLACE_CHANGE,
REVIEW_CODE). Every table people edit carries a version counter (``version_id_col``): the second of two people
editing one placement is told and keeps what they typed (``core.record_versions``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, Timestamped


class CarePeriod(Base, Timestamped):
    """One period of care: from the day the child started to be looked after to the day they left care."""

    __tablename__ = "care_period"
    __table_args__ = (Index("ix_care_period_person", "person_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # The episode of need the child came into care from; none for a child who came directly (an unaccompanied
    # asylum-seeking child, police protection out of hours).
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    started_on: Mapped[date] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    reason_ended: Mapped[str | None] = mapped_column(String(3))  # REC
    unaccompanied_asylum_seeking: Mapped[bool] = mapped_column(default=False)
    # The day the child stopped being an unaccompanied asylum-seeking child (SSDA903 UASC table, DUC): the asylum
    # decision, or the 18th birthday at the latest (rule 304). None while the status lasts (or never held).
    unaccompanied_until: Mapped[date | None] = mapped_column()
    # The independent reviewing officer named on the care plan (CPPCR 2010 reg 5(d); Children Act 1989 s25A).
    iro_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    care_plan_on: Mapped[date | None] = mapped_column()  # the care plan prepared (CPPCR 2010 reg 4)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CareEventKind:
    """What a care event records. ``START`` and ``LEAVE`` open and close a period; the others change it."""

    START = "start"
    LEGAL_STATUS = "legal_status"
    PLACEMENT = "placement"
    CARER = "carer"
    LEAVE = "leave"

    ALL = (START, LEGAL_STATUS, PLACEMENT, CARER, LEAVE)


class CareEvent(Base, Timestamped):
    """One thing that happened in a period of care. Only the fields its kind changes are filled: a change of
    legal status has ``legal_status``; a change of placement the placement's fields; leaving care its reason."""

    __tablename__ = "care_event"
    __table_args__ = (Index("ix_care_event_period", "period_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # CareEventKind
    occurred_on: Mapped[date] = mapped_column()
    legal_status: Mapped[str | None] = mapped_column(String(2))  # LS
    category_of_need: Mapped[str | None] = mapped_column(String(2))  # CIN
    placement_type: Mapped[str | None] = mapped_column(String(3))  # PLACE
    placement_provider: Mapped[str | None] = mapped_column(String(3))  # PLACE_PROVIDER
    carer: Mapped[str | None] = mapped_column(String(200))
    placement_postcode: Mapped[str | None] = mapped_column(String(8))  # PL_POST
    home_postcode: Mapped[str | None] = mapped_column(String(8))  # HOME_POST
    urn: Mapped[str | None] = mapped_column(String(8))  # Ofsted's unique reference number of the setting
    reason_place_change: Mapped[str | None] = mapped_column(String(6))  # REASON_PLACE_CHANGE
    # The placement is intended to last until the child is 18 (CPPCR 2010 reg 28(2)(c): visits 3-monthly after
    # the first year).
    long_term: Mapped[bool | None] = mapped_column()
    placement_plan_on: Mapped[date | None] = mapped_column()  # CPPCR 2010 reg 9
    reason_ended: Mapped[str | None] = mapped_column(String(3))  # REC, on leaving care
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class LookedAfterReview(Base, Timestamped):
    """A looked-after review chaired by the IRO (CPPCR 2010 reg 33), with the child's participation (REVIEW_CODE)."""

    __tablename__ = "looked_after_review"
    __table_args__ = (Index("ix_looked_after_review_person", "person_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    held_on: Mapped[date] = mapped_column()
    participation: Mapped[str] = mapped_column(String(3))  # REVIEW_CODE
    chaired_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CareVisit(Base, Timestamped):
    """A statutory visit to a child in care (CPPCR 2010 reg 28): whether the child was seen, and seen alone."""

    __tablename__ = "care_visit"
    __table_args__ = (Index("ix_care_visit_person", "person_id", "visited_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    visited_on: Mapped[date] = mapped_column()
    child_seen: Mapped[bool] = mapped_column()
    seen_alone: Mapped[bool | None] = mapped_column()  # asked only when the child was seen
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class HealthAssessment(Base, Timestamped):
    """An initial or review health assessment (CPPCR 2010 reg 7)."""

    __tablename__ = "care_health_assessment"
    __table_args__ = (Index("ix_care_health_assessment_person", "person_id", "assessed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(10))  # initial | review
    assessed_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class EducationPlan(Base, Timestamped):
    """A personal education plan initiated or reviewed (DfE, Promoting the education of looked-after children,
    2018): the virtual school's record."""

    __tablename__ = "personal_education_plan"
    __table_args__ = (Index("ix_personal_education_plan_person", "person_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    held_on: Mapped[date] = mapped_column()
    school: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class HealthOutcomes(Base, Timestamped):
    """What the SSDA903 OC2 table asks of a child looked after continuously for 12 months at 31 March, for one
    collection year (named by its end: 2027 is 1 April 2026 to 31 March 2027): the Strengths and Difficulties
    Questionnaire score or why there is none, and whether in the year the child was convicted or given a final
    warning or reprimand, had their development checks (under 5), immunisations up to date, teeth checked by a
    dentist, their health assessment, and a substance misuse problem with the intervention received or offered.

    Each fact is None until it is answered (nothing is answered by default); the questions the DfE does not ask of
    the child's age (convictions under 10, development checks from 5, the SDQ under 4 or over 16) stay None."""

    __tablename__ = "care_health_outcomes"
    __table_args__ = (
        UniqueConstraint("person_id", "year", name="uq_care_health_outcomes_year"),
        CheckConstraint("sdq_score IS NULL OR (sdq_score >= 0 AND sdq_score <= 40)", name="sdq_score_0_to_40"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    year: Mapped[int] = mapped_column()
    sdq_score: Mapped[int | None] = mapped_column()
    sdq_reason: Mapped[str | None] = mapped_column(String(4))  # rules.SDQ_REASONS
    convicted: Mapped[bool | None] = mapped_column()
    health_check: Mapped[bool | None] = mapped_column()
    immunisations: Mapped[bool | None] = mapped_column()
    teeth_check: Mapped[bool | None] = mapped_column()
    health_assessment: Mapped[bool | None] = mapped_column()
    substance_misuse: Mapped[bool | None] = mapped_column()
    intervention_received: Mapped[bool | None] = mapped_column()
    intervention_offered: Mapped[bool | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class DeprivationOfLiberty(Base, Timestamped):
    """An order of the court authorising the deprivation of a child's liberty (the inherent jurisdiction, outside
    a secure children's home): the SSDA903 DoLo table from 2026-27 (DOLO_START, DOLO_END). Recorded on the period of
    care it began in; the end is blank while the order lasts."""

    __tablename__ = "deprivation_of_liberty"
    __table_args__ = (
        Index("ix_deprivation_of_liberty_person", "person_id", "started_on"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("care_period.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    started_on: Mapped[date] = mapped_column()  # DOLO_START
    ended_on: Mapped[date | None] = mapped_column()  # DOLO_END
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

"""Tables of care leavers (``care_leaver_service``): the care leaver's record with the personal adviser named on it
and the "left care" fact, the adviser's contacts, the needs assessment, the pathway plan and its reviews, and the
OC3 facts at the 17th to 21st birthdays.

Sources: Children Act 1989 Sch.2 paras 19B-19C, ss23A-24; Care Leavers (England) Regulations 2010 (reg 6 pathway
plans, reg 7 reviews, reg 8 personal advisers' functions: "keep full, accurate and up to date records of contacts",
reg 8(1)(g)); SSDA903 OC3 (``care_leavers`` holds the code sets).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped
from safeguarding.people.models import Person


class ContactMethod(StrEnum):
    """How the personal adviser was in contact (or tried to be)."""

    VISIT = "visit"  # seen in person: CLR 2010 reg 8(2) visits
    PHONE = "phone"
    VIDEO = "video"
    MESSAGE = "message"  # text, email or social media message
    LETTER = "letter"
    THROUGH_SOMEONE_ELSE = "through_someone_else"  # a carer, worker or relative

    @property
    def label(self) -> str:
        return CONTACT_METHOD_LABELS[self]


CONTACT_METHOD_LABELS: dict[ContactMethod, str] = {
    ContactMethod.VISIT: "Visit in person",
    ContactMethod.PHONE: "Phone call",
    ContactMethod.VIDEO: "Video call",
    ContactMethod.MESSAGE: "Text, email or message",
    ContactMethod.LETTER: "Letter",
    ContactMethod.THROUGH_SOMEONE_ELSE: "Through someone else (a carer, worker or relative)",
}


class CareLeaver(Base, Timestamped):
    """A young person the council owes care leaver duties to, with their personal adviser.

    ``left_care_on`` and ``weeks_looked_after_since_14`` are the "left care" fact the eligibility is worked out from
    until the children-in-care record's periods of care are joined (``care_leaver_service.periods_of``):
    ``left_care_on`` None means still looked after (an eligible child), and the weeks are counted to that day.
    """

    __tablename__ = "care_leaver"
    __table_args__ = (
        CheckConstraint(
            "weeks_looked_after_since_14 >= 0 AND weeks_looked_after_since_14 <= 600", name="weeks_in_range"
        ),
        Index("ix_care_leaver_adviser", "personal_adviser_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    personal_adviser_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    adviser_named_on: Mapped[date | None] = mapped_column()
    left_care_on: Mapped[date | None] = mapped_column()
    weeks_looked_after_since_14: Mapped[int] = mapped_column()
    # Services ended before 25 (the young person no longer wants a personal adviser, moved to another council ...).
    ended_on: Mapped[date | None] = mapped_column()
    ended_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship(lazy="joined")
    contacts: Mapped[list[AdviserContact]] = relationship(
        back_populates="care_leaver",
        cascade="all, delete-orphan",
        order_by="(AdviserContact.contact_on.desc(), AdviserContact.id.desc())",
    )
    assessments: Mapped[list[NeedsAssessment]] = relationship(
        back_populates="care_leaver", cascade="all, delete-orphan", order_by="NeedsAssessment.completed_on"
    )
    plans: Mapped[list[PathwayPlan]] = relationship(
        back_populates="care_leaver", cascade="all, delete-orphan", order_by="PathwayPlan.prepared_on"
    )
    oc3_facts: Mapped[list[Oc3Record]] = relationship(
        back_populates="care_leaver", cascade="all, delete-orphan", order_by="Oc3Record.age"
    )

    __mapper_args__ = {"version_id_col": version}


class AdviserContact(Base, Timestamped):
    """One contact by the personal adviser, in touch or not (CLR 2010 reg 8(1)(g): a record of every contact)."""

    __tablename__ = "care_leaver_contact"
    __table_args__ = (Index("ix_care_leaver_contact_leaver", "care_leaver_id", "contact_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    care_leaver_id: Mapped[int] = mapped_column(ForeignKey("care_leaver.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    contact_on: Mapped[date] = mapped_column()
    in_touch: Mapped[bool] = mapped_column()
    method: Mapped[ContactMethod] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    care_leaver: Mapped[CareLeaver] = relationship(back_populates="contacts")


class NeedsAssessment(Base, Timestamped):
    """The assessment of needs a pathway plan is prepared from (CPPCR 2010 reg 42; Sch.2 para 19B(4))."""

    __tablename__ = "care_leaver_needs_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    care_leaver_id: Mapped[int] = mapped_column(ForeignKey("care_leaver.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    completed_on: Mapped[date] = mapped_column()
    young_person_views: Mapped[str] = mapped_column(Text)
    needs: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    care_leaver: Mapped[CareLeaver] = relationship(back_populates="assessments")


class PathwayPlan(Base, Timestamped):
    """The pathway plan (CPPCR 2010 reg 43; CLR 2010 reg 6), reviewed at least every six months (CLR reg 7)."""

    __tablename__ = "care_leaver_pathway_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    care_leaver_id: Mapped[int] = mapped_column(ForeignKey("care_leaver.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    prepared_on: Mapped[date] = mapped_column()
    plan: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    care_leaver: Mapped[CareLeaver] = relationship(back_populates="plans")
    reviews: Mapped[list[PathwayPlanReview]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PathwayPlanReview.reviewed_on"
    )


class PathwayPlanReview(Base, Timestamped):
    """A review of the pathway plan: when, whether the young person took part, and what changed."""

    __tablename__ = "care_leaver_pathway_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_leaver_pathway_plan.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date] = mapped_column()
    young_person_took_part: Mapped[bool] = mapped_column()
    outcome: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    plan: Mapped[PathwayPlan] = relationship(back_populates="reviews")


class Oc3Record(Base, Timestamped):
    """What was known about the care leaver at one of their 17th to 21st birthdays, as the DfE's OC3 codes."""

    __tablename__ = "care_leaver_oc3"
    __table_args__ = (
        UniqueConstraint("care_leaver_id", "age", name="uq_care_leaver_oc3_age"),
        CheckConstraint("age >= 17 AND age <= 21", name="age_17_to_21"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    care_leaver_id: Mapped[int] = mapped_column(ForeignKey("care_leaver.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    age: Mapped[int] = mapped_column()
    recorded_on: Mapped[date] = mapped_column()  # the day the information is about (contact around the birthday)
    in_touch: Mapped[str] = mapped_column(String(4))  # care_leavers.IN_TOUCH
    activity: Mapped[str | None] = mapped_column(String(2))  # care_leavers.ACTIVITY (in touch only)
    accommodation: Mapped[str | None] = mapped_column(String(2))  # care_leavers.ACCOMMODATION_TYPES + suitability
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    care_leaver: Mapped[CareLeaver] = relationship(back_populates="oc3_facts")

    __mapper_args__ = {"version_id_col": version}

"""Tables of the family network: FGDM offers, family network meetings, pre-proceedings, kinship arrangements and
the support offered from the kinship local offer.

Each row names the child (``person_id``); the pre-proceedings row also names the episode of need it belongs to (the
CIN census reports it inside that episode's CINdetails). Rows people edit carry a version counter: a second person
saving over a changed record is told (``core.record_versions``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped


class FgdmOffer(Base, Timestamped):
    """An offer of a family group decision-making meeting to the parents or those with parental responsibility
    (CWSA 2026 s1, new s31ZA Children Act 1989), and their answer."""

    __tablename__ = "fgdm_offer"
    __table_args__ = (Index("ix_fgdm_offer_person", "person_id", "offered_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    offered_on: Mapped[date] = mapped_column()
    offered_to: Mapped[str] = mapped_column(String(500))
    # The Act: the offer goes in the letter before proceedings (CIN census FGDMMeetingOffer, N00828).
    in_letter_before_proceedings: Mapped[bool] = mapped_column()
    response: Mapped[str] = mapped_column(String(20))  # family_network.rules.OFFER_RESPONSES
    declined_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class FamilyNetworkMeeting(Base, Timestamped):
    """A family network meeting (the FGDM meeting itself): when, who came, and the family plan it made."""

    __tablename__ = "family_network_meeting"
    __table_args__ = (Index("ix_family_network_meeting_person", "person_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("fgdm_offer.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    who_came: Mapped[str] = mapped_column(Text)
    family_plan: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PreProceedings(Base, Timestamped):
    """Pre-proceedings under the Public Law Outline in one episode of need, with the CIN census items of module 5
    (from 2026-27): the decision to start it, the letter before proceedings, the first pre-proceedings meeting and
    the reviews, the decision to step up or down, the outcome, the court application and the letter that starts
    care proceedings. Dates recorded later are added by editing."""

    __tablename__ = "pre_proceedings"
    __table_args__ = (Index("ix_pre_proceedings_person", "person_id", "decided_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    decided_on: Mapped[date] = mapped_column()  # PPStartDate (N00826): the legal planning meeting's decision
    letter_sent_on: Mapped[date | None] = mapped_column()  # LBPSentDate (N00827)
    first_meeting_on: Mapped[date | None] = mapped_column()  # InitialPPMeetingDate (N00830)
    review_meetings: Mapped[int | None] = mapped_column()  # ReviewMeetingsCount (N00831)
    step_decided_on: Mapped[date | None] = mapped_column()  # StepDecisionDate
    outcome: Mapped[str | None] = mapped_column(String(20))  # family_network.rules.PP_OUTCOMES
    court_application_on: Mapped[date | None] = mapped_column()  # CourtAppDate (N00834)
    proceedings_letter_on: Mapped[date | None] = mapped_column()  # LetterInitCPDate
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class KinshipArrangement(Base, Timestamped):
    """A child living with a kinship carer: who, under what kind of arrangement, from when to when.

    The carer is a person in the person index (``carer_person_id``, chosen with the person picker; the child's
    family in the index gains the carer tie). ``carer_name`` keeps their name as it was when last saved, and is all
    that rows recorded before carers were people have where migration 0018 found no single match."""

    __tablename__ = "kinship_arrangement"
    __table_args__ = (Index("ix_kinship_arrangement_person", "person_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    carer_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    carer_name: Mapped[str] = mapped_column(String(200))
    carer_relationship: Mapped[str] = mapped_column(String(200))  # "maternal grandmother", "family friend"
    kind: Mapped[str] = mapped_column(String(30))  # family_network.rules.KINSHIP_ARRANGEMENTS
    started_on: Mapped[date] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    support: Mapped[list[KinshipSupport]] = relationship(
        back_populates="arrangement", order_by="KinshipSupport.offered_on", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class KinshipSupport(Base, Timestamped):
    """One item of the kinship local offer offered to the carer of an arrangement. ``item`` keeps the words of the
    council's list as they were when offered (local setting ``kinship.local_offer``), so a later change of the list
    does not rewrite what was offered."""

    __tablename__ = "kinship_support"

    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("kinship_arrangement.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    offered_on: Mapped[date] = mapped_column()
    taken_up: Mapped[bool] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    arrangement: Mapped[KinshipArrangement] = relationship(back_populates="support")

"""Tables of statutory case work: referrals (episodes of need), allocation, assessments, strategy discussions,
section 47 enquiries, child protection conferences and plans, core groups, visits, child in need plans and reviews,
case notes, supervision and curated chronologies.

Every table that people edit carries a version counter (SQLAlchemy ``version_id_col``): a form carries the version
it was loaded at, and a second person saving over a changed record is told (``core.errors.Conflict``).
Dates of events are ``date`` columns (the CIN census records dates, not times); ``timescales`` derives every
deadline from them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped, utcnow
from safeguarding.core.users import Team, User


class Referral(Base, Timestamped):
    """A contact accepted as a request for children's social care services: one CIN census episode of need."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_person_date", "person_id", "referral_date"),
        # Open episodes: the deadlines' reads select episode rows by their open referral (casework/timescale_events.py).
        Index(
            "ix_referral_open",
            "person_id",
            "id",
            sqlite_where=text("closed_date IS NULL"),
            postgresql_where=text("closed_date IS NULL"),
        ),
    )

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
    # Closure is signed off by a team manager (casework.closure.close_episode).
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closure_note: Mapped[str | None] = mapped_column(String(4000))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ClosureRequest(Base, Timestamped):
    """A worker's request that their team manager close the child's episode of need (casework.closure): the date,
    the DfE reason and the summary they propose. The manager closes the episode (the request is then authorised) or
    returns it with the reason; one request waits at a time."""

    __tablename__ = "closure_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    closed_on: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(3))  # core.codes.CLOSURE_REASONS
    note: Mapped[str | None] = mapped_column(String(4000))
    status: Mapped[str] = mapped_column(String(20), default="awaiting")  # awaiting | authorised | returned
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[datetime | None] = mapped_column()
    return_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    __mapper_args__ = {"version_id_col": version}


class Allocation(Base):
    """A child allocated to a worker in a team. An open allocation (no end) makes the case open.

    A transfer ends one allocation (with the handover note) and starts the next in one transaction."""

    __tablename__ = "allocation"
    __table_args__ = (Index("ix_allocation_open", "person_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    handover_note: Mapped[str | None] = mapped_column(String(4000))
    # Why the child's social worker changed to this worker (the DfE's SSDA903 SW_REASON code,
    # ``casework.rules.WORKER_CHANGE_REASONS``); None on the child's first allocation, where nothing changed.
    change_reason: Mapped[str | None] = mapped_column(String(6))
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    worker: Mapped[User] = relationship(lazy="joined", foreign_keys=[worker_id])
    team: Mapped[Team | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Assessment(Base, Timestamped):
    """A child and family assessment (section 17). Completion for the CIN census is the manager's authorisation
    (AssessmentAuthorisationDate); factors are recorded only on an authorised assessment (rule 8614)."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_person", "person_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    started_on: Mapped[date] = mapped_column()
    summary: Mapped[str | None] = mapped_column(Text)
    # casework.rules.ASSESSMENT_OUTCOMES
    outcome: Mapped[str | None] = mapped_column(String(30))
    authorised_on: Mapped[date | None] = mapped_column()
    authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Required when authorised after the 45-working-day due date (WT2023 ch.3 "Timeliness").
    late_reason: Mapped[str | None] = mapped_column(String(2000))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    factors: Mapped[list[AssessmentFactor]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentFactor.id"
    )

    __mapper_args__ = {"version_id_col": version}


class AssessmentFactor(Base):
    """A factor identified at assessment (CIN census AssessmentFactors, core.codes.ASSESSMENT_FACTORS)."""

    __tablename__ = "assessment_factor"
    __table_args__ = (UniqueConstraint("assessment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(3))

    assessment: Mapped[Assessment] = relationship(back_populates="factors")


class StrategyDiscussion(Base, Timestamped):
    """A strategy discussion (WT2023 ch.4): who took part from which agency, and what was decided."""

    __tablename__ = "strategy_discussion"
    __table_args__ = (Index("ix_strategy_discussion_person", "person_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    # casework.rules.STRATEGY_DECISIONS
    decision: Mapped[str] = mapped_column(String(30))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    participants: Mapped[list[StrategyParticipant]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="StrategyParticipant.id"
    )

    __mapper_args__ = {"version_id_col": version}


class StrategyParticipant(Base):
    __tablename__ = "strategy_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_discussion_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_discussion.id", ondelete="CASCADE"), index=True
    )
    agency: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100))

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="participants")


class Section47Enquiry(Base, Timestamped):
    """A section 47 enquiry, started by a strategy discussion. ``outcome`` ``icpc`` means a conference is needed;
    any other outcome is CIN census ICPCnotRequired."""

    __tablename__ = "section47_enquiry"
    __table_args__ = (Index("ix_section47_enquiry_person", "person_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    strategy_discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    started_on: Mapped[date] = mapped_column()
    completed_on: Mapped[date | None] = mapped_column()
    # casework.rules.SECTION47_OUTCOMES
    outcome: Mapped[str | None] = mapped_column(String(30))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def icpc_not_required(self) -> bool:
        return self.outcome is not None and self.outcome != "icpc"


class ProtectionTeamMember(Base, Timestamped):
    """A member of the multi-agency child protection team (MACPT) working a section 47 enquiry: the lead child
    protection practitioner (a social worker) and the members from police, health and education (Children's
    Wellbeing and Schools Act 2026 s3, new s16EA Children Act 2004). Each has the dates they joined and left."""

    __tablename__ = "protection_team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    section47_id: Mapped[int] = mapped_column(ForeignKey("section47_enquiry.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(20))  # casework.rules.MACPT_AGENCIES
    role: Mapped[str] = mapped_column(String(200))  # their job ("detective constable", "named nurse")
    is_lead: Mapped[bool] = mapped_column(default=False)  # the lead child protection practitioner
    joined_on: Mapped[date] = mapped_column()
    left_on: Mapped[date | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ChildProtectionConference(Base, Timestamped):
    """An initial or review child protection conference."""

    __tablename__ = "child_protection_conference"
    __table_args__ = (Index("ix_child_protection_conference_person", "person_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # initial | review
    section47_id: Mapped[int | None] = mapped_column(ForeignKey("section47_enquiry.id"))
    # The plan an initial conference made, or the plan a review conference reviews.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("child_protection_plan.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    # casework.rules.CONFERENCE_OUTCOMES
    outcome: Mapped[str] = mapped_column(String(30))
    chair: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ChildProtectionPlan(Base, Timestamped):
    """A child protection plan; it starts on the date of the initial conference that made it (CIN census rule 2885;
    that conference's ``plan_id`` names the plan)."""

    __tablename__ = "child_protection_plan"
    __table_args__ = (Index("ix_child_protection_plan_person", "person_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    started_on: Mapped[date] = mapped_column()
    initial_category: Mapped[str] = mapped_column(String(3))  # core.codes.CATEGORIES_OF_ABUSE
    latest_category: Mapped[str] = mapped_column(String(3))
    ended_on: Mapped[date | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(30))  # core.codes.CP_PLAN_END_REASONS
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CoreGroupMeeting(Base, Timestamped):
    __tablename__ = "core_group_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("child_protection_plan.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Visit(Base, Timestamped):
    """A statutory visit: was the child seen, and seen alone."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_person", "person_id", "visited_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # cp | cin | assessment | other
    visited_on: Mapped[date] = mapped_column()
    child_seen: Mapped[bool] = mapped_column(Boolean, default=True)
    seen_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ChildInNeedPlan(Base, Timestamped):
    """A child in need plan. A team manager authorises it (casework.plan_authorisation) or returns it to the worker
    with the reason; once authorised its content changes only by an amendment with a reason (ending it does not)."""

    __tablename__ = "child_in_need_plan"
    __table_args__ = (Index("ix_child_in_need_plan_person", "person_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    started_on: Mapped[date] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    authorised_on: Mapped[date | None] = mapped_column()
    authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The manager's reason for returning the plan to the worker; cleared when the worker changes the plan.
    returned_note: Mapped[str | None] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    returned_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ChildInNeedReview(Base, Timestamped):
    """A child in need plan meeting or review."""

    __tablename__ = "child_in_need_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("child_in_need_plan.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CaseNote(Base, Timestamped):
    """A note on a child's record, typed by kind (casework.rules.NOTE_KINDS)."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_person", "person_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __mapper_args__ = {"version_id_col": version}


class Supervision(Base, Timestamped):
    """A supervision session: a supervisor, a worker, the cases discussed and the next date."""

    __tablename__ = "supervision"
    __table_args__ = (Index("ix_supervision_worker", "worker_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    next_on: Mapped[date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    cases: Mapped[list[SupervisionCase]] = relationship(
        back_populates="supervision", cascade="all, delete-orphan", order_by="SupervisionCase.id"
    )

    __mapper_args__ = {"version_id_col": version}


class SupervisionCase(Base):
    """One child's case discussed in supervision: the management oversight shown on the child's record."""

    __tablename__ = "supervision_case"
    __table_args__ = (UniqueConstraint("supervision_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supervision_id: Mapped[int] = mapped_column(ForeignKey("supervision.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    discussion: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)

    supervision: Mapped[Supervision] = relationship(back_populates="cases")


class Chronology(Base, Timestamped):
    """A curated chronology a worker builds (for a conference or court) from the automatic one."""

    __tablename__ = "chronology"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    entries: Mapped[list[ChronologyEntry]] = relationship(
        back_populates="chronology",
        cascade="all, delete-orphan",
        order_by="(ChronologyEntry.occurred_on, ChronologyEntry.id)",
    )

    __mapper_args__ = {"version_id_col": version}


class ChronologyEntry(Base):
    """An entry picked from the automatic chronology (its source named), with the worker's commentary."""

    __tablename__ = "chronology_entry"
    __table_args__ = (UniqueConstraint("chronology_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chronology_id: Mapped[int] = mapped_column(ForeignKey("chronology.id", ondelete="CASCADE"), index=True)
    # "<kind>:<id>" of the automatic chronology entry it came from.
    source_key: Mapped[str] = mapped_column(String(60))
    occurred_on: Mapped[date] = mapped_column()
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    commentary: Mapped[str | None] = mapped_column(Text)

    chronology: Mapped[Chronology] = relationship(back_populates="entries")

"""Tables of early help and Family Help.

An **episode** is one period of early help or Family Help for a family: the children and adults in it
(``EarlyHelpFamilyMember``, people from the person index once matched), how it started (a front-door decision
"early help", a partner's request through the portal, the council's own early help staff, a step-down from social
care), its level (targeted early help; under the Families First reforms Family Help, targeted or child in need), the
lead practitioner now (``lead_practitioner_id``) and before (``EarlyHelpLeadPractitioner``), and its closure with a
reason from the council's list (local settings ``early_help.closure_reasons``).

Early help is voluntary (early-help.md §1.3): the family's consent to the assessment and to sharing with each agency
is recorded (``EarlyHelpConsent``: who gave it, when, withdrawn when and why, and what the worker did on
withdrawal). The assessment (``EarlyHelpAssessment``), the family plan (``FamilyPlan``) and its needs
(``FamilyNeed``, each with an outcome at closure), the team around the family (``TeamAroundFamilyMember``) and its
meetings and reviews (``TeamAroundFamilyMeeting``) hang off the episode.

Every table people edit carries a version counter (``version_id_col``): the second of two editors is told and keeps
what they typed (``core.record_versions``). Tables change only by adding: other packages build on them
(step-up / step-down, Supporting Families outcomes, Annex A list 2, indicators).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped


class EpisodeLevel(StrEnum):
    """The level of help. Under the Families First Partnership programme, Family Help brings targeted early help and
    child-in-need work (Children Act 1989 s17) together; councils not yet reorganised record targeted early help."""

    TARGETED_EARLY_HELP = "targeted_early_help"
    FAMILY_HELP_TARGETED = "family_help_targeted"
    FAMILY_HELP_CHILD_IN_NEED = "family_help_child_in_need"


class EpisodeSource(StrEnum):
    """How the episode started."""

    FRONT_DOOR = "front_door"  # a contact decided "early help" (front_door.models.Outcome.EARLY_HELP)
    PARTNER_REQUEST = "partner_request"  # a school, health visitor or family hub practitioner, through the portal
    COUNCIL = "council"  # the council's own early help staff
    STEP_DOWN = "step_down"  # from children's social care (recorded by early_help.transitions)


class EpisodeStatus(StrEnum):
    REQUESTED = "requested"  # a partner's request, awaiting the council's early help team
    OPEN = "open"
    CLOSED = "closed"
    DECLINED = "declined"  # a request the council did not take up (with a reason)


class FamilyMemberRole(StrEnum):
    CHILD = "child"
    UNBORN_CHILD = "unborn_child"
    PARENT = "parent"
    CARER = "carer"
    OTHER_ADULT = "other_adult"


class ConsentScope(StrEnum):
    """What the family agreed to (early-help.md §1.3: consent to the assessment, and to sharing with each agency)."""

    ASSESSMENT = "assessment"
    SHARING = "sharing"


class WithdrawalResponse(StrEnum):
    """What the worker did when consent was withdrawn, with a reason: early help is voluntary, so the episode ends,
    unless a safeguarding concern overrides the family's wish (information is shared without consent where a child
    is at risk of harm: WT2023 ch.1; UK GDPR article 6(1)(e))."""

    END_EPISODE = "end_episode"
    SAFEGUARDING_CONSIDERATION = "safeguarding_consideration"
    CONTINUE_WITHOUT_SHARING = "continue_without_sharing"  # sharing with one agency withdrawn; the work goes on


class NeedOutcome(StrEnum):
    """The outcome of a need at closure (Worcestershire "The Early Help Process" step 5: positive change / no change
    / deterioration)."""

    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    WORSE = "worse"


class MeetingKind(StrEnum):
    TEAM_AROUND_THE_FAMILY = "team_around_the_family"  # the first and later TAF meetings
    REVIEW = "review"  # a review of the family plan
    CLOSING = "closing"  # the last TAF ("moving on")


class EarlyHelpEpisode(Base, Timestamped):
    """One episode of early help or Family Help for a family."""

    __tablename__ = "early_help_episode"
    __table_args__ = (
        Index("ix_early_help_episode_status", "status", "started_on"),
        Index("ix_early_help_episode_lead", "lead_practitioner_id", "status"),
        CheckConstraint("length(family_name) <= 200", name="family_name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # How the family is known on lists ("the Okafor family"), as the worker writes it.
    family_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[EpisodeLevel] = mapped_column(String(40))
    source: Mapped[EpisodeSource] = mapped_column(String(30))
    status: Mapped[EpisodeStatus] = mapped_column(String(20), default=EpisodeStatus.OPEN)
    # The contact decided "early help" that the episode came from (source FRONT_DOOR).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    # The partner agency whose practitioner asked for it (source PARTNER_REQUEST), and who asked.
    requested_by_agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    request_reason: Mapped[str | None] = mapped_column(Text)
    # The day the need was identified (Sefton's anchor), the day the council decided to provide early help
    # (Lewisham's), and the day the episode started (registration: Hertfordshire's anchor).
    need_identified_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date] = mapped_column(Date)
    # The lead practitioner now: council staff or a partner practitioner (a user of the portal). The history,
    # including leads who are not users, is in early_help_lead_practitioner.
    lead_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The organisation completing the assessment (Ofsted Annex A list 2 "Organisation completing assessment").
    organisation: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(60))  # a key of local setting early_help.closure_reasons
    closure_note: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    declined_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    members: Mapped[list[EarlyHelpFamilyMember]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="EarlyHelpFamilyMember.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return EarlyHelpEpisode.reference_of(self.id)

    @staticmethod
    def reference_of(episode_id: int) -> str:
        return f"EH-{episode_id:07d}"


class EarlyHelpFamilyMember(Base):
    """A child or adult in the family, as first named (by a partner's request, for example) and linked to a person
    in the person index once matched by the council."""

    __tablename__ = "early_help_family_member"
    __table_args__ = (Index("ix_early_help_family_member_person", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    role: Mapped[FamilyMemberRole] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # The day they joined or left the episode (a new baby, a parent who moved out); none: the whole episode.
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    episode: Mapped[EarlyHelpEpisode] = relationship(back_populates="members")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_child(self) -> bool:
        return self.role in (FamilyMemberRole.CHILD, FamilyMemberRole.UNBORN_CHILD)


class EarlyHelpConsent(Base, Timestamped):
    """The family's consent to the assessment, or to sharing with one agency: who gave it and when; its withdrawal,
    why, and what the worker did (end the episode, or a safeguarding consideration that made a front-door contact)."""

    __tablename__ = "early_help_consent"
    __table_args__ = (Index("ix_early_help_consent_episode", "episode_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"))
    scope: Mapped[ConsentScope] = mapped_column(String(20))
    # For sharing: the agency it covers (a registered partner agency, or one named in words: a GP practice).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"))
    agency_name: Mapped[str | None] = mapped_column(String(200))
    # Who gave it: a family member of the episode, or a name (a parent not on the record yet).
    given_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("early_help_family_member.id"))
    given_by_name: Mapped[str | None] = mapped_column(String(200))
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawal_response: Mapped[WithdrawalResponse | None] = mapped_column(String(40))
    # The front-door contact a safeguarding consideration made.
    safeguarding_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    withdrawn_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None


class EarlyHelpAssessment(Base, Timestamped):
    """An early help assessment of the whole family (or a reassessment): started, completed, the needs found."""

    __tablename__ = "early_help_assessment"
    __table_args__ = (Index("ix_early_help_assessment_episode", "episode_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"))
    reassessment: Mapped[bool] = mapped_column(default=False)
    started_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    # The family's strengths and needs as the assessment found them (the needs themselves: family_need).
    summary: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(String(200))  # Annex A list 2
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class FamilyPlan(Base, Timestamped):
    """The family plan agreed with the family (a new one after a review that rewrites it)."""

    __tablename__ = "early_help_family_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"), index=True)
    agreed_on: Mapped[date] = mapped_column(Date)
    level: Mapped[EpisodeLevel | None] = mapped_column(String(40))  # the level of help the plan is at
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class FamilyNeed(Base, Timestamped):
    """One need of the family (or of one member), what the plan aims for, and its outcome at closure."""

    __tablename__ = "early_help_family_need"
    __table_args__ = (CheckConstraint("length(description) <= 2000", name="description_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("early_help_family_plan.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("early_help_assessment.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("early_help_family_member.id"))  # none: the family
    description: Mapped[str] = mapped_column(Text)
    intended_outcome: Mapped[str | None] = mapped_column(Text)
    identified_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[NeedOutcome | None] = mapped_column(String(20))
    outcome_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class TeamAroundFamilyMember(Base, Timestamped):
    """A member of the team around the family, from any agency, with their role in it."""

    __tablename__ = "early_help_taf_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # where they use the system
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"))
    agency_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))  # "class teacher", "health visitor", "family support worker"
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class TeamAroundFamilyMeeting(Base, Timestamped):
    """A team-around-the-family meeting or a review of the family plan."""

    __tablename__ = "early_help_taf_meeting"
    __table_args__ = (Index("ix_early_help_taf_meeting_episode", "episode_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"))
    kind: Mapped[MeetingKind] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    family_attended: Mapped[bool | None] = mapped_column()
    attendees: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class EarlyHelpLeadPractitioner(Base, Timestamped):
    """A spell as the episode's lead practitioner: council staff or a partner practitioner, from when to when."""

    __tablename__ = "early_help_lead_practitioner"
    __table_args__ = (Index("ix_early_help_lead_practitioner_episode", "episode_id", "from_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"))
    organisation: Mapped[str | None] = mapped_column(String(200))
    from_on: Mapped[date] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)  # why the lead changed
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime | None] = mapped_column()

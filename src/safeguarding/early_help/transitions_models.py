"""Tables of step-up and step-down (``early_help/transitions.py``) and of Supporting Families outcomes
(``early_help/outcomes.py``).

A **transition** is one recorded move of a family between early help and children's social care, or (under Family
Help) between targeted help and child in need work inside one episode: its direction and route, the decision (when,
by whom, why), the family's consent, the handover meeting, the new lead practitioner, and what it made in the record
(the front-door contact of a step-up; the social care episode closed RC9, or the child in need review a step-down
was agreed at; the early help episode it opened or continued).

A **Supporting Families need** maps one need of a family plan to a national headline outcome (the framework version
kept beside it); its **reviews** record progress with the evidence, as the claim needs it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.core.db import Base, Timestamped


class EarlyHelpTransition(Base, Timestamped):
    __tablename__ = "early_help_transition"
    __table_args__ = (
        Index("ix_early_help_transition_decided", "decided_on", "direction"),
        CheckConstraint("length(reason) <= 4000", name="reason_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The early help episode stepped up from, or opened or continued by a step-down, or changed in its plan.
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"), index=True)
    # The child the move is about (a step-down: the child whose social care episode closed; a step-up: the first
    # child of the family, the contact names them all).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # transitions_rules.Direction
    route: Mapped[str] = mapped_column(String(20))  # transitions_rules.Route
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    consent: Mapped[str] = mapped_column(String(30))  # transitions_rules.Consent
    consent_reason: Mapped[str | None] = mapped_column(Text)  # why it went ahead without the family's agreement
    handover_meeting_on: Mapped[date | None] = mapped_column(Date)
    # The new lead practitioner: a user (council staff or a partner practitioner) or a name.
    lead_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lead_practitioner_name: Mapped[str | None] = mapped_column(String(200))
    # Family Help: the plan before and after (early_help.models.EpisodeLevel).
    from_level: Mapped[str | None] = mapped_column(String(40))
    to_level: Mapped[str | None] = mapped_column(String(40))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)  # a step-up's contact
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)  # social care episode
    cin_review_id: Mapped[int | None] = mapped_column(ForeignKey("child_in_need_review.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class SupportingFamiliesNeed(Base, Timestamped):
    """A need of the family plan mapped to a headline outcome of the Supporting Families framework."""

    __tablename__ = "supporting_families_need"
    __table_args__ = (UniqueConstraint("need_id", name="uq_supporting_families_need"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("early_help_family_need.id", ondelete="CASCADE"))
    episode_id: Mapped[int] = mapped_column(ForeignKey("early_help_episode.id", ondelete="CASCADE"), index=True)
    headline: Mapped[str] = mapped_column(String(30))  # outcomes_rules.HEADLINE_OUTCOMES
    framework: Mapped[str] = mapped_column(String(20))  # outcomes_rules.FRAMEWORK
    mapped_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class SupportingFamiliesReview(Base, Timestamped):
    """Progress on a mapped need, with its evidence (the data source the framework names for the need)."""

    __tablename__ = "supporting_families_review"
    __table_args__ = (
        Index("ix_supporting_families_review_need", "sf_need_id", "recorded_on"),
        CheckConstraint("length(evidence) <= 2000", name="evidence_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sf_need_id: Mapped[int] = mapped_column(ForeignKey("supporting_families_need.id", ondelete="CASCADE"))
    recorded_on: Mapped[date] = mapped_column(Date)
    progress: Mapped[str] = mapped_column(String(20))  # outcomes_rules.Progress
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

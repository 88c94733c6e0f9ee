"""Tables of the front door: contacts, the people they name, RAG ratings, partner checks and decisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped, utcnow
from safeguarding.core.users import PartnerAgency, User


class Channel(StrEnum):
    PORTAL = "portal"
    API = "api"
    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"


class ReporterKind(StrEnum):
    PARTNER_AGENCY = "partner_agency"
    PRACTITIONER = "practitioner"  # a professional not registered on the portal
    PUBLIC = "public"
    ANONYMOUS = "anonymous"


class ConsentPosition(StrEnum):
    """Whether the family knows of and agrees to the contact (UK GDPR: consent is not the lawful basis)."""

    CONSENT_GIVEN = "consent_given"
    AWARE_NOT_CONSENTED = "aware_not_consented"
    NOT_INFORMED_RISK = "not_informed_risk"  # telling the family would put the child at risk
    NOT_INFORMED_OTHER = "not_informed_other"
    UNKNOWN = "unknown"


class ContactStatus(StrEnum):
    AWAITING_SCREENING = "awaiting_screening"
    IN_SCREENING = "in_screening"
    ROUTED_TO_ALLOCATED_WORKER = "routed_to_allocated_worker"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    DECIDED = "decided"


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class SubjectRole(StrEnum):
    CHILD = "child"
    PARENT = "parent"
    CARER = "carer"
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    HOUSEHOLD_MEMBER = "household_member"
    OTHER_ADULT = "other_adult"


class Contact(Base, Timestamped):
    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_queue", "status", "due_at"),
        # A partner agency's contacts, newest first (the portal's and the API's list).
        Index("ix_contact_agency_received", "reporting_agency_id", "received_at"),
        UniqueConstraint("submitted_by_id", "idempotency_key", name="uq_contact_idempotency"),
        CheckConstraint("length(worry) <= 20000", name="worry_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(String(20))
    reporter_kind: Mapped[ReporterKind] = mapped_column(String(20))
    reporting_agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_role: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    referral_source: Mapped[str] = mapped_column(String(3))  # core.codes.REFERRAL_SOURCES
    worry: Mapped[str] = mapped_column(Text)
    consent: Mapped[ConsentPosition] = mapped_column(String(30))
    consent_notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ContactStatus] = mapped_column(String(40), default=ContactStatus.AWAITING_SCREENING)
    rag: Mapped[Rag | None] = mapped_column(String(5))
    # Decision due: from the RAG rating and local settings; until rated, one working day (WT2023 T1).
    due_at: Mapped[datetime] = mapped_column()
    routed_to_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # When the contact was routed to the allocated worker, and the day by which they must acknowledge it (working
    # days from a local setting, routing.acknowledge.working_days); past that day unacknowledged it is overdue.
    routed_at: Mapped[datetime | None] = mapped_column()
    acknowledge_by: Mapped[date | None] = mapped_column(Date)
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    screening_notes: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    reporting_agency: Mapped[PartnerAgency | None] = relationship(lazy="joined")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    routed_to: Mapped[User | None] = relationship(foreign_keys=[routed_to_id])
    subjects: Mapped[list[ContactSubject]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactSubject.id"
    )
    ratings: Mapped[list[RagRating]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="RagRating.rated_at"
    )
    checks: Mapped[list[PartnerCheck]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="PartnerCheck.requested_at"
    )
    decisions: Mapped[list[ContactDecision]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactDecision.decided_at"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return Contact.reference_of(self.id)

    @staticmethod
    def reference_of(contact_id: int) -> str:
        """The reference shown to people, from the contact's number (for lists that read columns only)."""
        return f"CON-{contact_id:07d}"

    @property
    def children(self) -> list[ContactSubject]:
        return [s for s in self.subjects if s.role == SubjectRole.CHILD]

    @property
    def adults(self) -> list[ContactSubject]:
        return [s for s in self.subjects if s.role != SubjectRole.CHILD]

    @property
    def current_decision(self) -> ContactDecision | None:
        live = [d for d in self.decisions if d.status != DecisionStatus.RETURNED]
        return live[-1] if live else None


class ContactSubject(Base):
    """A child or adult named in a contact, as the reporter described them, linked to a person once matched."""

    __tablename__ = "contact_subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    role: Mapped[SubjectRole] = mapped_column(String(30))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[datetime | None] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(400))
    postcode: Mapped[str | None] = mapped_column(String(8))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)

    contact: Mapped[Contact] = relationship(back_populates="subjects")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RagRating(Base):
    """Each rating or re-rating of a contact, with its rationale; the latest sets the deadline."""

    __tablename__ = "rag_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    rating: Mapped[Rag] = mapped_column(String(5))
    rationale: Mapped[str] = mapped_column(Text)
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # also read by the nightly deadlines run
    due_at: Mapped[datetime] = mapped_column()

    contact: Mapped[Contact] = relationship(back_populates="ratings")
    rated_by: Mapped[User] = relationship()


class LawfulBasis(StrEnum):
    """UK GDPR basis for sharing (ICO: public authorities consider public task first; consent is not the basis)."""

    PUBLIC_TASK = "public_task"  # Art 6(1)(e)
    LEGAL_OBLIGATION = "legal_obligation"  # Art 6(1)(c)
    VITAL_INTERESTS = "vital_interests"  # Art 6(1)(d)


class CheckConsent(StrEnum):
    SOUGHT = "sought"
    OBTAINED = "obtained"
    NOT_SOUGHT = "not_sought"
    OVERRIDDEN = "overridden"


class CheckStatus(StrEnum):
    REQUESTED = "requested"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"
    NO_LONGER_NEEDED = "no_longer_needed"  # the contact was decided before the agency answered


class PartnerCheck(Base, Timestamped):
    """A MASH request for information from a partner agency, and its answer."""

    __tablename__ = "partner_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("partner_agency.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[LawfulBasis] = mapped_column(String(30))
    consent: Mapped[CheckConsent] = mapped_column(String(20))
    consent_reason: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[CheckStatus] = mapped_column(String(20), default=CheckStatus.REQUESTED)
    response: Mapped[str | None] = mapped_column(Text)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    responded_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    contact: Mapped[Contact] = relationship(back_populates="checks")
    agency: Mapped[PartnerAgency] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])

    __mapper_args__ = {"version_id_col": version}


class Outcome(StrEnum):
    """Outcomes of a contact (Working Together 2023 ch.3, "Referral", and local MASH procedures)."""

    NO_FURTHER_ACTION = "no_further_action"
    INFORMATION_AND_ADVICE = "information_and_advice"
    EARLY_HELP = "early_help"
    REFERRAL_FOR_ASSESSMENT = "referral_for_assessment"
    STRATEGY_DISCUSSION = "strategy_discussion"
    IMMEDIATE_PROTECTION = "immediate_protection"


class DecisionStatus(StrEnum):
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    IN_EFFECT = "in_effect"
    RETURNED = "returned"  # the manager sent it back; the contact is screened again


class ContactDecision(Base):
    """The threshold decision on a contact: level of need, outcome, rationale, and the manager's oversight."""

    __tablename__ = "contact_decision"
    __table_args__ = (
        CheckConstraint("level_of_need BETWEEN 1 AND 4", name="level_of_need_range"),
        # A MASH manager's queue opens with the decisions awaiting sign-off, the oldest first: a few hundred among
        # hundreds of thousands, found without reading the others.
        Index(
            "ix_contact_decision_awaiting_sign_off",
            "decided_at",
            sqlite_where=text("status = 'awaiting_sign_off'"),
            postgresql_where=text("status = 'awaiting_sign_off'"),
        ),
        # And the amendments of decisions in effect waiting for a manager to agree them (a handful).
        Index(
            "ix_contact_decision_amendment_awaiting",
            "decided_at",
            sqlite_where=text("amendment_awaiting_sign_off = 1"),
            postgresql_where=text("amendment_awaiting_sign_off"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    level_of_need: Mapped[int] = mapped_column()
    outcome: Mapped[Outcome] = mapped_column(String(40))
    rationale: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Contact received to decision, in working hours (office hours, bank holidays skipped).
    working_hours_to_decision: Mapped[float] = mapped_column()
    within_deadline: Mapped[bool] = mapped_column()
    status: Mapped[DecisionStatus] = mapped_column(String(30))
    # For a referral outcome: the child's primary need (core.codes.PRIMARY_NEEDS), asked when the referral is made.
    primary_need: Mapped[str | None] = mapped_column(String(2))
    # Why the worker decided, or the manager signed off, while partner checks were still unanswered.
    open_checks_reason: Mapped[str | None] = mapped_column(Text)
    sign_off_open_checks_reason: Mapped[str | None] = mapped_column(Text)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(index=True)  # also read by the nightly deadlines run
    sign_off_note: Mapped[str | None] = mapped_column(Text)
    took_effect_at: Mapped[datetime | None] = mapped_column()
    # A decision in effect changes only by an amendment with a reason (front_door.amendments): one made by someone
    # who is not a MASH manager waits for a manager to agree it; the manager who agreed the latest one is kept here
    # (earlier ones, and the first sign-off, stay on the record in its versions).
    amendment_awaiting_sign_off: Mapped[bool] = mapped_column(default=False, server_default=false())
    amendment_signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    amendment_signed_off_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    contact: Mapped[Contact] = relationship(back_populates="decisions")
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])
    amendment_signed_off_by: Mapped[User | None] = relationship(foreign_keys=[amendment_signed_off_by_id])

    __mapper_args__ = {"version_id_col": version}


class RoutedResponse(StrEnum):
    """What the allocated worker did about a contact routed to them (their acknowledgement records one)."""

    VISIT_ARRANGED = "visit_arranged"
    ADDED_TO_ASSESSMENT = "added_to_assessment"
    ADDED_TO_PLAN = "added_to_plan"
    STRATEGY_DISCUSSION = "strategy_discussion"
    NO_FURTHER_ACTION = "no_further_action"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ROUTED_RESPONSE_LABELS[self]


ROUTED_RESPONSE_LABELS: dict[RoutedResponse, str] = {
    RoutedResponse.VISIT_ARRANGED: "Visit arranged",
    RoutedResponse.ADDED_TO_ASSESSMENT: "Added to the current assessment",
    RoutedResponse.ADDED_TO_PLAN: "Added to the child's plan",
    RoutedResponse.STRATEGY_DISCUSSION: "Strategy discussion requested",
    RoutedResponse.NO_FURTHER_ACTION: "No further action",
    RoutedResponse.OTHER: "Something else",
}
# Responses that need the worker to say why or what (no further action needs its reason).
RESPONSES_NEEDING_DETAIL = frozenset({RoutedResponse.NO_FURTHER_ACTION, RoutedResponse.OTHER})


class NoteKind(StrEnum):
    NOTE = "note"
    ACKNOWLEDGED = "acknowledged"  # the allocated worker has picked up a contact routed to them
    PERSON_LINKED = "person_linked"
    ROUTED = "routed"


class ContactNote(Base):
    """Something done on a contact that is not a rating, check or decision: linking a child, routing to the
    allocated worker, the worker's acknowledgement, a note. Together with those it makes the contact's timeline."""

    __tablename__ = "contact_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoteKind] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # On an acknowledgement: what the allocated worker did about the contact (RoutedResponse).
    response: Mapped[str | None] = mapped_column(String(40))

    author: Mapped[User] = relationship()

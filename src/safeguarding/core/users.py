"""Who uses the system: the tables of users, their roles, teams and partner agencies, sessions and API tokens.

What is done with them lives beside: ``core.sign_in`` (signing in, the lockout, a user's own password and second
factor) and ``core.accounts`` (administrators managing accounts, teams, agencies and tokens, asked of the policy).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped, utcnow


class Role(StrEnum):
    PARTNER_PRACTITIONER = "partner_practitioner"
    MASH_WORKER = "mash_worker"
    MASH_MANAGER = "mash_manager"
    SOCIAL_WORKER = "social_worker"
    TEAM_MANAGER = "team_manager"
    EXPLOITATION_PRACTITIONER = "exploitation_practitioner"
    PERFORMANCE_ANALYST = "performance_analyst"
    # A director or head of service: reads across the service (figures, drift, the workforce, the improvement
    # plan, the MASH's decisions and their audit), changes nothing.
    SERVICE_LEADER = "service_leader"
    # A care leaver's personal adviser (Children Act 1989 Sch.2 para 19C, s23B(2), s23CA(2)): works with the care
    # leavers named to them, and sees of the record only what that work needs (core.access).
    PERSONAL_ADVISER = "personal_adviser"
    ADMINISTRATOR = "administrator"
    # Children in care (children_in_care/): the independent reviewing officer chairs the looked-after reviews of
    # the children named to them; the virtual school holds their education; the placements team finds and
    # records placements.
    INDEPENDENT_REVIEWING_OFFICER = "independent_reviewing_officer"
    VIRTUAL_SCHOOL = "virtual_school"
    PLACEMENTS_OFFICER = "placements_officer"
    # Early help and Family Help (early_help/): the council's early help practitioners (family support workers,
    # Family Help lead practitioners) and their managers. A partner practitioner (a school, a health visitor) who
    # leads a family's early help works it in the portal as a partner practitioner, on the families they lead only.
    EARLY_HELP_PRACTITIONER = "early_help_practitioner"
    EARLY_HELP_MANAGER = "early_help_manager"
    # The person index's keeper (people/duplicates/): reviews the proposed duplicates, merges two records of one
    # person and unmerges a merge found wrong. Opens no case record: what moves is listed, not read.
    DATA_QUALITY_OFFICER = "data_quality_officer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.PARTNER_PRACTITIONER: "Partner practitioner",
    Role.MASH_WORKER: "MASH worker",
    Role.MASH_MANAGER: "MASH manager",
    Role.SOCIAL_WORKER: "Social worker",
    Role.TEAM_MANAGER: "Team manager",
    Role.EXPLOITATION_PRACTITIONER: "Exploitation practitioner",
    Role.PERFORMANCE_ANALYST: "Performance analyst",
    Role.SERVICE_LEADER: "Service leader",
    Role.PERSONAL_ADVISER: "Personal adviser",
    Role.ADMINISTRATOR: "Administrator",
    Role.INDEPENDENT_REVIEWING_OFFICER: "Independent reviewing officer",
    Role.VIRTUAL_SCHOOL: "Virtual school",
    Role.PLACEMENTS_OFFICER: "Placements officer",
    Role.EARLY_HELP_PRACTITIONER: "Early help practitioner",
    Role.EARLY_HELP_MANAGER: "Early help manager",
    Role.DATA_QUALITY_OFFICER: "Data quality officer",
}


class AgencyKind(StrEnum):
    POLICE = "police"
    SCHOOL = "school"
    HEALTH = "health"
    PROBATION = "probation"
    HOUSING = "housing"
    EARLY_HELP = "early_help"
    OTHER = "other"


class PartnerAgency(Base, Timestamped):
    """An organisation outside children's social care that makes contacts and answers checks."""

    __tablename__ = "partner_agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(String(30))
    # DfE CIN census ReferralSource code that a contact from this agency carries by default (core.codes).
    default_referral_source: Mapped[str] = mapped_column(String(3))


class Team(Base, Timestamped):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # "mash", "assessment", "child_protection", "children_in_need", "exploitation", "performance", "admin"
    service: Mapped[str] = mapped_column(String(40))


class User(Base, Timestamped):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # A social worker's Social Work England registration number ("SW" and digits), the SW_ID of the SSDA903
    # social worker episodes; None for staff who are not registered social workers.
    registration_number: Mapped[str | None] = mapped_column(String(12))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    # Wrong security codes in a row. Kept apart from failed_sign_ins because a right password must not reset it
    # (whoever types codes already knows the password); only a right code does.
    failed_second_factors: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an administrator gives a temporary password: the user is asked to choose their own.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # A second-factor secret shown to the user but not yet confirmed with a code from their app.
    pending_totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The time step of the last security code accepted: a code of that step or an earlier one is refused, so a
    # code seen over someone's shoulder or replayed cannot sign in a second time.
    totp_last_step: Mapped[int | None] = mapped_column()

    team: Mapped[Team | None] = relationship(lazy="joined")
    agency: Mapped[PartnerAgency | None] = relationship(lazy="joined")

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER_PRACTITIONER


class UserSession(Base):
    """A signed-in browser session; the cookie carries only its signed id."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Password accepted but the second factor still owed.
    awaiting_second_factor: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")


class SignInFailure(Base):
    """A failed sign-in (password, security code or API token) from one client address, kept only as long as the
    throttle's window: the database is the one store the app's worker processes share."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_client_failed_at", "client", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiToken(Base, Timestamped):
    """A bearer token for a partner system or script; only its hash is kept."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")


# --- labels the pages and forms show -----------------------------------------------------------------------------

TEAM_SERVICES: dict[str, str] = {
    "mash": "MASH (front door)",
    "assessment": "Assessment",
    "child_protection": "Child protection",
    "children_in_need": "Children in need",
    "exploitation": "Exploitation",
    "performance": "Performance",
    "admin": "Administration",
    "early_help": "Early help and Family Help",
    "data_quality": "Data quality",
}
AGENCY_KIND_LABELS: dict[AgencyKind, str] = {
    AgencyKind.POLICE: "Police",
    AgencyKind.SCHOOL: "School",
    AgencyKind.HEALTH: "Health",
    AgencyKind.PROBATION: "Probation",
    AgencyKind.HOUSING: "Housing",
    AgencyKind.EARLY_HELP: "Early help",
    AgencyKind.OTHER: "Other",
}

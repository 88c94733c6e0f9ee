"""Who uses the system: users, their roles, teams and partner agencies, sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
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
    ADMINISTRATOR = "administrator"

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
    Role.ADMINISTRATOR: "Administrator",
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
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)

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


# --- use-cases ---------------------------------------------------------------------------------------------------


def create_user(
    session: object,
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str,
    team_id: int | None = None,
    agency_id: int | None = None,
    email: str | None = None,
    check_password: bool = True,
) -> User:
    """Create a user; partners belong to an agency, staff to a team. Raises ValidationFailed naming the field."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from safeguarding.core.errors import ValidationFailed
    from safeguarding.core.security import hash_password, password_problem

    assert isinstance(session, Session)
    errors: dict[str, str] = {}
    username = username.strip()
    if not username or len(username) > 80 or not all(c.isalnum() or c in "._-@" for c in username):
        errors["username"] = "Username must be 1 to 80 letters, digits or . _ - @"
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = f"Username {username} is already taken"
    if not full_name.strip() or len(full_name) > 200:
        errors["full_name"] = "Full name must be 1 to 200 characters"
    if role == Role.PARTNER_PRACTITIONER and agency_id is None:
        errors["agency"] = "A partner practitioner must belong to a partner agency"
    if role != Role.PARTNER_PRACTITIONER and agency_id is not None:
        errors["agency"] = "Only partner practitioners belong to a partner agency"
    if check_password and (problem := password_problem(password)):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username, full_name=full_name.strip(), role=role, team_id=team_id,
                agency_id=agency_id, email=email, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user

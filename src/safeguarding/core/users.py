"""Who uses the system: users, their roles, teams and partner agencies, sessions and API tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from safeguarding.core.audit import Actor, record
from safeguarding.core.db import Base, Database, Timestamped, utcnow
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.security import (
    hash_password,
    new_token,
    new_totp_secret,
    password_problem,
    token_digest,
    totp_step,
    verify_password,
)
from safeguarding.core.settings import get_settings


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


# --- use-cases ---------------------------------------------------------------------------------------------------
#
# Administration is asked of the one access policy (Kind.USER_ACCOUNT, Action.MANAGE). core.access imports this
# module for User and Role, so the policy is imported inside the functions that need it.

USERNAME_CHARACTERS = "._-@"
TEAM_SERVICES: dict[str, str] = {
    "mash": "MASH (front door)",
    "assessment": "Assessment",
    "child_protection": "Child protection",
    "children_in_need": "Children in need",
    "exploitation": "Exploitation",
    "performance": "Performance",
    "admin": "Administration",
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


@dataclass(frozen=True)
class UserForm:
    """What an administrator may set on an account (the password is set separately)."""

    full_name: str
    role: str
    email: str = ""
    team_id: str = ""
    agency_id: str = ""
    active: bool = True
    # account_fingerprint() of the account when the form was shown; "" skips the check (CLI, scripts).
    read_as: str = ""


def account_fingerprint(user: User) -> str:
    """A short digest of what the account form edits, carried by the form so that a second administrator's
    change made in the meantime is caught (Conflict) instead of silently overwritten."""
    import hashlib

    fields = [user.full_name, user.email or "", str(user.role), user.team_id, user.agency_id, user.active]
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


def _require_manage(database: Database, admin: User) -> None:
    from safeguarding.core.access import Action, Kind, require_role

    require_role(database, admin, Kind.USER_ACCOUNT, Action.MANAGE)


def _actor(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=str(user.role))


def _user_or_404(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no user with that number.")
    return user


def _optional_id(raw: str | int | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1  # never a row: reported as "choose a team/agency from the list"


def _check_membership(session: Session, errors: dict[str, str], role: Role | None, team_id: int | None,
                      agency_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = "Choose a team from the list"
    if agency_id is not None and session.get(PartnerAgency, agency_id) is None:
        errors["agency_id"] = "Choose a partner agency from the list"
    if role == Role.PARTNER_PRACTITIONER and agency_id is None:
        errors.setdefault("agency_id", "A partner practitioner must belong to a partner agency")
    if role is not None and role != Role.PARTNER_PRACTITIONER and agency_id is not None:
        errors.setdefault("agency_id", "Only partner practitioners belong to a partner agency")
    if role == Role.PARTNER_PRACTITIONER and team_id is not None:
        errors.setdefault("team_id", "Partner practitioners belong to an agency, not a council team")


def _check_email(errors: dict[str, str], email: str) -> None:
    if email and (len(email) > 254 or "@" not in email or " " in email):
        errors["email"] = "Enter an email address like name@example.org, or leave it blank"


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str,
    team_id: int | None = None,
    agency_id: int | None = None,
    email: str | None = None,
    check_password: bool = True,
    must_change_password: bool = False,
) -> User:
    """Create a user; partners belong to an agency, staff to a team. Raises ValidationFailed naming the field."""
    errors: dict[str, str] = {}
    username = username.strip()
    if not username or len(username) > 80 or not all(c.isalnum() or c in USERNAME_CHARACTERS for c in username):
        errors["username"] = "Username must be 1 to 80 letters, digits or . _ - @"
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        errors["username"] = f"Username {username} is already taken"
    if not full_name.strip() or len(full_name) > 200:
        errors["full_name"] = "Full name must be 1 to 200 characters"
    _check_membership(session, errors, role, team_id, agency_id)
    if "agency_id" in errors:  # the CLI and older callers name the field "agency"
        errors["agency"] = errors.pop("agency_id")
    if "team_id" in errors:
        errors["team"] = errors.pop("team_id")
    email = (email or "").strip()
    _check_email(errors, email)
    if check_password and (problem := password_problem(password, username)):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username, full_name=full_name.strip(), role=role, team_id=team_id,
                agency_id=agency_id, email=email or None, password_hash=hash_password(password),
                must_change_password=must_change_password)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, database: Database, admin: User, *, include_inactive: bool = True) -> list[User]:
    _require_manage(database, admin)
    query = select(User).order_by(User.active.desc(), func.lower(User.full_name), User.id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    users = list(session.scalars(query).unique())
    record(session, _actor(admin), "list", "user_account", detail={"count": len(users)})
    return users


def get_user(session: Session, database: Database, admin: User, user_id: int) -> User:
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    record(session, _actor(admin), "view", "user_account", user.id)
    return user


def create_user_by_admin(session: Session, database: Database, admin: User, *, username: str, form: UserForm,
                         password: str) -> User:
    """An administrator creates an account with a temporary password the user must change at first sign-in."""
    _require_manage(database, admin)
    errors: dict[str, str] = {}
    role = _parse_role(errors, form.role)
    team_id, agency_id = _optional_id(form.team_id), _optional_id(form.agency_id)
    try:
        if errors:
            raise ValidationFailed(errors)
        user = create_user(session, username=username, full_name=form.full_name, role=role or Role.MASH_WORKER,
                           password=password, team_id=team_id, agency_id=agency_id, email=form.email,
                           must_change_password=True)
    except ValidationFailed as exc:
        renamed = {{"agency": "agency_id", "team": "team_id"}.get(k, k): v for k, v in exc.errors.items()}
        raise ValidationFailed({**errors, **renamed}) from None
    record(session, _actor(admin), "create", "user_account", user.id,
           detail={"username": user.username, "role": str(user.role), "team_id": team_id, "agency_id": agency_id})
    return user


def _parse_role(errors: dict[str, str], raw: str) -> Role | None:
    try:
        return Role(raw)
    except ValueError:
        errors["role"] = "Choose a role from the list"
        return None


def _active_administrators(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.role == Role.ADMINISTRATOR,
                                                            User.active.is_(True))) or 0


def update_user(session: Session, database: Database, admin: User, user_id: int, form: UserForm) -> User:
    """Change name, email, role, team or agency, or deactivate. Deactivating ends the user's sessions."""
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    if form.read_as and form.read_as != account_fingerprint(user):
        raise Conflict("Someone else changed this account while you were editing it. Nothing you entered was "
                       "saved: look at the account again, then make your change.", field="read_as")
    errors: dict[str, str] = {}
    full_name = form.full_name.strip()
    if not full_name or len(full_name) > 200:
        errors["full_name"] = "Full name must be 1 to 200 characters"
    email = form.email.strip()
    _check_email(errors, email)
    role = _parse_role(errors, form.role)
    team_id, agency_id = _optional_id(form.team_id), _optional_id(form.agency_id)
    _check_membership(session, errors, role, team_id, agency_id)
    losing_admin = user.role == Role.ADMINISTRATOR and user.active and (
        role != Role.ADMINISTRATOR or not form.active)
    if losing_admin and user.id == admin.id:
        errors["role" if role != Role.ADMINISTRATOR else "active"] = (
            "You cannot remove your own administrator access: ask another administrator")
    elif losing_admin and _active_administrators(session) <= 1:
        errors["role"] = "The council must keep at least one active administrator"
    if errors:
        raise ValidationFailed(errors)
    assert role is not None
    before = {"full_name": user.full_name, "email": user.email, "role": str(user.role), "team_id": user.team_id,
              "agency_id": user.agency_id, "active": user.active}
    user.full_name, user.email, user.role = full_name, email or None, role
    user.team_id, user.agency_id, user.active = team_id, agency_id, form.active
    after = {"full_name": user.full_name, "email": user.email, "role": str(user.role), "team_id": user.team_id,
             "agency_id": user.agency_id, "active": user.active}
    changed = {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}
    if not form.active or "role" in changed:
        # A role change or deactivation takes effect now, not when the user next signs in.
        end_sessions(session, user.id)
    session.flush()
    record(session, _actor(admin), "update", "user_account", user.id, detail={"changed": changed})
    return user


def end_sessions(session: Session, user_id: int, *, keep_session_id: str | None = None) -> int:
    now = utcnow()
    ended = 0
    for user_session in session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                                  UserSession.ended_at.is_(None))):
        if user_session.id != keep_session_id:
            user_session.ended_at = now
            ended += 1
    return ended


def reset_password(session: Session, database: Database, admin: User, user_id: int, temporary: str) -> User:
    """Set a temporary password (the user chooses their own at next sign-in); clears a lock, ends sessions."""
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    if problem := password_problem(temporary, user.username):
        raise ValidationFailed({"temporary_password": problem})
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.failed_sign_ins = user.failed_second_factors = 0
    user.locked_until = None
    end_sessions(session, user.id)
    record(session, _actor(admin), "reset_password", "user_account", user.id)
    return user


def unlock(session: Session, database: Database, admin: User, user_id: int) -> User:
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    was_locked_until = user.locked_until
    user.failed_sign_ins = user.failed_second_factors = 0
    user.locked_until = None
    record(session, _actor(admin), "unlock", "user_account", user.id,
           detail={"was_locked_until": was_locked_until.isoformat() if was_locked_until else None})
    return user


def reset_second_factor(session: Session, database: Database, admin: User, user_id: int) -> User:
    """For a lost phone: the user sets up a new second factor (administrators must, at their next sign-in)."""
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    user.totp_secret = None
    user.pending_totp_secret = None
    user.totp_last_step = None
    user.failed_second_factors = 0
    end_sessions(session, user.id)
    record(session, _actor(admin), "reset_second_factor", "user_account", user.id)
    return user


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


# --- signing in: the account lockout, security codes used once, the client throttle ------------------------------
#
# Two defences with different keys. The account lockout (settings.lockout_threshold failures, then
# lockout_minutes) bounds the guesses at one account however many addresses an attacker uses; its price is that
# anyone who knows a username can lock that account for a while. The client throttle bounds the guesses from one
# address across every account (password spraying) and slows it, without touching the accounts: it never stops a
# real user signing in from another address.

# Locks for wrong security codes double each time, up to this many doublings (15 minutes grows to 16 hours).
MAX_LOCK_DOUBLINGS = 6


def count_wrong_password(session: Session, user: User) -> bool:
    """Count a wrong password towards the account's lockout; True when this failure locked the account."""
    settings = get_settings()
    session.flush()  # a reset of the count made just before is written first, then counted from
    # Incremented in the database, so guesses sent side by side cannot overwrite each other's count.
    user.failed_sign_ins = User.failed_sign_ins + 1
    session.flush()
    if user.failed_sign_ins >= settings.lockout_threshold:
        user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
        return True
    return False


def count_wrong_code(session: Session, user: User) -> bool:
    """Count a wrong (or already used) security code; True when this failure locked the account.

    A right password does not reset this count, only a right code. Whoever is typing codes already has the
    password, so each further lock lasts twice as long as the one before.
    """
    settings = get_settings()
    session.flush()
    user.failed_second_factors = User.failed_second_factors + 1
    session.flush()
    failures = user.failed_second_factors
    threshold = max(settings.lockout_threshold, 1)
    if failures % threshold == 0:
        doublings = min(failures // threshold - 1, MAX_LOCK_DOUBLINGS)
        user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes * 2**doublings)
        return True
    return False


def use_second_factor_code(session: Session, user: User, code: str) -> bool:
    """True when the code is right for the user's second factor now and newer than the last one accepted.

    The code's time step is kept, so the same code (or an older one still inside the accepted window) is refused.
    """
    if user.totp_secret is None:
        return False
    step = totp_step(user.totp_secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    # A conditional update: of two requests racing with one code, only one finds the step still unused.
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    user.failed_second_factors = 0
    return True


def throttle_wait_seconds(session: Session, client: str, now: datetime | None = None) -> int | None:
    """Seconds until this client address may try to sign in again, or None when it may try now."""
    settings = get_settings()
    now = now or utcnow()
    window = timedelta(minutes=settings.sign_in_throttle_minutes)
    limit = max(settings.sign_in_throttle_failures, 1)
    latest = list(session.scalars(
        select(SignInFailure.failed_at)
        .where(SignInFailure.client == client[:64], SignInFailure.failed_at > now - window)
        .order_by(SignInFailure.failed_at.desc())
        .limit(limit)))
    if len(latest) < limit:
        return None
    # Fewer than `limit` failures are left in the window once the oldest of the latest `limit` leaves it.
    return max(1, math.ceil((latest[-1] + window - now).total_seconds()))


def count_client_failure(session: Session, client: str, now: datetime | None = None) -> None:
    """Note a failed sign-in from this client address (and forget failures older than the window)."""
    now = now or utcnow()
    window = timedelta(minutes=get_settings().sign_in_throttle_minutes)
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - window))
    session.add(SignInFailure(client=client[:64], failed_at=now))


# --- a user's own account ----------------------------------------------------------------------------------------


def change_own_password(session: Session, user: User, *, current: str, new: str, confirm: str,
                        keep_session_id: str | None) -> None:
    """The user changes their password: the current one is required; other sessions end."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = "Enter your current password correctly"  # noqa: S105
        # Guessing the current password from a borrowed session counts towards the lockout like sign-in does.
        if count_wrong_password(session, user):
            end_sessions(session, user.id)
    if problem := password_problem(new, user.username):
        errors["new_password"] = problem
    elif verify_password(user.password_hash, new):
        errors["new_password"] = "Choose a password different from your current one"  # noqa: S105
    if new != confirm and "new_password" not in errors:
        errors["confirm_password"] = "The two new passwords do not match"  # noqa: S105
    if errors:
        record(session, _actor(user), "change_password", "user_account", user.id, outcome="refused",
               reason=", ".join(sorted(errors)))
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.failed_sign_ins = 0
    end_sessions(session, user.id, keep_session_id=keep_session_id)
    record(session, _actor(user), "change_password", "user_account", user.id)


def begin_second_factor(session: Session, user: User) -> str:
    """A new secret to show the user; it replaces their second factor only once they confirm it with a code."""
    if user.pending_totp_secret is None:
        user.pending_totp_secret = new_totp_secret()
        record(session, _actor(user), "second_factor_begin", "user_account", user.id)
    return user.pending_totp_secret


def confirm_second_factor(session: Session, user: User, code: str) -> None:
    if user.pending_totp_secret is None:
        raise ValidationFailed({"code": "Start setting up your second factor again"})
    step = totp_step(user.pending_totp_secret, code)
    if step is None:
        record(session, _actor(user), "second_factor_confirm", "user_account", user.id, outcome="refused",
               reason="wrong code")
        raise ValidationFailed({"code": "Enter the 6-digit code your authenticator app shows for this key"})
    replaced = user.totp_secret is not None
    user.totp_secret = user.pending_totp_secret
    user.pending_totp_secret = None
    # The confirming code is used up like any other (steps of the old key say nothing about the new one).
    user.totp_last_step = step
    record(session, _actor(user), "second_factor_confirm", "user_account", user.id, detail={"replaced": replaced})


# --- teams and partner agencies ----------------------------------------------------------------------------------


def list_teams(session: Session, database: Database, admin: User) -> list[Team]:
    _require_manage(database, admin)
    return list(session.scalars(select(Team).order_by(func.lower(Team.name))))


def list_agencies(session: Session, database: Database, admin: User) -> list[PartnerAgency]:
    _require_manage(database, admin)
    return list(session.scalars(select(PartnerAgency).order_by(func.lower(PartnerAgency.name))))


def _check_name(session: Session, errors: dict[str, str], model: type[Team] | type[PartnerAgency], name: str,
                own_id: int | None) -> None:
    if not name or len(name) > 200:
        errors["name"] = "Name must be 1 to 200 characters"
        return
    clash = session.scalar(select(model.id).where(func.lower(model.name) == name.lower()))
    if clash is not None and clash != own_id:
        errors["name"] = f"There is already one called {name}"


def save_team(session: Session, database: Database, admin: User, *, name: str, service: str,
              team_id: int | None = None) -> Team:
    _require_manage(database, admin)
    team = None
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None:
            raise NotFound("There is no team with that number.")
    name = name.strip()
    errors: dict[str, str] = {}
    _check_name(session, errors, Team, name, team_id)
    if service not in TEAM_SERVICES:
        errors["service"] = "Choose the service the team belongs to"
    if errors:
        raise ValidationFailed(errors)
    if team is None:
        team = Team(name=name, service=service)
        session.add(team)
        session.flush()
        record(session, _actor(admin), "create", "team", team.id, detail={"name": name, "service": service})
    else:
        changed = {k: {"old": old, "new": new} for k, old, new in
                   (("name", team.name, name), ("service", team.service, service)) if old != new}
        team.name, team.service = name, service
        record(session, _actor(admin), "update", "team", team.id, detail={"changed": changed})
    return team


def save_agency(session: Session, database: Database, admin: User, *, name: str, kind: str,
                default_referral_source: str, agency_id: int | None = None) -> PartnerAgency:
    from safeguarding.core.codes import REFERRAL_SOURCES

    _require_manage(database, admin)
    agency = None
    if agency_id is not None:
        agency = session.get(PartnerAgency, agency_id)
        if agency is None:
            raise NotFound("There is no partner agency with that number.")
    name = name.strip()
    errors: dict[str, str] = {}
    _check_name(session, errors, PartnerAgency, name, agency_id)
    if kind not in {k.value for k in AgencyKind}:
        errors["kind"] = "Choose the kind of agency"
    if default_referral_source not in REFERRAL_SOURCES:
        errors["default_referral_source"] = "Choose the DfE referral source its contacts carry"
    if errors:
        raise ValidationFailed(errors)
    values = {"name": name, "kind": kind, "default_referral_source": default_referral_source}
    if agency is None:
        agency = PartnerAgency(name=name, kind=AgencyKind(kind), default_referral_source=default_referral_source)
        session.add(agency)
        session.flush()
        record(session, _actor(admin), "create", "partner_agency", agency.id, detail=values)
    else:
        changed = {k: {"old": str(getattr(agency, k)), "new": v} for k, v in values.items()
                   if str(getattr(agency, k)) != v}
        agency.name, agency.kind, agency.default_referral_source = name, AgencyKind(kind), default_referral_source
        record(session, _actor(admin), "update", "partner_agency", agency.id, detail={"changed": changed})
    return agency


# --- API tokens --------------------------------------------------------------------------------------------------


def issue_api_token(session: Session, user: User, label: str, actor: Actor) -> tuple[ApiToken, str]:
    """Make a token; the caller shows the plain token once. Only its SHA-256 digest is stored."""
    label = label.strip()
    if len(label) > 200:
        raise ValidationFailed({"label": "Label must be 200 characters or fewer"})
    if not user.active:
        raise ValidationFailed({"label": "This account is not active, so it cannot be given a token"})
    token = new_token()
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), label=label)
    session.add(row)
    session.flush()
    record(session, actor, "create", "api_token", row.id, detail={"username": user.username, "label": label})
    return row, token


def create_api_token(session: Session, database: Database, admin: User, user_id: int,
                     label: str) -> tuple[ApiToken, str]:
    _require_manage(database, admin)
    return issue_api_token(session, _user_or_404(session, user_id), label, _actor(admin))


def list_api_tokens(session: Session, database: Database, admin: User, user_id: int) -> list[ApiToken]:
    _require_manage(database, admin)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def revoke_api_token(session: Session, database: Database, admin: User, user_id: int, token_id: int) -> ApiToken:
    _require_manage(database, admin)
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("There is no such token for this user.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(session, _actor(admin), "revoke", "api_token", row.id, detail={"user_id": user_id})
    return row

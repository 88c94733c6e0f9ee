"""Administration of who uses the system: accounts, teams, partner agencies and API tokens.

Every administrative use-case is asked of the one access policy (Kind.USER_ACCOUNT, Action.MANAGE) and recorded in
the audit log. ``create_user`` and ``issue_api_token`` are also the command line's (which has no signed-in user).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguarding.core.access import Action, Kind, actor_of, require_role
from safeguarding.core.audit import Actor, record
from safeguarding.core.codes import REFERRAL_SOURCES
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.record_versions import EditConflict, SavedField, SavedVersion, last_change
from safeguarding.core.security import hash_password, new_token, password_problem, token_digest
from safeguarding.core.sign_in import end_sessions
from safeguarding.core.users import ROLE_LABELS, TEAM_SERVICES, AgencyKind, ApiToken, PartnerAgency, Role, Team, User

USERNAME_CHARACTERS = "._-@"


@dataclass(frozen=True)
class UserForm:
    """What an administrator may set on an account (the password is set separately)."""

    full_name: str
    role: str
    email: str = ""
    team_id: str = ""
    agency_id: str = ""
    active: bool = True
    # account_fingerprint() of the account when the form was shown (its "version": the table has no version
    # column); "" skips the check (CLI, scripts).
    version: str = ""
    # The Social Work England registration number: None where the form did not ask (left as it is), "" to clear.
    registration_number: str | None = None

    @classmethod
    def read(cls, form: Mapping[str, str]) -> UserForm:
        """The account's fields from a posted form (the service checks them, naming each field at fault)."""
        return cls(
            full_name=form.get("full_name", ""),
            role=form.get("role", ""),
            email=form.get("email", ""),
            team_id=form.get("team_id", ""),
            agency_id=form.get("agency_id", ""),
            active=form.get("active") == "yes",
            version=form.get("version", ""),
            registration_number=form.get("registration_number"),
        )


# Social Work England's registration numbers as its public register gives them: "SW" and the number (e.g. SW12345);
# the SSDA903 social worker episodes' SW_ID must start "SW" (its other form, "XX", is for a worker with none). The
# register does not publish a fixed number of digits, so 1 to 10 (the column holds 12 characters).
SWE_NUMBER = re.compile(r"SW[0-9]{1,10}")


def registration_number_problem(raw: str) -> tuple[str | None, str | None]:
    """The number as stored (upper case, spaces removed; None when blank) and what is wrong with it, if anything."""
    text = "".join(raw.split()).upper()
    if not text:
        return None, None
    if not SWE_NUMBER.fullmatch(text):
        return None, "Enter the Social Work England registration number as it is registered, like SW12345"
    return text, None


def account_fingerprint(user: User) -> str:
    """A short digest of what the account form edits, carried by the form so that a second administrator's
    change made in the meantime is caught (Conflict) instead of silently overwritten."""
    fields = [user.full_name, user.email or "", str(user.role), user.team_id, user.agency_id, user.active]
    if user.registration_number:
        fields.append(user.registration_number)  # (absent: the fingerprint of an account without one is as before)
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


ACCOUNT_CHANGED = (
    "Someone else changed this account since you opened it. Nothing you entered was saved, and nothing is lost: "
    "what you typed is still in the form, beside the saved version. Compare them, change what you need to, then "
    "save again."
)


def _changed_meanwhile(session: Session, user: User) -> EditConflict:
    """The refusal of an account edit made against what the account was before another administrator's change:
    the account as saved now, field by field as the form names them, with who changed it and when."""
    teams = {str(t_id): name for t_id, name in session.execute(select(Team.id, Team.name))}
    agencies = {str(a_id): name for a_id, name in session.execute(select(PartnerAgency.id, PartnerAgency.name))}
    fields = (
        SavedField("full_name", "Full name", user.full_name),
        SavedField("email", "Email address", user.email or ""),
        SavedField("role", "Role", str(user.role), {r.value: label for r, label in ROLE_LABELS.items()}),
        SavedField("team_id", "Team", str(user.team_id or ""), {"": "No team", **teams}),
        SavedField("agency_id", "Partner agency", str(user.agency_id or ""), {"": "Not a partner", **agencies}),
        SavedField("active", "Account is active", "yes" if user.active else "", {"yes": "Yes", "": "No"}),
        SavedField("registration_number", "Social Work England registration number", user.registration_number or ""),
    )
    with session.no_autoflush:
        saved_by, saved_at = last_change(session, "user_account", user.id)
    return EditConflict(ACCOUNT_CHANGED, SavedVersion(account_fingerprint(user), fields, saved_by, saved_at))


def _require_manage(database: Database, admin: User) -> None:
    require_role(database, admin, Kind.USER_ACCOUNT, Action.MANAGE)


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


def _check_membership(
    session: Session, errors: dict[str, str], role: Role | None, team_id: int | None, agency_id: int | None
) -> None:
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
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        team_id=team_id,
        agency_id=agency_id,
        email=email or None,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, database: Database, admin: User, *, include_inactive: bool = True) -> list[User]:
    _require_manage(database, admin)
    query = select(User).order_by(User.active.desc(), func.lower(User.full_name), User.id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    users = list(session.scalars(query).unique())
    record(session, actor_of(admin), "list", "user_account", detail={"count": len(users)})
    return users


def get_user(session: Session, database: Database, admin: User, user_id: int) -> User:
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    record(session, actor_of(admin), "view", "user_account", user.id)
    return user


def create_user_by_admin(
    session: Session, database: Database, admin: User, *, username: str, form: UserForm, password: str
) -> User:
    """An administrator creates an account with a temporary password the user must change at first sign-in."""
    _require_manage(database, admin)
    errors: dict[str, str] = {}
    role = _parse_role(errors, form.role)
    team_id, agency_id = _optional_id(form.team_id), _optional_id(form.agency_id)
    try:
        if errors:
            raise ValidationFailed(errors)
        user = create_user(
            session,
            username=username,
            full_name=form.full_name,
            role=role or Role.MASH_WORKER,
            password=password,
            team_id=team_id,
            agency_id=agency_id,
            email=form.email,
            must_change_password=True,
        )
    except ValidationFailed as exc:
        renamed = {{"agency": "agency_id", "team": "team_id"}.get(k, k): v for k, v in exc.errors.items()}
        raise ValidationFailed({**errors, **renamed}) from None
    record(
        session,
        actor_of(admin),
        "create",
        "user_account",
        user.id,
        detail={"username": user.username, "role": str(user.role), "team_id": team_id, "agency_id": agency_id},
    )
    return user


def _parse_role(errors: dict[str, str], raw: str) -> Role | None:
    try:
        return Role(raw)
    except ValueError:
        errors["role"] = "Choose a role from the list"
        return None


def _active_administrators(session: Session) -> int:
    return (
        session.scalar(select(func.count(User.id)).where(User.role == Role.ADMINISTRATOR, User.active.is_(True))) or 0
    )


def update_user(session: Session, database: Database, admin: User, user_id: int, form: UserForm) -> User:
    """Change name, email, role, team or agency, or deactivate. Deactivating ends the user's sessions."""
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    if form.version and form.version != account_fingerprint(user):
        raise _changed_meanwhile(session, user)
    errors: dict[str, str] = {}
    full_name = form.full_name.strip()
    if not full_name or len(full_name) > 200:
        errors["full_name"] = "Full name must be 1 to 200 characters"
    email = form.email.strip()
    _check_email(errors, email)
    role = _parse_role(errors, form.role)
    team_id, agency_id = _optional_id(form.team_id), _optional_id(form.agency_id)
    _check_membership(session, errors, role, team_id, agency_id)
    registration = user.registration_number
    if form.registration_number is not None:
        registration, problem = registration_number_problem(form.registration_number)
        if problem:
            errors["registration_number"] = problem
        elif registration is not None and role == Role.PARTNER_PRACTITIONER:
            errors["registration_number"] = "Partner practitioners' registration is their agency's: leave it blank"
        elif registration is not None and session.scalar(
            select(User.id).where(User.registration_number == registration, User.id != user.id)
        ):
            errors["registration_number"] = "Another account has this registration number: check it"
    losing_admin = user.role == Role.ADMINISTRATOR and user.active and (role != Role.ADMINISTRATOR or not form.active)
    if losing_admin and user.id == admin.id:
        errors["role" if role != Role.ADMINISTRATOR else "active"] = (
            "You cannot remove your own administrator access: ask another administrator"
        )
    elif losing_admin and _active_administrators(session) <= 1:
        errors["role"] = "The council must keep at least one active administrator"
    if errors:
        raise ValidationFailed(errors)
    assert role is not None
    before = {
        "full_name": user.full_name,
        "email": user.email,
        "role": str(user.role),
        "team_id": user.team_id,
        "agency_id": user.agency_id,
        "active": user.active,
        "registration_number": user.registration_number,
    }
    user.full_name, user.email, user.role = full_name, email or None, role
    user.team_id, user.agency_id, user.active = team_id, agency_id, form.active
    user.registration_number = registration
    after = {
        "full_name": user.full_name,
        "email": user.email,
        "role": str(user.role),
        "team_id": user.team_id,
        "agency_id": user.agency_id,
        "active": user.active,
        "registration_number": user.registration_number,
    }
    changed = {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}
    if not form.active or "role" in changed:
        # A role change or deactivation takes effect now, not when the user next signs in.
        end_sessions(session, user.id)
    session.flush()
    record(session, actor_of(admin), "update", "user_account", user.id, detail={"changed": changed})
    return user


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
    record(session, actor_of(admin), "reset_password", "user_account", user.id)
    return user


def unlock(session: Session, database: Database, admin: User, user_id: int) -> User:
    _require_manage(database, admin)
    user = _user_or_404(session, user_id)
    was_locked_until = user.locked_until
    user.failed_sign_ins = user.failed_second_factors = 0
    user.locked_until = None
    record(
        session,
        actor_of(admin),
        "unlock",
        "user_account",
        user.id,
        detail={"was_locked_until": was_locked_until.isoformat() if was_locked_until else None},
    )
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
    record(session, actor_of(admin), "reset_second_factor", "user_account", user.id)
    return user


# --- teams and partner agencies ----------------------------------------------------------------------------------


def list_teams(session: Session, database: Database, admin: User) -> list[Team]:
    _require_manage(database, admin)
    return list(session.scalars(select(Team).order_by(func.lower(Team.name))))


def list_agencies(session: Session, database: Database, admin: User) -> list[PartnerAgency]:
    _require_manage(database, admin)
    return list(session.scalars(select(PartnerAgency).order_by(func.lower(PartnerAgency.name))))


def _check_name(
    session: Session, errors: dict[str, str], model: type[Team] | type[PartnerAgency], name: str, own_id: int | None
) -> None:
    if not name or len(name) > 200:
        errors["name"] = "Name must be 1 to 200 characters"
        return
    clash = session.scalar(select(model.id).where(func.lower(model.name) == name.lower()))
    if clash is not None and clash != own_id:
        errors["name"] = f"There is already one called {name}"


def save_team(
    session: Session, database: Database, admin: User, *, name: str, service: str, team_id: int | None = None
) -> Team:
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
        record(session, actor_of(admin), "create", "team", team.id, detail={"name": name, "service": service})
    else:
        changed = {
            k: {"old": old, "new": new}
            for k, old, new in (("name", team.name, name), ("service", team.service, service))
            if old != new
        }
        team.name, team.service = name, service
        record(session, actor_of(admin), "update", "team", team.id, detail={"changed": changed})
    return team


def save_agency(
    session: Session,
    database: Database,
    admin: User,
    *,
    name: str,
    kind: str,
    default_referral_source: str,
    agency_id: int | None = None,
) -> PartnerAgency:
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
        record(session, actor_of(admin), "create", "partner_agency", agency.id, detail=values)
    else:
        changed = {
            k: {"old": str(getattr(agency, k)), "new": v} for k, v in values.items() if str(getattr(agency, k)) != v
        }
        agency.name, agency.kind, agency.default_referral_source = name, AgencyKind(kind), default_referral_source
        record(session, actor_of(admin), "update", "partner_agency", agency.id, detail={"changed": changed})
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


def create_api_token(
    session: Session, database: Database, admin: User, user_id: int, label: str
) -> tuple[ApiToken, str]:
    _require_manage(database, admin)
    return issue_api_token(session, _user_or_404(session, user_id), label, actor_of(admin))


def list_api_tokens(session: Session, database: Database, admin: User, user_id: int) -> list[ApiToken]:
    _require_manage(database, admin)
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def revoke_api_token(session: Session, database: Database, admin: User, user_id: int, token_id: int) -> ApiToken:
    _require_manage(database, admin)
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("There is no such token for this user.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(session, actor_of(admin), "revoke", "api_token", row.id, detail={"user_id": user_id})
    return row

"""Administration: users, teams, partner agencies, API tokens and local settings.

Every page asks the one access policy through the services in ``core.users`` and ``core.local_settings``
(Kind.USER_ACCOUNT / Kind.LOCAL_SETTINGS); the routes only read forms and render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from safeguarding.core import local_settings
from safeguarding.core.access import Action, Kind, role_may
from safeguarding.core.accounts import (
    UserForm,
    account_fingerprint,
    create_api_token,
    create_user_by_admin,
    get_user,
    list_agencies,
    list_api_tokens,
    list_teams,
    list_users,
    reset_password,
    reset_second_factor,
    revoke_api_token,
    save_agency,
    save_team,
    unlock,
    update_user,
)
from safeguarding.core.codes import REFERRAL_SOURCES
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.sign_in import is_locked
from safeguarding.core.users import (
    AGENCY_KIND_LABELS,
    ROLE_LABELS,
    TEAM_SERVICES,
    AgencyKind,
    PartnerAgency,
    Role,
    Team,
    User,
)
from safeguarding.timescales import service as timescales_service
from safeguarding.timescales import store as timescales_store
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

# Messages for ?done=... after post/redirect/get; fixed text, never taken from the query string.
DONE = {
    "created": "The account has been created with the temporary password you gave.",
    "updated": "The account has been updated.",
    "password": "The temporary password is set. Tell the user by a separate route; they must change it.",
    "unlocked": "The account is unlocked.",
    "second-factor": "The second factor is reset. The user sets up a new one from their account page "
                     "(administrators must, at their next sign-in).",
    "revoked": "The token is revoked. Systems using it are refused from now on.",
    "team": "The team is saved.",
    "agency": "The partner agency is saved.",
    "settings": "Local settings are saved.",
    "settings-timescales": "Local settings are saved. Every open child's deadlines are being derived again under "
                           "the new timescales: the due pages show them within a few seconds.",
    "settings-unchanged": "Nothing was changed.",
}


def _choices(db: DbSession) -> dict[str, Any]:
    return {
        "role_options": [(r.value, ROLE_LABELS[r]) for r in Role],
        "team_options": [(t.id, t.name) for t in db.scalars(select(Team).order_by(Team.name))],
        "agency_options": [(a.id, a.name) for a in db.scalars(select(PartnerAgency).order_by(PartnerAgency.name))],
    }


@router.get("/admin", include_in_schema=False)
def admin_home(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    users = list_users(db, database, user)
    return render(request, "app/admin_home.html", title="Administration",
                  user_count=sum(1 for u in users if u.active),
                  locked_count=sum(1 for u in users if u.active and is_locked(u)))


# --- users -------------------------------------------------------------------------------------------------------


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, db: DbSession, database: Db, user: CurrentUser,
               done: str | None = None) -> Response:
    users = list_users(db, database, user)
    return render(request, "app/admin_users.html", title="Users", users=users, is_locked=is_locked,
                  flash=DONE.get(done or ""))


@router.get("/admin/users/new", include_in_schema=False)
def new_user_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    list_teams(db, database, user)  # asks the policy before showing the form
    return render(request, "app/admin_user_new.html", title="Create a user", form={}, **_choices(db))


@router.post("/admin/users/new", include_in_schema=False)
def create_user_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser,
    username: Annotated[str, Form(max_length=200)] = "",
    full_name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    team_id: Annotated[str, Form(max_length=20)] = "",
    agency_id: Annotated[str, Form(max_length=20)] = "",
    temporary_password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = UserForm(full_name=full_name, role=role, email=email, team_id=team_id, agency_id=agency_id)
    try:
        created = create_user_by_admin(db, database, user, username=username, form=form,
                                       password=temporary_password)
    except ValidationFailed as exc:
        errors = {("temporary_password" if k == "password" else k): v for k, v in exc.errors.items()}
        return render(request, "app/admin_user_new.html", status_code=422, title="Create a user", errors=errors,
                      form={"username": username, "full_name": full_name, "email": email, "role": role,
                            "team_id": team_id, "agency_id": agency_id}, **_choices(db))
    return RedirectResponse(f"/admin/users/{created.id}?done=created", status_code=303)


def _user_page(request: Request, db: DbSession, database: Db, admin: User, target: User, *,
               status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, object] | None = None,
               flash: str | None = None, new_token: str | None = None) -> Response:
    tokens = list_api_tokens(db, database, admin, target.id)
    form = form or {"full_name": target.full_name, "email": target.email or "", "role": str(target.role),
                    "team_id": target.team_id or "", "agency_id": target.agency_id or "", "active": target.active,
                    "read_as": account_fingerprint(target)}
    return render(request, "app/admin_user.html", status_code=status_code, title=target.full_name,
                  target=target, tokens=tokens, form=form, errors=errors, flash=flash, new_token=new_token,
                  locked=is_locked(target), **_choices(db))


@router.get("/admin/users/{user_id}", include_in_schema=False)
def user_page(request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
              done: str | None = None) -> Response:
    target = get_user(db, database, user, user_id)
    return _user_page(request, db, database, user, target, flash=DONE.get(done or ""))


@router.post("/admin/users/{user_id}", include_in_schema=False)
def update_user_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
    full_name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    team_id: Annotated[str, Form(max_length=20)] = "",
    agency_id: Annotated[str, Form(max_length=20)] = "",
    active: Annotated[str, Form(max_length=10)] = "",
    read_as: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = UserForm(full_name=full_name, role=role, email=email, team_id=team_id, agency_id=agency_id,
                    active=active == "yes", read_as=read_as)
    try:
        update_user(db, database, user, user_id, form)
    except ValidationFailed as exc:
        target = get_user(db, database, user, user_id)
        return _user_page(request, db, database, user, target, status_code=422, errors=exc.errors,
                          form={"full_name": full_name, "email": email, "role": role, "team_id": team_id,
                                "agency_id": agency_id, "active": active == "yes", "read_as": read_as})
    return RedirectResponse(f"/admin/users/{user_id}?done=updated", status_code=303)


@router.post("/admin/users/{user_id}/password", include_in_schema=False)
def reset_password_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
    temporary_password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        reset_password(db, database, user, user_id, temporary_password)
    except ValidationFailed as exc:
        target = get_user(db, database, user, user_id)
        return _user_page(request, db, database, user, target, status_code=422, errors=exc.errors)
    return RedirectResponse(f"/admin/users/{user_id}?done=password", status_code=303)


@router.post("/admin/users/{user_id}/unlock", include_in_schema=False)
def unlock_page(user_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    unlock(db, database, user, user_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=unlocked", status_code=303)


@router.post("/admin/users/{user_id}/second-factor/reset", include_in_schema=False)
def reset_second_factor_page(user_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    reset_second_factor(db, database, user, user_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=second-factor", status_code=303)


@router.post("/admin/users/{user_id}/tokens", include_in_schema=False)
def create_token_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
    label: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        _row, token = create_api_token(db, database, user, user_id, label)
    except ValidationFailed as exc:
        target = get_user(db, database, user, user_id)
        return _user_page(request, db, database, user, target, status_code=422, errors=exc.errors)
    target = get_user(db, database, user, user_id)
    # Shown once, in this response only (not a redirect: the token must not travel in a URL).
    return _user_page(request, db, database, user, target, new_token=token)


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_page(user_id: RecordId, token_id: RecordId, db: DbSession, database: Db,
                      user: CurrentUser) -> Response:
    revoke_api_token(db, database, user, user_id, token_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=revoked", status_code=303)


# --- teams and partner agencies ----------------------------------------------------------------------------------


def _orgs_page(request: Request, db: DbSession, database: Db, admin: User, *, status_code: int = 200,
               errors: dict[str, str] | None = None, team_form: dict[str, str] | None = None,
               agency_form: dict[str, str] | None = None, flash: str | None = None) -> Response:
    return render(request, "app/admin_organisations.html", status_code=status_code,
                  title="Teams and partner agencies", teams=list_teams(db, database, admin),
                  agencies=list_agencies(db, database, admin), errors=errors, flash=flash,
                  team_form=team_form or {}, agency_form=agency_form or {}, **_org_choices())


def _org_choices() -> dict[str, Any]:
    return {"service_options": list(TEAM_SERVICES.items()),
            "kind_options": [(k.value, AGENCY_KIND_LABELS[k]) for k in AgencyKind],
            "source_options": [(code, f"{code}: {label}") for code, label in REFERRAL_SOURCES.items()],
            "TEAM_SERVICES": TEAM_SERVICES, "AGENCY_KIND_LABELS": AGENCY_KIND_LABELS}


@router.get("/admin/organisations", include_in_schema=False)
def organisations_page(request: Request, db: DbSession, database: Db, user: CurrentUser,
                       done: str | None = None) -> Response:
    return _orgs_page(request, db, database, user, flash=DONE.get(done or ""))


@router.post("/admin/teams", include_in_schema=False)
def create_team_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser,
    team_name: Annotated[str, Form(max_length=400)] = "", team_service: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    name, service = team_name, team_service
    try:
        save_team(db, database, user, name=name, service=service)
    except ValidationFailed as exc:
        return _orgs_page(request, db, database, user, status_code=422,
                          errors={f"team_{k}": v for k, v in exc.errors.items()},
                          team_form={"name": name, "service": service})
    return RedirectResponse("/admin/organisations?done=team", status_code=303)


@router.get("/admin/teams/{team_id}", include_in_schema=False)
def team_page(request: Request, team_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    team = next((t for t in list_teams(db, database, user) if t.id == team_id), None)
    if team is None:
        return _not_found(request)
    return render(request, "app/admin_team.html", title=f"Team: {team.name}", team=team,
                  form={"name": team.name, "service": team.service}, **_org_choices())


@router.post("/admin/teams/{team_id}", include_in_schema=False)
def update_team_page(
    request: Request, team_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
    name: Annotated[str, Form(max_length=400)] = "", service: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        save_team(db, database, user, name=name, service=service, team_id=team_id)
    except ValidationFailed as exc:
        team = db.get(Team, team_id)
        return render(request, "app/admin_team.html", status_code=422, title="Team", team=team,
                      errors=exc.errors, form={"name": name, "service": service}, **_org_choices())
    return RedirectResponse("/admin/organisations?done=team", status_code=303)


@router.post("/admin/agencies", include_in_schema=False)
def create_agency_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser,
    agency_name: Annotated[str, Form(max_length=400)] = "", agency_kind: Annotated[str, Form(max_length=40)] = "",
    agency_default_referral_source: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    name, kind, default_referral_source = agency_name, agency_kind, agency_default_referral_source
    try:
        save_agency(db, database, user, name=name, kind=kind, default_referral_source=default_referral_source)
    except ValidationFailed as exc:
        return _orgs_page(request, db, database, user, status_code=422,
                          errors={f"agency_{k}": v for k, v in exc.errors.items()},
                          agency_form={"name": name, "kind": kind,
                                       "default_referral_source": default_referral_source})
    return RedirectResponse("/admin/organisations?done=agency", status_code=303)


@router.get("/admin/agencies/{agency_id}", include_in_schema=False)
def agency_page(request: Request, agency_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    agency = next((a for a in list_agencies(db, database, user) if a.id == agency_id), None)
    if agency is None:
        return _not_found(request)
    return render(request, "app/admin_agency.html", title=f"Partner agency: {agency.name}", agency=agency,
                  form={"name": agency.name, "kind": str(agency.kind),
                        "default_referral_source": agency.default_referral_source}, **_org_choices())


@router.post("/admin/agencies/{agency_id}", include_in_schema=False)
def update_agency_page(
    request: Request, agency_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
    name: Annotated[str, Form(max_length=400)] = "", kind: Annotated[str, Form(max_length=40)] = "",
    default_referral_source: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        save_agency(db, database, user, name=name, kind=kind, default_referral_source=default_referral_source,
                    agency_id=agency_id)
    except ValidationFailed as exc:
        agency = db.get(PartnerAgency, agency_id)
        return render(request, "app/admin_agency.html", status_code=422, title="Partner agency", agency=agency,
                      errors=exc.errors, form={"name": name, "kind": kind,
                                               "default_referral_source": default_referral_source},
                      **_org_choices())
    return RedirectResponse("/admin/organisations?done=agency", status_code=303)


def _not_found(request: Request) -> Response:
    return render(request, "web/error.html", status_code=404, title="Page not found", heading="Page not found",
                  message="There is nothing with that number.")


# --- local settings ----------------------------------------------------------------------------------------------


def _settings_page(request: Request, db: DbSession, database: Db, user: User, *, status_code: int = 200,
                   errors: dict[str, str] | None = None, submitted: dict[str, str] | None = None,
                   flash: str | None = None) -> Response:
    rows = local_settings.view_settings(db, database, user)
    editors = {u.id: u.full_name for u in db.scalars(
        select(User).where(User.id.in_({r.updated_by_id for r in rows if r.updated_by_id})))}
    return render(request, "app/admin_settings.html", status_code=status_code, title="Local settings", rows=rows,
                  editors=editors, errors=errors, submitted=submitted, flash=flash,
                  can_change=role_may(user, Kind.LOCAL_SETTINGS, Action.MANAGE),
                  # Whether a change of a timescale has reached the deadlines: the latest run of the job.
                  deadlines_run=timescales_store.last_refresh(db.connection()))


@router.get("/admin/settings", include_in_schema=False)
def settings_page(request: Request, db: DbSession, database: Db, user: CurrentUser,
                  done: str | None = None) -> Response:
    return _settings_page(request, db, database, user, flash=DONE.get(done or ""))


@router.post("/admin/settings", include_in_schema=False)
async def save_settings_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    form = await request.form()
    # "__form__" tells the service this is the whole form, so an unticked yes/no box means "no".
    submitted: dict[str, str] = {"__form__": "1"}
    for key, value in form.multi_items():
        if key in local_settings.DEFINITIONS and isinstance(value, str):
            submitted[key] = value[:1000]
    return await run_in_threadpool(_save_settings, request, db, database, user, submitted)


def _save_settings(request: Request, db: DbSession, database: Db, user: User, submitted: dict[str, str]
                   ) -> Response:
    try:
        changes = local_settings.save_all(db, database, user, submitted)
    except ValidationFailed as exc:
        return _settings_page(request, db, database, user, status_code=422, errors=exc.errors,
                              submitted=submitted)
    timescales = any(key.startswith("timescales.") for key in changes)
    return RedirectResponse(
        "/admin/settings?done=" + ("settings-timescales" if timescales else "settings" if changes
                                   else "settings-unchanged"), status_code=303,
        # After the commit and the response: every child's deadlines derived again under the new setting.
        background=BackgroundTask(timescales_service.rederive_council_now, database) if timescales else None)

"""Administration: users, teams, partner agencies, API tokens and local settings.

Every page asks the one access policy through the services in ``core.accounts`` and ``core.local_settings``
(Kind.USER_ACCOUNT / Kind.LOCAL_SETTINGS); the routes only hand the posted form to them (``web.forms.submit``) and
render. Part of the app rather than of ``web``: saving a timescale setting derives every child's deadlines again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

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
from safeguarding.web.forms import PostedForm, submit
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
    return render(
        request,
        "app/admin_home.html",
        title="Administration",
        user_count=sum(1 for u in users if u.active),
        locked_count=sum(1 for u in users if u.active and is_locked(u)),
    )


# --- users -------------------------------------------------------------------------------------------------------


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, db: DbSession, database: Db, user: CurrentUser, done: str | None = None) -> Response:
    users = list_users(db, database, user)
    return render(
        request, "app/admin_users.html", title="Users", users=users, is_locked=is_locked, flash=DONE.get(done or "")
    )


@router.get("/admin/users/new", include_in_schema=False)
def new_user_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    list_teams(db, database, user)  # asks the policy before showing the form
    return render(request, "app/admin_user_new.html", title="Create a user", form={}, **_choices(db))


# The account's fields shown again after an error (never a password).
NEW_USER_FIELDS = ("username", "full_name", "email", "role", "team_id", "agency_id")


@router.post("/admin/users/new", include_in_schema=False)
async def create_user_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: create_user_by_admin(
            db,
            database,
            user,
            username=form.get("username", ""),
            form=UserForm.read(form),
            password=form.get("temporary_password", ""),
        ),
        done=lambda created: f"/admin/users/{created.id}?done=created",
        again=lambda form, errors: render(
            request,
            "app/admin_user_new.html",
            title="Create a user",
            errors={("temporary_password" if k == "password" else k): v for k, v in errors.items()},
            form={k: form.get(k, "") for k in NEW_USER_FIELDS},
            **_choices(db),
        ),
    )


def _user_page(
    request: Request,
    db: DbSession,
    database: Db,
    admin: User,
    target: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, object] | None = None,
    flash: str | None = None,
    new_token: str | None = None,
) -> Response:
    tokens = list_api_tokens(db, database, admin, target.id)
    form = form or {
        "full_name": target.full_name,
        "email": target.email or "",
        "role": str(target.role),
        "team_id": target.team_id or "",
        "agency_id": target.agency_id or "",
        "active": target.active,
        "registration_number": target.registration_number or "",
        "version": account_fingerprint(target),
    }
    return render(
        request,
        "app/admin_user.html",
        status_code=status_code,
        title=target.full_name,
        target=target,
        tokens=tokens,
        form=form,
        errors=errors,
        flash=flash,
        new_token=new_token,
        locked=is_locked(target),
        **_choices(db),
    )


@router.get("/admin/users/{user_id}", include_in_schema=False)
def user_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    target = get_user(db, database, user, user_id)
    return _user_page(request, db, database, user, target, flash=DONE.get(done or ""))


@router.post("/admin/users/{user_id}", include_in_schema=False)
async def update_user_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        typed = UserForm.read(form)
        return _user_page(
            request,
            db,
            database,
            user,
            get_user(db, database, user, user_id),
            errors=errors,
            form={
                "full_name": typed.full_name,
                "email": typed.email,
                "role": typed.role,
                "team_id": typed.team_id,
                "agency_id": typed.agency_id,
                "active": typed.active,
                "registration_number": typed.registration_number or "",
                "version": typed.version,
            },
        )

    return await submit(
        request,
        db,
        lambda form: update_user(db, database, user, user_id, UserForm.read(form)),
        done=f"/admin/users/{user_id}?done=updated",
        again=again,
    )


@router.post("/admin/users/{user_id}/password", include_in_schema=False)
async def reset_password_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: reset_password(db, database, user, user_id, form.get("temporary_password", "")),
        done=f"/admin/users/{user_id}?done=password",
        again=lambda _form, errors: _user_page(
            request, db, database, user, get_user(db, database, user, user_id), errors=errors
        ),
    )


@router.post("/admin/users/{user_id}/unlock", include_in_schema=False)
def unlock_page(user_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    unlock(db, database, user, user_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=unlocked", status_code=303)


@router.post("/admin/users/{user_id}/second-factor/reset", include_in_schema=False)
def reset_second_factor_page(user_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    reset_second_factor(db, database, user, user_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=second-factor", status_code=303)


@router.post("/admin/users/{user_id}/tokens", include_in_schema=False)
async def create_token_page(
    request: Request, user_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def user_page(errors: dict[str, str] | None = None, new_token: str | None = None) -> Response:
        return _user_page(
            request, db, database, user, get_user(db, database, user, user_id), errors=errors, new_token=new_token
        )

    return await submit(
        request,
        db,
        lambda form: create_api_token(db, database, user, user_id, form.get("label", "")),
        # Shown once, in this response only (not a redirect: the token must not travel in a URL).
        done=lambda made: user_page(new_token=made[1]),
        again=lambda _form, errors: user_page(errors=errors),
    )


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_page(
    user_id: RecordId, token_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    revoke_api_token(db, database, user, user_id, token_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=revoked", status_code=303)


# --- teams and partner agencies ----------------------------------------------------------------------------------


def _orgs_page(
    request: Request,
    db: DbSession,
    database: Db,
    admin: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    team_form: dict[str, str] | None = None,
    agency_form: dict[str, str] | None = None,
    flash: str | None = None,
) -> Response:
    return render(
        request,
        "app/admin_organisations.html",
        status_code=status_code,
        title="Teams and partner agencies",
        teams=list_teams(db, database, admin),
        agencies=list_agencies(db, database, admin),
        errors=errors,
        flash=flash,
        team_form=team_form or {},
        agency_form=agency_form or {},
        **_org_choices(),
    )


def _org_choices() -> dict[str, Any]:
    return {
        "service_options": list(TEAM_SERVICES.items()),
        "kind_options": [(k.value, AGENCY_KIND_LABELS[k]) for k in AgencyKind],
        "source_options": [(code, f"{code}: {label}") for code, label in REFERRAL_SOURCES.items()],
        "TEAM_SERVICES": TEAM_SERVICES,
        "AGENCY_KIND_LABELS": AGENCY_KIND_LABELS,
    }


@router.get("/admin/organisations", include_in_schema=False)
def organisations_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    return _orgs_page(request, db, database, user, flash=DONE.get(done or ""))


@router.post("/admin/teams", include_in_schema=False)
async def create_team_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: save_team(
            db, database, user, name=form.get("team_name", ""), service=form.get("team_service", "")
        ),
        done="/admin/organisations?done=team",
        again=lambda form, errors: _orgs_page(
            request,
            db,
            database,
            user,
            errors={f"team_{k}": v for k, v in errors.items()},
            team_form={"name": form.get("team_name", ""), "service": form.get("team_service", "")},
        ),
    )


@router.get("/admin/teams/{team_id}", include_in_schema=False)
def team_page(request: Request, team_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    team = next((t for t in list_teams(db, database, user) if t.id == team_id), None)
    if team is None:
        return _not_found(request)
    return render(
        request,
        "app/admin_team.html",
        title=f"Team: {team.name}",
        team=team,
        form={"name": team.name, "service": team.service},
        **_org_choices(),
    )


@router.post("/admin/teams/{team_id}", include_in_schema=False)
async def update_team_page(
    request: Request, team_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: save_team(
            db, database, user, name=form.get("name", ""), service=form.get("service", ""), team_id=team_id
        ),
        done="/admin/organisations?done=team",
        again=lambda form, errors: render(
            request,
            "app/admin_team.html",
            title="Team",
            team=db.get(Team, team_id),
            errors=errors,
            form={"name": form.get("name", ""), "service": form.get("service", "")},
            **_org_choices(),
        ),
    )


def _agency_form(form: PostedForm, prefix: str = "") -> dict[str, str]:
    # The new-agency form sits beside the new-team form on one page, so its fields carry a prefix.
    return {name: form.get(prefix + name, "") for name in ("name", "kind", "default_referral_source")}


def _save_agency(
    db: DbSession, database: Db, user: User, fields: dict[str, str], agency_id: int | None = None
) -> PartnerAgency:
    return save_agency(
        db,
        database,
        user,
        name=fields["name"],
        kind=fields["kind"],
        default_referral_source=fields["default_referral_source"],
        agency_id=agency_id,
    )


@router.post("/admin/agencies", include_in_schema=False)
async def create_agency_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: _save_agency(db, database, user, _agency_form(form, "agency_")),
        done="/admin/organisations?done=agency",
        again=lambda form, errors: _orgs_page(
            request,
            db,
            database,
            user,
            errors={f"agency_{k}": v for k, v in errors.items()},
            agency_form=_agency_form(form, "agency_"),
        ),
    )


@router.get("/admin/agencies/{agency_id}", include_in_schema=False)
def agency_page(request: Request, agency_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    agency = next((a for a in list_agencies(db, database, user) if a.id == agency_id), None)
    if agency is None:
        return _not_found(request)
    return render(
        request,
        "app/admin_agency.html",
        title=f"Partner agency: {agency.name}",
        agency=agency,
        form={"name": agency.name, "kind": str(agency.kind), "default_referral_source": agency.default_referral_source},
        **_org_choices(),
    )


@router.post("/admin/agencies/{agency_id}", include_in_schema=False)
async def update_agency_page(
    request: Request, agency_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: _save_agency(db, database, user, _agency_form(form), agency_id),
        done="/admin/organisations?done=agency",
        again=lambda form, errors: render(
            request,
            "app/admin_agency.html",
            title="Partner agency",
            agency=db.get(PartnerAgency, agency_id),
            errors=errors,
            form=_agency_form(form),
            **_org_choices(),
        ),
    )


def _not_found(request: Request) -> Response:
    return render(
        request,
        "web/error.html",
        status_code=404,
        title="Page not found",
        heading="Page not found",
        message="There is nothing with that number.",
    )


# --- local settings ----------------------------------------------------------------------------------------------


def _settings_page(
    request: Request,
    db: DbSession,
    database: Db,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    submitted: dict[str, str] | None = None,
    flash: str | None = None,
) -> Response:
    rows = local_settings.view_settings(db, database, user)
    editors = {
        u.id: u.full_name
        for u in db.scalars(select(User).where(User.id.in_({r.updated_by_id for r in rows if r.updated_by_id})))
    }
    return render(
        request,
        "app/admin_settings.html",
        status_code=status_code,
        title="Local settings",
        rows=rows,
        editors=editors,
        errors=errors,
        submitted=submitted,
        flash=flash,
        can_change=role_may(user, Kind.LOCAL_SETTINGS, Action.MANAGE),
        # Whether a change of a timescale has reached the deadlines: the latest run of the job.
        deadlines_run=timescales_store.last_refresh(db.connection()),
    )


@router.get("/admin/settings", include_in_schema=False)
def settings_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    return _settings_page(request, db, database, user, flash=DONE.get(done or ""))


def _submitted(form: PostedForm) -> dict[str, str]:
    # "__form__" tells the service this is the whole form, so an unticked yes/no box means "no".
    # A list setting (one item a line) may be longer than one value; parse_value refuses what is too long.
    return {"__form__": "1", **{key: form[key][:10_000] for key in form if key in local_settings.DEFINITIONS}}


@router.post("/admin/settings", include_in_schema=False)
async def save_settings_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    changes: dict[str, Any] = {}

    def save(form: PostedForm) -> dict[str, Any]:
        changes.update(local_settings.save_all(db, database, user, _submitted(form)))
        return changes

    response = await submit(
        request,
        db,
        save,
        done=_settings_saved,
        again=lambda form, errors: _settings_page(
            request, db, database, user, errors=errors, submitted=_submitted(form)
        ),
    )
    if _touches_timescales(changes):
        # After the commit and the response: every child's deadlines derived again under the new setting.
        response.background = BackgroundTask(timescales_service.rederive_council_now, database)
    return response


def _touches_timescales(changes: dict[str, Any]) -> bool:
    return any(key.startswith("timescales.") for key in changes)


def _settings_saved(changes: dict[str, Any]) -> str:
    done = "settings-timescales" if _touches_timescales(changes) else "settings" if changes else "settings-unchanged"
    return f"/admin/settings?done={done}"

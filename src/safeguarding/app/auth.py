"""Sign-in with argon2id passwords, TOTP second factor (required for administrators), lockout, sign-out, and the
signed-in user's own account (password, second factor). Forms are read with ``web.forms``."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from safeguarding.core.access import actor_of
from safeguarding.core.audit import Actor, record
from safeguarding.core.db import utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.security import (
    spend_verification_time,
    totp_step,
    totp_uri,
    verify_password,
)
from safeguarding.core.settings import get_settings
from safeguarding.core.sign_in import (
    begin_second_factor,
    change_own_password,
    confirm_second_factor,
    count_client_failure,
    count_wrong_code,
    count_wrong_password,
    is_locked,
    use_second_factor_code,
)
from safeguarding.core.users import Role, User, UserSession
from safeguarding.web.deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    ApiUser,
    CurrentUser,
    DbSession,
    TransactionalRoute,
    client_address,
    csrf_protect,
    current_session,
    load_user_session,
    refuse_if_throttled,
    renew_session,
    set_session_cookie,
    start_session,
)
from safeguarding.web.forms import PostedForm, in_thread, read_form, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])


# Says nothing of whether the code was right once: only how to get one that works.
WRONG_CODE = (
    "Enter the 6-digit code your authenticator app shows now. Each code signs in once: if you have just "
    "used this one, wait for the next"
)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _after_sign_in(user: User, next: str | None) -> str:
    # A temporary password set by an administrator is replaced before anything else.
    return "/account/password" if user.must_change_password else _safe_next(next)


# What a sign-in form may carry: longer is no one's name or password (an administrator's temporary password is at
# most core.security.MAX_PASSWORD_LENGTH).
SIGN_IN_LIMITS = {"username": 200, "password": 1000, "code": 20}


def _sign_in_fields(form: PostedForm, *names: str) -> dict[str, str]:
    """The named fields as sent; one over its limit is refused (422) before anything is looked up."""
    fields = {name: form.get(name, "") for name in names}
    too_long = {
        name: f"{name.capitalize()} is too long" for name, value in fields.items() if len(value) > SIGN_IN_LIMITS[name]
    }
    if too_long:
        raise ValidationFailed(too_long)
    return fields


def _set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/")


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)
    request.state.pre_csrf = token
    response = render(request, "app/sign_in.html", title="Sign in", next=_safe_next(next), csrf_token=token)
    _set_cookie(response, PRE_SESSION_COOKIE, token)
    return response


@router.post("/sign-in", include_in_schema=False)
async def sign_in(request: Request, db: DbSession) -> Response:
    return await in_thread(_sign_in, request, db, await read_form(request))


def _sign_in(request: Request, db: DbSession, form: PostedForm) -> Response:
    fields = _sign_in_fields(form, "username", "password")
    username, password, next = fields["username"], fields["password"], form.get("next", "/")
    settings = get_settings()
    refuse_if_throttled(db, request)  # before the password is checked: a throttled client learns nothing
    user = db.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    now = utcnow()
    problem: str | None = None
    if user is None or not user.active:
        spend_verification_time(password)  # an unknown name takes as long to refuse as a wrong password
        problem = "unknown or inactive user"
    elif user.locked_until and user.locked_until > now:
        problem = "account locked"
    else:
        if user.locked_until is not None:
            # The lock period is over: the count of wrong passwords starts again (wrong codes keep counting).
            user.locked_until = None
            user.failed_sign_ins = 0
        if not verify_password(user.password_hash, password):
            problem = "wrong password"
            if count_wrong_password(db, user):
                problem = "wrong password; account now locked"
    if problem is not None:
        who = actor_of(user) if user else Actor(id=None, username=username.strip()[:80] or "-", role="-")
        record(db, who, "sign_in", "user_account", user.id if user else None, outcome="refused", reason=problem)
        count_client_failure(db, client_address(request))
        locked = user is not None and user.locked_until is not None and user.locked_until > now
        message = (
            f"This account is locked after {settings.lockout_threshold} failed attempts. Try again in "
            f"{settings.lockout_minutes} minutes or ask an administrator."
            if locked
            else "Enter a correct username and password."
        )
        return render(
            request,
            "app/sign_in.html",
            status_code=401,
            title="Sign in",
            next=_safe_next(next),
            errors={"username": message},
            username=username,
        )
    assert user is not None
    user.failed_sign_ins = 0  # not failed_second_factors: only a right code resets that
    user.locked_until = None
    # A session this browser already had ends: signing in always starts a new one under a new id.
    if (previous := load_user_session(request, db, allow_pending_second_factor=True)) is not None:
        previous.ended_at = now
    needs_second_factor = user.totp_secret is not None or user.role == Role.ADMINISTRATOR
    user_session = start_session(db, user, awaiting_second_factor=needs_second_factor)
    record(
        db, actor_of(user), "sign_in", "user_account", user.id, detail={"second_factor_pending": needs_second_factor}
    )
    target = (
        f"/sign-in/second-factor?next={quote(_safe_next(next), safe='/')}"
        if needs_second_factor
        else _after_sign_in(user, next)
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, user_session)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return response


def _pending_session(request: Request, db: DbSession) -> UserSession | None:
    user_session = load_user_session(request, db, allow_pending_second_factor=True)
    if user_session is not None:
        request.state.user_session = user_session
    return user_session


def _second_factor_form(
    request: Request, user: User, next: str | None, *, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    # Until the first code is confirmed, the key being set up is shown again on every visit, so leaving the page
    # before scanning it does not lock the user out.
    enrolling = user.totp_secret is None and user.pending_totp_secret is not None
    secret = user.pending_totp_secret if enrolling else None
    return render(
        request,
        "app/second_factor.html",
        status_code=status_code,
        title="Enter your security code",
        next=_safe_next(next),
        setup_secret=secret,
        setup_uri=totp_uri(secret, user.username) if secret else None,
        errors=errors,
    )


@router.get("/sign-in/second-factor", include_in_schema=False)
def second_factor_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    user_session = _pending_session(request, db)
    if user_session is None or not user_session.awaiting_second_factor:
        return RedirectResponse("/sign-in", status_code=303)
    user = user_session.user
    if user.totp_secret is None:
        # Administrators must set up a second factor at their first sign-in; it counts once a code confirms it.
        begin_second_factor(db, user)
    return _second_factor_form(request, user, next)


@router.post("/sign-in/second-factor", include_in_schema=False)
async def second_factor(request: Request, db: DbSession) -> Response:
    return await in_thread(_second_factor, request, db, await read_form(request))


def _second_factor(request: Request, db: DbSession, form: PostedForm) -> Response:
    code, next = _sign_in_fields(form, "code")["code"], form.get("next", "/")
    refuse_if_throttled(db, request)
    user_session = _pending_session(request, db)
    if user_session is None or not user_session.awaiting_second_factor:
        return RedirectResponse("/sign-in", status_code=303)
    user = user_session.user
    if is_locked(user):
        # Locked meanwhile (by guesses in another half-signed-in session): no code is looked at until it ends.
        user_session.ended_at = utcnow()
        return RedirectResponse("/sign-in", status_code=303)
    secret = user.totp_secret or user.pending_totp_secret
    if secret is None:
        return RedirectResponse(f"/sign-in/second-factor?next={quote(_safe_next(next), safe='/')}", status_code=303)
    enrolling = user.totp_secret is None
    accepted = totp_step(secret, code) is not None if enrolling else use_second_factor_code(db, user, code)
    if not accepted:
        if count_wrong_code(db, user):
            user_session.ended_at = utcnow()
        record(db, actor_of(user), "second_factor", "user_account", user.id, outcome="refused", reason="wrong code")
        count_client_failure(db, client_address(request))
        return _second_factor_form(request, user, next, status_code=401, errors={"code": WRONG_CODE})
    if enrolling:
        confirm_second_factor(db, user, code)
    user.failed_second_factors = 0
    # Fully signed in now: under a new session id, so the half-signed-in one is worth nothing.
    user_session = renew_session(request, db, user_session)
    user_session.awaiting_second_factor = False
    record(db, actor_of(user), "second_factor", "user_account", user.id)
    response = RedirectResponse(_after_sign_in(user, next), status_code=303)
    set_session_cookie(response, user_session)
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, db: DbSession) -> Response:
    user_session = load_user_session(request, db, allow_pending_second_factor=True)
    if user_session is not None:
        user_session.ended_at = utcnow()
        record(db, actor_of(user_session.user), "sign_out", "user_account", user_session.user_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the signed-in user's own account ----------------------------------------------------------------------------

DONE_MESSAGES = {
    "password": "Your password has been changed. Other places you were signed in have been signed out.",
    "second-factor": "Your second factor is set up. You will be asked for a code each time you sign in.",
}


@router.get("/account", include_in_schema=False)
def account(request: Request, user: CurrentUser, done: str | None = None) -> Response:
    return render(request, "app/account.html", title="Your account", flash=DONE_MESSAGES.get(done or ""))


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "app/account_password.html", title="Change your password")


@router.post("/account/password", include_in_schema=False)
async def change_password(
    request: Request, db: DbSession, user_session: Annotated[UserSession, Depends(current_session)]
) -> Response:
    return await submit(
        request,
        db,
        lambda form: change_own_password(
            db,
            user_session.user,
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            confirm=form.get("confirm_password", ""),
            keep_session_id=user_session.id,
        ),
        done="/account?done=password",
        again=lambda _form, errors: render(
            request, "app/account_password.html", title="Change your password", errors=errors
        ),
        # A wrong current password counts towards the lockout, and the refusal's audit row is kept: both are
        # committed with the (unchanged) account.
        rollback=False,
    )


@router.get("/account/second-factor", include_in_schema=False)
def second_factor_setup_page(request: Request, user: CurrentUser) -> Response:
    secret = user.pending_totp_secret
    return render(
        request,
        "app/account_second_factor.html",
        title="Set up your second factor",
        secret=secret,
        uri=totp_uri(secret, user.username) if secret else None,
    )


@router.post("/account/second-factor/start", include_in_schema=False)
def second_factor_start(db: DbSession, user: CurrentUser) -> Response:
    begin_second_factor(db, user)
    return RedirectResponse("/account/second-factor", status_code=303)


@router.post("/account/second-factor", include_in_schema=False)
async def second_factor_confirm(request: Request, db: DbSession, user: CurrentUser) -> Response:
    def again(_form: PostedForm, errors: dict[str, str]) -> Response:
        secret = user.pending_totp_secret
        return render(
            request,
            "app/account_second_factor.html",
            title="Set up your second factor",
            secret=secret,
            uri=totp_uri(secret, user.username) if secret else None,
            errors=errors,
        )

    return await submit(
        request,
        db,
        lambda form: confirm_second_factor(db, user, _sign_in_fields(form, "code")["code"]),
        done="/account?done=second-factor",
        again=again,
        # The refused code's audit row is kept (committed with the unchanged account).
        rollback=False,
    )


# --- JSON API: who the bearer token belongs to -------------------------------------------------------------------

api_router = APIRouter(route_class=TransactionalRoute, tags=["account"])


class Me(BaseModel):
    username: str
    full_name: str
    role: str
    team: str | None
    agency: str | None


@api_router.get("/me", response_model=Me, summary="The account this API token acts for")
def me(user: ApiUser) -> Me:
    return Me(
        username=user.username,
        full_name=user.full_name,
        role=str(user.role),
        team=user.team.name if user.team else None,
        agency=user.agency.name if user.agency else None,
    )
